"""Simulated visitors for `manage.py simulate_users`: does the loop really learn, and safely?

Each intent is a known-item question (query -> the document it describes). Visitors issue it
as written, or, for a fifth of the intents, with a realistic typo (everyone who has that intent
makes the same slip, as people do with hard words). They read the served page top-down with
position bias (the chance to look at rank r falls as 1/r^0.7), click the relevant document when
they see it (and sometimes an irrelevant one), vote it helpful half of the time, and stop.

The simulation drives the real code: the site's ranking (search.services.rank_request on the real
index), the real judgment rules (judgments.py) and the real tuner (tuning.py). It writes
nothing to the database.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from search.services import (DEFAULT, MAX_QUERY_CHARS, Index, RankerConfig, SearchRequest, normalize_query,
                             rank_request)

from .judgments import Impression, Interaction, as_boosts, as_qrels, judgments_from_behaviour
from .offline import document_ranking, per_query_mrr
from .tuning import TuningDecision, tune

KEYBOARD_NEIGHBOURS = {
    row[i]: row[max(0, i - 1)] + row[i + 1:i + 2]
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i in range(len(row))
}


def make_typo(query: str, rng: random.Random) -> str:
    """One realistic slip (drop, double, swap or neighbouring key) in one longer word."""
    words = query.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return query
    i = rng.choice(candidates)
    word = words[i]
    pos = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap", "neighbour"])
    if kind == "drop":
        word = word[:pos] + word[pos + 1:]
    elif kind == "double":
        word = word[:pos] + word[pos] + word[pos:]
    elif kind == "swap":
        word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
    else:
        neighbours = KEYBOARD_NEIGHBOURS.get(word[pos].lower(), string.ascii_lowercase)
        word = word[:pos] + rng.choice(neighbours) + word[pos + 1:]
    words[i] = word
    return " ".join(words)


@dataclass
class Intent:
    query: str
    document: str
    typed: str  # what visitors type (the query, or the query with this intent's typo)


@dataclass
class Behaviour:
    impressions: list[Impression] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)


def intents_split(rows: list[tuple[str, str]], *, seed: int, typo_share: float) -> tuple[list[Intent], list[Intent]]:
    """(training, held-out) halves of the known-item rows, with typo'd typing for a share of them."""
    rng = random.Random(seed)
    rows = sorted(set(rows))
    rng.shuffle(rows)
    intents = []
    for query, doc in rows:
        typed = make_typo(query, rng) if rng.random() < typo_share else query
        intents.append(Intent(query, doc, typed))
    half = len(intents) // 2
    return intents[:half], intents[half:]


def served_documents(index: Index, ranker: RankerConfig, query: str) -> list[str]:
    """The documents of the first result page, in order (one entry per hit, as shown)."""
    ranking = rank_request(index, SearchRequest(q=" ".join(query.split())[:MAX_QUERY_CHARS]), ranker, limit=10,
                           wait_for_spelling=True).ranking
    return [index.doc_slug[int(index.sent_doc[sid])] for sid in ranking.sentence_ids]


def simulate_visits(index: Index, ranker: RankerConfig, intents: list[Intent], *, visitors: int,
                    rng: random.Random, random_clicks: bool = False, behaviour: Behaviour | None = None) -> Behaviour:
    behaviour = behaviour or Behaviour()
    pages: dict[str, list[str]] = {}
    for intent in intents:
        if intent.typed not in pages:
            pages[intent.typed] = served_documents(index, ranker, intent.typed)
        shown = tuple(pages[intent.typed])
        for _ in range(visitors):
            log_id = len(behaviour.impressions) + 1
            session = f"sim-session-{log_id}-{rng.random():.6f}"
            behaviour.impressions.append(
                Impression(log_id, normalize_query(intent.typed), session, f"sim-client-{session}", shown)
            )
            for rank, doc in enumerate(shown, start=1):
                if rng.random() > 1 / rank**0.7:
                    continue  # not looked at
                if random_clicks:
                    if rng.random() < 0.2:
                        behaviour.interactions.append(Interaction(log_id, doc, "click"))
                    continue
                if doc == intent.document:
                    if rng.random() < 0.9:
                        behaviour.interactions.append(Interaction(log_id, doc, "click"))
                        if rng.random() < 0.5:
                            behaviour.interactions.append(Interaction(log_id, doc, "vote", 1, float(log_id)))
                        break  # found it
                elif rng.random() < 0.03:
                    behaviour.interactions.append(Interaction(log_id, doc, "click"))
    return behaviour


def mrr(index: Index, ranker: RankerConfig, intents: list[Intent], *, typed: bool) -> float:
    scores = per_query_mrr(index, ranker, {(i.typed if typed else i.query): {i.document: 1} for i in intents})
    return sum(scores.values()) / len(scores) if scores else 0.0


