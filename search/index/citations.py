"""References between indexed documents, and the authority they give (plain Python + numpy).

A foundational standard is named, with its own vocabulary, by dozens of later proposals, so
sentence-level BM25 alone rewards the later ones. The citation graph turns those mentions into
evidence *for* the standard. Edges, found at build time:
- an identifier written in the text (EIP-1559, ERC-20, BIP32, BOLT #11) names the document that
  owns it (search/nlp/identifiers.py);
- front matter `requires: 2718, 2930`;
- a link to another indexed document's URL.

Authority is PageRank over these edges (damping 0.85, dangling mass spread evenly), stored as
log(1 + N x rank): 0.14 for a document nobody cites, a few units for a standard everybody
cites. The graph is stored both ways (cites / cited by) as CSR arrays for document pages.
"""

from __future__ import annotations

import re

import numpy as np

DAMPING = 0.85
ITERATIONS = 60
TOLERANCE = 1e-10
_URL_RE = re.compile(r"https?://[^\s<>\"')\]]+", re.I)


def normalise_url(url: str) -> str:
    """Comparable form of a link: no scheme, www, fragment, query or trailing slash; lower case."""
    url = re.sub(r"^https?://(www\.)?", "", (url or "").strip().lower())
    url = url.split("#", 1)[0].split("?", 1)[0].rstrip("/.,;:")
    return url


def linked_urls(text: str) -> list[str]:
    return [normalise_url(u) for u in _URL_RE.findall(text or "")]


def citation_edges(
    doc_keys: list[list[int]],
    mentioned_keys: list[list[int]],
    required_keys: list[list[int]],
    links: list[list[str]],
    urls: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """(citing doc, cited doc) pairs, unique, without self-references, sorted by citing doc.

    `doc_keys[d]` are document d's own identifier keys; `mentioned_keys[d]` and
    `required_keys[d]` the keys its text names; `links[d]` the normalised URLs it links to.
    """
    owner: dict[int, list[int]] = {}
    for doc, keys in enumerate(doc_keys):
        for key in keys:
            owner.setdefault(key, []).append(doc)
    by_url: dict[str, list[int]] = {}
    for doc, url in enumerate(urls):
        if url:
            by_url.setdefault(normalise_url(url), []).append(doc)
    pairs: set[tuple[int, int]] = set()
    for doc in range(len(doc_keys)):
        for key in (*mentioned_keys[doc], *required_keys[doc]):
            pairs.update((doc, target) for target in owner.get(key, ()) if target != doc)
        for url in links[doc]:
            pairs.update((doc, target) for target in by_url.get(url, ()) if target != doc)
    if not pairs:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    edges = np.asarray(sorted(pairs), dtype=np.int32)
    return edges[:, 0].copy(), edges[:, 1].copy()


def csr(n: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, targets): targets[ptr[i]:ptr[i+1]] are the cols of row i, ascending."""
    order = np.lexsort((cols, rows))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return ptr, cols[order].astype(np.int32)


def pagerank(n: int, src: np.ndarray, dst: np.ndarray, damping: float = DAMPING) -> np.ndarray:
    """PageRank scaled so that the mean is 1 (a document with no links in either direction gets
    about 1 - damping plus its share of the dangling mass)."""
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    out_degree = np.bincount(src, minlength=n).astype(np.float64)
    rank = np.full(n, 1.0 / n)
    dangling = out_degree == 0
    share = np.where(dangling, 0.0, 1.0 / np.maximum(out_degree, 1))
    for _ in range(ITERATIONS):
        flow = np.bincount(dst, weights=rank[src] * share[src], minlength=n)
        new = (1 - damping) / n + damping * (flow + rank[dangling].sum() / n)
        delta = np.abs(new - rank).sum()
        rank = new
        if delta < TOLERANCE:
            break
    return rank * n


def authority(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The ranking signal: log(1 + N x PageRank), float32."""
    return np.log1p(pagerank(n, src, dst)).astype(np.float32)
