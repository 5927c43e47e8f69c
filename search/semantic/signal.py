"""The semantic ranking as a named document signal (search/doc_signals.py) of the serving ranker.

A document's signal is rank-based, as in reciprocal rank fusion: the documents closest in meaning
to the query score RRF_K / (RRF_K + rank), 1 for the closest down to about 0.4 at TOP_DOCUMENTS,
and every other document 0, as does any document under MIN_SIMILARITY. Raw cosine similarities would add nearly the same amount to every
document (most sit between 0.2 and 0.5), and the rank form is what measured best when fused with
BM25 (docs/quality.md, "Semantic signal"). The ranker's `semantic_weight` scales it.
"""

from __future__ import annotations

import numpy as np

from ..index_memo import index_memo
from .ranking import DocumentVectors, semantic_top_documents

NAME = "semantic"
RRF_K = 60
TOP_DOCUMENTS = 100
# Below this cosine similarity a document is not close in meaning at all (unrelated text scores
# about 0 to 0.2 with this model): it gets no score, so nonsense finds nothing rather than the
# least distant documents.
MIN_SIMILARITY = 0.3


def _vectors_of(index) -> DocumentVectors | None:
    """The index version's document vectors, opened once per loaded index (None: built without)."""
    return index_memo(index, "semantic:vectors", lambda: DocumentVectors.open(index.path, index.document_count))


def semantic_scores(index, query: str) -> np.ndarray | None:
    """One score per document of `index` for `query`, or None (no vectors in the version, no model)."""
    ranking = semantic_top_documents(_vectors_of(index), query, k=TOP_DOCUMENTS)
    if ranking is None:
        return None
    scores = np.zeros(index.document_count, dtype=np.float64)
    close = ranking.scores >= MIN_SIMILARITY
    scores[ranking.docs[close]] = RRF_K / (RRF_K + np.flatnonzero(close))
    return scores
