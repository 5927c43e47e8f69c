"""How a sentence's final score is made from its own BM25 and its document's evidence.

    score = ( bm25 x role                        the sentence's own BM25 (the base of every score);
                                                 role = role_weight for headings and reference lines
            + section_weight x bm25(heading)      the heading of its section, when it matches too
            + title_weight x bm25(title)          the query against the document's title
            + doc_weight x bm25(document)         the query against the whole document
            + authority_weight x authority        log(1 + N x PageRank) over the citation graph
            + identifier_weight x pinned          the query names the document's identifier: its
                                                 PINNED most relevant sentences (answers, not
                                                 headings) are pinned to the top
            + sum of weight x signal              named document rankings (e.g. "semantic")
            ) x (1 + boost)                       visitors' feedback for this query

Every weight is a named ranker parameter (search/rankers.py), so the tuner can learn it, and
every part is reported by explain. With the defaults of RankParams (all weights 0, role 1) the
score is BM25 exactly, as rank-bm25 computes it.

Named document rankings are the hook for signals computed elsewhere: a provider returns one
score per document (an array of length N documents, higher is better, e.g. cosine similarity of
document vectors to the query); `RankParams.signal_weights` names the weight of each. Their
documents need not match the query's words: `Evidence.extra_docs` (the best few documents of each
weighted signal, search/doc_signals.py) become candidates too, their sentences competing on the
other parts. Without explain, the document-level parts are summed per document and gathered
onto the candidates once, as the part "documents".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..nlp.roles import HEADING, NOT_ANSWERS


@dataclass(frozen=True)
class Evidence:
    """Per-query document evidence found above the engine (the query's identifiers, other rankings)."""

    identified_docs: tuple[int, ...] = ()
    extra_docs: tuple[int, ...] = ()  # candidates although they may share no word with the query
    signals: dict = field(default_factory=dict, hash=False, compare=False)  # name -> float array per document


def not_answer_mask(roles: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(roles), dtype=bool)
    for role in NOT_ANSWERS:
        mask |= roles == role
    return mask


def section_scores(candidates: np.ndarray, bm25: np.ndarray, roles: np.ndarray,
                   section_end: np.ndarray, weight: float = 1.0) -> np.ndarray | None:
    """For each candidate, the BM25 of the heading that opened its section (0 when that heading
    did not match the query, or the sentence has no section), times `weight`; None when no
    heading matched. A section is the run of sentences
    after its heading up to section_end (build time), so each matching heading adds its score to
    one contiguous run of candidates: two binary searches per heading and one cumulative sum,
    not a search per candidate."""
    heads = np.flatnonzero(roles == HEADING)
    if not len(heads):
        return None
    head_ids = candidates[heads]
    low = np.searchsorted(candidates, head_ids + 1)
    high = np.searchsorted(candidates, section_end[head_ids])
    # Sections do not overlap: mark each run with its heading's number (+1), exactly, in integers.
    marks = np.zeros(len(candidates) + 1, dtype=np.int64)
    number = np.arange(1, len(heads) + 1, dtype=np.int64)
    np.add.at(marks, low, number)
    np.add.at(marks, high, -number)
    owner = np.cumsum(marks[:-1])
    values = np.concatenate(([0.0], weight * bm25[heads]))
    return values[owner]


PINNED = 3  # sentences of a named document pinned first: the best-match card


def pinned_sentences(candidates: np.ndarray, docs: np.ndarray, scores: np.ndarray, identified, long_enough: np.ndarray,
                     not_answers: np.ndarray) -> np.ndarray:
    """1.0 for the PINNED best-scoring sentences of each identified document, else 0.0. Only
    sentences that can be hits (long enough) count; answers (not headings or reference lines)
    go first; ties go to the earlier sentence (a specification's opening says what it is)."""
    pinned = np.zeros(len(candidates), dtype=np.float64)
    for doc in identified:
        mine = np.flatnonzero((docs == doc) & long_enough)
        if not len(mine):
            continue
        order = np.lexsort((candidates[mine], -scores[mine], not_answers[mine]))
        pinned[mine[order[:PINNED]]] = 1.0
    return pinned


def fuse(parts: dict[str, np.ndarray], boost: np.ndarray | None) -> np.ndarray:
    """The total of the additive parts (in the order given), times (1 + boost)."""
    values = list(parts.values())
    if len(values) == 1:
        return values[0] * boost if boost is not None else values[0]
    total = values[0] + values[1]  # a new array: the parts themselves stay as they are (explain)
    for value in values[2:]:
        total += value
    if boost is not None:
        total *= boost
    return total
