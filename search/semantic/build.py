"""Build side: each document's passage vectors, written into an index version as `doc_vectors.npy`.

doc_vectors.npy has shape (documents, PASSAGES, 384): row i holds the vectors of the version's
document i (the artifact's document order) for its opening and its outline (passages.py),
L2-normalised float32, so a dot product is the cosine similarity. Vectors come from the
content-hash cache when a passage is unchanged; only new or changed passages are encoded, in windows whose vectors go to the cache as soon as they are made (an interrupted first
encoding resumes where it stopped) and stream into the artifact (memory stays bounded).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .cache import VectorCache
from .model import DIMENSIONS, MAX_TOKENS, MiniLM, ModelUnavailable, model_id
from .passages import document_passages, passage_hash

log = logging.getLogger(__name__)

VECTORS = "doc_vectors"  # the array's name in the version directory
PASSAGES = 2  # vectors per document: opening, outline
FORWARD_VERSION = "numpy-1"  # change when the forward pass changes its output
WINDOW = 256  # documents looked up, encoded and cached at a time
BATCH = 8  # passages per forward pass: keeps attention scores (8 x 12 x 256 x 256 float32) under malloc's mmap threshold


def cache_namespace() -> str:
    spec = f"{model_id()}|{FORWARD_VERSION}|tokens={MAX_TOKENS}"
    return "minilm-" + hashlib.blake2b(spec.encode(), digest_size=8).hexdigest()


def _passages(doc) -> tuple[str, ...]:
    return document_passages(doc.title, doc.text, getattr(doc, "description", "") or "")


def add_document_vectors(
    docs: Sequence, writer, cache_dir: Path, *, encoder: MiniLM | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict | None:
    """Write doc_vectors into the version `writer` is making; returns what the manifest records.

    Returns None, with one clear log line, when the model package is not installed: the version is
    then built without vectors and the site serves BM25 alone.
    """
    started = time.perf_counter()
    try:
        encoder = encoder or MiniLM()
        namespace = cache_namespace()
    except ModelUnavailable as exc:
        log.warning("semantic vectors skipped: %s", exc)
        return None
    cache = VectorCache(cache_dir, namespace, DIMENSIONS)
    stream = writer.array_stream(VECTORS, np.float32, (PASSAGES, DIMENSIONS))
    live: list[bytes] = []
    encoded = encode_seconds = 0
    try:
        for start in range(0, len(docs), WINDOW):
            window = [docs[i] for i in range(start, min(start + WINDOW, len(docs)))]
            passages = [passage for doc in window for passage in _passages(doc)]
            keys = [passage_hash(p) for p in passages]
            live.extend(keys)
            missing = list({key: i for i, key in enumerate(keys) if key not in cache}.values())  # once each
            if missing:
                clock = time.perf_counter()
                fresh = encoder.encode([passages[i] for i in missing], batch_size=BATCH)
                encode_seconds += time.perf_counter() - clock
                encoded += len(missing)
                cache.add([keys[i] for i in missing], fresh)
            stream.append(np.stack([cache.get(key) for key in keys]).reshape(len(window), PASSAGES, DIMENSIONS))
            if progress:
                progress(start + len(window), encoded)
    finally:
        stream.close()
    cache.compact(live)
    info = {
        "model": namespace,
        "dimensions": DIMENSIONS,
        "passages_per_document": PASSAGES,
        "documents": len(docs),
        "encoded": encoded,
        "cached": len(live) - encoded,
        "encode_seconds": round(encode_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info("semantic vectors: %(documents)d documents, %(encoded)d passages encoded, %(cached)d from the cache", info)
    return info
