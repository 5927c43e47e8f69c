"""A new deployment fills itself: `python run.py` with DEFAULT_SOURCES=1, the default set pointed at
local copies (DEFAULT_SOURCES_BASE), answers from the starter corpus at once, says on the home page
what it is fetching, and ends up serving every specification in the archives and every article of
the feeds, with no manual step."""

import time

import pytest
import requests

from .crawl_site.server import Site
from .live_copies import generated_specs, serve_live_copies
from .stack import running_stack, wait_for

pytestmark = pytest.mark.integration


def test_first_start_serves_every_specification_and_article_with_no_manual_step(tmp_path):
    site = Site().start()
    copies = serve_live_copies(site, specs=generated_specs({"eips": 5, "ercs": 5, "bips": 4, "bolts": 3}))
    env = dict(DEFAULT_SOURCES="1", DEFAULT_SOURCES_BASE=site.base, CRAWL_ALLOW_PRIVATE="1",
               CRAWL_HOST_DELAY_SECONDS="0", CRAWL_RETRIES="0", CRAWL_TIMEOUT_SECONDS="5")
    started = time.monotonic()
    try:
        with running_stack(tmp_path / "data", **env) as stack:
            starter = stack.search("proof of stake")
            assert starter["total"] > 0  # the starter corpus answers at once
            assert "Live sources" in requests.get(f"{stack.url}/", timeout=5).text

            def stats():
                return requests.get(f"{stack.url}/api/stats", timeout=5).json()

            first = stats()["documents"]
            expected = first + len(copies.spec_ids) + len(copies.article_urls)
            wait_for(lambda: stats()["documents"] >= expected, 300, f"{expected} documents in the index", interval=2)
            elapsed = time.monotonic() - started
            assert stats()["documents"] == expected

            for doc_id, marker in {**copies.spec_ids, **copies.article_urls}.items():
                hits = stack.search(marker)["hits"]
                assert hits, f"{doc_id}: nothing found for {marker}"
                found = hits[0]["document"]
                assert doc_id in (found["url"], found["url"].rsplit("/", 1)[-1]) or marker in hits[0]["text"], (doc_id, found)
            bip = stack.search(copies.spec_ids["bip-0300"])["hits"][0]["document"]
            assert bip["date"] == "2019-07-01" and bip["source"] == "bitcoin-bips"
            assert set(site.statuses(copies.archive_paths[0])) == {200}  # fetched once: not due again for 6 hours
            home = requests.get(f"{stack.url}/", timeout=5).text
            assert "Everything fetched so far is searchable" in home
            print(f"first start: every specification and article searchable after {elapsed:.1f} s")
    finally:
        site.stop()
