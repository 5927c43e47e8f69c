"""Engine query latency over the original-app queries (single thread, one index version).

    python bench/engine_latency.py [--index DIR] [--queries N] [--repeat R]

DIR defaults to the active version under $DATA_DIR/index. Prints p50/p95/p99 in ms and queries/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.index.engine import Index, RankParams  # noqa: E402
from search.nlp.analyzer import analyze  # noqa: E402

QUERIES = ROOT.parent / "shared" / "queries" / "original-app-queries.tsv"


def load_queries(limit: int | None = None) -> list[str]:
    with open(QUERIES, encoding="utf-8") as handle:
        queries = [row["query"] for row in csv.DictReader(handle, delimiter="\t")]
    return queries[:limit] if limit else queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(index: Index, queries: list[str], repeat: int = 3, params: RankParams = RankParams(title_weight=1.0)) -> dict:
    for q in queries[:20]:  # warm the page cache and the stem memo
        index.rank(analyze(q), params=params)
    runs = []
    for _ in range(repeat):
        latencies = []
        for q in queries:
            start = time.perf_counter()
            index.rank(analyze(q), params=params)
            latencies.append((time.perf_counter() - start) * 1000)
        runs.append(latencies)
    medians = lambda p: statistics.median(percentile(run, p) for run in runs)  # noqa: E731
    return {
        "queries": len(queries), "repeat": repeat,
        "p50_ms": round(medians(50), 3), "p95_ms": round(medians(95), 3), "p99_ms": round(medians(99), 3),
        "qps": round(len(queries) / (statistics.median(sum(run) for run in runs) / 1000), 1),
    }


def active_version_dir() -> Path:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptosights_project.settings")
    import django

    django.setup()
    from django.conf import settings

    from search.models import IndexBuild

    return Path(settings.INDEX_DIR) / IndexBuild.objects.active().get().version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    index = Index(args.index or active_version_dir())
    result = {"sentences": index.sentence_count, **measure(index, load_queries(args.queries), args.repeat)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
