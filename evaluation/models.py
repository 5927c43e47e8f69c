"""What visitors asked and did, and what we measured: the raw material of quality and tuning.

No raw IP address is ever stored: `session_hash` identifies a browser session (a random cookie)
and `client_hash` a network client (its IPv4 address or IPv6 /64, with a salt that changes daily),
both as salted SHA-256 digests that cannot be reversed to the address.
"""

from __future__ import annotations

import uuid

from django.db import models


class QueryLog(models.Model):
    class Interface(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "JSON API"
        LIVE = "live", "Search as you type (partial questions)"
        LEGACY = "legacy", "Imported from the previous version"
        SIMULATION = "simulation", "Simulated visitor"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True)
    query = models.CharField(max_length=500)
    normalized = models.CharField(max_length=500, db_index=True, help_text="Lower case, single spaces.")
    latency_ms = models.FloatField(default=0, help_text="Time to answer, in milliseconds.")
    timings = models.JSONField(default=dict, blank=True, help_text="Milliseconds per stage.")
    result_count = models.PositiveIntegerField(default=0, help_text="Matching sentences.")
    zero_results = models.BooleanField(default=False, db_index=True)
    results = models.JSONField(default=list, blank=True, help_text="[sentence id, document id] of the page, in rank order.")
    page = models.PositiveSmallIntegerField(default=1)
    filters = models.JSONField(default=dict, blank=True)
    index_version = models.CharField(max_length=64, blank=True, db_index=True)
    ranker = models.CharField(max_length=100, blank=True, db_index=True)
    interface = models.CharField(max_length=16, choices=Interface.choices, default=Interface.WEB, db_index=True)
    session_hash = models.CharField(max_length=64, blank=True, db_index=True)
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)
    corrected_query = models.CharField(max_length=500, blank=True, help_text="What was searched instead, if corrected.")
    interleaving = models.JSONField(default=dict, blank=True, help_text="Team of each result when interleaved.")
    legacy_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at", "interface"]),
            models.Index(fields=["ranker", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.query[:60]} ({self.created_at:%Y-%m-%d %H:%M})"

    def result_at(self, sentence_id: int) -> tuple[int, int] | None:
        """(rank, document id) of a sentence shown on this page, or None if it was not shown."""
        first_rank = (self.page - 1) * 10 + 1
        for offset, (sid, doc) in enumerate(self.results):
            if sid == sentence_id:
                return first_rank + offset, doc
        return None


class Click(models.Model):
    log = models.ForeignKey(QueryLog, on_delete=models.CASCADE, related_name="clicks")
    sentence_id = models.PositiveIntegerField()
    document_id = models.PositiveIntegerField(db_index=True)
    rank = models.PositiveSmallIntegerField()
    session_hash = models.CharField(max_length=64, blank=True)
    client_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["log", "sentence_id"], name="one_click_per_hit_per_log")]


class Feedback(models.Model):
    log = models.ForeignKey(QueryLog, on_delete=models.CASCADE, related_name="feedback")
    sentence_id = models.PositiveIntegerField()
    document_id = models.PositiveIntegerField(db_index=True)
    rank = models.PositiveSmallIntegerField()
    vote = models.SmallIntegerField(choices=[(1, "👍 helpful"), (-1, "👎 not helpful")])
    comment = models.CharField(max_length=1000, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    client_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [models.UniqueConstraint(fields=["log", "sentence_id"], name="one_vote_per_hit_per_log")]


class Judgment(models.Model):
    """How relevant a document is to a query: the ground truth of offline evaluation and tuning."""

    class Origin(models.TextChoices):
        STAFF = "staff", "Staff"
        FEEDBACK = "feedback", "Visitors' clicks and votes"
        KNOWN_ITEM = "known_item", "Known-item set"

    query = models.CharField(max_length=500, db_index=True, help_text="Normalised query text.")
    document_slug = models.CharField(max_length=300, help_text="The document's external id, e.g. eip-1559.")
    grade = models.PositiveSmallIntegerField(help_text="0 not relevant … 3 perfect.")
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.STAFF, db_index=True)
    sessions = models.PositiveIntegerField(default=0, help_text="Distinct sessions behind a feedback judgment.")
    note = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "document_slug", "origin"], name="one_judgment_per_origin"),
        ]

    def __str__(self) -> str:
        return f"{self.query[:50]} → {self.document_slug}: {self.grade} ({self.origin})"


class MetricSnapshot(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    window_start = models.DateTimeField(db_index=True)
    window_end = models.DateTimeField()
    kind = models.CharField(max_length=16, default="online", db_index=True, help_text="online (logs) or offline (judged).")
    index_version = models.CharField(max_length=64, blank=True, db_index=True)
    ranker = models.CharField(max_length=100, blank=True, db_index=True)
    metrics = models.JSONField(default=dict)

    class Meta:
        ordering = ["-window_end"]

    def __str__(self) -> str:
        return f"{self.kind} {self.window_start:%Y-%m-%d %H:%M}–{self.window_end:%H:%M} {self.ranker or 'all rankers'}"


class TuningRun(models.Model):
    """One decision of the self-improvement loop, for staff to inspect (and undo in Rankers)."""

    class Kind(models.TextChoices):
        OFFLINE = "offline", "Offline tuning on judged queries"
        INTERLEAVING = "interleaving", "Online interleaved comparison"

    class Decision(models.TextChoices):
        PROMOTED = "promoted", "Promoted a new ranker"
        BOOSTS = "boosts", "Refreshed feedback boosts"
        CHALLENGER = "challenger", "Set a challenger for interleaving"
        KEPT = "kept", "Kept the incumbent"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OFFLINE)
    incumbent = models.CharField(max_length=100)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    promoted = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    p_value = models.FloatField(null=True, blank=True)
    gain = models.FloatField(null=True, blank=True, help_text="Relative MRR@10 gain on the test queries.")
    judged_queries = models.PositiveIntegerField(default=0)
    candidates = models.JSONField(default=list, blank=True, help_text="Every ranker tried, with its scores.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}: {self.decision}"
