#!/usr/bin/env python
"""All benchmarks for one corpus scale: build, serving process, query latency against other
engines, and HTTP. Prints markdown tables and writes bench/results/<corpus>.json.

    python bench/run.py --scale shared          # the shared corpus (make bench)
    python bench/run.py --scale 1m              # synthetic 1M sentences
    python bench/run.py --scale 5m              # synthetic 5M sentences, no HTTP
    python bench/run.py --scale tiny --http off # 300 sentences from the starter corpus (the test)

How long each takes, what each figure means and the results: docs/benchmarks.md.

Steps, in order:
1. build    bench/build_bench.py in a child process (its memory sampled with its workers).
2. serving  bench/coldstart.py in fresh processes: process start → first answer; USS.
3. latency  the original-app and known-item queries, analysed once, against the serving engine
            (pure BM25, and the shipped ranker's engine parameters, search.rankers.DEFAULT), bm25s,
            tantivy and rank-bm25 on the same tokens. rank-bm25 runs on a query sample and up
            to --rank-bm25-max sentences (prefixes of the corpus); beyond, its latency is
            extrapolated with a power law fitted through the sizes it ran at.
4. http     bench/http_load.py: migrate + ingest + reindex into a temporary DATA_DIR, gunicorn
            with the project's gunicorn.conf.py on 127.0.0.1, wrk at 1, 8 and 32 clients.
Latency figures are the median over --runs passes of each pass's percentile.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from bench import engines as eng  # noqa: E402
from bench import http_load, measure, report  # noqa: E402
from bench.corpora import SHARED_CORPUS, corpus_for  # noqa: E402
from search.index.engine import Index, RankParams  # noqa: E402
from search.nlp.analyzer import analyze  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ALL_ENGINES = ("serving", "rank-bm25", "bm25s", "tantivy")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = psutil.virtual_memory().total / 2**30
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(), "numpy": np.__version__,
        "summary": f"{os.cpu_count()} cores {cpu}, {memory_gib:.0f} GiB",
    }


# --- 1. build -------------------------------------------------------------------------------


def bench_build(args, index_root: Path) -> tuple[dict, Path]:
    runs, version_dir = [], None
    for run in range(args.build_runs):
        target = index_root / f"run{run}"
        out = index_root / f"build{run}.json"
        command = [sys.executable, str(ROOT / "bench" / "build_bench.py"), "--scale", args.scale,
                   "--index-dir", str(target), "--json", str(out), "--workers", str(args.workers), "--seed", str(args.seed)]
        if args.weights == "shipped":
            params, _ = shipped_params()
            command += ["--k1", str(params.k1), "--b", str(params.b)]
        if args.sentences:
            command += ["--sentences", str(args.sentences)]
        if args.base:
            command += ["--base", args.base]
        child = subprocess.Popen(command, cwd=ROOT)
        with measure.TreeMemorySampler(child.pid) as sampler:
            if child.wait() != 0:
                raise RuntimeError(f"build failed with exit code {child.returncode}")
        result = {**json.loads(out.read_text()), **sampler.result()}
        log(f"  build {run + 1}/{args.build_runs}: {result['seconds']} s, {result['counts']['sentences']:,} sentences, "
            f"peak tree RSS {result['peak_tree_rss_mb']} MB")
        if version_dir is not None:
            shutil.rmtree(version_dir.parent, ignore_errors=True)  # keep only the last build
        version_dir = target / result["version"]
        runs.append(result)
    last = runs[-1]
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    artifact_mb = last["artifact_bytes"] / 2**20
    summary = {
        "runs": len(runs), "counts": last["counts"], "timings": last["timings"],
        "seconds": round(med("seconds"), 1), "sentences_per_second": round(med("sentences_per_second")),
        "peak_tree_rss_mb": med("peak_tree_rss_mb"), "peak_tree_pss_mb": med("peak_tree_pss_mb"),
        "peak_parent_rss_mb": med("peak_parent_rss_mb"),
        "artifact_mb": round(artifact_mb, 1),
        "mb_per_million_sentences": round(artifact_mb / max(1, last["counts"]["sentences"]) * 1e6, 1),
        "files_mb": {k: round(v / 2**20, 2) for k, v in sorted(last["files"].items(), key=lambda kv: -kv[1])[:8]},
        "all_runs": runs,
    }
    return summary, version_dir


# --- 2. one serving process -----------------------------------------------------------------


def bench_serving_process(version_dir: Path, queries: list[str], runs: int, workdir: Path) -> dict:
    queries_file = workdir / "queries.json"
    queries_file.write_text(json.dumps(queries))
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        params = json.dumps(dataclasses.asdict(shipped_params()[0]))
        child = subprocess.Popen([sys.executable, str(ROOT / "bench" / "coldstart.py"), str(version_dir), str(queries_file), params],
                                 cwd=ROOT, stdout=subprocess.PIPE, text=True)
        first = child.stdout.readline()
        cold = time.perf_counter() - started
        if first.strip() != "ready":
            raise RuntimeError(f"coldstart.py said {first!r}")
        memory = json.loads(child.stdout.readline())
        child.wait()
        results.append({"cold_start_s": cold, **memory})
    med = lambda key: round(statistics.median(r.get(key, 0) for r in results), 3)  # noqa: E731
    return {"runs": runs, "cold_start_s": med("cold_start_s"), "uss_mb": med("uss_mb"), "pss_mb": med("pss_mb"),
            "rss_mb": med("rss_mb"), "anon_mb": med("anon_mb"), "private_file_mb": med("private_file_mb"),
            "all_runs": results}


# --- 3. latency against other engines ---------------------------------------------------------


def shipped_params() -> tuple[RankParams, str]:
    """The engine parameters of the ranker the site ships (search.rankers.DEFAULT), and a label.

    Only what the engine sees: k1, b, title weight, minimum terms, two hits a document, and the
    whole-document evidence. Coin alias expansions, spelling and identifiers named in the query
    happen above the engine (and in the HTTP benchmark).
    """
    try:
        from search.rankers import DEFAULT

        params = DEFAULT.rank_params
    except Exception:  # an older checkout without rankers: the previous default
        params = RankParams(title_weight=1.0)
    label = f"k1 {params.k1:g}, b {params.b:g}, title {params.title_weight:g}"
    if getattr(params, "min_terms", 0):
        label += f", ≥{params.min_terms} terms"
    if getattr(params, "doc_weight", 0):  # whole-document evidence (search/index/fusion.py)
        label += (f", document {params.doc_weight:g}, authority {params.authority_weight:g}, "
                  f"roles {params.role_weight:g}, sections {params.section_weight:g}"
                  + (", duplicates once" if params.collapse_duplicates else ""))
    return params, label + ", 2 a document"


def _sample(items: list, n: int | None) -> list:
    """Every k-th item, n in all (deterministic, spread over the list)."""
    if n is None or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _overlap(a: list[list[int]], b: list[list[int]]) -> float:
    """Mean share of the reference's top 10 that the other engine also returns."""
    shares = [len(set(x) & set(y)) / len(y) for x, y in zip(a, b) if y]
    return round(statistics.fmean(shares), 3) if shares else None


