"""The self-improvement loop over the database: behaviour -> judgments -> tuning -> promotion.

    QueryLog + Click + Feedback ─► judgments_refresh ─► Judgment (origin=feedback)
    Judgment (all origins) ─► ranker_tune ─► TuningRun, new Ranker promoted or not
    interleaved QueryLogs + Click ─► interleaving_evaluate ─► TuningRun, challenger promoted or dropped

The decisions themselves are pure functions (judgments.py, tuning.py, interleaving.py); this
module only reads and writes rows, so `simulate_users` can drive the same logic in memory.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction

from search.services import (Index, RankerConfig, document_slugs, ranker_exists, ranker_promote, ranker_save,
                             ranker_set_challenger, serving_rankers)

from .interleaving import interleaving_outcome
from .judgments import Impression, Interaction, JudgedPair, as_boosts, judgments_from_behaviour
from .models import Click, Feedback, Judgment, QueryLog, TuningRun
from .offline import per_query_mrr
from .tuning import tune

# Pages people saw: searches as typed count too (their clicks and votes are real).
SHOWN = (QueryLog.Interface.WEB, QueryLog.Interface.API, QueryLog.Interface.LIVE)


def behaviour_rows() -> tuple[list[Impression], list[Interaction]]:
    """First result pages (ranks 1-10) and what was clicked and voted on them."""
    slugs = document_slugs()
    logs = QueryLog.objects.filter(interface__in=SHOWN, page=1).exclude(results=[])
    impressions = [
        Impression(log_id, query, session, client, tuple(slugs.get(doc, "") for _, doc in results))
        for log_id, query, session, client, results in logs.values_list(
            "id", "normalized", "session_hash", "client_hash", "results"
        ).iterator(chunk_size=2000)
    ]
    log_ids = logs.values("id")
    interactions = [
        Interaction(log_id, slugs.get(doc, ""), "click")
        for log_id, doc in Click.objects.filter(log__in=log_ids).values_list("log_id", "document_id")
    ] + [
        Interaction(log_id, slugs.get(doc, ""), "vote", vote, at.timestamp())
        for log_id, doc, vote, at in Feedback.objects.filter(log__in=log_ids).values_list(
            "log_id", "document_id", "vote", "created_at"
        )
    ]
    return impressions, interactions


def judgments_refresh() -> list[JudgedPair]:
    """Recompute behaviour judgments and store them (replacing the previous ones)."""
    pairs = judgments_from_behaviour(*behaviour_rows())
    with transaction.atomic():
        Judgment.objects.filter(origin=Judgment.Origin.FEEDBACK).delete()
        Judgment.objects.bulk_create([
            Judgment(query=p.query, document_slug=p.document, grade=p.grade, origin=Judgment.Origin.FEEDBACK,
                     sessions=p.sessions, note=f"coec {p.coec}, votes +{p.votes_up}/-{p.votes_down}, {p.clients} clients")
            for p in pairs
        ])
    return pairs


def qrels_all() -> dict[str, dict[str, int]]:
    """Every judgment, by query; a staff judgment overrides any other for the same document."""
    qrels: dict[str, dict[str, int]] = {}
    order = {Judgment.Origin.KNOWN_ITEM: 0, Judgment.Origin.FEEDBACK: 1, Judgment.Origin.STAFF: 2}
    rows = sorted(Judgment.objects.values_list("query", "document_slug", "grade", "origin"), key=lambda r: order[r[3]])
    for query, doc, grade, _ in rows:
        qrels.setdefault(query, {})[doc] = grade
    return qrels


def boosts_current(pairs: list[JudgedPair]) -> dict[str, dict[str, int]]:
    boosts = as_boosts(pairs)
    for query, doc, grade in Judgment.objects.filter(origin=Judgment.Origin.STAFF).values_list(
        "query", "document_slug", "grade"
    ):
        if grade >= 1:
            boosts.setdefault(query, {})[doc] = grade
        else:
            boosts.get(query, {}).pop(doc, None)  # staff said: not relevant
    return {q: d for q, d in boosts.items() if d}


def _versioned(config: RankerConfig, base: str) -> RankerConfig:
    digest = hashlib.sha256(config.fingerprint().encode("utf-8")).hexdigest()[:8]
    return config.with_changes(name=f"{base[:80]}-{digest}")


def _save_and_promote(config: RankerConfig, origin: str) -> RankerConfig:
    if not ranker_exists(config.name):
        ranker_save(config, origin=origin)
    ranker_promote(config.name)
    return config


def ranker_tune(*, index: Index) -> TuningRun:
    """One run of the offline loop (the scheduled task and `manage.py tune`)."""
    pairs = judgments_refresh()
    qrels = qrels_all()
    incumbent, _ = serving_rankers()
    boosts = boosts_current(pairs)
    unboosted = incumbent.with_changes(boosts={})

    def score(config, judged):
        return per_query_mrr(index, config.with_changes(boosts={}), judged)

    decision = tune(unboosted, qrels, score) if qrels else None
    run = TuningRun(kind=TuningRun.Kind.OFFLINE, incumbent=incumbent.name, judged_queries=len(qrels))
    if decision is not None:
        run.p_value, run.gain, run.reason = decision.p_value, decision.gain, decision.reason
        run.candidates = [
            {"name": e.config.name, "params": e.config.describe(), "selection_mrr10": round(e.selection, 4),
             "test_mrr10": None if e.test is None else round(e.test, 4)}
            for e in decision.tried
        ]
    else:
        run.reason = "no judged queries yet"
    if decision is not None and decision.promoted is not None:
        promoted = _versioned(decision.promoted.with_changes(boosts=boosts), "tuned")
        _save_and_promote(promoted, origin=f"tuning: {decision.reason}"[:200])
        run.decision, run.promoted = TuningRun.Decision.PROMOTED, promoted.name
    elif json.dumps(boosts, sort_keys=True) != json.dumps(incumbent.boosts, sort_keys=True):
        refreshed = _versioned(incumbent.with_changes(boosts=boosts), incumbent.name.split("+")[0])
        _save_and_promote(refreshed, origin="feedback boosts refreshed")
        run.decision, run.promoted = TuningRun.Decision.BOOSTS, refreshed.name
        run.reason += f" Feedback boosts refreshed: {sum(len(d) for d in boosts.values())} documents over {len(boosts)} queries."
    elif decision is not None and decision.best is not decision.incumbent and decision.gain > 0:
        challenger = _versioned(decision.best.config.with_changes(boosts=boosts), "challenger")
        if not ranker_exists(challenger.name):
            ranker_save(challenger, origin="tuning: promising, not yet significant")
        ranker_set_challenger(challenger.name)
        run.decision, run.promoted = TuningRun.Decision.CHALLENGER, challenger.name
        run.reason += " It is now the challenger in interleaved comparisons."
    else:
        run.decision = TuningRun.Decision.KEPT
    run.save()
    return run


def interleaving_evaluate() -> TuningRun | None:
    """Judge the running interleaved comparison; promote or drop the challenger when it is decided."""
    incumbent, challenger = serving_rankers()
    if challenger is None:
        return None
    logs = QueryLog.objects.filter(interface__in=SHOWN, interleaving__b=challenger.name, interleaving__a=incumbent.name)
    clicked: dict[int, list[int]] = {}
    for log_id, sentence_id in Click.objects.filter(log__in=logs.values("id")).values_list("log_id", "sentence_id"):
        clicked.setdefault(log_id, []).append(sentence_id)
    impressions = [(teams["teams"], clicked.get(log_id, [])) for log_id, teams in logs.values_list("id", "interleaving")]
    outcome = interleaving_outcome(impressions)
    summary = (f"{challenger.name} vs {incumbent.name}: {outcome.wins_b} wins, {outcome.wins_a} losses, "
               f"{outcome.ties} ties, sign test p={outcome.p_value:.4f}")
    run = TuningRun(kind=TuningRun.Kind.INTERLEAVING, incumbent=incumbent.name, p_value=outcome.p_value,
                    decision=TuningRun.Decision.KEPT, reason=summary)
    if outcome.winner == "b":
        ranker_promote(challenger.name)
        run.decision, run.promoted = TuningRun.Decision.PROMOTED, challenger.name
        run.reason += "; the challenger won and now serves everyone."
    elif outcome.winner == "a":
        ranker_set_challenger(None)
        run.reason += "; the incumbent won and the challenger was dropped."
    else:
        run.reason += "; not decided yet."
    run.save()
    return run
