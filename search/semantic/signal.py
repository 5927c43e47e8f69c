"""The semantic ranking as a named document signal (search/doc_signals.py) of the serving ranker.

A document among the query's TOP_DOCUMENTS closest scores the mean of two shares, each 1 for the
closest document:
- by similarity: its cosine min-max scaled over those documents (0 for the last of them), so a
  document far closer than the rest keeps its lead;
- by rank, as in reciprocal rank fusion: RRF_K / (RRF_K + rank), about 0.23 at the 200th, so the
  next closest documents stay near the first when their similarities are close.
Every other document scores 0, as does any under MIN_SIMILARITY. Raw similarities alone would add
nearly the same amount to every document (most sit between 0.2 and 0.5); the rank alone (used
before) gave the 1st and the 10th nearly the same score whatever the gap between them; the
similarity alone let one document's every sentence crowd a page. Measured on the dev sets:
docs/quality.md, "Scaling the semantic signal by similarity". The ranker's `semantic_weight`
scales it.
"""

from __future__ import annotations

import numpy as np

from ..index_memo import index_memo
from .ranking import DocumentRanking, DocumentVectors, semantic_top_documents

NAME = "semantic"
TOP_DOCUMENTS = 200
RRF_K = 60
# Below this cosine similarity a document is not close in meaning at all (unrelated text scores
# about 0 to 0.2 with this model): it gets no score, so nonsense finds nothing rather than the
# least distant documents.
MIN_SIMILARITY = 0.3


def _vectors_of(index) -> DocumentVectors | None:
    """The index version's document vectors, opened once per loaded index (None: built without)."""
    return index_memo(index, "semantic:vectors", lambda: DocumentVectors.open(index.path, index.document_count))


def scaled_scores(ranking: DocumentRanking, document_count: int) -> np.ndarray:
    """One score per document from a ranking of the closest ones (best first): see the module's docstring."""
    scores = np.zeros(document_count, dtype=np.float64)
    close = ranking.scores >= MIN_SIMILARITY
    if not close.any():
        return scores
    best, last = float(ranking.scores[0]), float(ranking.scores[-1])
    similarity = ranking.scores[close].astype(np.float64)
    by_similarity = (similarity - last) / (best - last) if best - last > 1e-6 else 1.0
    by_rank = RRF_K / (RRF_K + np.flatnonzero(close))
    scores[ranking.docs[close]] = (by_similarity + by_rank) / 2
    return scores


def semantic_scores(index, query: str) -> np.ndarray | None:
    """One score per document of `index` for `query`, or None (no vectors in the version, no model)."""
    ranking = semantic_top_documents(_vectors_of(index), query, k=TOP_DOCUMENTS)
    if ranking is None:
        return None
    return scaled_scores(ranking, index.document_count)
