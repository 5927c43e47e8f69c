"""Index build throughput and memory: build one corpus into a directory, in a child process.

    python bench/build_bench.py --scale 1m --index-dir DIR --json OUT.json [--workers N] [--k1 K1 --b B]

run.py starts this as a separate process and samples the memory of it and its analysis
workers, so that the peak is the build's own, not the harness's. The corpus is made inside the
child, as the build would read it from the database.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpora import corpus_for  # noqa: E402
from search.index.build import build_index  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="shared")
    parser.add_argument("--sentences", type=int)
    parser.add_argument("--base")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--k1", type=float, default=1.5, help="the (k1, b) whose weights are stored")
    parser.add_argument("--b", type=float, default=0.75)
    args = parser.parse_args()
    from search.rankers import DEFAULT  # whole-document weights: only the shipped ranker reads them
    started = time.perf_counter()
    name, docs = corpus_for(args.scale, sentences=args.sentences, base=args.base, seed=args.seed)
    corpus_seconds = time.perf_counter() - started
    clock = time.perf_counter()
    version, manifest = build_index(docs, args.index_dir, workers=args.workers, k1=args.k1, b=args.b,
                                    doc_k1=DEFAULT.doc_k1 or None, doc_b=DEFAULT.doc_b or None)
    seconds = time.perf_counter() - clock
    counts = manifest["counts"]
    result = {
        "corpus": name,
        "version": version,
        "seconds": round(seconds, 2),
        "corpus_setup_seconds": round(corpus_seconds, 2),
        "sentences_per_second": round(counts["sentences"] / seconds, 1),
        "counts": counts,
        "timings": manifest["timings"],
        "artifact_bytes": sum(f["bytes"] for f in manifest["files"].values()),
        "files": {k: v["bytes"] for k, v in manifest["files"].items()},
        "parent_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
