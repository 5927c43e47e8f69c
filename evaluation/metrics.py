"""Quality and latency metrics: pure functions over plain rows, plus the selectors that feed them.

Online metrics (from logs):
- volume: searches; latency p50/p95/p99 (ms, nearest-rank percentiles)
- zero_result_rate: share of searches with no match
- ctr: share of searches with results that got at least one click
- click_mrr: mean over searches with results of 1 / rank of the first click (0 when none)
- satisfaction: 👍 / (👍 + 👎) over votes (None when there were no votes)
- abandonment: share of searches with results that got neither a click nor a vote
- top_queries / zero_result_queries: most frequent normalised queries, with distinct sessions

Offline metrics (document level, from graded judgments): nDCG@10 (gain 2^grade - 1, log2 discount,
ideal from all judged documents of the query), MRR@10, recall@10 and hit@10 (relevant = grade >= 1),
and MRR@10 / hit@10 of the first grade-2 document ("the document that answers it"), averaged over the
queries that have one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LogRow:
    id: int
    normalized: str
    latency_ms: float
    result_count: int
    session_hash: str = ""
    ranker: str = ""
    index_version: str = ""
    day: str = ""  # YYYY-MM-DD, for time series


@dataclass(frozen=True)
class ClickRow:
    log_id: int
    rank: int


@dataclass(frozen=True)
class VoteRow:
    log_id: int
    vote: int


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def online_metrics(logs: list[LogRow], clicks: Iterable[ClickRow], votes: Iterable[VoteRow], *, top: int = 10) -> dict:
    first_click: dict[int, int] = {}
    for click in clicks:
        first_click[click.log_id] = min(click.rank, first_click.get(click.log_id, click.rank))
    voted_logs, up, down = set(), 0, 0
    for vote in votes:
        voted_logs.add(vote.log_id)
        up += vote.vote > 0
        down += vote.vote < 0
    with_results = [row for row in logs if row.result_count > 0]
    zero = [row for row in logs if row.result_count == 0]
    latencies = [row.latency_ms for row in logs]
    clicked = [row for row in with_results if row.id in first_click]
    return {
        "volume": len(logs),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_p99_ms": percentile(latencies, 99),
        "zero_result_rate": _rate(len(zero), len(logs)),
        "ctr": _rate(len(clicked), len(with_results)),
        "click_mrr": (sum(1 / first_click[row.id] for row in clicked) / len(with_results)) if with_results else None,
        "satisfaction": _rate(up, up + down),
        "votes_up": up,
        "votes_down": down,
        "abandonment": _rate(
            sum(1 for row in with_results if row.id not in first_click and row.id not in voted_logs), len(with_results)
        ),
        "top_queries": _top(logs, top),
        "zero_result_queries": _top(zero, top),
    }


def _top(rows: list[LogRow], limit: int) -> list[dict]:
    counts = Counter(row.normalized for row in rows)
    sessions: dict[str, set] = defaultdict(set)
    for row in rows:
        sessions[row.normalized].add(row.session_hash)
    return [{"query": q, "count": n, "sessions": len(sessions[q])} for q, n in counts.most_common(limit)]


def online_metrics_by(logs: list[LogRow], clicks: list[ClickRow], votes: list[VoteRow], key: Callable[[LogRow], str]) -> dict:
    """online_metrics per group of logs (per ranker, per index version)."""
    groups: dict[str, list[LogRow]] = defaultdict(list)
    for row in logs:
        groups[key(row)].append(row)
    result = {}
    for name, rows in groups.items():
        ids = {row.id for row in rows}
        result[name] = online_metrics(
            rows, [c for c in clicks if c.log_id in ids], [v for v in votes if v.log_id in ids], top=0
        )
    return result


# --- offline ------------------------------------------------------------------------------------


@dataclass
class OfflineResult:
    metrics: dict
    per_query: list[dict] = field(default_factory=list)


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def first_relevant_rank(ranked: list[str], judged: dict[str, int], *, min_grade: int = 1, k: int = 10) -> int | None:
    """1-based rank of the first document in the top k judged at least `min_grade`, or None."""
    return next((i + 1 for i, doc in enumerate(ranked[:k]) if judged.get(doc, 0) >= min_grade), None)


def reciprocal_rank(ranked: list[str], judged: dict[str, int], *, min_grade: int = 1, k: int = 10) -> float:
    """MRR@k's term for one query: 1 / rank of the first document judged at least `min_grade`, else 0."""
    first = first_relevant_rank(ranked, judged, min_grade=min_grade, k=k)
    return 1 / first if first else 0.0


def query_metrics(ranked: list[str], judged: dict[str, int], k: int = 10) -> dict:
    top = ranked[:k]
    relevant = {doc for doc, grade in judged.items() if grade >= 1}
    gains = [judged.get(doc, 0) for doc in top]
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    first = first_relevant_rank(top, judged, k=k)
    has_answer = any(grade >= 2 for grade in judged.values())
    first_answer = first_relevant_rank(top, judged, min_grade=2, k=k)
    return {
        "ndcg10": dcg(gains) / ideal if ideal else 0.0,
        "mrr10": reciprocal_rank(top, judged, k=k),
        "recall10": len(relevant & set(top)) / len(relevant) if relevant else 0.0,
        "hit10": 1.0 if first is not None else 0.0,
        "first_relevant_rank": first,
        # None when the query has no grade-2 document (e.g. a known-item row with the default grade 1)
        "mrr10_grade2": reciprocal_rank(top, judged, min_grade=2, k=k) if has_answer else None,
        "hit10_grade2": (1.0 if first_answer is not None else 0.0) if has_answer else None,
        "first_grade2_rank": first_answer,
    }


def offline_metrics(qrels: dict[str, dict[str, int]], run: Callable[[str], list[str]], k: int = 10) -> OfflineResult:
    """Evaluate `run` (query -> ranked document ids) against judged queries."""
    per_query = []
    for query, judged in qrels.items():
        ranked = run(query)
        per_query.append({"query": query, "ranked": ranked[:k], **query_metrics(ranked, judged, k)})
    metrics: dict = {}
    for name in ("ndcg10", "mrr10", "recall10", "hit10", "mrr10_grade2", "hit10_grade2"):
        values = [row[name] for row in per_query if row[name] is not None]
        metrics[name] = sum(values) / len(values) if values else None
    metrics["queries"] = len(per_query)
    metrics["queries_grade2"] = sum(1 for row in per_query if row["mrr10_grade2"] is not None)
    return OfflineResult(metrics=metrics, per_query=per_query)
