"""The serving engine scores exactly as rank-bm25's BM25Okapi (k1=1.5, b=0.75, epsilon=0.25).

Both score the same analysed sentences of real text (a spread sample of ../shared/corpus when
present, else the starter corpus). For every query the top 10 sentence ids are identical (ties
broken by sentence id) and scores agree within 1e-4 relative. Queries with terms of negative
IDF (terms in more than half the sentences) are included: the engine applies rank-bm25's floor
(epsilon x mean IDF) too, so they agree as well.
"""

import csv

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from search.index.build import bm25_idf, build_index
from search.index.engine import Index, RankParams
from search.nlp.analyzer import analyze

from .conftest import SHARED, SHARED_CORPUS, shared_records, starter_records


def _queries(index: Index) -> list[str]:
    queries = []
    known_items = SHARED / "eval" / "known-item-dev.tsv"
    app_queries = SHARED / "queries" / "original-app-queries.tsv"
    if known_items.exists():
        with open(known_items, encoding="utf-8") as handle:
            queries += [row["query"] for row in csv.DictReader(handle, delimiter="\t")][:200]
    if app_queries.exists():
        with open(app_queries, encoding="utf-8") as handle:
            queries += [row["query"] for row in csv.DictReader(handle, delimiter="\t")][:100]
    # Sentences of the index itself, as queries, fill up to 300 (and are the fallback).
    step = max(1, index.sentence_count // 300)
    queries += [index.sentences[i] for i in range(0, index.sentence_count, step)][: max(0, 300 - len(queries))]
    return queries


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    records = shared_records(every=20) if SHARED_CORPUS.exists() else starter_records()
    directory = tmp_path_factory.mktemp("parity")
    version, _ = build_index(records, directory, workers=2)
    index = Index(directory / version)
    tokenized = [analyze(index.sentences[i]) for i in range(index.sentence_count)]
    return index, tokenized


def _reference_top(bm25: BM25Okapi, terms: list[str], k: int = 10):
    scores = bm25.get_scores(terms)
    matching = np.flatnonzero(scores > 0)
    order = matching[np.lexsort((matching, -scores[matching]))][:k]
    return order, scores[order]


def _assert_same_ranking(index, bm25, queries, params):
    checked = 0
    for query in queries:
        terms = analyze(query)
        if not terms:
            continue
        expected_ids, expected_scores = _reference_top(bm25, terms)
        ranking = index.rank(terms, params=params, limit=10, per_doc=None)
        np.testing.assert_allclose(ranking.scores, expected_scores, rtol=1e-4, err_msg=query)
        for position, (got, want) in enumerate(zip(ranking.sentence_ids, expected_ids)):
            if got != want:  # allowed only between scores equal to float rounding (a true tie)
                assert abs(ranking.scores[position] - expected_scores[position]) <= 1e-6 * expected_scores[position], query
        assert len(ranking.sentence_ids) == len(expected_ids), query
        checked += 1
    return checked


def test_engine_matches_rank_bm25_on_real_text(indexed):
    index, tokenized = indexed
    if SHARED_CORPUS.exists():
        assert index.sentence_count >= 5000
    bm25 = BM25Okapi(tokenized)  # k1=1.5, b=0.75, epsilon=0.25 are its defaults
    assert _assert_same_ranking(index, bm25, _queries(index), RankParams()) >= 200


def test_engine_matches_rank_bm25_with_other_k1_and_b(indexed):
    index, tokenized = indexed
    bm25 = BM25Okapi(tokenized, k1=0.9, b=0.4)
    assert _assert_same_ranking(index, bm25, _queries(index)[:120], RankParams(k1=0.9, b=0.4)) >= 100


def test_negative_idf_uses_rank_bm25s_epsilon_floor():
    # Real samples rarely have a term in over half the sentences; a tiny corpus does.
    tiny = [["fee", "burn"], ["fee"], ["fee", "gas"], ["block"]]
    tiny_bm25 = BM25Okapi(tiny)
    assert tiny_bm25.idf["fee"] == pytest.approx(0.25 * tiny_bm25.average_idf)
    idf = bm25_idf(np.array([3, 1, 1, 1]), 4)
    assert idf[0] == pytest.approx(tiny_bm25.idf["fee"])
    assert idf[1] == pytest.approx(tiny_bm25.idf["burn"])
