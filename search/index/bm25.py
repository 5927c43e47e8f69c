"""The BM25 maths of the index: defaults, idf, weights and re-weighting (numpy only).

Sentences score exactly as rank-bm25's BM25Okapi (tests/test_bm25_parity.py): idf =
ln(N - df + 0.5) - ln(df + 0.5), negative idf replaced by epsilon x (mean idf over the
vocabulary), and the usual tf saturation with k1, b and the average length. The build stores
weights for one (k1, b); the engine re-weights the postings a query touches for any other pair
(`reweigh`), bit-for-bit equal to `bm25_weights`, so rankers can be tuned without a rebuild.
"""

from __future__ import annotations

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25  # rank-bm25's defaults
WEIGHT_BLOCK = 1 << 22  # postings per block when computing BM25 weights (bounds temporaries)


def bm25_idf(df: np.ndarray, n: int, epsilon: float = EPSILON) -> np.ndarray:
    """rank-bm25's BM25Okapi idf, with its epsilon floor for negative values (df == 0 -> 0)."""
    present = df > 0
    idf = np.zeros(len(df), dtype=np.float64)
    idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
    if present.any():
        floor = epsilon * idf[present].sum() / present.sum()
        idf[present & (idf < 0)] = floor
    return idf


def document_idf(df: np.ndarray, n: int) -> np.ndarray:
    """idf over documents, never negative: ln(1 + (N - df + 0.5) / (df + 0.5)) (Lucene's form).

    rank-bm25's idf goes negative for a term in more than half of the documents, and its epsilon
    floor stays negative when most terms are that common (a handful of similar documents):
    evidence that would then count against a document for matching. Sentences keep rank-bm25's
    idf (the parity test); documents are only evidence added to it.
    """
    return np.log1p((n - df + 0.5) / (df + 0.5)) * (df > 0)


def bm25_weights(idf, tf, length, avg_length, k1=K1, b=B) -> np.ndarray:
    tf = tf.astype(np.float64)
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_length))


def reweigh(idf: float, tf: np.ndarray, length: np.ndarray, avg_length: float, k1: float, b: float) -> np.ndarray:
    """bm25_weights(idf, tf, length, avg_length, k1, b) for one term's postings, bit-for-bit.

    Evaluated in place in the same operation order, so that a common term costs two
    temporaries, not ten.
    """
    tf = tf.astype(np.float64)
    denominator = length * b
    denominator /= avg_length
    denominator += 1 - b
    denominator *= k1
    denominator += tf
    weights = tf * idf
    weights *= k1 + 1
    weights /= denominator
    return weights


def posting_weights(ptr, rows, tf, idf, row_len, avg_len, k1=K1, b=B) -> np.ndarray:
    """float32 BM25 weights of CSC postings (term t's are rows[ptr[t]:ptr[t + 1]], whose lengths
    are row_len[rows]), computed in blocks so float64 temporaries stay small."""
    weights = np.empty(len(rows), dtype=np.float32)
    term_of = np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))
    for start in range(0, len(rows), WEIGHT_BLOCK):
        end = start + WEIGHT_BLOCK
        weights[start:end] = bm25_weights(idf[term_of[start:end]], tf[start:end], row_len[rows[start:end]], avg_len, k1, b)
    return weights


def document_k1_b(k1: float, b: float, doc_k1: float | None, doc_b: float | None) -> tuple[float, float]:
    """Whole-document BM25's (k1, b): its own when set (non-zero), else the sentences'."""
    return doc_k1 or k1, doc_b or b
