"""The default source set: data in the repository, created disabled unless DEFAULT_SOURCES=1, pointed
at a local server by DEFAULT_SOURCES_BASE; the scheduled crawl indexes specification archives
before it crawls the slower feeds."""

import json

import pytest

from search.default_sources import DefaultSourcesError, default_sources, default_sources_ensure, rebased
from search.models import Document, Source
from search.tasks import crawl_due_sources

from .crawl_site.server import Site
from .spec_fixtures import eip, tar_gz

SPEC_REPOSITORIES = {"ethereum/EIPs", "ethereum/ERCs", "bitcoin/bips", "lightning/bolts"}


def test_the_default_set_names_the_four_specification_repositories_and_news_feeds():
    sources = default_sources()
    archives = [s for s in sources if s.kind == "archive"]
    assert {"/".join(s.location.split("/")[3:5]) for s in archives} == SPEC_REPOSITORIES
    assert all(s.location.startswith("https://codeload.github.com/") and s.globs for s in archives)
    feeds = [s for s in sources if s.kind == "feed"]
    assert len(feeds) >= 4 and all(s.location.startswith("https://") for s in feeds)
    assert all(s.interval_minutes >= 5 for s in sources)


def test_base_rewrites_every_url_to_a_local_copy():
    assert rebased("https://codeload.github.com/bitcoin/bips/tar.gz/refs/heads/master", "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9/codeload.github.com/bitcoin/bips/tar.gz/refs/heads/master"
    )
    assert rebased("https://x.org/rss?lang=en", "http://h") == "http://h/x.org/rss?lang=en"
    assert all(s.location.startswith("http://127.0.0.1:9/") for s in default_sources(base="http://127.0.0.1:9"))


def test_a_broken_default_set_is_refused(tmp_path):
    path = tmp_path / "sources.json"
    entry = {"name": "x", "kind": "feed", "location": "https://x.org/feed", "coins": ["nocoin"], "interval_minutes": 60}
    path.write_text(json.dumps({"sources": [entry]}))
    with pytest.raises(DefaultSourcesError, match="unknown coins"):
        default_sources(path=path)
    path.write_text(json.dumps({"sources": [{**entry, "coins": [], "kind": "ftp"}]}))
    with pytest.raises(DefaultSourcesError, match="unknown kind"):
        default_sources(path=path)


@pytest.mark.django_db
def test_created_disabled_by_default_and_never_overwriting_staff_choices():
    Source.objects.create(name="ethereum-eips", kind=Source.Kind.JSONL)  # made by ingesting the shared corpus
    Source.objects.create(name="coindesk", kind=Source.Kind.FEED, location="https://staff.example/feed", enabled=False)
    done = default_sources_ensure(enabled=False)
    assert "ethereum-eips configured from the default set (disabled)" in done
    assert not any(line.startswith("coindesk") for line in done)
    eips = Source.objects.get(name="ethereum-eips")
    assert (eips.kind, eips.enabled, eips.globs) == (Source.Kind.ARCHIVE, False, "EIPS/eip-*.md")
    assert Source.objects.get(name="coindesk").location == "https://staff.example/feed"
    assert not Source.objects.filter(enabled=True).exists()
    assert default_sources_ensure(enabled=True) == []  # idempotent: existing sources stay as they are


@pytest.mark.django_db
def test_enabled_with_default_sources_on():
    default_sources_ensure(enabled=True, base="http://127.0.0.1:9")
    assert Source.objects.filter(enabled=True).count() == len(default_sources())
    assert Source.objects.get(name="bitcoin-bips").location.startswith("http://127.0.0.1:9/codeload.github.com/")


@pytest.fixture
def site():
    site = Site().start()
    yield site
    site.stop()


@pytest.mark.django_db
def test_scheduled_crawl_builds_the_specifications_before_crawling_feeds(site, settings, monkeypatch):
    settings.CRAWL_ALLOW_PRIVATE = True
    settings.CRAWL_HOST_DELAY_SECONDS = 0
    settings.CRAWL_TIMEOUT_SECONDS = 1
    settings.CRAWL_RETRIES = 0
    events = []
    monkeypatch.setattr("search.tasks.index_rebuild", lambda reason: events.append(
        ("build", sorted(set(Document.objects.values_list("source__name", flat=True))))) or "built")
    monkeypatch.setattr("search.tasks.index_rebuild_request", lambda reason, **kw: events.append(("queued", reason)))
    # Created first, so listed first: the order of the crawl must come from the kind, not the table.
    Source.objects.create(name="news", kind=Source.Kind.FEED, location=site.url("/feed.xml"))
    site.files["/specs.tar.gz"] = (tar_gz({"EIPS/eip-1.md": eip(1), "EIPS/eip-2.md": eip(2)}), "application/gzip")
    Source.objects.create(name="eips", kind=Source.Kind.ARCHIVE, location=site.url("/specs.tar.gz"))
    crawl_due_sources()
    assert events[0] == ("build", ["eips"])  # the specifications alone, before any feed article
    assert events[1][0] == "queued" and "news" in events[1][1] and "eips" not in events[1][1]
    assert Document.objects.filter(source__name="news").exists()
