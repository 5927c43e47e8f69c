"""Crawling a real (local) web site: feeds, sitemaps, pages, PDFs, robots.txt, conditional requests,
de-duplication, and every kind of bad input recorded with a reason while the crawl goes on.

The site (tests/crawl_site/) is served by http.server on 127.0.0.1; nothing here reaches the internet.
"""

import time
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from search.crawl.crawl import source_crawl, sources_crawl, sources_due, urls_ingest
from search.models import CrawledUrl, Document, Source
from search.tasks import crawl_due_sources

from .crawl_site.server import Site

pytestmark = pytest.mark.django_db

BOILERPLATE = ("SECRET-SCRIPT", "SECRET-STYLE", "SECRET-NOSCRIPT", "COOKIE-CHOICES", "NAV-LOGIN", "NAV-RELATED", "FOOTER-NEWSLETTER")


@pytest.fixture(scope="module")
def site():
    site = Site().start()
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def crawl_settings(settings, site):
    settings.CRAWL_ALLOW_PRIVATE = True  # the site is on loopback
    settings.CRAWL_TIMEOUT_SECONDS = 0.5
    settings.CRAWL_RETRIES = 1
    settings.CRAWL_RETRY_BACKOFF_SECONDS = 0.01
    settings.CRAWL_HOST_DELAY_SECONDS = 0
    settings.CRAWL_MAX_BYTES = 100_000
    site.requests.clear()
    site.version = 1