def bench_latency(args, index: Index, queries: dict[str, list[str]], workdir: Path) -> tuple[dict, list]:
    terms = {name: [t for t in (analyze(q) for q in qs) if t] for name, qs in queries.items()}
    n = index.sentence_count
    pure = eng.Serving(index)
    shipped, label = shipped_params()
    app = eng.Serving(index, shipped, per_doc=2)
    rows: dict[str, list[dict]] = {name: [] for name in terms}
    reference: dict[str, list[list[int]]] = {}
    for name, qterms in terms.items():
        stats = measure.latency_runs(pure.search, qterms, args.runs)
        rows[name].append({"engine": "serving", **stats})
        reference[name] = [pure.search(t) for t in qterms]
        stats = measure.latency_runs(app.search, qterms, args.runs)
        rows[name].append({"engine": f"serving, shipped ranker ({label})", **stats})
        raw = queries[name]
        stats = measure.latency_runs(lambda q: app.search(analyze(q)), raw, args.runs)
        rows[name].append({"engine": "serving, shipped ranker + analysis", **stats})
        log(f"  serving {name}: p50 {rows[name][0]['p50_ms']} ms, p95 {rows[name][0]['p95_ms']} ms")
    others = [e for e in args.engines if e != "serving"]
    builds = []
    if not others:
        return _with_ratios(rows), builds
    log(f"  reading {n:,} sentences' tokens back from the postings")
    tokens = eng.sentence_tokens(index)
    runs = args.competitor_runs
    for name in others:
        if name == "rank-bm25":
            builds += _bench_rank_bm25(args, index, tokens, terms, rows, reference)
            continue
        log(f"  {name}: building on {n:,} sentences")
        engine = eng.BM25S(tokens) if name == "bm25s" else eng.Tantivy(tokens)
        builds.append({"engine": name, "sentences": n, "build_s": round(engine.build_seconds, 1),
                       "disk_mb": round(engine.disk_bytes / 2**20, 1),
                       "note": "defaults (method lucene, k1 1.5, b 0.75)" if name == "bm25s" else "whitespace tokenizer, freq postings"})
        timed = getattr(engine, "search_timed_part", engine.search)
        for qset, qterms in terms.items():
            sample = _sample(qterms, args.competitor_sample)
            stats = measure.latency_runs(timed, sample, runs)
            ids = [engine.search(t) for t in sample]
            rows[qset].append({"engine": name, **stats, "overlap": _overlap(ids, _sample(reference[qset], args.competitor_sample))})
            log(f"  {name} {qset}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms")
        if hasattr(engine, "close"):
            engine.close()
        del engine
    return _with_ratios(rows), builds


