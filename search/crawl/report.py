"""What a crawl did: counts, skipped addresses with their reasons, and the source's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import Source
from ..parsing import IngestReport

Progress = Callable[[int, int], None]  # (pages done, pages listed)


@dataclass
class CrawlReport(IngestReport):
    fetched: int = 0  # responses received (200 or 304), robots.txt not counted
    error: str = ""  # why the source as a whole could not be read
    coins: dict[str, list[str]] = field(default_factory=dict)  # document id -> coin slugs

    def summary(self) -> str:
        text = f"{self.fetched} fetched, {super().summary()}"
        return f"{text}; failed: {self.error}" if self.error else text

    @property
    def status(self) -> str:
        if self.error:
            return Source.CrawlStatus.FAILED
        return Source.CrawlStatus.PARTIAL if self.skipped else Source.CrawlStatus.OK

    def add(self, other: IngestReport) -> None:
        """Adds another report's counts and skips to this one (totals over several sources)."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.conflicts += other.conflicts
        self.fetched += getattr(other, "fetched", 0)

    def counts(self) -> dict[str, int]:
        return {
            "fetched": self.fetched, "new": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": len(self.skipped),
        }


def bar_progress(bar) -> Progress:
    """A Progress that drives a tqdm bar, whose total is known only once a feed or sitemap is read."""

    def show(done: int, count: int) -> None:
        bar.total, bar.n = count, done
        bar.refresh()

    return show