@pytest.fixture
def rebuilds(monkeypatch):
    calls = []
    monkeypatch.setattr("search.tasks.index_rebuild_request", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr("search.management.commands.crawl.index_rebuild_request", lambda **kwargs: calls.append(kwargs))
    return calls


def _source(site, name, kind, *paths, **fields):
    location = "\n".join(site.url(path) for path in paths)
    return Source.objects.create(name=name, label=name, kind=kind, location=location, **fields)


def _doc(site, path):
    return Document.objects.get(external_id=site.url(path))


def test_rss_feed_stores_articles_without_boilerplate_and_skips_bad_pages_with_reasons(site):
    source = _source(site, "coin-news", Source.Kind.FEED, "/feed.xml", coins=["bitcoin"])
    started = time.monotonic()
    report = source_crawl(source_id=source.id)
    assert time.monotonic() - started < 10

    halving = _doc(site, "/articles/bitcoin-halving.html")  # tracking parameters gone, listed twice, stored once
    assert halving.title == "Bitcoin halving explained" and halving.authors == ["Jane Doe"]
    assert halving.published == date(2024, 4, 20) and halving.source.name == "coin-news"
    assert "3.125 BTC" in halving.text and "transaction fees must eventually replace" in halving.text
    assert not [marker for marker in BOILERPLATE if marker in halving.text]
    assert site.statuses("/articles/bitcoin-halving.html") == [200]

    lending = _doc(site, "/articles/defi-lending.html")
    assert lending.published is None  # the feed's date is garbage and the page has none
    assert CrawledUrl.objects.get(document=lending).coins == ["bitcoin", "aave"]  # source coins + detected

    reasons = dict(report.skipped)
    assert reasons[site.url("/articles/syndicated-halving.html")] == (
        f"near-identical copy of {halving.external_id}, already stored"
    )
    assert reasons[site.url("/private/insider.html")] == "disallowed by robots.txt"
    assert site.statuses("/private/insider.html") == []  # never requested
    assert reasons[site.url("/missing.html")] == "HTTP 404 Not Found"
    assert reasons[site.url("/error")] == "HTTP 500 Internal Server Error"
    assert site.statuses("/error") == [500, 500]  # retried once
    assert reasons[site.url("/slow")].startswith("timed out")
    assert reasons[site.url("/redirect-loop/a")].startswith("redirect loop")
    assert len(site.statuses("/redirect-loop/a")) == 1 and len(site.statuses("/redirect-loop/b")) == 1
    assert reasons["javascript:alert(1)"] == "only http and https URLs are fetched, not javascript:"
    assert reasons["ftp://files.example.org/whitepaper.pdf"] == "only http and https URLs are fetched, not ftp:"
    assert [why for where, why in report.skipped if where.startswith("file:")] == [
        "only http and https URLs are fetched, not file:"
    ]
    assert (report.created, report.updated, len(report.skipped)) == (2, 0, 9)

    source.refresh_from_db()
    assert source.last_crawl_status == Source.CrawlStatus.PARTIAL and source.last_crawled_at is not None
    assert source.last_crawl_counts == {"fetched": 4, "new": 2, "updated": 0, "unchanged": 0, "skipped": 9}
    assert [site.url("/private/insider.html"), "disallowed by robots.txt"] in source.last_crawl_skipped
    assert source.last_crawl_error == "" and source.crawl_lease_until is None

    assert site.statuses("/robots.txt") == [200]  # read once per crawl
    agents = {headers["User-Agent"] for _, _, headers in site.requests}
    assert agents == {"CryptoSightsBot/1.0 (+https://cryptosights.hf.space/about/)"}


def test_atom_feed_with_pdf_latin1_page_and_redirect(site):
    source = _source(site, "chain-desk", Source.Kind.FEED, "/atom.xml")
    report = source_crawl(source_id=source.id)
    assert (report.created, report.skipped) == (4, [])

    staking = _doc(site, "/articles/ethereum-staking.html")
    assert staking.authors == ["Alex Validator"]  # from the feed: the page names no author
    assert staking.published == date(2023, 4, 12) and "COOKIE-CHOICES" not in staking.text
    assert "NAV-ETHEREUM" not in staking.text

    paper = _doc(site, "/papers/lightning.pdf")
    assert paper.title == "The Bitcoin Lightning Network" and paper.authors == ["Test Author"]
    assert paper.published == date(2024, 1, 15)
    assert "payment channel on Bitcoin and send each other many payments off-chain" in paper.text

    zurich = _doc(site, "/articles/latin1.html")  # Latin-1 bytes, no charset in header or page
    assert zurich.title == "Bitcoin in Zürich"
    assert "Café owners in Zürich" in zurich.text and "Bahnhofstraße" in zurich.text

    solana = _doc(site, "/articles/solana-fees.html")  # reached through a 301
    assert solana.published == date(2024, 3, 3) and solana.authors == ["Sam Runtime"]
    assert site.statuses("/redirect/old-solana") == [301]


def test_sitemap_bad_pages_then_recrawl_uses_304_and_updates_the_changed_page(site):
    source = _source(site, "site-map", Source.Kind.SITEMAP, "/sitemap.xml")
    first = source_crawl(source_id=source.id)
    assert first.created == 3
    changing = _doc(site, "/articles/changing.html")
    assert "keep growing this year" in changing.text
    broken = _doc(site, "/articles/broken.html")  # unclosed and misnested tags
    assert broken.title == "Cardano and the extended UTXO model" and "exact result of a swap" in broken.text
    offsite = Document.objects.get(title="Dogecoin began as a joke")
    assert offsite.external_id == site.url("/articles/offsite-canonical.html")  # a canonical on another site is ignored
    assert offsite.published is None  # no date guessed from "created in 2013"
    assert not Document.objects.filter(external_id__contains="chart.png").exists()  # image:loc is no page

    reasons = dict(first.skipped)
    assert reasons == {
        site.url("/articles/empty.html"): "too little text (15 characters)",
        site.url("/binary.html"): "binary data, not text",
        site.url("/huge.html"): "too large: more than 100,000 bytes, stopped reading",
        site.url("/huge-declared.html"): "too large: 300,007 bytes (the limit is 100,000)",
    }

    site.version = 2
    site.requests.clear()
    second = source_crawl(source_id=source.id)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 2)
    changing.refresh_from_db()
    assert "passed a new record this week" in changing.text and "keep growing" not in changing.text
    assert Document.objects.filter(title="Stablecoin market update").count() == 1
    assert site.statuses("/sitemap.xml") == [304] and site.statuses("/sitemap-articles.xml") == [304]
    assert site.statuses("/articles/broken.html") == [304]
    assert site.statuses("/articles/offsite-canonical.html") == [304]
    assert site.statuses("/articles/changing.html") == [200]
    assert Document.objects.count() == 3  # the pages that failed again lost nothing


