"""Each metric on small examples computed by hand."""

import pytest

from evaluation.metrics import ClickRow, LogRow, VoteRow, dcg, offline_metrics, online_metrics, percentile, query_metrics

LOGS = [
    LogRow(1, "btc fees", 10.0, 5, "s1"),
    LogRow(2, "btc fees", 20.0, 3, "s2"),
    LogRow(3, "eth gas", 30.0, 0, "s1"),
    LogRow(4, "sol", 40.0, 7, "s3"),
    LogRow(5, "btc fees", 100.0, 2, "s1"),
]
CLICKS = [ClickRow(1, 3), ClickRow(1, 1), ClickRow(2, 2)]
VOTES = [VoteRow(1, 1), VoteRow(4, -1), VoteRow(2, 1)]


def test_online_metrics_by_hand():
    m = online_metrics(LOGS, CLICKS, VOTES)
    assert m["volume"] == 5
    assert m["latency_p50_ms"] == 30.0  # nearest rank: ceil(0.5 * 5) = 3rd of 10, 20, 30, 40, 100
    assert m["latency_p95_ms"] == 100.0 and m["latency_p99_ms"] == 100.0
    assert m["zero_result_rate"] == pytest.approx(1 / 5)
    assert m["ctr"] == pytest.approx(2 / 4)  # logs 1 and 2 clicked, of the 4 with results
    assert m["click_mrr"] == pytest.approx((1 / 1 + 1 / 2) / 4)  # first click of log 1 is rank 1
    assert m["satisfaction"] == pytest.approx(2 / 3)
    assert m["abandonment"] == pytest.approx(1 / 4)  # log 5: results, no click, no vote (log 4 voted)
    assert m["top_queries"][0] == {"query": "btc fees", "count": 3, "sessions": 2}
    assert m["zero_result_queries"] == [{"query": "eth gas", "count": 1, "sessions": 1}]


def test_online_metrics_without_data_are_none_not_zero():
    m = online_metrics([], [], [])
    assert m["volume"] == 0 and m["ctr"] is None and m["latency_p50_ms"] is None and m["satisfaction"] is None


def test_percentile_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([], 50) is None


def test_offline_metrics_by_hand():
    judged = {"a": 3, "b": 1, "c": 0}
    m = query_metrics(["x", "b", "a", "y"], judged)
    ideal = (2**3 - 1) / 1 + (2**1 - 1) / 1.5849625007211562
    assert m["ndcg10"] == pytest.approx(((2**1 - 1) / 1.5849625007211562 + (2**3 - 1) / 2) / ideal)
    assert m["mrr10"] == pytest.approx(1 / 2)
    assert m["recall10"] == pytest.approx(1.0) and m["hit10"] == 1.0
    miss = query_metrics(["x", "y"], judged)
    assert (miss["ndcg10"], miss["mrr10"], miss["recall10"], miss["hit10"]) == (0, 0, 0, 0)
    assert dcg([3, 2]) == pytest.approx(7 + 3 / 1.5849625007211562)


def test_offline_metrics_average_over_queries():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    runs = {"q1": ["d1", "d9"], "q2": ["d8", "d7", "d6", "d2"]}
    result = offline_metrics(qrels, runs.get)
    assert result.metrics["mrr10"] == pytest.approx((1 + 1 / 4) / 2)
    assert result.metrics["hit10"] == 1.0 and result.metrics["queries"] == 2
    assert [row["first_relevant_rank"] for row in result.per_query] == [1, 4]
