"""Known-item quality of the ranking components, each on and off (an ablation table).

    python bench/answer_quality.py [--qrels FILE] [--rebuild] [--only NAME,...]

Runs the site's ranking (evaluation.offline, document level, as `manage.py evaluate` does) over
judged queries, default ../shared/eval/known-item-dev.tsv, on the shared corpus's index
(bench/shared_index.py), for: the previous shipped ranker, the new default, and the new default
with each component turned off, then the previous ranker with each component turned on alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.shared_index import shared_index  # noqa: E402
from evaluation.offline import evaluate  # noqa: E402
from evaluation.qrels import load_qrels  # noqa: E402
from search.rankers import DEFAULT, PREVIOUS_DEFAULT, RankerConfig  # noqa: E402

QRELS = ROOT.parent / "shared" / "eval" / "known-item-dev.tsv"
OFF = {  # how each component is turned off
    "identifier": {"identifier_weight": 0.0},
    "roles": {"role_weight": 1.0},
    "section": {"section_weight": 0.0},
    "duplicates": {"collapse_duplicates": False},
    "document": {"doc_weight": 0.0, "doc_k1": 0.0, "doc_b": 0.0},
    "authority": {"authority_weight": 0.0},
    "title": {"title_weight": 0.0},
    "semantic": {"semantic_weight": 0.0},
    "settled": {"settled_weight": 0.0},
}


def variants() -> list[tuple[str, RankerConfig]]:
    out = [("previous default (bm25-tuned-v1)", PREVIOUS_DEFAULT), (f"new default ({DEFAULT.name})", DEFAULT)]
    for name, changes in OFF.items():
        if any(getattr(DEFAULT, k) != v for k, v in changes.items()):
            out.append((f"new default without {name}", DEFAULT.with_changes(name=f"no-{name}", **changes)))
    for name, changes in OFF.items():
        on = {k: getattr(DEFAULT, k) for k in changes}
        if any(getattr(PREVIOUS_DEFAULT, k) != v for k, v in on.items()):
            out.append((f"previous + {name} only", PREVIOUS_DEFAULT.with_changes(name=f"only-{name}", **on)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--split", choices=["dev", "test"], help="only this half of a question set")
    parser.add_argument("--starter", action="store_true",
                        help="index the starter articles too (the question set judges some of them)")
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                        help="evaluate the new default with these changes only (repeatable)")
    args = parser.parse_args()
    index = shared_index(rebuild=args.rebuild, starter=args.starter)
    index.spelling.ready(wait=True)
    qrels = load_qrels(args.qrels, splits=[args.split] if args.split else None)
    rows = variants()
    if args.set:
        changes = {}
        for item in args.set:
            key, value = item.split("=", 1)
            default = getattr(DEFAULT, key)
            changes[key] = value.lower() in ("1", "true") if isinstance(default, bool) else type(default)(value)
        rows = [(f"new default with {changes}", DEFAULT.with_changes(name="custom", **changes))]
    print(f"{args.qrels.name}: {len(qrels)} queries; index {index.version}")
    print("| ranker | nDCG@10 | MRR@10 | hit@10 | ms/query |")
    print("| --- | --- | --- | --- | --- |")
    for label, config in rows:
        started = time.perf_counter()
        m = evaluate(index, qrels, config).metrics
        per_query = (time.perf_counter() - started) * 1000 / max(1, len(qrels))
        print(f"| {label} | {m['ndcg10']:.3f} | {m['mrr10']:.3f} | {m['hit10']:.3f} | {per_query:.1f} |", flush=True)


if __name__ == "__main__":
    main()
