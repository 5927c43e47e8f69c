"""The benchmark harness runs end to end on a tiny corpus, and the fast paths it measures give
exactly the results of the simple ones (so a speed-up can never change a ranking or an index).
"""

import json
from collections import Counter

import numpy as np
import pytest

from bench import corpora, http_load, run
from search.index import assembly, bm25, chunk_analysis
from search.index.build import build_index
from search.index.engine import Index, RankParams
from search.nlp.sentences import params_to_json, train_punkt
from search.nlp.sentiment import sentiment_score


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    pytest.importorskip("bm25s")
    pytest.importorskip("tantivy")
    out = tmp_path_factory.mktemp("bench-results")
    results = run.main(["--scale", "tiny", "--http", "off", "--out", str(out), "--runs", "1",
                        "--serving-runs", "1", "--rank-bm25-queries", "20", "--competitor-sample", "50"])
    return out, results


def test_quick_scale_harness_runs_and_writes_results(tiny_results):
    out, results = tiny_results
    saved = json.loads((out / "tiny.json").read_text())
    assert saved["build"]["counts"]["sentences"] == results["build"]["counts"]["sentences"]
    assert 250 <= saved["build"]["counts"]["sentences"] <= 350
    assert saved["build"]["artifact_mb"] > 0 and saved["build"]["peak_tree_rss_mb"] > 0
    assert saved["serving_process"]["cold_start_s"] > 0 and saved["serving_process"]["uss_mb"] > 0
    for qset in ("app", "known-item"):
        rows = {row["engine"].split(" (")[0]: row for row in saved["latency"][qset]}
        assert {"serving", "rank-bm25", "bm25s", "tantivy"} <= set(rows)
        for row in rows.values():
            assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] and row["qps"] > 0
        assert rows["serving"]["ratio_mean"] == 1
        # Same tokens, same BM25: rank-bm25 agrees with the serving engine on almost every hit.
        assert rows["rank-bm25"]["overlap"] >= 0.9


def test_synthetic_corpora_are_reproducible_and_sized():
    pool = corpora.SentencePool.load("starter")
    first = corpora.SyntheticCorpus(pool, 500, seed=7)
    again = corpora.SyntheticCorpus(pool, 500, seed=7)
    other = corpora.SyntheticCorpus(pool, 500, seed=8)
    assert sum(first.sizes) == 500
    assert [d.text for d in first] == [d.text for d in again]
    assert [d.text for d in first] != [d.text for d in other]
    assert first[-1] == first[len(first) - 1]


def test_http_helpers_write_ingestable_corpus_and_rotating_script(tmp_path):
    from search.document_files import parse_corpus_record

    docs = corpora.SyntheticCorpus(corpora.SentencePool.load("starter"), 60, seed=1)
    path = tmp_path / "c.jsonl.gz"
    http_load.write_jsonl(docs, path)
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        parsed = [parse_corpus_record(json.loads(line), "test") for line in handle]
    assert [p.text for p in parsed] == [d.text for d in docs]
    script = http_load.lua_script(["/api/search?q=a+b", "/api/search?q=c"], tmp_path / "r.lua").read_text()
    assert '"/api/search?q=a+b", "/api/search?q=c"' in script and "BENCH" in script


def test_sentiment_shortcut_is_exact():
    chunk_analysis._init_worker(params_to_json(train_punkt(["x"])))
    texts = [d.text for d in corpora.starter_records()]
    sentences = [s for text in texts for s in chunk_analysis._splitter.iter_split(text)]
    sentences += ["No problem at all.", "This is NOT good :(", "Great 🚀 launch", "kind of bad", "rug-pull!"]
    shortcut = sum(1 for s in sentences if s.isascii() and chunk_analysis._sentence_sentiment(s) == 0.0)
    assert shortcut > 0
    assert [chunk_analysis._sentence_sentiment(s) for s in sentences] == [sentiment_score(s) for s in sentences]


