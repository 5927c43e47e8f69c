"""One crawl run of one source (or of URLs given by hand): listing, fetching and storing its pages.

A crawl of a web source lists its pages (the source's URLs, its feed's entries or its sitemap's
pages), then fetches each page politely (robots.txt, per-host delay, conditional requests) and
stores its article as a Document whose external id is the page's canonical URL, so an updated
article replaces its previous text. A specification archive source (a repository's .tar.gz or
.zip) costs one conditional request; when it changed, each file matching its globs is parsed
(search.specs) and stored under its specification id (eip-1559, bip-0032), so a changed file
updates its document and unchanged files change nothing. A page is not stored when it is an exact or near-identical
copy of another document (syndication).

Every problem with one page (refused, 404, timeout, too large, not an article, a copy) is a
skip with a reason in the report and on the Source; the crawl goes on and nothing stored before
is removed. Coins: the source's coins plus those detected in the page are recorded on its
CrawledUrl row; the index build tags coins and sentiment per sentence from the text itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from ..ingest import document_duplicate_of, documents_store
from ..models import CrawledUrl, Document, Source
from ..nlp.coins import COIN_BY_SLUG, detect_coins
from ..parsing import BadInput, ParsedDocument, clean_text
from .addresses import scheme_refusal
from .archives import ArchiveLimits, is_archive, looks_like_archive_url
from .canonical import canonical_url, external_id_for, url_normalize
from .extract import FEED, SITEMAP, Article, Link, article_extract, feed_links, response_kind, sitemap_links
from .fetch import Fetcher, FetchError, FetchResult
from .near_duplicates import NearDuplicateIndex, signature
from .report import CrawlReport, Progress
from .robots import MAX_ROBOTS_BYTES, RobotsRules, RobotsUnavailable
from .spec_archive import spec_documents
from .throttle import host_of

log = logging.getLogger(__name__)

MAX_SITEMAPS = 50  # sitemap files read per crawl (an index may list thousands)
ARCHIVE_MAX_SECONDS = 600.0  # a repository archive of tens of MB may take minutes on a slow link


class CrawlRun:
    """One crawl run for one source: the fetcher, robots.txt rules, remembered URL state and known
    articles are shared by all of its pages."""

    def __init__(self, *, source: Source, fetcher: Fetcher, report: CrawlReport, progress: Progress | None,
                 deadline: float):
        self.source, self.fetcher, self.report, self.progress = source, fetcher, report, progress
        self.deadline = deadline  # time.monotonic() after which no further page is fetched
        self.robots = RobotsRules(agent=fetcher.policy.user_agent.split("/")[0], read=self._robots_text)
        self.states = {state.url: state for state in CrawledUrl.objects.filter(source=source)}
        self.seen: set[str] = set()  # normalised URLs handled in this run
        self.stored: dict[str, str] = {}  # external id -> URL that stored it in this run
        self.sitemaps_read = 0
        self.known = NearDuplicateIndex()
        rows = CrawledUrl.objects.filter(signature__isnull=False, document__isnull=False)
        for sig, external_id in rows.values_list("signature", "document__external_id"):
            self.known.add(bytes(sig), external_id)

    # --- what to crawl -----------------------------------------------------------------------

    def crawl_source(self) -> None:
        """All pages of the source, by its kind."""
        if self.source.kind == Source.Kind.ARCHIVE:
            url = self.source.location.strip()
            try:
                self._archive(url, globs=self.source.globs.split())
            except BadInput as exc:
                self.report.error = _reason(exc, url)
            return
        if self.source.kind == Source.Kind.PAGES:
            links = [Link(url=url) for url in self.source.location.split()]
        else:
            url = self.source.location.strip()
            expected = FEED if self.source.kind == Source.Kind.FEED else SITEMAP
            try:
                links = self._listing_links(url, expected=expected)
            except BadInput as exc:
                self.report.error = _reason(exc, url)
                return
        self._pages(links)

    def crawl_url(self, url: str) -> None:
        """A page, feed, sitemap or archive given by hand: what it is is decided by what the server sends
        (an archive is recognised by its address too, since it is fetched with the larger archive limit)."""
        try:
            if looks_like_archive_url(url):
                self._archive(url, globs=[])
                return
            links = self._listing_links(url, expected=None)
        except _IsArticle as article:
            self._page(Link(url=url), fetched=article.result)
            return
        except _IsArchive as archive:
            try:
                self._archive(url, globs=[], fetched=archive.result)
            except BadInput as exc:
                self._skip(url, _reason(exc, url))
            return
        except BadInput as exc:
            self._skip(url, _reason(exc, url))
            return
        self._pages(links)

    def _listing_links(self, url: str, *, expected: str | None, depth: int = 0) -> list[Link]:
        """The pages a feed or sitemap lists (nested sitemaps followed). A 304 reuses the links it
        listed last time. With expected=None, an article raises _IsArticle with its response."""
        state = self._state(_normalized(url))
        result = self._get(url, state, conditional=bool(state.links or state.document_id))
        if result.not_modified and expected is None and not state.links:
            raise _IsArticle(result)  # a page given by hand, unchanged since it was stored
        if result.not_modified:
            links = [Link.from_json(item) for item in state.links]
            self._remember(state, result, outcome="unchanged")
        else:
            if expected is None and is_archive(result.body):
                raise _IsArchive(result)
            kind = response_kind(result)
            if expected is None and kind not in (FEED, SITEMAP):
                raise _IsArticle(result)
            if expected and kind != expected:
                wanted = "an RSS or Atom feed" if expected == FEED else "a sitemap"
                raise BadInput(f"not {wanted} (the server sent {kind})")
            if kind == FEED:
                links = feed_links(result)
            else:
                self.sitemaps_read += 1
                links = sitemap_links(result, max_bytes=self.fetcher.policy.max_bytes)
            self._remember(state, result, outcome="listed", links=[link.as_json() for link in links])
        pages = [link for link in links if not link.is_listing]
        for nested in (link for link in links if link.is_listing):
            if depth >= 2 or self.sitemaps_read >= MAX_SITEMAPS:
                self._skip(nested.url, f"sitemap not read (nested too deep, or more than {MAX_SITEMAPS} sitemaps)")
                continue
            try:
                pages += self._listing_links(nested.url, expected=SITEMAP, depth=depth + 1)
            except BadInput as exc:
                self._skip(nested.url, _reason(exc, nested.url))
        return pages

    def _pages(self, links: list[Link]) -> None:
        """Pages never fetched first, then those fetched longest ago, up to the page limit."""
        never = datetime.min.replace(tzinfo=UTC)

        def last_fetched(link: Link):
            state = self.states.get(_normalized(link.url))
            return (state.fetched_at or never) if state else never

        links = sorted(links, key=last_fetched)  # stable: listing order among equals
        limit = settings.CRAWL_MAX_PAGES
        if len(links) > limit:
            self.report.skipped.append((f"{len(links) - limit} more pages", f"over the limit of {limit} per crawl"))
            links = links[:limit]
        for done, link in enumerate(links, start=1):
            if time.monotonic() > self.deadline:
                self.report.skipped.append((f"{len(links) - done + 1} more pages", "out of time for this crawl"))
                break
            self._page(link)
            if self.progress:
                self.progress(done, len(links))

    # --- one page ----------------------------------------------------------------------------

    def _page(self, link: Link, *, fetched: FetchResult | None = None, follow_canonical: bool = True) -> None:
        refusal = scheme_refusal(link.url)  # before normalising: javascript: has no host to normalise
        if refusal:
            self._skip(link.url, refusal)
            return
        url = _normalized(link.url)
        if url in self.seen:
            return  # listed twice (maybe with tracking parameters): one fetch
        self.seen.add(url)
        state = self._state(url)
        try:
            result = fetched or self._get(url, state, conditional=state.document_id is not None)
            if result.not_modified:
                self.report.unchanged += 1
                self._remember(state, result, outcome="unchanged")
                return
            self.seen.add(_normalized(result.url))  # where a redirect led: not fetched again in this run
            article = article_extract(result)
            canonical = canonical_url(served_url=result.url, declared=article.canonical)
            if follow_canonical and canonical != _normalized(result.url):
                # An alternate copy (AMP, print view, tracking URL): the article is the canonical page.
                self._remember(state, result, outcome="alias", reason=f"the article is at {canonical}")
                self._page(replace(link, url=canonical), follow_canonical=False)
                return
            self._article_store(link, result, state, article=article, canonical=canonical)
        except BadInput as exc:
            self._skip(url, _reason(exc, url), state)
        except Exception as exc:  # noqa: BLE001 — one odd page (a parser bug) must not stop the crawl
            log.exception("crawl of %s failed", url)
            self._skip(url, f"internal error ({type(exc).__name__}: {exc})", state)

    def _article_store(
        self, link: Link, result: FetchResult, state: CrawledUrl, *, article: Article, canonical: str
    ) -> None:
        external_id = external_id_for(canonical)
        if external_id in self.stored:
            raise BadInput(f"same article as {self.stored[external_id]} (canonical URL {canonical})")
        text = clean_text(article.text)
        title = clean_text(article.title or link.title).replace("\n", " ") or canonical
        doc = ParsedDocument(
            external_id=external_id, title=title[:1000], text=text, source=self.source.name,
            url=canonical if len(canonical) <= 2000 else "", published=article.published or link.published,
            authors=article.authors or link.authors,
        )
        copy_of = document_duplicate_of(content_hash=doc.content_hash, external_id=external_id)
        sig = signature(text)
        copy_of = copy_of or self.known.match(sig, other_than=external_id)
        if copy_of:
            raise BadInput(f"near-identical copy of {copy_of}, already stored")
        outcome = self._store(doc)
        self.stored[external_id] = state.url
        self.known.add(sig, external_id)
        source_coins = [slug for slug in self.source.coins if slug in COIN_BY_SLUG]
        coins = list(dict.fromkeys([*source_coins, *detect_coins(f"{title}\n{text}")]))
        self.report.coins[external_id] = coins
        document_id = Document.objects.filter(external_id=external_id).values_list("id", flat=True).first()
        self._remember(state, result, outcome=outcome, document_id=document_id, signature=sig, coins=coins)

    def _store(self, doc: ParsedDocument) -> str:
        """documents_store for one page; returns new, updated or unchanged, or raises BadInput (too short...)."""
        report = documents_store([doc])
        if report.skipped:
            raise BadInput(report.skipped[0][1])
        self.report.add(report)
        return "new" if report.created else "updated" if report.updated else "unchanged"

    # --- specification archives ----------------------------------------------------------------

    def _archive(self, url: str, *, globs: list[str], fetched: FetchResult | None = None) -> None:
        """One conditional request; if the archive changed, its specification files are parsed and
        stored. Raises BadInput when the archive as a whole cannot be used (recorded on its state)."""
        state = self._state(_normalized(url))
        try:
            result = fetched or self._get(
                url, state, conditional=state.outcome in ("listed", "unchanged"),
                max_bytes=settings.CRAWL_ARCHIVE_MAX_BYTES, max_seconds=ARCHIVE_MAX_SECONDS,
            )
            if result.not_modified:
                self.report.unchanged += 1
                self._remember(state, result, outcome="unchanged")
                return
            if not is_archive(result.body):
                raise BadInput(f"not a .tar.gz or .zip archive (the server sent {result.content_type or 'no type'})")
            limits = ArchiveLimits(max_unpacked_bytes=settings.CRAWL_ARCHIVE_MAX_UNPACKED_BYTES)
            skipped: list[tuple[str, str]] = []
            docs = list(spec_documents(result.body, globs=globs, limits=limits, source=self.source.name, skipped=skipped))
        except BadInput as exc:
            self._skip(url, _reason(exc, url), state)
            self.report.skipped.pop()  # the caller reports it, as the source's error or as a skipped URL
            raise
        stored = documents_store(docs)
        self.report.add(stored)
        self.report.skipped.extend(skipped)
        self._remember(state, result, outcome="listed", links=[])
        if not docs:
            self.report.skipped.append((url, "no specification file in the archive matched the globs"))

    # --- fetching and remembering ------------------------------------------------------------

    def _get(self, url: str, state: CrawledUrl, *, conditional: bool, **limits) -> FetchResult:
        """A fetch that obeys robots.txt; validators are sent only when what they validate was kept."""
        result = self.fetcher.get(
            url, etag=state.etag if conditional else "", last_modified=state.last_modified if conditional else "",
            permit=self._permit, **limits,
        )
        self.report.fetched += 1
        return result

    def _permit(self, url: str) -> str | None:
        delay = self.robots.crawl_delay(url)
        if delay:
            self.fetcher.throttle.slow_down(host_of(url), interval=delay)
        return self.robots.refusal(url)

    def _robots_text(self, robots_url: str) -> str | None:
        try:
            return self.fetcher.get(robots_url, max_bytes=MAX_ROBOTS_BYTES).body.decode("utf-8", errors="replace")
        except FetchError as exc:
            if exc.status and 400 <= exc.status < 500 and exc.status != 429:
                return None  # no robots.txt: everything is allowed
            raise RobotsUnavailable(str(exc)) from exc

    def _state(self, url: str) -> CrawledUrl:
        if url not in self.states:
            self.states[url] = CrawledUrl(source=self.source, url=url[:2000])
        return self.states[url]

    def _remember(self, state: CrawledUrl, result: FetchResult, *, outcome: str, **fields) -> None:
        if not result.not_modified:  # a 304 may omit the validators; keep the ones that still hold
            state.etag, state.last_modified = result.etag[:500], result.last_modified[:100]
        state.outcome, state.reason, state.fetched_at = outcome, fields.pop("reason", ""), timezone.now()
        for name, value in fields.items():
            setattr(state, name, value)
        state.save()

    def _skip(self, url: str, reason: str, state: CrawledUrl | None = None) -> None:
        """Recorded, and nothing else changes: the validators and document of the last good fetch stay."""
        self.report.skipped.append((url, reason))
        if state is not None:
            state.outcome, state.reason, state.fetched_at = "skipped", reason[:2000], timezone.now()
            state.save()


class _IsArchive(Exception):
    """A URL given by hand turned out to be a repository archive (carries the response)."""

    def __init__(self, result: FetchResult):
        super().__init__(result.url)
        self.result = result


class _IsArticle(Exception):
    """A URL given by hand turned out to be a page, not a listing (carries the response)."""

    def __init__(self, result: FetchResult):
        super().__init__(result.url)
        self.result = result


def _normalized(url: str) -> str:
    return url_normalize(url)[:2000]


def _reason(exc: Exception, where: str) -> str:
    """The message without the "where: " prefix that parsing errors carry."""
    return str(exc).removeprefix(f"{where}: ")
