"""Named document rankings computed outside the BM25 engine, fused into its scores.

A provider is a function (index, query text) -> one float per document of the index (a numpy
array of length index.document_count, higher is better; e.g. the cosine similarity of each
document's vector to the query), or None when it has nothing to say (no vectors in this index
version). A ranker weighs each provider by name (RankerConfig.document_signal_weights, e.g.
{"semantic": 2.0}); providers whose weight is 0 are never called, so an unused signal costs
nothing. The engine adds weight x score of a sentence's document (search/index/fusion.py), and
the EXTRA_DOCS best documents of each signal become candidates even when they share no word
with the query (so a signal can find what BM25 misses, not only re-rank it).

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
_priors: set[str] = set()  # signals that are the same for every query: they re-rank, never add candidates
EXTRA_DOCS = 5


def register(name: str, provider: Provider, *, prior: bool = False) -> None:
    """`prior`: the provider scores documents whatever the query (e.g. their status), so its best
    documents are no answer to anything and never become candidates of their own."""
    _providers[name] = provider
    (_priors.add if prior else _priors.discard)(name)


def unregister(name: str) -> None:
    _providers.pop(name, None)
    _priors.discard(name)


def signals_for(index, query: str, ranker) -> dict[str, np.ndarray]:
    """The weighted providers' scores for this query (a failing provider is skipped, not fatal)."""
    out: dict[str, np.ndarray] = {}
    for name, weight in ranker.document_signal_weights.items():
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


def extra_documents(signals: dict[str, np.ndarray], per_signal: int = EXTRA_DOCS) -> tuple[int, ...]:
    """The best `per_signal` documents (score > 0) of each signal but the priors, in order, without repeats."""
    found: dict[int, None] = {}
    for name, scores in signals.items():
        if name in _priors:
            continue
        top = min(per_signal, len(scores))
        if top <= 0:
            continue
        best = np.argpartition(-scores, top - 1)[:top]
        for doc in best[np.argsort(-scores[best], kind="stable")]:
            if scores[doc] > 0:
                found[int(doc)] = None
    return tuple(found)


def _register_built_in() -> None:
    from . import doc_status
    from .semantic.signal import NAME, semantic_scores

    register(NAME, semantic_scores)
    register(doc_status.NAME, doc_status.settled_scores, prior=True)


_register_built_in()
