"""The semantic ranking as a named document signal (search/doc_signals.py) of the serving ranker.

A document's signal is its cosine similarity to the query, min-max scaled over the query's
TOP_DOCUMENTS closest documents: 1 for the closest, 0 for the last of them, and in between in
proportion to the similarity, so a document far ahead of the rest keeps its lead. Every other
document scores 0, as does any under MIN_SIMILARITY. Raw similarities would add nearly the same
amount to every document (most sit between 0.2 and 0.5); scores by rank alone (reciprocal rank
fusion, which this replaced) give the 1st and the 10th nearly the same whatever the gap between
them. Measured on the dev sets in docs/quality.md, "Semantic signal". The ranker's
`semantic_weight` scales it.
"""

from __future__ import annotations

import numpy as np

from ..index_memo import index_memo
from .ranking import DocumentRanking, DocumentVectors, semantic_top_documents

NAME = "semantic"
TOP_DOCUMENTS = 200
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
    scores[ranking.docs[close]] = (similarity - last) / (best - last) if best - last > 1e-6 else 1.0
    return scores


def semantic_scores(index, query: str) -> np.ndarray | None:
    """One score per document of `index` for `query`, or None (no vectors in the version, no model)."""
    ranking = semantic_top_documents(_vectors_of(index), query, k=TOP_DOCUMENTS)
    if ranking is None:
        return None
    return scaled_scores(ranking, index.document_count)
