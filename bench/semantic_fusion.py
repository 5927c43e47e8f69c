"""Quality of the semantic signal: BM25's document ranking fused with document vectors by reciprocal rank fusion.

    python -m bench.semantic_fusion [--qrels FILE ...] [--questions FILE [--split dev]] [--index VERSION_DIR]

Builds the shared corpus plus the starter articles (ids `cryptosights-guides:<stem>`, as the site
gives them), with doc_vectors through the content-hash cache under --out, so only
the first run encodes) unless --index names a version built with vectors, then reports
document-level MRR@10 and hit@10 on each judged query file for:

- bm25: documents in the order of their best sentence under the shipped ranker (what the site shows
  and `manage.py evaluate` scores, evaluation.offline.document_ranking);
- semantic: documents by cosine similarity of their vector with the query's;
- rrf: both fused by reciprocal rank fusion, score(d) = sum over rankings of w / (K + rank), ranks
  from 1, K = 60 (the usual constant), over bm25's top DEPTH documents and the semantic ranking's
  top d, with the semantic ranking's weight w in a small grid (bm25's is 1). The grid is shown for information; the weight
  should be learned on a dev half only, by the tuner.

Relevant means grade >= 1 (files with a grade column: also grade 2 alone, "answer"). Also prints
the first encoding's time (from the build manifest) and query-encode latency. Needs ../shared.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.measure import KNOWN_ITEM_QUERIES, SHARED, percentile
from search.semantic.signal import RRF_K  # the site's rank share uses the same K

DEPTH = 100
WEIGHTS = (0.5, 1.0)
SEMANTIC_DEPTHS = (20, DEPTH)  # how many of the semantic ranking's documents take part in the fusion


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptosights_project.settings")
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="semantic-fusion-"))
    import django

    django.setup()


def rrf(rankings: list[list[str]], weights: list[float], k: int = RRF_K) -> list[str]:
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda doc: (-scores[doc], doc))


def build_shared(out: Path) -> Path:
    from bench.corpora import shared_records
    from search.index.build import build_index
    from search.rankers import DEFAULT

    from dataclasses import replace

    from bench.corpora import starter_records

    docs = shared_records()
    docs += [replace(d, key=len(docs) + d.key, slug=f"cryptosights-guides:{d.slug}") for d in starter_records()]
    start = time.perf_counter()
    version, manifest = build_index(docs, out / "index", workers=0, k1=DEFAULT.k1, b=DEFAULT.b, semantic_cache=out / "cache")
    semantic = manifest.get("semantic")
    if not semantic:
        raise SystemExit("the build made no vectors: is the model package installed? (see the log above)")
    print(f"build: {len(docs)} documents in {time.perf_counter() - start:.1f} s; semantic vectors: {semantic['encoded']} "
          f"passages encoded in {semantic['encode_seconds']:.1f} s ({semantic['encoded'] / max(semantic['encode_seconds'], 1e-9):.1f} "
          f"passages/s), {semantic['cached']} from the cache; timings {manifest['timings']}")
    return out / "index" / version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qrels", type=Path, action="append", help="judged queries (query<TAB>doc_id[<TAB>grade]); repeatable")
    parser.add_argument("--questions", type=Path, action="append", help="a question set (id, split, question, judgments)")
    parser.add_argument("--split", default="dev", help="the question set's half to measure (default dev)")
    parser.add_argument("--index", type=Path, help="an index version built with doc vectors (default: build one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "semantic")
    args = parser.parse_args()
    _setup_django()
    from evaluation.offline import document_ranking
    from evaluation.metrics import first_relevant_rank, reciprocal_rank
    from evaluation.qrels import load_judged_sets, load_qrels
    from search.index.engine import Index
    from search.rankers import DEFAULT
    from search.semantic import DocumentVectors, encode_query, semantic_top_documents

    if not (SHARED / "corpus").exists():
        raise SystemExit("needs ../shared (the shared corpus)")
    version_dir = args.index or build_shared(args.out)
    index = Index(version_dir)
    vectors = DocumentVectors.open(version_dir, index.document_count)
    if vectors is None:
        raise SystemExit(f"{version_dir} has no doc vectors")

    latencies, cpu = [], []
    files = [(path, load_qrels(path)) for path in args.qrels or ([] if args.questions else [KNOWN_ITEM_QUERIES])]
    files += [(f"{path} [{args.split}]", load_judged_sets(path, [args.split])[args.split]) for path in args.questions or []]
    for path, qrels in files:
        graded = any(grade > 1 for judged in qrels.values() for grade in judged.values())
        levels = {"grade>=1": 1, "grade=2": 2} if graded else {"relevant": 1}
        systems: dict[str, list[list[str]]] = {"bm25": [], "semantic": []}
        for query in qrels:
            systems["bm25"].append(document_ranking(index, query, DEFAULT, k=DEPTH))
            start, cpu_start = time.perf_counter(), time.process_time()
            encode_query(query)  # the first encoding of this query (memoised for the ranking below)
            latencies.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
            top = semantic_top_documents(vectors, query, DEPTH)
            systems["semantic"].append([index.doc_slug[int(d)] for d in top.docs])
        for depth in SEMANTIC_DEPTHS:
            for weight in WEIGHTS:
                systems[f"rrf w={weight} d={depth}"] = [
                    rrf([b, s[:depth]], [1.0, weight]) for b, s in zip(systems["bm25"], systems["semantic"])
                ]
        print(f"\n{path} ({len(qrels)} queries)")
        print(f"{'system':<18}" + "".join(f" {'MRR@10 ' + name:>18} {'hit@10':>7}" for name in levels))
        for name, rankings in systems.items():
            cells = ""
            for level in levels.values():
                pairs = [(reciprocal_rank(r, judged, min_grade=level), first_relevant_rank(r, judged, min_grade=level) is not None)
                         for r, judged in zip(rankings, qrels.values())]
                cells += f" {sum(p[0] for p in pairs) / len(pairs):>18.3f} {sum(p[1] for p in pairs) / len(pairs):>7.3f}"
            print(f"{name:<18}{cells}")
    print(f"\nquery encoding ({len(latencies)} queries, first encoding each): wall p50 {percentile(latencies, 50):.2f} ms, "
          f"p95 {percentile(latencies, 95):.2f} ms; CPU p50 {percentile(cpu, 50):.2f} ms, p95 {percentile(cpu, 95):.2f} ms")


if __name__ == "__main__":
    main()
