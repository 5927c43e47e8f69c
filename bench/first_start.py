"""How long a new deployment takes to search the specifications: `python run.py` with
DEFAULT_SOURCES=1, the default set pointed (DEFAULT_SOURCES_BASE) at local copies of realistic size
served on 127.0.0.1: the shared corpus's EIPs, ERCs, BIPs and BOLTs written back into their
repositories' formats as GitHub-shaped .tar.gz archives, and the five news feeds with articles.

    python bench/first_start.py [--articles-per-feed N] [--data-dir DIR]

Prints the archives' sizes and the time from the start command to: the first answer (starter
corpus), the specifications searchable (every one counted in /api/stats) and everything searchable
(the feeds' articles too). Production settings otherwise (rebuild delay, build workers, host delay).
Needs ../shared/corpus/crypto-docs.jsonl.gz.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles-per-feed", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args()
    # A SIGTERM (timeout, Ctrl-C in a pipeline) still stops the started site: finally blocks run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptosights_project.settings")
    django.setup()
    from tests.crawl_site.server import Site
    from tests.live_copies import SHARED_CORPUS, corpus_specs, serve_live_copies
    from tests.stack import Stack, wait_for

    if not SHARED_CORPUS.exists():
        sys.exit(f"needs {SHARED_CORPUS}")
    specs = corpus_specs()
    site = Site().start()
    copies = serve_live_copies(site, specs=specs, articles_per_feed=args.articles_per_feed)
    print("| archive | files | compressed |")
    print("| --- | --- | --- |")
    for path in copies.archive_paths:
        repo = "/".join(path.split("/")[2:4])
        print(f"| {repo} | {len(specs[repo]):,} | {len(site.files[path][0]) / 1e6:.1f} MB |")
    for name, why in copies.unreadable.items():
        print(f"(the parser refuses {name}: {why})")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="first-start-"))
    env = dict(DEFAULT_SOURCES="1", DEFAULT_SOURCES_BASE=site.base, CRAWL_ALLOW_PRIVATE="1",
               INDEX_REBUILD_DELAY_SECONDS="10", INDEX_BUILD_WORKERS="0", CRAWL_HOST_DELAY_SECONDS="1")
    started = time.monotonic()
    stack = Stack(data_dir, **env)
    marks: dict[str, float] = {}
    try:
        def stats() -> dict:
            return requests.get(f"{stack.url}/api/stats", timeout=10).json()

        wait_for(lambda: stack.search("proof of stake")["total"] > 0, 300, "the first answer", interval=0.2)
        marks["first answer (starter corpus)"] = time.monotonic() - started
        base = stats()["documents"]
        specs_total = base + len(copies.spec_ids)
        wait_for(lambda: stats()["documents"] >= specs_total, 1800, "the specifications", interval=1)
        marks[f"specifications searchable ({len(copies.spec_ids):,})"] = time.monotonic() - started
        everything = specs_total + len(copies.article_urls)
        wait_for(lambda: stats()["documents"] >= everything, 1800, "the articles", interval=1)
        marks[f"articles searchable too ({len(copies.article_urls)})"] = time.monotonic() - started
        final = stats()
    finally:
        stack.process.terminate()
        stack.process.wait(timeout=30)
        stack.log.close()
        site.stop()
    print("\n| from `python run.py` to | seconds |")
    print("| --- | --- |")
    for what, seconds in marks.items():
        print(f"| {what} | {seconds:.1f} |")
    print(f"\nindex: {final['documents']:,} documents, {final['sentences']:,} sentences; log: {data_dir / 'stack.log'}")


if __name__ == "__main__":
    main()
