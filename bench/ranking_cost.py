"""The whole ranking's cost, semantic part included, at a synthetic scale (default 1M sentences).

    python bench/ranking_cost.py [--sentences 1000000] [--queries 200] [--repeat 3]

Builds (once, cached under bench/results/cache/ranking-cost-N/) a synthetic corpus's index with
the shipped ranker's stored weights, then times `search.query_ranking.rank_request` (what a search runs:
query analysis, identifiers, the named document signals, the engine and the fusion) for the
original-app queries, single thread, with the shipped ranker and with its semantic and settled
parts off. Encoding a synthetic corpus's documents would take hours and its vectors would mean
nothing, so the version gets random unit vectors of the real shape (documents x 2 x 384 float32,
memory-mapped like real ones): the cost of scoring them is that of real vectors. The query's own
encoding is timed apart, uncached (the site memoises it per process for repeated queries), and
with the ranking of a question the worker has not seen (the whole cost of a new question).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpora import CACHE, corpus_for  # noqa: E402
from bench.engine_latency import load_queries, percentile  # noqa: E402
from search.index import artifact  # noqa: E402
from search.index.build import build_index  # noqa: E402
from search.index.engine import Index  # noqa: E402
from search.query_ranking import rank_request  # noqa: E402
from search.rankers import DEFAULT  # noqa: E402
from search.search_request import SearchRequest  # noqa: E402
from search.semantic import ranking as semantic_ranking  # noqa: E402
from search.semantic.build import PASSAGES, VECTORS  # noqa: E402
from search.semantic.model import DIMENSIONS  # noqa: E402


def scaled_index(sentences: int) -> Index:
    directory = CACHE / f"ranking-cost-{sentences}"
    versions = artifact.list_versions(directory)
    if not versions:
        _, docs = corpus_for("synthetic", sentences=sentences)
        started = time.perf_counter()
        build_index(docs, directory, workers=2, k1=DEFAULT.k1, b=DEFAULT.b, doc_k1=DEFAULT.doc_k1 or None,
                    doc_b=DEFAULT.doc_b or None)
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        versions = artifact.list_versions(directory)
    version_dir = directory / versions[-1]
    index = Index(version_dir, verify_checksums=False)
    path = version_dir / f"{VECTORS}.npy"
    if not path.exists():  # random unit vectors of the real shape (see the module's docstring)
        vectors = np.random.default_rng(0).standard_normal((index.document_count, PASSAGES, DIMENSIONS), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
        np.save(path, vectors, allow_pickle=False)
    return index


def timed(fn, queries: list[str], repeat: int) -> tuple[float, float]:
    p50s, p95s = [], []
    for _ in range(repeat):
        times = []
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    return statistics.median(p50s), statistics.median(p95s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    index = scaled_index(args.sentences)
    index.spelling.ready(wait=True)
    queries = load_queries(args.queries)
    print(f"{index.manifest['counts']['sentences']:,} sentences, {index.document_count:,} documents; "
          f"{len(queries)} queries x {args.repeat}")
    for q in queries:  # encode every query once: the rows below are the ranking with a memoised query vector
        semantic_ranking.encode_query(q)

    def encode_uncached(q):
        semantic_ranking._query_vectors.clear()
        semantic_ranking.encode_query(q)

    def rank_uncached(q):  # a question this worker has not seen: its encoding is part of the ranking
        semantic_ranking._query_vectors.clear()
        rank_request(index, SearchRequest(q=q), DEFAULT)

    rows = [
        ("query encoding (uncached)", encode_uncached),
        (f"whole ranking, {DEFAULT.name}, query encoding uncached", rank_uncached),
        (f"whole ranking, {DEFAULT.name}", lambda q: rank_request(index, SearchRequest(q=q), DEFAULT)),
        ("whole ranking, without semantic", lambda q: rank_request(
            index, SearchRequest(q=q), DEFAULT.with_changes(name="no-semantic", semantic_weight=0.0))),
        ("whole ranking, without semantic and settled", lambda q: rank_request(
            index, SearchRequest(q=q), DEFAULT.with_changes(name="bm25-only-parts", semantic_weight=0.0, settled_weight=0.0))),
    ]
    print("| what | p50 ms | p95 ms |")
    print("| --- | --- | --- |")
    for label, fn in rows:
        p50, p95 = timed(fn, queries, args.repeat)
        print(f"| {label} | {p50:.2f} | {p95:.2f} |", flush=True)


if __name__ == "__main__":
    main()
