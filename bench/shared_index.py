"""The shared corpus's index for quality measurements, built once and reused.

    python bench/shared_index.py [--rebuild]

Kept under bench/results/cache/shared-index/ (git-ignored). A cached version that no longer
loads (another artifact format or analyzer) is rebuilt. Keys are the corpus line numbers, as
`manage.py ingest` would store them in an empty database.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpora import CACHE, shared_records  # noqa: E402
from search.index import artifact  # noqa: E402
from search.index.build import build_index  # noqa: E402
from search.index.engine import Index  # noqa: E402
from search.rankers import DEFAULT  # noqa: E402

INDEX_DIR = CACHE / "shared-index"


def shared_index(*, rebuild: bool = False, workers: int = 2, verbose: bool = True) -> Index:
    """The cached shared-corpus index (weights stored for the shipped ranker's k1 and b)."""
    versions = artifact.list_versions(INDEX_DIR)
    if versions and not rebuild:
        try:
            return Index(INDEX_DIR / versions[-1], verify_checksums=False)
        except artifact.ArtifactError as exc:
            if verbose:
                print(f"cached index unusable ({exc}); rebuilding", file=sys.stderr)
    shutil.rmtree(INDEX_DIR, ignore_errors=True)
    started = time.perf_counter()
    version, manifest = build_index(shared_records(), INDEX_DIR, workers=workers, k1=DEFAULT.k1, b=DEFAULT.b)
    if verbose:
        counts = manifest["counts"]
        print(f"built {counts['documents']} documents, {counts['sentences']} sentences in "
              f"{time.perf_counter() - started:.1f} s (timings {manifest['timings']})", file=sys.stderr)
    return Index(INDEX_DIR / version)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    index = shared_index(rebuild=args.rebuild)
    print(index.path, index.manifest["counts"])
