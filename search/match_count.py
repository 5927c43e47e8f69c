"""How many sentences match a question honestly: those that hold every one of its words.

The engine ranks every sentence that holds any query term (BM25 is a sum, so a sentence with
one rare word can still rank), and `total` counts them all: "what is proof of stake" matched
every sentence with "proof" or with "stake". The figure a visitor reads as "N matching
sentences" is this one instead: sentences that hold each word of the question (a word counts
when any of its terms is there: "proof-of-stake" as one term or as its parts; a word still being
typed, when any of its completions is), under the same filters and the ranker's `min_terms`
(sentences shorter than that, such as headings, are never hits).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .index.engine import Filters, Index
from .nlp.analyzer import analyze_spans


def word_groups(text: str) -> list[set[str]]:
    """The terms of each word of a question; stop words (no terms) drop out."""
    return [set(terms) for _, _, terms in analyze_spans(text) if terms]


def _sentences_of(index: Index, terms: Iterable[str]) -> np.ndarray:
    parts = []
    for term in terms:
        tid = index.term_id(term)
        if tid >= 0:
            parts.append(np.asarray(index.post_sent[int(index.post_ptr[tid]):int(index.post_ptr[tid + 1])]))
    if not parts:
        return np.zeros(0, dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))


def sentences_with_every_word(index: Index, groups: list[set[str]], filters: Filters, min_terms: int = 0) -> int:
    if not groups:
        return 0
    sets = sorted((_sentences_of(index, group) for group in groups), key=len)
    common = sets[0]
    for other in sets[1:]:
        if not len(common):
            break
        common = common[np.isin(common, other, assume_unique=True)]
    if len(common) and (mask := index.filter_mask(common, filters)) is not None:
        common = common[mask]
    if len(common) and min_terms:
        common = common[np.asarray(index.sent_len)[common] >= min_terms]
    return int(len(common))