def tune_on(index: Index, start: RankerConfig, behaviour: Behaviour, *, seed: int) -> TuningDecision | None:
    qrels = as_qrels(judgments_from_behaviour(behaviour.impressions, behaviour.interactions))
    if not qrels:
        return None
    return tune(start, qrels, lambda config, judged: per_query_mrr(index, config, judged), seed=seed)


@dataclass
class PoisonResult:
    attackers: int
    junk_rank_before: int | None
    junk_rank_after: int | None
    others_unchanged: bool

    @property
    def junk_in_top3(self) -> bool:
        return self.junk_rank_after is not None and self.junk_rank_after <= 3


def poison(index: Index, ranker: RankerConfig, organic: Behaviour, intents: list[Intent], *, sessions: int,
           votes: int, seed: int) -> PoisonResult:
    """One client, in `sessions` sessions, votes `votes` times for a junk hit of one query."""
    def served_with(behaviour: Behaviour) -> RankerConfig:
        pairs = judgments_from_behaviour(behaviour.impressions, behaviour.interactions)
        return ranker.with_changes(boosts=as_boosts(pairs), feedback_boost=ranker.feedback_boost or DEFAULT.feedback_boost)

    target = intents[0]
    clean = served_with(organic)
    shown = served_documents(index, clean, target.typed)
    # The junk hit: a document on the first page, but below the top 3 documents and not the answer.
    junk = next((doc for doc in document_ranking(index, target.typed, clean)[3:] if doc != target.document and doc in shown),
                None) or next((doc for doc in shown if doc != target.document), "junk-document")
    attack = Behaviour(list(organic.impressions), list(organic.interactions))
    client = "attacker-client"
    for s in range(sessions):
        log_id = len(attack.impressions) + 1
        attack.impressions.append(
            Impression(log_id, normalize_query(target.typed), f"attacker-{s}", client, tuple(shown))
        )
        for v in range(votes // sessions):
            attack.interactions.append(Interaction(log_id, junk, "click"))
            attack.interactions.append(Interaction(log_id, junk, "vote", 1, float(v)))

    poisoned = served_with(attack)
    before = document_ranking(index, target.typed, clean)
    after = document_ranking(index, target.typed, poisoned)
    others = [i.typed for i in intents[1:]]
    unchanged = all(document_ranking(index, q, clean) == document_ranking(index, q, poisoned) for q in others)
    rank_of = lambda docs: docs.index(junk) + 1 if junk in docs else None  # noqa: E731
    return PoisonResult(sessions, rank_of(before), rank_of(after), unchanged)


@dataclass
class SimulationReport:
    heldout_before: float
    heldout_after: float
    typo_recovery: float
    promoted: RankerConfig | None
    decision: TuningDecision | None
    control_promoted: RankerConfig | None
    control_decision: TuningDecision | None
    poisoning: list[PoisonResult]
    judged_queries: int

    def line(self) -> str:
        return (
            f"heldout_mrr10_before={self.heldout_before:.3f} heldout_mrr10_after={self.heldout_after:.3f} "
            f"typo_recovery={self.typo_recovery:.2f} promoted={self.promoted.name if self.promoted else 'none'}"
        )


def run_simulation(index: Index, rows: list[tuple[str, str]], *, start: RankerConfig, visitors: int = 8,
                   typo_share: float = 0.2, seed: int = 7, poison_votes: int = 10_000) -> SimulationReport:
    rng = random.Random(seed)
    train, heldout = intents_split(rows, seed=seed, typo_share=typo_share)
    before = mrr(index, start, heldout, typed=False)
    organic = simulate_visits(index, start, train, visitors=visitors, rng=rng)
    decision = tune_on(index, start, organic, seed=seed)
    promoted = decision.promoted if decision else None
    serving = promoted or start
    after = mrr(index, serving, heldout, typed=False)
    typo_heldout = [Intent(i.query, i.document, make_typo(i.query, rng)) for i in heldout]
    typo_recovery = mrr(index, serving, typo_heldout, typed=True) / after if after else 0.0
    control = simulate_visits(index, start, train, visitors=visitors, rng=random.Random(seed + 1), random_clicks=True)
    control_decision = tune_on(index, start, control, seed=seed)
    attacks = [
        poison(index, serving, organic, train, sessions=sessions, votes=poison_votes, seed=seed)
        for sessions in (1, 5)
    ]
    judged = len(as_qrels(judgments_from_behaviour(organic.impressions, organic.interactions)))
    return SimulationReport(before, after, typo_recovery, promoted, decision,
                            control_decision.promoted if control_decision else None, control_decision, attacks, judged)