def test_page_list_follows_canonical_urls_and_stores_one_document(site):
    source = _source(
        site, "solana-pages", Source.Kind.PAGES, "/articles/solana-amp.html", "/articles/solana-fees.html?utm_campaign=x#top"
    )
    report = source_crawl(source_id=source.id)
    assert (report.created, report.skipped) == (1, [])
    solana = Document.objects.get()
    assert solana.external_id == site.url("/articles/solana-fees.html")
    assert solana.authors == ["Sam Runtime"]  # the canonical page's metadata, not the AMP copy's
    alias = CrawledUrl.objects.get(url=site.url("/articles/solana-amp.html"))
    assert alias.outcome == "alias" and alias.reason == f"the article is at {solana.external_id}"
    assert site.statuses("/articles/solana-fees.html") == [200]  # fetched once


def test_a_failing_feed_is_recorded_and_keeps_earlier_documents(site):
    source = _source(site, "flaky", Source.Kind.FEED, "/atom.xml")
    source_crawl(source_id=source.id)
    source.location = site.url("/error")
    source.save()
    report = source_crawl(source_id=source.id)
    assert report.error == "HTTP 500 Internal Server Error"
    source.refresh_from_db()
    assert source.last_crawl_status == Source.CrawlStatus.FAILED
    assert source.last_crawl_error == "HTTP 500 Internal Server Error"
    assert Document.objects.filter(source=source).count() == 4
    source.location = site.url("/articles/solana-fees.html")
    source.save()
    assert source_crawl(source_id=source.id).error == "not an RSS or Atom feed (the server sent html)"


def test_without_allow_private_the_loopback_site_is_refused(site, settings):
    settings.CRAWL_ALLOW_PRIVATE = False
    source = _source(site, "local", Source.Kind.FEED, "/feed.xml")
    report = source_crawl(source_id=source.id)
    assert report.error == "refused: 127.0.0.1 is a loopback address (set CRAWL_ALLOW_PRIVATE=1 to allow)"
    source.refresh_from_db()
    assert source.last_crawl_status == Source.CrawlStatus.FAILED and "loopback" in source.last_crawl_error
    localhost = urls_ingest(urls=[site.url("/feed.xml").replace("127.0.0.1", "localhost")])
    assert "localhost resolves to" in localhost.skipped[0][1] and "loopback address" in localhost.skipped[0][1]
    assert site.requests == []


def test_ingest_command_takes_urls_of_pages_and_feeds(site, tmp_path, capsys, rebuilds):
    call_command("ingest", site.url("/articles/defi-lending.html"), site.url("/atom.xml"), "file:///etc/passwd")
    captured = capsys.readouterr()
    assert "Fetched: 6 fetched, 5 new, 0 updated, 0 unchanged, 1 skipped." in captured.out
    assert "skipped file:///etc/passwd: only http and https URLs are fetched, not file:" in captured.err
    assert Document.objects.filter(source__name="web").count() == 5
    assert Source.objects.get(name="web").kind == Source.Kind.PAGES

    call_command("ingest", site.url("/articles/defi-lending.html"), "--source", "web")
    assert "0 new, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert site.statuses("/articles/defi-lending.html") == [200, 304]
    with pytest.raises(CommandError, match="nothing could be ingested"):
        call_command("ingest", site.url("/missing.html"))


