"""Named document rankings computed outside the BM25 engine, fused into its scores.

A provider is a function (index, query text) -> one float per document of the index (a numpy
array of length index.document_count, higher is better; e.g. the cosine similarity of each
document's vector to the query), or None when it has nothing to say (no vectors in this index
version). A ranker weighs each provider by name (RankerConfig.signal_weights, e.g.
{"semantic": 2.0}); providers whose weight is 0 are never called, so an unused signal costs
nothing. The engine adds weight x score of a sentence's document (search/index/fusion.py).

    from search.doc_signals import register
    register("semantic", lambda index, query: semantic_scores(index, query))
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)
Provider = Callable[[object, str], "np.ndarray | None"]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def signals_for(index, query: str, ranker) -> dict[str, np.ndarray]:
    """The weighted providers' scores for this query (a failing provider is skipped, not fatal)."""
    out: dict[str, np.ndarray] = {}
    for name, weight in ranker.signal_weights.items():
        provider = _providers.get(name)
        if not weight or provider is None:
            continue
        try:
            scores = provider(index, query)
        except Exception:  # a broken signal must not break search
            log.exception("document signal %s failed", name)
            continue
        if scores is not None and len(scores) == index.document_count:
            out[name] = np.asarray(scores, dtype=np.float64)
    return out
