"""The shared corpus's index for quality measurements, built once and reused.

    python bench/shared_index.py [--rebuild] [--starter]

Kept under bench/results/cache/shared-index/ (git-ignored). A cached version that no longer
loads (another artifact format or analyzer) is rebuilt. Keys are the corpus line numbers, as
`manage.py ingest` would store them in an empty database. With `starter`, the starter articles
are indexed too, as the site loads them (ids `cryptosights-guides:<file stem>`): the question set
judges some of them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpora import CACHE, shared_records, starter_records  # noqa: E402
from search.index import artifact  # noqa: E402
from search.index.build import DocRecord, build_index  # noqa: E402
from search.index.engine import Index  # noqa: E402
from search.rankers import DEFAULT  # noqa: E402

INDEX_DIR = CACHE / "shared-index"


def _records(starter: bool) -> list[DocRecord]:
    records = shared_records()
    if starter:
        offset = len(records)
        records += [DocRecord(offset + r.key, f"{r.source}:{r.slug}", r.title, r.url, r.source, r.published, r.text)
                    for r in starter_records()]
    return records


def shared_index(*, rebuild: bool = False, workers: int = 2, verbose: bool = True, starter: bool = False) -> Index:
    """The cached shared-corpus index (weights stored for the shipped ranker's k1 and b)."""
    directory = INDEX_DIR.with_name(INDEX_DIR.name + ("-starter" if starter else ""))
    versions = artifact.list_versions(directory)
    if versions and not rebuild:
        try:
            return Index(directory / versions[-1], verify_checksums=False)
        except artifact.ArtifactError as exc:
            if verbose:
                print(f"cached index unusable ({exc}); rebuilding", file=sys.stderr)
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    from search.semantic import model_installed

    # Document vectors too when the model is installed, encoded once and then read from the cache.
    semantic_cache = CACHE / "semantic-cache" if model_installed() else None
    version, manifest = build_index(_records(starter), directory, workers=workers, k1=DEFAULT.k1, b=DEFAULT.b,
                                    doc_k1=DEFAULT.doc_k1 or None, doc_b=DEFAULT.doc_b or None,
                                    semantic_cache=semantic_cache)
    if verbose:
        counts = manifest["counts"]
        print(f"built {counts['documents']} documents, {counts['sentences']} sentences in "
              f"{time.perf_counter() - started:.1f} s (timings {manifest['timings']})", file=sys.stderr)
    return Index(directory / version)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--starter", action="store_true", help="the starter articles too")
    args = parser.parse_args()
    index = shared_index(rebuild=args.rebuild, starter=args.starter)
    print(index.path, index.manifest["counts"])
