"""Cold start and memory of one serving process: map an index, answer queries, report USS.

    python bench/coldstart.py INDEX_VERSION_DIR QUERIES.json ['{"k1": 0.9, "b": 0.5, ...}']

Prints "ready" as soon as the first query is answered (the parent times process start to that
line), then runs every query once more, as a web worker would over time, and prints a JSON line
with its memory: USS (pages only this process holds: its real cost when several workers map
the same index), PSS and RSS (which counts the shared, memory-mapped index pages too).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from search.index.engine import Index
    from search.nlp.analyzer import analyze

    version_dir, queries_path = Path(sys.argv[1]), Path(sys.argv[2])
    queries = json.loads(queries_path.read_text(encoding="utf-8"))
    from search.index.engine import RankParams

    # The ranker's parameters come from the parent (bench/run.py), so that this process imports
    # only what a search needs, not Django.
    params = RankParams(**json.loads(sys.argv[3])) if len(sys.argv) > 3 else RankParams()
    index = Index(version_dir)  # verifies sizes and checksums, as a web worker does
    index.rank(analyze(queries[0]), params=params)
    print("ready", flush=True)
    for query in queries:
        index.rank(analyze(query), params=params)
    import os

    import psutil

    from bench.measure import private_memory_mb

    info = psutil.Process().memory_full_info()
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    print(json.dumps({"uss_mb": mb(info.uss), "pss_mb": mb(info.pss), "rss_mb": mb(info.rss),
                      **private_memory_mb(os.getpid())}), flush=True)


if __name__ == "__main__":
    main()
