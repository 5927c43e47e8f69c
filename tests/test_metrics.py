"""Each metric on small examples computed by hand."""

import math

import pytest

from evaluation.metrics import (
    ClickRow, LogRow, VoteRow, dcg, offline_metrics, online_metrics, percentile, query_metrics, reciprocal_rank,
)

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


def test_graded_metrics_separate_useful_and_answering_documents():
    # one answer (grade 2) and two useful documents (grade 1); the run finds a useful one first
    judged = {"ans": 2, "u1": 1, "u2": 1}
    m = query_metrics(["x", "u2", "y", "ans", "z"], judged)
    assert m["mrr10"] == pytest.approx(1 / 2) and m["hit10"] == 1.0 and m["first_relevant_rank"] == 2
    assert m["mrr10_grade2"] == pytest.approx(1 / 4) and m["hit10_grade2"] == 1.0 and m["first_grade2_rank"] == 4
    # gains 2^g - 1: u2 -> 1 at rank 2, ans -> 3 at rank 4; ideal: 3, 1, 1 at ranks 1-3
    actual = 1 / math.log2(3) + 3 / math.log2(5)
    ideal = 3 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg10"] == pytest.approx(actual / ideal)
    assert m["recall10"] == pytest.approx(2 / 3)


def test_graded_metrics_count_only_the_top_ten():
    judged = {"ans": 2, "u": 1}
    ranked = [f"d{i}" for i in range(10)] + ["ans", "u"]
    m = query_metrics(ranked, judged)
    assert (m["mrr10"], m["hit10"], m["mrr10_grade2"], m["hit10_grade2"], m["ndcg10"]) == (0, 0, 0, 0, 0)
    assert reciprocal_rank(ranked, judged, k=11) == pytest.approx(1 / 11)
    assert reciprocal_rank(ranked, judged, min_grade=2, k=12) == pytest.approx(1 / 11)


def test_two_answering_documents_either_counts():
    judged = {"a": 2, "b": 2, "u": 1}
    m = query_metrics(["u", "b", "a"], judged)
    assert m["mrr10"] == 1.0 and m["mrr10_grade2"] == pytest.approx(1 / 2)
    ideal = 3 + 3 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg10"] == pytest.approx((1 + 3 / math.log2(3) + 3 / math.log2(4)) / ideal)


def test_grade2_figures_average_only_over_queries_with_an_answer():
    qrels = {"known item": {"d1": 1}, "question": {"d2": 2, "d3": 1}, "missed": {"d4": 2}}
    runs = {"known item": ["d1"], "question": ["d3", "d2"], "missed": ["d9"]}
    m = offline_metrics(qrels, runs.get).metrics
    assert m["queries"] == 3 and m["queries_grade2"] == 2
    assert m["mrr10"] == pytest.approx((1 + 1 + 0) / 3)
    assert m["mrr10_grade2"] == pytest.approx((1 / 2 + 0) / 2) and m["hit10_grade2"] == pytest.approx(1 / 2)
    only_known = offline_metrics({"q": {"d1": 1}}, lambda q: ["d1"]).metrics
    assert only_known["mrr10_grade2"] is None and only_known["queries_grade2"] == 0
