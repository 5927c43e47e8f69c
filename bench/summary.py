#!/usr/bin/env python
"""One table across scales, and the issue's targets, from bench/results/{shared,1m,5m}.json.

    python bench/summary.py [--results DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _row(rows: list[dict], prefix: str) -> dict | None:
    return next((r for r in rows if r["engine"].startswith(prefix)), None)


def load(directory: Path) -> dict[str, dict]:
    found = {}
    for scale in ("shared", "1m", "5m"):
        path = directory / f"{scale}.json"
        if path.exists():
            found[scale] = json.loads(path.read_text())
    return found


def scale_table(results: dict[str, dict]) -> str:
    from bench.report import table

    rows = []
    for scale, r in results.items():
        b, s, app = r["build"], r["serving_process"], r["latency"]["app"]
        serving, tantivy, bm25s, rank = _row(app, "serving"), _row(app, "tantivy"), _row(app, "bm25s"), _row(app, "rank-bm25")
        http = r.get("http") or {}
        at32 = next((p for p in http.get("points", []) if p["target"] == "search" and p["connections"] == 32), None)
        uss = max((w["uss_mb"] for w in http.get("worker_memory", [])), default=None)
        rows.append([
            scale, b["counts"]["sentences"], b["seconds"], b["peak_tree_rss_mb"], b["artifact_mb"],
            serving["p50_ms"], serving["p95_ms"],
            _row(app, "serving, shipped ranker (")["p95_ms"],
            tantivy and tantivy["p95_ms"], bm25s and bm25s["p95_ms"],
            rank and rank["mean_ms"], rank and rank["ratio_mean"],
            s["cold_start_s"], s["uss_mb"], uss,
            at32 and at32["rps"], at32 and at32["ratio"], at32 and at32["p99_ms"],
        ])
    return table(
        ["scale", "sentences", "build s", "build peak RSS MB", "artifact MB", "p50 ms", "p95 ms",
         "p95 ms shipped ranker", "tantivy p95 ms", "bm25s p95 ms", "rank-bm25 mean ms", "rank-bm25 ÷ serving (mean)",
         "cold start s", "engine process USS MB", "gunicorn worker USS MB", "/api/search req/s at 32", "÷ trivial",
         "p99 ms at 32"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(ROOT))
    results = load(args.results)
    if not results:
        raise SystemExit(f"no results in {args.results}; run bench/run.py first")
    print(scale_table(results))
    for scale, r in results.items():
        print(f"{scale}: {r['date']}, {r['machine']['summary']}, load average {r['load_average_start']} → {r['load_average_end']}")


if __name__ == "__main__":
    main()
