"""Judgments from behaviour: which documents visitors found relevant for a query.

Rules (documented in the FAQ):
- One voice per visitor per (query, document): a visitor (a client: daily-salted hash of its
  IPv4 address or IPv6 /64, never the User-Agent, else the session) that saw a document several times counts once, at the
  best rank it saw it; its clicks count once; its latest vote counts. So many sessions of one
  client are still one voice.
- Position bias: a click at rank 1 is expected far more often than at rank 8. Each voice's
  view of a document adds the click-through rate observed at that rank (over all logged
  searches) to the document's *expected* clicks; clicks over expected clicks (COEC) above 1
  mean the document is clicked more than its position explains.
- Poisoning resistance: a judgment counts only with at least MIN_SESSIONS distinct sessions
  from at least MIN_CLIENTS distinct clients behind it, and at most MAX_JUDGED_PER_QUERY
  documents per query are judged (the best-supported ones). So one client, however many
  sessions or votes it makes, cannot create or move a judgment.
- Only judgments carried by helpful votes of MIN_SESSIONS+ distinct visitors boost the served
  ranking directly (as_boosts); click-based ones feed the tuner, which must find a significant
  improvement on unseen queries before anything changes.
- Grades: 2 when COEC >= 2 or helpful votes come from MIN_SESSIONS+ sessions and outnumber the
  unhelpful ones; 1 when COEC >= 1.5 or helpful votes outnumber unhelpful ones; 0 (judged not
  relevant) when unhelpful votes win, or when it was shown high up often and never clicked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

MIN_SESSIONS = 5
MIN_CLIENTS = 5
MAX_JUDGED_PER_QUERY = 10
MAX_RANK = 10


@dataclass(frozen=True)
class Impression:
    """One logged search page: who saw which documents at which ranks."""

    log_id: int
    query: str  # normalised
    session: str
    client: str
    documents: tuple[str, ...]  # document slugs in rank order (rank 1 first)


@dataclass(frozen=True)
class Interaction:
    log_id: int
    document: str
    kind: str  # "click" or "vote"
    vote: int = 0
    at: float = 0.0  # time, to keep a session's latest vote


@dataclass
class Evidence:
    sessions: set = field(default_factory=set)
    clients: set = field(default_factory=set)
    clicked_voices: set = field(default_factory=set)
    expected_clicks: float = 0.0
    votes: dict = field(default_factory=dict)  # voice -> (time, vote)
    best_rank: int = MAX_RANK + 1

    @property
    def coec(self) -> float:
        return len(self.clicked_voices) / self.expected_clicks if self.expected_clicks else 0.0

    @property
    def up(self) -> int:
        return sum(1 for _, vote in self.votes.values() if vote > 0)

    @property
    def down(self) -> int:
        return sum(1 for _, vote in self.votes.values() if vote < 0)


def _voice(imp: Impression) -> str:
    return imp.client or imp.session


def rank_click_rates(impressions: list[Impression], clicks: list[Interaction]) -> dict[int, float]:
    """Observed click-through rate per rank (the position-bias curve), smoothed towards 1/rank."""
    shown = defaultdict(int)
    clicked = defaultdict(int)
    rank_of = {}
    for imp in impressions:
        for rank, doc in enumerate(imp.documents[:MAX_RANK], start=1):
            shown[rank] += 1
            rank_of[(imp.log_id, doc)] = rank
    for click in clicks:
        rank = rank_of.get((click.log_id, click.document))
        if rank:
            clicked[rank] += 1
    prior_weight = 20  # pseudo-impressions of a 0.3/rank prior, so sparse ranks are not 0 or 1
    return {
        rank: (clicked[rank] + prior_weight * 0.3 / rank) / (shown[rank] + prior_weight)
        for rank in range(1, MAX_RANK + 1)
    }


@dataclass(frozen=True)
class JudgedPair:
    query: str
    document: str
    grade: int
    sessions: int
    clients: int
    votes_up: int
    votes_down: int
    coec: float

    @property
    def by_votes(self) -> bool:
        """Helpful votes from enough sessions: strong enough to boost the ranking directly."""
        return self.votes_up >= MIN_SESSIONS and self.votes_up > self.votes_down


def judgments_from_behaviour(impressions: list[Impression], interactions: list[Interaction]) -> list[JudgedPair]:
    """Judged (query, document) pairs with enough independent support, best supported first."""
    clicks = [i for i in interactions if i.kind == "click"]
    rates = rank_click_rates(impressions, clicks)
    by_log = {imp.log_id: imp for imp in impressions}
    evidence: dict[tuple[str, str], Evidence] = defaultdict(Evidence)
    seen_rank: dict[tuple[str, str, str], int] = {}
    for imp in impressions:
        for rank, doc in enumerate(imp.documents[:MAX_RANK], start=1):
            key = (imp.query, doc, _voice(imp))
            if key not in seen_rank or rank < seen_rank[key]:
                seen_rank[key] = rank
            ev = evidence[(imp.query, doc)]
            ev.sessions.add(imp.session)
            ev.clients.add(imp.client)
            ev.best_rank = min(ev.best_rank, rank)
    for (query, doc, _who), rank in seen_rank.items():
        evidence[(query, doc)].expected_clicks += rates[rank]  # one view per voice
    for interaction in interactions:
        imp = by_log.get(interaction.log_id)
        if imp is None or interaction.document not in imp.documents:
            continue  # only what was actually shown counts
        ev = evidence[(imp.query, interaction.document)]
        if interaction.kind == "click":
            ev.clicked_voices.add(_voice(imp))
        elif interaction.vote in (1, -1):
            previous = ev.votes.get(_voice(imp))
            if previous is None or interaction.at >= previous[0]:
                ev.votes[_voice(imp)] = (interaction.at, interaction.vote)

    judged: dict[str, list[JudgedPair]] = defaultdict(list)
    for (query, doc), ev in evidence.items():
        if len(ev.sessions) < MIN_SESSIONS or len(ev.clients) < MIN_CLIENTS:
            continue
        grade = _grade(ev)
        if grade is not None:
            judged[query].append(JudgedPair(query, doc, grade, len(ev.sessions), len(ev.clients), ev.up, ev.down,
                                            round(ev.coec, 3)))
    result = []
    for query in sorted(judged):
        rows = sorted(judged[query], key=lambda p: (-p.sessions, -p.grade, p.document))
        result.extend(rows[:MAX_JUDGED_PER_QUERY])
    return result


def as_qrels(pairs: list[JudgedPair]) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for pair in pairs:
        qrels[pair.query][pair.document] = pair.grade
    return dict(qrels)


def as_boosts(pairs: list[JudgedPair]) -> dict[str, dict[str, int]]:
    """Ranking boosts: only documents judged helpful by votes of enough independent visitors."""
    return as_qrels([p for p in pairs if p.by_votes and p.grade >= 1])


def _grade(ev: Evidence) -> int | None:
    if ev.down > ev.up and ev.down >= 2:
        return 0
    if ev.coec >= 2 or (ev.up >= MIN_SESSIONS and ev.up > ev.down):
        return 2
    if ev.coec >= 1.5 or ev.up > ev.down:
        return 1
    if not ev.clicked_voices and ev.best_rank <= 3 and ev.expected_clicks >= 1.5:
        return 0  # shown near the top to many sessions, never clicked
    return None
