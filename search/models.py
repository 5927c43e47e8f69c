"""Documents, where they came from, and the index versions built from them."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from .crawl.addresses import is_http_url
from .nlp.coins import COIN_BY_SLUG


def validate_coin_slugs(value) -> None:
    if not isinstance(value, list) or not all(isinstance(slug, str) for slug in value):
        raise ValidationError("Give a list of coin slugs, e.g. [\"bitcoin\", \"ethereum\"].")
    unknown = sorted(set(value) - set(COIN_BY_SLUG))
    if unknown:
        raise ValidationError(f"Unknown coin slugs: {', '.join(unknown)}.")


class Source(models.Model):
    """Where documents come from: a corpus dump, a folder, a feed or a site (crawled by the cluster)."""

    class Kind(models.TextChoices):
        JSONL = "jsonl", "JSONL dump"
        LOCAL = "local", "Local path"
        PAGES = "pages", "Web page list"
        FEED = "feed", "RSS/Atom feed"
        SITEMAP = "sitemap", "Sitemap"
        ARCHIVE = "archive", "Specification archive (.tar.gz/.zip)"

    class CrawlStatus(models.TextChoices):
        NEVER = "", "Never crawled"
        OK = "ok", "OK"
        PARTIAL = "partial", "Some pages skipped"
        FAILED = "failed", "Failed"

    WEB_KINDS = (Kind.PAGES, Kind.FEED, Kind.SITEMAP, Kind.ARCHIVE)

    name = models.SlugField(max_length=100, unique=True, help_text="Short id shown with every hit, e.g. ethereum-eips.")
    label = models.CharField(max_length=200, blank=True, help_text="Human-readable name.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LOCAL)
    location = models.TextField(
        blank=True,
        help_text="URL or path, for sources that are crawled; a web page list takes one URL per line.",
    )
    globs = models.TextField(
        blank=True,
        help_text="Archives only: which files to read, one glob per line (e.g. EIPS/eip-*.md; ** spans folders). "
        "Empty: every file a specification parser knows.",
    )
    coins = models.JSONField(
        default=list, blank=True, validators=[validate_coin_slugs],
        help_text="Coins this source is about (slugs), added to the coins detected in each page.",
    )
    enabled = models.BooleanField(default=True, help_text="Crawled on schedule (sources with a location only).")
    crawl_interval_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5)], help_text="Minutes between scheduled crawls (at least 5)."
    )
    last_crawled_at = models.DateTimeField(null=True, blank=True)
    last_crawl_status = models.CharField(
        max_length=16, choices=CrawlStatus.choices, default=CrawlStatus.NEVER, blank=True
    )
    last_crawl_counts = models.JSONField(
        default=dict, blank=True, help_text="fetched, new, updated, unchanged, skipped."
    )
    last_crawl_error = models.TextField(blank=True, help_text="Why the last crawl failed as a whole.")
    last_crawl_skipped = models.JSONField(default=list, blank=True, help_text="[address, reason] of skipped pages.")
    crawl_lease_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Set while a crawl runs, so two never overlap."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in self.WEB_KINDS:
            for url in self.location.split():
                if not is_http_url(url):
                    raise ValidationError({"location": f"Not an http(s) URL: {url[:200]}"})
            if self.kind != self.Kind.PAGES and len(self.location.split()) > 1:
                raise ValidationError({"location": "A feed, sitemap or archive source takes exactly one URL."})


class CrawledUrl(models.Model):
    """What the crawler remembers about one address of a source: validators for conditional
    requests, the outcome of the last fetch, and for pages the document and fingerprint."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="crawled_urls")
    url = models.CharField(max_length=2000, help_text="The address as requested (normalised).")
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="crawled_urls"
    )
    signature = models.BinaryField(
        null=True, blank=True, help_text="MinHash of the text, to spot near-identical copies."
    )
    coins = models.JSONField(default=list, blank=True, help_text="Source coins plus coins detected in the text.")
    links = models.JSONField(default=list, blank=True, help_text="For feeds and sitemaps: the pages they listed.")
    outcome = models.CharField(max_length=16, blank=True, help_text="new, updated, unchanged, listed or skipped.")
    reason = models.TextField(blank=True, help_text="Why it was skipped.")
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source", "url"]
        constraints = [models.UniqueConstraint(fields=["source", "url"], name="one_state_per_source_url")]

    def __str__(self) -> str:
        return self.url


class Document(models.Model):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="documents")
    external_id = models.CharField(
        max_length=300, unique=True, help_text="Stable id (e.g. eip-1559, or the canonical URL); re-ingest updates by it."
    )
    title = models.CharField(max_length=1000)
    url = models.URLField(max_length=2000, blank=True)
    published = models.DateField(null=True, blank=True)
    authors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=100, blank=True)
    license = models.CharField(max_length=200, blank=True)
    meta = models.JSONField(
        default=dict, blank=True, help_text="Format-specific metadata, e.g. a specification's identifier, requires, description."
    )
    text = models.TextField()
    content_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of title and text.")
    ingested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["source", "published"])]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.title}"


class IndexBuildQuerySet(models.QuerySet):
    def active(self) -> IndexBuildQuerySet:
        """The version being served: at most one row (the one_active_index constraint)."""
        return self.filter(is_active=True)


class IndexBuild(models.Model):
    """One index version: its build record, and whether it is the one being served."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    version = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    is_active = models.BooleanField(default=False)
    documents = models.PositiveIntegerField(default=0)
    sentences = models.PositiveIntegerField(default=0)
    terms = models.PositiveIntegerField(default=0)
    artifact_bytes = models.BigIntegerField(default=0)
    parameters = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    peak_rss_bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = IndexBuildQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_index"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status}{', active' if self.is_active else ''})"


class Ranker(models.Model):
    """A named, versioned set of ranking parameters. Exactly one is the incumbent (serves
    everyone); at most one is the challenger (served in interleaved comparisons). Rows are never
    edited after use: a change is a new ranker, so every logged search names what served it."""

    name = models.SlugField(max_length=100, unique=True)
    params = models.JSONField(help_text="k1, b, title_weight, alias_weight, expansions, spelling, feedback_boost.")
    is_incumbent = models.BooleanField(default=False)
    is_challenger = models.BooleanField(default=False)
    origin = models.CharField(max_length=200, blank=True, help_text="Who made it: default, tuning run N, staff.")
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_incumbent"], condition=Q(is_incumbent=True), name="one_incumbent_ranker"),
            models.UniqueConstraint(fields=["is_challenger"], condition=Q(is_challenger=True), name="one_challenger_ranker"),
        ]

    def __str__(self) -> str:
        role = " (incumbent)" if self.is_incumbent else " (challenger)" if self.is_challenger else ""
        return f"{self.name}{role}"


class DatabaseIdentity(models.Model):
    """A random id made with the database (its first migration), so /health can show which
    database a process uses without revealing paths or credentials."""

    token = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "database identity"

    def __str__(self) -> str:
        return self.token

    @classmethod
    def current(cls) -> str:
        """The database's id (made now if a test flushed the row the migration wrote)."""
        token = cls.objects.order_by("pk").values_list("token", flat=True).first()
        if token is None:
            token = cls.objects.get_or_create(pk=1, defaults={"token": new_database_token()})[0].token
        return token


def new_database_token() -> str:
    return secrets.token_hex(16)
