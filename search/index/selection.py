"""Selecting one page of hits from scored candidates: filters, top-k, duplicates and paging.

Filters are masks over the candidates, and top-k selection runs over the candidates only, never
over every sentence of the index.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import schema
from .reader import IndexReader
from .scoring import RankParams


@dataclass(frozen=True)
class Filters:
    coins: tuple[str, ...] = ()  # any of these coins
    sources: tuple[str, ...] = ()  # any of these sources
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return bool(self.coins or self.sources or self.date_from or self.date_to)


@dataclass
class Ranking:
    """One page of ranked sentence ids with their scores, and how many sentences matched."""

    sentence_ids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    total: int = 0


class Selection(IndexReader):
    """Index selection: which scored candidates make the requested page (see engine.Index)."""

    def filter_mask(self, candidates: np.ndarray, filters: Filters) -> np.ndarray | None:
        """Boolean mask over candidates, or None when there is nothing to filter."""
        if not filters:
            return None
        mask = np.ones(len(candidates), dtype=bool)
        if filters.coins:
            coin_mask = np.zeros(len(candidates), dtype=bool)
            for slug in filters.coins:
                bit = self._coin_bit.get(slug)
                if bit is not None:
                    column = self.sent_coins[candidates, schema.coin_word(bit)]
                    coin_mask |= schema.coin_flags(column, bit).astype(bool)
            mask &= coin_mask
        docs = self.sent_doc[candidates]
        if filters.sources:
            wanted = [self._source_id[s] for s in filters.sources if s in self._source_id]
            mask &= np.isin(self.doc_source[docs], wanted)
        if filters.date_from or filters.date_to:
            days = self.doc_date[docs]
            mask &= days != schema.NO_DATE
            if filters.date_from:
                mask &= days >= schema.days_of(filters.date_from)
            if filters.date_to:
                mask &= days <= schema.days_of(filters.date_to)
        return mask

    def select(self, candidates: np.ndarray, scores: np.ndarray, params: RankParams, filters: Filters, *,
               offset: int, limit: int, per_doc: int | None, page_size: int, sort: str) -> Ranking:
        """The page [offset, offset + limit) of the candidates that pass the filters (engine.Index.rank)."""
        mask = self.filter_mask(candidates, filters)
        if params.min_terms:
            long_enough = self._sent_len[candidates] >= params.min_terms
            mask = long_enough if mask is None else mask & long_enough
        if mask is not None:
            candidates, scores = candidates[mask], scores[mask]
        total = len(candidates)
        wanted = offset + limit
        if total == 0 or limit <= 0:
            return Ranking(total=total)
        take = min(total, max(wanted * 4, 64))
        while True:
            order = self._top(candidates, scores, take, sort)
            if params.collapse_duplicates:
                order = self._first_of_duplicates(candidates, order)
            ids = candidates[order]
            if per_doc:
                order = order[_paged_with_cap(self.sent_doc[ids], per_doc, page_size, wanted)]
            if len(order) >= wanted or take >= total:
                break
            take = min(total, take * 4)
        order = order[offset:wanted]
        return Ranking(
            sentence_ids=[int(i) for i in candidates[order]],
            scores=[float(s) for s in scores[order]],
            total=total,
        )

    def _first_of_duplicates(self, candidates: np.ndarray, order: np.ndarray) -> np.ndarray:
        """`order` without the sentences whose duplicate group already appeared earlier in it."""
        groups = self._sent_dup[candidates[order]]
        _, first = np.unique(groups, return_index=True)
        return order[np.sort(first)]

    def _top(self, candidates: np.ndarray, scores: np.ndarray, take: int, sort: str) -> np.ndarray:
        """Positions of the best `take` candidates, best first; ties by smaller sentence id."""
        if sort == "date":
            days = self.doc_date[self.sent_doc[candidates]].astype(np.int64)
            return np.lexsort((candidates, -scores, -days))[:take]
        if take < len(candidates):
            # argpartition picks `take` of the best scores; boundary ties are resolved by id below.
            kth = np.partition(scores, len(scores) - take)[len(scores) - take]
            pool = np.flatnonzero(scores >= kth)
        else:
            pool = np.arange(len(candidates))
        order = pool[np.lexsort((candidates[pool], -scores[pool]))]
        return order[:take]


def _paged_with_cap(docs: np.ndarray, per_doc: int, page_size: int, wanted: int) -> np.ndarray:
    """Reorder ranked positions so each page has at most `per_doc` hits of one document.

    Surplus hits wait, in rank order, for the next page with room for their document. Only when
    no other document's hits are left does a page take more of one document (rather than show
    a short page), so every page but the last is full.
    Returns positions into `docs` (at least `wanted` when the input has enough).
    """
    docs = docs.tolist()
    result: list[int] = []
    waiting: list[int] = []
    position, n = 0, len(docs)
    while len(result) < wanted and (position < n or waiting):
        page: list[int] = []
        per_page: Counter = Counter()
        held_back = []
        for i in waiting:
            if len(page) < page_size and per_page[docs[i]] < per_doc:
                page.append(i)
                per_page[docs[i]] += 1
            else:
                held_back.append(i)
        while len(page) < page_size and position < n:
            doc = docs[position]
            if per_page[doc] < per_doc:
                page.append(position)
                per_page[doc] += 1
            else:
                held_back.append(position)
            position += 1
        if len(page) < page_size:  # nothing else left: fill up with the best held-back hits
            held_back.sort()
            room = page_size - len(page)
            page.extend(held_back[:room])
            held_back = held_back[room:]
        waiting = sorted(held_back)
        result.extend(sorted(page))
    return np.asarray(result, dtype=np.int64)