def test_crawl_command_prints_a_summary_and_queues_a_rebuild(site, capsys, rebuilds):
    _source(site, "site-map", Source.Kind.SITEMAP, "/sitemap.xml")
    _source(site, "solana-pages", Source.Kind.PAGES, "/articles/solana-fees.html")
    _source(site, "switched-off", Source.Kind.PAGES, "/articles/defi-lending.html", enabled=False)
    call_command("crawl")
    out = capsys.readouterr().out
    assert "site-map (Sitemap): 7 fetched, 3 new, 0 updated, 0 unchanged, 4 skipped" in out
    assert f"  skipped {site.url('/binary.html')}: binary data, not text" in out
    assert "solana-pages (Web page list): 1 fetched, 1 new" in out
    assert "switched-off" not in out
    assert "Total: 8 fetched, 4 new, 0 updated, 0 unchanged, 4 skipped" in out
    assert len(rebuilds) == 1

    call_command("crawl", "switched-off")
    assert "switched-off (Web page list): 1 fetched, 1 new" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such source: nope"):
        call_command("crawl", "nope")


def test_scheduled_task_crawls_only_due_sources_and_requests_one_rebuild(site, rebuilds):
    due = _source(site, "due", Source.Kind.PAGES, "/articles/solana-fees.html")
    recent = _source(site, "recent", Source.Kind.PAGES, "/articles/defi-lending.html")
    Source.objects.filter(pk=recent.pk).update(last_crawled_at=due.created_at)  # just crawled, interval 60 min
    assert [source.name for source in sources_due()] == ["due"]

    result = crawl_due_sources()
    assert result == "due: 1 fetched, 1 new, 0 updated, 0 unchanged, 0 skipped"
    assert len(rebuilds) == 1 and "due (1 fetched, 1 new" in rebuilds[0]["reason"]
    assert site.statuses("/articles/defi-lending.html") == []

    assert crawl_due_sources() == "no source was due"
    assert crawl_due_sources(source_ids=[due.id]) == "due: 1 fetched, 0 new, 0 updated, 1 unchanged, 0 skipped"
    assert len(rebuilds) == 1  # nothing changed: no second rebuild


def test_a_source_being_crawled_is_not_crawled_twice(site):
    source = _source(site, "busy", Source.Kind.PAGES, "/articles/solana-fees.html")
    Source.objects.filter(pk=source.pk).update(crawl_lease_until=source.created_at.replace(year=2100))
    assert source_crawl(source_id=source.id).error == "a crawl of this source is already running"
    assert site.requests == []


def test_local_sources_are_read_from_disk(tmp_path):
    (tmp_path / "note.md").write_text("# Monero privacy\n\nMonero hides amounts with ring signatures and stealth addresses.\n")
    source = Source.objects.create(name="notes", kind=Source.Kind.LOCAL, location=str(tmp_path))
    assert source_crawl(source_id=source.id).created == 1
    assert Document.objects.get().external_id == "notes:note"


def test_a_host_that_turns_private_between_check_and_connect_is_refused(site, monkeypatch):
    from search.crawl.fetch import Fetcher, FetchPolicy, FetchRefused

    monkeypatch.setattr("search.crawl.fetch.url_refusal", lambda url, allow_private: None)  # DNS said "public"
    with Fetcher(FetchPolicy(user_agent="CryptoSightsBot/1.0", allow_private=False)) as fetcher:
        with pytest.raises(FetchRefused, match=r"connected to 127\.0\.0\.1, a loopback address"):
            fetcher.get(site.url("/robots.txt"))
    assert site.requests == []


def test_a_crawl_stops_in_time_and_leaves_the_rest_for_the_next_one(site, monkeypatch):
    monkeypatch.setattr("search.crawl.crawl._time_budget", lambda: -1.0)  # already used up
    source = _source(site, "late", Source.Kind.PAGES, "/articles/solana-fees.html", "/articles/defi-lending.html")
    report = source_crawl(source_id=source.id)
    assert report.skipped == [("2 more pages", "out of time for this crawl")] and site.requests == []
    _source(site, "later", Source.Kind.PAGES, "/articles/solana-fees.html")
    assert [source.name for source in sources_due()] == ["later"]
    assert sources_crawl() == {}  # due, but not started: the next run takes it