def _with_ratios(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Each engine's latency divided by the serving engine's (pure BM25, first row)."""
    for table_rows in rows.values():
        base = table_rows[0]
        for row in table_rows:
            if "ratio_mean_same_sample" in row:  # rank-bm25 ran on a sample: compare on that sample
                row["ratio_mean"], row["ratio_p50"] = row["ratio_mean_same_sample"], row["ratio_p50_same_sample"]
                continue
            row["ratio_mean"] = round(row["mean_ms"] / base["mean_ms"], 2) if base["mean_ms"] else None
            row["ratio_p50"] = round(row["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None
    return rows


def _bench_rank_bm25(args, index, tokens, terms, rows, reference) -> list[dict]:
    """rank-bm25 at up to two corpus prefixes (n/4 and n, capped); extrapolated beyond the cap."""
    n = len(tokens)
    top = min(n, args.rank_bm25_max)
    sizes = sorted({max(1, top // 4), top})
    builds, measured = [], {}
    for size in sizes:
        log(f"  rank-bm25: building on the first {size:,} sentences")
        engine = eng.RankBM25(tokens[:size])
        builds.append({"engine": "rank-bm25", "sentences": size, "build_s": round(engine.build_seconds, 1),
                       "note": "in memory (Python objects)"})
        qcount = args.rank_bm25_queries or (100 if top <= 250_000 else 30)  # one sample for every size
        for qset, qterms in terms.items():
            sample = _sample(qterms, qcount)
            stats = measure.latency_runs(engine.search, sample, 1, warmup=2)
            # The serving engine on the same prefix is not available; compare on the same queries at full n.
            measured[(qset, size)] = (stats, [engine.search(t) for t in sample] if size == n else None)
        del engine
    pure = eng.Serving(index)
    for qset, qterms in terms.items():
        sample = _sample(qterms, args.rank_bm25_queries or (100 if top <= 250_000 else 30))
        serving_stats = measure.latency_runs(pure.search, sample, args.runs)
        stats, ids = measured[(qset, top)]
        if top == n:
            row = {"engine": "rank-bm25", **stats,
                   "overlap": _overlap(ids, [pure.search(t) for t in sample])}
        else:
            row = {"engine": f"rank-bm25 (extrapolated from {', '.join(f'{s:,}' for s in sizes)})", "queries": stats["queries"],
                   "runs": 0, "extrapolated": True}
            for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms"):
                fit = measure.fit_power_law([(s, measured[(qset, s)][0][key]) for s in sizes])
                row[key] = round(fit[0] * n ** fit[1], 1) if fit else None
                row[f"{key}_exponent"] = round(fit[1], 2) if fit else None
            row["qps"] = round(1000 / row["mean_ms"], 2) if row.get("mean_ms") else None
        # Ratios against the serving engine on the very same query sample.
        row["serving_on_sample"] = serving_stats
        row["ratio_mean_same_sample"] = round(row["mean_ms"] / serving_stats["mean_ms"], 1) if row.get("mean_ms") else None
        row["ratio_p50_same_sample"] = round(row["p50_ms"] / serving_stats["p50_ms"], 1) if row.get("p50_ms") else None
        row["measured_at"] = {f"{s}": measured[(qset, s)][0] for s in sizes}
        rows[qset].append(row)
        log(f"  rank-bm25 {qset}: p50 {row['p50_ms']} ms ({row['ratio_p50_same_sample']}× serving on the same sample)")
    return builds


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--scale", default="shared", help="shared, tiny, 1m or 5m (default shared)")
    parser.add_argument("--sentences", type=int, help="a synthetic corpus of this many sentences (any scale name)")
    parser.add_argument("--base", choices=("shared", "starter"), help="base corpus of synthetic corpora")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--engines", default=",".join(ALL_ENGINES), help="comma-separated subset of " + ", ".join(ALL_ENGINES))
    parser.add_argument("--runs", type=int, default=3, help="passes over the queries for the serving engine (median)")
    parser.add_argument("--build-runs", type=int, default=1, help="builds (median)")
    parser.add_argument("--serving-runs", type=int, default=3, help="cold starts (median)")
    parser.add_argument("--competitor-runs", type=int, default=1, help="passes for bm25s and tantivy")
    parser.add_argument("--competitor-sample", type=int, help="queries per set for bm25s/tantivy (default: all)")
    parser.add_argument("--rank-bm25-max", type=int, default=1_000_000, help="largest prefix rank-bm25 indexes")
    parser.add_argument("--rank-bm25-queries", type=int, help="queries per set for rank-bm25 (default 100, 30 above 250k)")
    parser.add_argument("--workers", type=int, default=0, help="build workers (0: one per core)")
    parser.add_argument("--weights", choices=("bm25", "shipped"), default="bm25",
                        help="the (k1, b) whose weights the build stores: rank-bm25's (the engine comparisons) "
                             "or the shipped ranker's, as `reindex` does (then plain BM25 re-weights per query)")
    parser.add_argument("--http", choices=("auto", "on", "off"), default="auto", help="auto: on up to 1.5M sentences")
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--http-rounds", type=int, default=3, help="alternating trivial/search rounds at the highest concurrency (median)")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the built index and the HTTP DATA_DIR")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ALL_ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
    started = time.perf_counter()
    results: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                     "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                     "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    try:
        log(f"[1/4] build ({args.scale})")
        results["build"], version_dir = bench_build(args, workdir / "index")
        results["corpus"] = f"{args.scale}: {results['build']['counts']['sentences']:,} sentences"
        queries = measure.query_sets()
        log("[2/4] serving process: cold start and memory")
        results["serving_process"] = bench_serving_process(version_dir, queries["app"], args.serving_runs, workdir)
        log("[3/4] query latency")
        index = Index(version_dir)
        results["latency"], results["engines_build"] = bench_latency(args, index, queries, workdir)
        http = args.http == "on" or (args.http == "auto" and index.sentence_count <= 1_500_000)
        if http and args.http == "auto" and shutil.which("wrk") is None:
            log("wrk is not installed (Debian: apt-get install -y wrk): HTTP skipped")
            http = False
        del index
        if http:
            log("[4/4] HTTP")
            corpus_path = SHARED_CORPUS if args.scale == "shared" and not args.sentences and SHARED_CORPUS.exists() else None
            if corpus_path is None:
                corpus_path = workdir / "corpus.jsonl.gz"
                _, docs = corpus_for(args.scale, sentences=args.sentences, base=args.base, seed=args.seed)
                http_load.write_jsonl(docs, corpus_path)
            results["http"] = http_load.run(corpus_path, queries["app"], seconds=args.http_seconds, rounds=args.http_rounds,
                                            concurrencies=[int(c) for c in args.concurrency.split(",")], log=log)
            trivial = {p["connections"]: p["rps"] for p in results["http"]["points"] if p["target"] == "trivial"}
            for point in results["http"]["points"]:
                if point["target"].startswith("search") and trivial.get(point["connections"]):
                    point["ratio"] = round(point["rps"] / trivial[point["connections"]], 2)
        else:
            log("[4/4] HTTP skipped")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    name = args.scale if not args.sentences else f"synthetic-{args.sentences}"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    text = json.dumps(results, indent=1)
    (args.out / f"{name}.json").write_text(text)
    (args.out / f"{name}-{stamp}.json").write_text(text)
    print(report.render(results))
    print(f"\n(results: {args.out / (name + '.json')}; {results['wall_seconds']} s)")
    return results


if __name__ == "__main__":
    main()
