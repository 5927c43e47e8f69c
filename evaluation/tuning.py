"""Offline tuning: find a better ranker on judged queries, and promote it only if the win holds up.

The judged queries are split in two by a hash of the query text: the *selection* half picks the
best candidate (coordinate search around the incumbent: one parameter at a time, keeping each
improvement), the *test* half, which the search never saw, decides. The candidate is promoted
only when, on the test half, its mean MRR@10 beats the incumbent's by at least MIN_RELATIVE_GAIN
and a paired bootstrap over test queries puts the chance of no improvement below ALPHA. Picking
the best of many candidates on the same queries that judge it would promote noise; the split
keeps the final test honest (the random-click control in `simulate_users` checks this).

Feedback boosts are not tuned here: they are a snapshot of vote-based judgments (see
judgments.as_boosts) attached to whichever ranker serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from search.services import RankerConfig

ALPHA = 0.05
MIN_RELATIVE_GAIN = 0.02
RESAMPLES = 2000
SEARCH_SPACE = {
    "title_weight": [0.0, 0.5, 1.0, 1.5, 2.0],
    "k1": [0.9, 1.2, 1.5, 1.8],
    "b": [0.5, 0.75, 0.9],
    "alias_weight": [0.0, 0.5],
    "spelling": [False, True],
    "min_terms": [0, 3],
    "doc_weight": [0.0, 0.5, 1.0, 2.0],
    "doc_b": [0.5, 0.75, 0.9],
    "authority_weight": [0.0, 0.5, 1.0],
    "section_weight": [0.0, 0.1, 0.3],
    "role_weight": [0.2, 0.5, 1.0],
    "semantic_weight": [0.0, 8.0, 12.0, 16.0, 24.0, 32.0],
    "settled_weight": [0.0, 1.0, 3.0, 6.0],
}

Scorer = Callable[[RankerConfig, dict[str, dict[str, int]]], dict[str, float]]  # -> per-query MRR@10


@dataclass
class Evaluated:
    config: RankerConfig
    selection: float
    test: float | None = None


@dataclass
class TuningDecision:
    promoted: RankerConfig | None
    incumbent: Evaluated
    best: Evaluated
    tried: list[Evaluated] = field(default_factory=list)
    gain: float = 0.0
    p_value: float = 1.0
    test_queries: int = 0
    selection_queries: int = 0
    reason: str = ""


def split_queries(qrels: dict[str, dict[str, int]]) -> tuple[dict, dict]:
    """(selection, test) halves, stable for a given query text."""
    selection, test = {}, {}
    for query, judged in qrels.items():
        half = hashlib.sha256(query.encode("utf-8")).digest()[0] % 2
        (selection if half == 0 else test)[query] = judged
    return selection, test


def paired_bootstrap(differences: list[float], *, resamples: int = RESAMPLES, seed: int = 0) -> float:
    """One-sided p-value: the share of bootstrap means of the differences that are <= 0."""
    if not differences:
        return 1.0
    values = np.asarray(differences, dtype=np.float64)
    samples = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    at_or_below = int(np.count_nonzero(values[samples].mean(axis=1) <= 0))
    return (at_or_below + 1) / (resamples + 1)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _name_for(config: RankerConfig) -> str:
    digest = hashlib.sha256(config.fingerprint().encode("utf-8")).hexdigest()[:8]
    return f"tuned-{digest}"


def tune(incumbent: RankerConfig, qrels: dict[str, dict[str, int]], score: Scorer, *, seed: int = 0,
         space: dict[str, list] = SEARCH_SPACE) -> TuningDecision:
    selection, test = split_queries(qrels)
    base = Evaluated(incumbent, _mean(score(incumbent, selection).values()))
    tried = [base]
    best = base
    for parameter, values in space.items():
        for value in values:
            if getattr(best.config, parameter) == value:
                continue
            candidate = best.config.with_changes(**{parameter: value})
            candidate = candidate.with_changes(name=_name_for(candidate))
            evaluated = Evaluated(candidate, _mean(score(candidate, selection).values()))
            tried.append(evaluated)
            if evaluated.selection > best.selection + 1e-9:
                best = evaluated
    decision = TuningDecision(None, base, best, tried, selection_queries=len(selection), test_queries=len(test))
    if best is base:
        decision.reason = "no candidate did better than the incumbent on the selection queries"
        return decision
    incumbent_test = score(incumbent, test)
    best_test = score(best.config, test)
    base.test, best.test = _mean(incumbent_test.values()), _mean(best_test.values())
    differences = [best_test[q] - incumbent_test[q] for q in test]
    decision.p_value = paired_bootstrap(differences, seed=seed)
    decision.gain = (best.test - base.test) / base.test if base.test else (1.0 if best.test > 0 else 0.0)
    if decision.gain >= MIN_RELATIVE_GAIN and decision.p_value < ALPHA:
        decision.promoted = best.config
        decision.reason = (
            f"{best.config.describe()} beats the incumbent on {len(test)} unseen test queries: MRR@10 "
            f"{best.test:.4f} vs {base.test:.4f} ({decision.gain:+.1%}), bootstrap p={decision.p_value:.4f}"
        )
    else:
        decision.reason = (
            f"best candidate {best.config.describe()} did not hold up on {len(test)} test queries: MRR@10 "
            f"{best.test:.4f} vs {base.test:.4f} ({decision.gain:+.1%}), bootstrap p={decision.p_value:.4f} "
            f"(needs >= {MIN_RELATIVE_GAIN:.0%} and p < {ALPHA})"
        )
    return decision