def test_chunked_counting_sort_equals_one_sort():
    rng = np.random.default_rng(3)
    n_terms, chunks, plain = 50, [], ([], [], [])
    row = 0
    for _ in range(7):
        size = int(rng.integers(0, 40))
        terms = rng.integers(0, n_terms, size=size).astype(np.int32)
        rows = np.sort(rng.integers(row, row + 30, size=size)).astype(np.int32)
        row += 30
        tfs = rng.integers(1, 5, size=size).astype(np.uint16)
        chunks.append((terms, rows, tfs))
        for part, values in zip(plain, (terms, rows, tfs)):
            part.append(values)
    new_id = rng.permutation(n_terms).astype(np.int32)
    expected = assembly.csc(new_id[np.concatenate(plain[0])], np.concatenate(plain[1]), np.concatenate(plain[2]), n_terms)
    got = assembly.csc_from_chunks(chunks, new_id, n_terms)
    for a, b in zip(expected, got):
        assert np.array_equal(a, b)


def test_packed_key_merge_equals_unique_and_bincount():
    rng = np.random.default_rng(11)
    for _ in range(20):
        k = int(rng.integers(2, 8))
        id_parts = [np.sort(rng.choice(5000, size=int(rng.integers(1, 900)), replace=False)).astype(np.int32) for _ in range(k)]
        weight_parts = [rng.random(len(ids)).astype(np.float32) * float(rng.integers(1, 3)) for ids in id_parts]
        candidates, inverse = np.unique(np.concatenate(id_parts), return_inverse=True)
        expected = np.bincount(inverse, weights=np.concatenate(weight_parts).astype(np.float64))
        got_ids, got_scores = Index._accumulate(id_parts, weight_parts)
        assert got_ids.dtype == np.int32
        assert np.array_equal(got_ids, candidates) and np.array_equal(got_scores, expected)  # bit for bit


def test_string_table_and_coins_read_back_what_was_written(tmp_path):
    docs = list(corpora.SyntheticCorpus(corpora.SentencePool.load("starter"), 200, seed=2))
    version, _ = build_index(docs, tmp_path, workers=1)
    index = Index(tmp_path / version)
    assert "".join(index.sentences[i] for i in range(index.sentence_count))
    assert [index.doc_slug[i] for i in range(index.document_count)] == [d.slug for d in docs]
    tagged = [sid for sid in range(index.sentence_count) if index.sentence_coins(sid)]
    assert tagged and all(set(index.sentence_coins(s)) <= set(index.coins) for s in tagged)
    assert Counter(index.term_id(t) >= 0 for t in ["bitcoin", "zzzz-unknown"]) == Counter({True: 1, False: 1})


def test_weights_for_other_k1_and_b_equal_build_formula_bit_for_bit(tmp_path):
    docs = list(corpora.SyntheticCorpus(corpora.SentencePool.load("starter"), 300, seed=4))
    version, _ = build_index(docs, tmp_path, workers=1)
    index = Index(tmp_path / version)
    for tid in range(0, len(index.term_hash), 7):
        start, end = int(index.post_ptr[tid]), int(index.post_ptr[tid + 1])
        for k1, b in ((0.9, 0.5), (1.2, 0.3), (2.0, 1.0)):
            expected = bm25.bm25_weights(float(index.term_idf[tid]), index.post_tf[start:end],
                                         index.sent_len[index.post_sent[start:end]], index.avgdl, k1, b)
            got = index._weights(start, end, tid, RankParams(k1=k1, b=b))
            assert np.array_equal(got, expected)


def test_repeated_http_points_report_medians_and_all_errors():
    runs = [{"connections": 32, "requests": n, "rps": rps, "errors": errors, "error_detail": {}, "p50_ms": p50, "p99_ms": p99}
            for n, rps, errors, p50, p99 in ((10, 100.0, 0, 1.0, 5.0), (20, 300.0, 2, 2.0, 3.0), (30, 200.0, 0, 3.0, 4.0))]
    point = http_load.median_point(runs)
    assert (point["rps"], point["p50_ms"], point["p99_ms"]) == (200.0, 2.0, 4.0)
    assert (point["requests"], point["errors"], point["rounds"]) == (60, 2, 3)
    assert http_load.median_point(runs[:1]) == runs[0]
