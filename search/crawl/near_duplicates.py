"""Near-duplicate detection: MinHash signatures of word 3-gram sets, with an LSH index.

Two texts are near-identical when the Jaccard similarity of their sets of word 3-grams
(shingles) is at least `SIMILARITY`: a syndicated copy with another headline, a byline and an
"originally published at" line scores far above it, different articles on the same topic far
below (figures: docs/crawling.md). A MinHash signature (Broder 1997) estimates that similarity from `NUM_PERM` numbers
per text, small enough to keep per page; an LSH index (bands of signature rows) finds the
candidates without comparing against every known page.

Why MinHash and not SimHash: a copy with one added line moved a 64-bit SimHash well past the
usual threshold (docs/crawling.md), so SimHash would miss ordinary syndicated copies unless its
threshold came close to chance level.
Why not a library: datasketch implements the same scheme but brings scipy (tens of MB) into the
image for this alone; `simhash` on PyPI has had no release since 2022. The scheme below is
datasketch's (universal hashing modulo the Mersenne prime 2^61-1 over 32-bit shingle hashes) in
a few lines of numpy, with coefficients derived from fixed hashes so that signatures stay
comparable across processes and releases.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

SHINGLE_WORDS = 3
NUM_PERM = 128
SIMILARITY = 0.8
BANDS, ROWS = 32, 4  # P(candidate) = 1 - (1 - J^4)^32: 0.9999 at J = 0.8, 0.87 at J = 0.5, 0.005 at J = 0.15
_PRIME = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64((1 << 32) - 1)


def _coefficient(label: str, low: int) -> int:
    return low + int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "big") % ((1 << 61) - 1 - low)


_A = np.array([_coefficient(f"a{i}", 1) for i in range(NUM_PERM)], dtype=np.uint64)
_B = np.array([_coefficient(f"b{i}", 0) for i in range(NUM_PERM)], dtype=np.uint64)
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    """The MinHash signature of the text's word 3-grams (case and punctuation ignored), as bytes."""
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "big") for s in shingles],
        dtype=np.uint64,
    )
    with np.errstate(over="ignore"):  # the products wrap modulo 2^64, as in datasketch
        permuted = ((hashes[:, None] * _A + _B) % _PRIME) & _MAX32
    return permuted.min(axis=0).astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


class NearDuplicateIndex:
    """Signatures of known articles, keyed by document id."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, bytes], list[tuple[bytes, str]]] = {}

    @staticmethod
    def _band_keys(sig: bytes):
        width = ROWS * 4
        return [(band, sig[band * width : (band + 1) * width]) for band in range(BANDS)]

    def add(self, sig: bytes, key: str) -> None:
        for band_key in self._band_keys(sig):
            self._buckets.setdefault(band_key, []).append((sig, key))

    def match(self, sig: bytes, *, other_than: str) -> str | None:
        """The key of a known near-identical article other than `other_than` (the article itself), or None."""
        seen = {other_than}
        for band_key in self._band_keys(sig):
            for known, key in self._buckets.get(band_key, ()):
                if key not in seen:
                    seen.add(key)
                    if similarity(known, sig) >= SIMILARITY:
                        return key
        return None
