"""The serving engine: BM25 over one memory-mapped index version (plain Python + numpy).

    Index = reading the version (reader.py)
          + scoring a query's candidate sentences (scoring.py, with fusion.py's parts)
          + selecting a page of them (selection.py)
          + its spelling dictionary (spelling_dictionary.py)

Callers import Index and the types of its calls (RankParams, Filters, Ranking) from here. The
engine reads what the builder wrote through schema.py and bm25.py only; it never imports the
builder.
"""

from __future__ import annotations

from pathlib import Path

from . import fusion
from .scoring import RankParams, Scoring
from .selection import Filters, Ranking, Selection
from .spelling_dictionary import SpellingDictionary

__all__ = ["Filters", "Index", "RankParams", "Ranking"]


class Index(Selection, Scoring):
    def __init__(self, version_dir: Path, *, verify_checksums: bool = True):
        super().__init__(version_dir, verify_checksums=verify_checksums)
        self.spelling = SpellingDictionary(self.words, self.word_count)

    def rank(
        self,
        terms: list[str],
        *,
        params: RankParams = RankParams(),
        filters: Filters = Filters(),
        offset: int = 0,
        limit: int = 10,
        per_doc: int | None = 2,
        page_size: int = 10,
        sort: str = "relevance",
        expansions: dict[str, float] | None = None,
        doc_boost: dict[int, float] | None = None,
        evidence: fusion.Evidence | None = None,
    ) -> Ranking:
        """Sentences ranked by score (ties by sentence id), or by document date when sort="date".

        With `per_doc`, a page of `page_size` holds at most `per_doc` sentences of one document;
        the others move on to later pages rather than being dropped.
        """
        candidates, scores = self.score(terms, params, expansions=expansions, doc_boost=doc_boost, evidence=evidence)
        return self.select(candidates, scores, params, filters, offset=offset, limit=limit, per_doc=per_doc,
                           page_size=page_size, sort=sort)

    def correct(self, query: str, *, wait: bool = False) -> str | None:
        """The query with unknown words corrected, or None (see SpellingDictionary.correct)."""
        return self.spelling.correct(query, self.knows, wait=wait)
