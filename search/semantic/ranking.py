"""Query side: encode a query once per process's model, rank a version's documents by cosine similarity.

The model is loaded lazily, at the first query that needs it, once per process (its weights are
memory-mapped, so worker processes share them). A version without doc_vectors.npy, or a process
without the model package, simply has no semantic ranking: callers get None and rank by BM25 alone.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .build import PASSAGES, VECTORS
from .model import DIMENSIONS, MiniLM, ModelUnavailable

log = logging.getLogger(__name__)

QUERY_CACHE_SIZE = 1024

_lock = threading.Lock()
_encoder: MiniLM | None = None
_unavailable: str | None = None
_query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()


def query_encoder() -> MiniLM | None:
    """This process's model, loaded on first use; None (logged once) when it is not installed."""
    global _encoder, _unavailable
    if _encoder is not None or _unavailable is not None:
        return _encoder
    with _lock:
        if _encoder is None and _unavailable is None:
            try:
                _encoder = MiniLM()
            except ModelUnavailable as exc:
                _unavailable = str(exc)
                log.warning("semantic ranking off: %s", exc)
    return _encoder


def encode_query(query: str) -> np.ndarray | None:
    """The query's unit vector (memoised per process for repeated queries), or None without a model."""
    key = " ".join(query.split()).lower()  # the model's tokenizer lower-cases and splits on spaces
    with _lock:
        vector = _query_vectors.get(key)
        if vector is not None:
            _query_vectors.move_to_end(key)
            return vector
    encoder = query_encoder()
    if encoder is None or not key:
        return None
    vector = encoder.encode([key])[0]
    vector.setflags(write=False)
    with _lock:
        _query_vectors[key] = vector
        if len(_query_vectors) > QUERY_CACHE_SIZE:
            _query_vectors.popitem(last=False)
    return vector


@dataclass(frozen=True)
class DocumentRanking:
    docs: np.ndarray  # document numbers of the version, best first
    scores: np.ndarray  # their cosine similarities to the query


class DocumentVectors:
    """A version's doc_vectors.npy, memory-mapped; row i holds the passage vectors of the version's document i."""

    def __init__(self, matrix: np.ndarray):
        if matrix.ndim != 3 or matrix.shape[1:] != (PASSAGES, DIMENSIONS) or matrix.dtype != np.float32:
            raise ValueError(
                f"doc vectors of shape {matrix.shape} and type {matrix.dtype}, expected (n, {PASSAGES}, {DIMENSIONS}) float32"
            )
        self.matrix = matrix.view(np.ndarray)

    @classmethod
    def open(cls, version_dir: Path, documents: int | None = None) -> DocumentVectors | None:
        """The version's vectors, or None if it was built without them. Checks they align with its documents."""
        path = Path(version_dir) / f"{VECTORS}.npy"
        if not path.exists():
            return None
        vectors = cls(np.load(path, mmap_mode="r", allow_pickle=False))
        if documents is not None and len(vectors) != documents:
            raise ValueError(f"{path} has {len(vectors)} rows for {documents} documents")
        return vectors

    def __len__(self) -> int:
        return len(self.matrix)

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """Each document's cosine similarity to the query: that of its closest passage."""
        return (self.matrix @ query_vector).max(axis=1)

    def top(self, query_vector: np.ndarray, k: int = 100, allowed: np.ndarray | None = None) -> DocumentRanking:
        """The k documents most similar to the query (ties by document number), optionally within a boolean mask."""
        scores = self.similarities(query_vector)
        candidates = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
        scores = scores[candidates]
        k = min(k, len(candidates))
        if k <= 0:
            return DocumentRanking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if k < len(candidates):
            pool = np.argpartition(-scores, k - 1)[:k]
        else:
            pool = np.arange(len(candidates))
        order = pool[np.lexsort((candidates[pool], -scores[pool]))]
        return DocumentRanking(candidates[order], scores[order])


def semantic_top_documents(
    vectors: DocumentVectors | None, query: str, k: int = 100, allowed: np.ndarray | None = None,
) -> DocumentRanking | None:
    """The version's documents closest in meaning to `query`, for rank fusion with BM25's document ranking.

    None when there is nothing to rank with (no vectors in the version, or no model installed).
    """
    if vectors is None:
        return None
    query_vector = encode_query(query)
    if query_vector is None:
        return None
    return vectors.top(query_vector, k, allowed)
