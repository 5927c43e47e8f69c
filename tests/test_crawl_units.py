"""The crawler's building blocks without a network: URL rules, canonical URLs, politeness,
robots.txt, near-duplicates, content sniffing and safe XML, and the Source model's validation."""

import gzip
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from search.crawl.addresses import ip_refusal, is_http_url, url_refusal
from search.crawl.canonical import canonical_url, external_id_for, url_normalize
from search.crawl.extract import Link, feed_links, plausible_date, response_kind, sitemap_links
from search.crawl.fetch import Fetcher, FetchPolicy, FetchRefused, FetchResult
from search.crawl.near_duplicates import NearDuplicateIndex, signature, similarity
from search.crawl.robots import RobotsRules, RobotsUnavailable
from search.crawl.throttle import HostThrottle
from search.models import Source
from search.parsing import BadInput, decode_bytes, html_decode

from .crawl_site.server import LIGHTNING_PDF

ARTICLE = (
    "Every 210,000 blocks the reward paid to Bitcoin miners is cut in half. The most recent halving reduced the "
    "subsidy to 3.125 BTC per block. Miners respond by upgrading hardware or switching off older machines, and the "
    "hash rate usually dips for a few weeks before recovering. Analysts argue about whether halvings move the price, "
    "since the event is known years in advance and markets should price it in. Long-term holders point to the "
    "shrinking issuance as the source of scarcity, while critics note that fees must eventually replace the subsidy."
)


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "only http and https URLs are fetched, not file:"),
    ("ftp://files.example.org/a.pdf", "only http and https URLs are fetched, not ftp:"),
    ("javascript:alert(1)", "only http and https URLs are fetched, not javascript:"),
    ("/relative/path", "only http and https URLs are fetched, not relative addresses"),
    ("http:///no-host", "the URL has no host"),
    ("http://127.0.0.1:8000/", "refused: 127.0.0.1 is a loopback address (set CRAWL_ALLOW_PRIVATE=1 to allow)"),
    ("http://10.0.0.7/", "refused: 10.0.0.7 is a private address (set CRAWL_ALLOW_PRIVATE=1 to allow)"),
    ("http://169.254.169.254/latest/meta-data", "refused: 169.254.169.254 is a link-local address (set CRAWL_ALLOW_PRIVATE=1 to allow)"),
    ("http://[::1]/", "refused: ::1 is a loopback address (set CRAWL_ALLOW_PRIVATE=1 to allow)"),
    ("http://[::ffff:192.168.1.1]/", "refused: ::ffff:192.168.1.1 is a private address (set CRAWL_ALLOW_PRIVATE=1 to allow)"),
])
def test_only_public_http_urls_may_be_fetched(url, reason):
    assert url_refusal(url) == reason


def test_address_kinds_and_the_private_switch():
    assert ip_refusal("224.0.0.1") == "a multicast address"
    assert ip_refusal("0.0.0.0") == "an unspecified address"
    assert ip_refusal("240.0.0.1") == "a reserved address"
    assert ip_refusal("100.64.0.1") == "not a public address"
    assert ip_refusal("93.184.216.34") is None and ip_refusal("2606:4700::1111") is None
    assert url_refusal("http://127.0.0.1/", allow_private=True) is None
    assert url_refusal("file:///etc/passwd", allow_private=True).startswith("only http and https")


def test_one_http_url_check_for_locations_parsed_files_and_links():
    assert all(is_http_url(url) for url in ("http://example.org/", "https://eips.ethereum.org/EIPS/eip-1", "HTTPS://A.B/"))
    assert not any(is_http_url(url) for url in ("javascript:alert(1)", "//example.org/", "/about/", "http:x", ""))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)"])
def test_the_fetcher_refuses_other_schemes_even_when_private_addresses_are_allowed(url):
    with Fetcher(FetchPolicy(user_agent="CryptoSightsBot/1.0", allow_private=True)) as fetcher:
        with pytest.raises(FetchRefused, match="only http and https URLs are fetched"):
            fetcher.get(url)


def test_urls_are_normalised_and_canonical_urls_stay_on_their_site():
    assert url_normalize("HTTP://User:pw@Www.Example.COM:80/a/b?utm_source=x&id=3%2F&fbclid=1&gclid=2#top") == (
        "http://www.example.com/a/b?id=3%2F"
    )
    assert url_normalize("https://example.com?utm_medium=feed") == "https://example.com/"
    assert url_normalize("https://Example.com:8443/p?b=2&a=1") == "https://example.com:8443/p?b=2&a=1"
    served = "https://www.news.example/amp/story?utm_source=tw"
    assert canonical_url(served_url=served, declared="/story") == "https://www.news.example/story"
    assert canonical_url(served_url=served, declared="https://news.example/story#x") == "https://news.example/story"
    assert canonical_url(served_url=served, declared="https://evil.example/story") == "https://www.news.example/amp/story"
    assert canonical_url(served_url=served, declared="javascript:alert(1)") == "https://www.news.example/amp/story"
    long_url = "https://example.com/" + "a" * 400
    assert len(external_id_for(long_url)) == 300 and external_id_for(long_url) != external_id_for(long_url + "b")
    assert external_id_for("https://example.com/x") == "https://example.com/x"


def test_host_throttle_spaces_requests_per_host_and_honours_crawl_delay():
    now, slept = [100.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    throttle = HostThrottle(interval=1.0, clock=lambda: now[0], sleep=sleep)
    assert throttle.wait("a.example") == 0
    assert throttle.wait("b.example") == 0  # another host does not wait
    assert throttle.wait("a.example") == 1.0
    now[0] += 5
    assert throttle.wait("a.example") == 0
    throttle.slow_down("a.example", interval=3.0)
    assert throttle.wait("a.example") == 1.0  # the slot was booked with the old interval
    assert throttle.wait("a.example") == 3.0
    assert slept == [1.0, 1.0, 3.0]


def test_robots_rules_follow_rfc_9309():
    files = {
        "https://a.example/robots.txt": "User-agent: *\nDisallow: /private/\nAllow: /private/ok$\nCrawl-delay: 500\n",
        "https://b.example/robots.txt": None,  # 404: no rules
    }
    reads = []

    def read(url):
        reads.append(url)
        if url.startswith("https://c.example"):
            raise RobotsUnavailable("HTTP 503 Service Unavailable")
        return files[url]

    rules = RobotsRules(agent="CryptoSightsBot", read=read)
    assert rules.refusal("https://a.example/private/x") == "disallowed by robots.txt"
    assert rules.refusal("https://a.example/private/ok") is None
    assert rules.refusal("https://a.example/news/1") is None
    assert rules.crawl_delay("https://a.example/") == 60.0  # capped
    assert rules.refusal("https://b.example/anything") is None
    assert rules.refusal("https://c.example/x") == (
        "robots.txt unavailable (HTTP 503 Service Unavailable), so the site is not crawled"
    )
    assert reads == ["https://a.example/robots.txt", "https://b.example/robots.txt", "https://c.example/robots.txt"]


def test_robots_rules_for_our_agent_win_over_the_wildcard():
    text = "User-agent: *\nDisallow: /\n\nUser-agent: CryptoSightsBot\nDisallow: /drafts/\n"
    rules = RobotsRules(agent="CryptoSightsBot", read=lambda url: text)
    assert rules.refusal("https://a.example/news") is None
    assert rules.refusal("https://a.example/drafts/1") == "disallowed by robots.txt"


def test_near_identical_copies_are_found_and_different_articles_are_not():
    original = signature(ARTICLE)
    syndicated = signature("Why the halving matters\n" + ARTICLE + " This article first appeared on CoinNews.")
    other = signature(
        "Ethereum moved to proof of stake in 2022, cutting its energy use by more than 99 percent. Validators lock "
        "32 ETH and are rewarded for proposing and attesting to blocks; misbehaving validators are slashed."
    )
    assert similarity(original, syndicated) >= 0.8 and similarity(original, other) < 0.2
    assert signature(ARTICLE.upper()) == original  # case and punctuation do not matter
    index = NearDuplicateIndex()
    index.add(original, "https://coinnews.example/halving")
    assert index.match(syndicated, other_than="https://aggregator.example/copy") == "https://coinnews.example/halving"
    assert index.match(syndicated, other_than="https://coinnews.example/halving") is None  # its own update
    assert index.match(other, other_than="x") is None


def _result(body: bytes, content_type: str = "", url: str = "https://a.example/x") -> FetchResult:
    return FetchResult(url=url, status=200, body=body, content_type=content_type)


def test_what_a_response_is_comes_from_its_content_first():
    assert response_kind(_result(LIGHTNING_PDF, "application/octet-stream")) == "pdf"
    assert response_kind(_result(b'<?xml version="1.0"?>\n<rss version="2.0"></rss>', "text/xml")) == "feed"
    assert response_kind(_result(b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>", "text/html")) == "feed"
    assert response_kind(_result(b"<?xml version='1.0'?><urlset></urlset>", "text/plain")) == "sitemap"
    assert response_kind(_result(b"<!DOCTYPE html><html><body>x</body></html>", "text/html")) == "html"
    assert response_kind(_result(b"plain words", "text/plain")) == "text"
    with pytest.raises(BadInput, match="unsupported content type image/png"):
        response_kind(_result(b"\x89PNG\r\n", "image/png"))


def test_feeds_with_garbage_dates_and_no_feed_at_all():
    feed = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>A</title><link>https://a.example/1</link><pubDate>yesterday-ish</pubDate></item>"
        b"<item><title>B</title><link>https://a.example/2</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>"
        b"<item><title>C</title><link>https://a.example/3</link><pubDate>Mon, 01 Jan 1900 00:00:00 GMT</pubDate></item>"
        b"<item><title>D</title><link>https://a.example/4</link><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>"
        b"<item><title>no link</title></item></channel></rss>"
    )
    links = feed_links(_result(feed, "application/rss+xml"))
    assert [(link.url, link.published) for link in links] == [
        ("https://a.example/1", None), ("https://a.example/2", None), ("https://a.example/3", None),
        ("https://a.example/4", date(2024, 1, 2)),
    ]
    with pytest.raises(BadInput, match="not a readable RSS or Atom feed"):
        feed_links(_result(b"<html><body>not a feed</body></html>", "application/rss+xml"))
    assert plausible_date(date.today() + timedelta(days=30)) is None


def test_sitemaps_are_parsed_safely():
    urlset = (
        b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' xmlns:image='http://www.google.com/schemas/sitemap-image/1.1'>"
        b"<url><loc> https://a.example/1 </loc><image:image><image:loc>https://a.example/i.png</image:loc></image:image></url>"
        b"<url><loc>https://a.example/2</loc></url></urlset>"
    )
    assert [link.url for link in sitemap_links(_result(urlset), max_bytes=10_000)] == ["https://a.example/1", "https://a.example/2"]
    gzipped = sitemap_links(_result(gzip.compress(urlset)), max_bytes=10_000)
    assert [link.url for link in gzipped] == ["https://a.example/1", "https://a.example/2"]
    index = b"<sitemapindex><sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>"
    assert sitemap_links(_result(index), max_bytes=10_000) == [Link(url="https://a.example/s1.xml", is_listing=True)]

    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><urlset><url><loc>&lol2;</loc></url></urlset>'
    with pytest.raises(BadInput, match="not a readable sitemap"):
        sitemap_links(_result(bomb), max_bytes=10_000)
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><urlset><url><loc>&e;</loc></url></urlset>'
    with pytest.raises(BadInput, match="not a readable sitemap"):
        sitemap_links(_result(external), max_bytes=10_000)
    with pytest.raises(BadInput, match="more than 1,000 bytes once decompressed"):
        sitemap_links(_result(gzip.compress(b"<urlset>" + b" " * 5000 + b"</urlset>")), max_bytes=1_000)
    with pytest.raises(BadInput, match="not a sitemap"):
        sitemap_links(_result(b"<html></html>"), max_bytes=10_000)


def test_declared_charsets_are_used_only_when_utf8_fails():
    latin = "Café in Zürich".encode("latin-1")
    assert html_decode(b"<meta charset='iso-8859-1'><p>" + latin, "page") .endswith("Café in Zürich")
    assert html_decode("<p>Café in Zürich".encode(), "page", header_charset="iso-8859-1").endswith("Café in Zürich")
    assert decode_bytes(latin, "page", declared=("no-such-codec", "cp1252")) == "Café in Zürich"
    with pytest.raises(BadInput, match="binary data"):
        html_decode(b"\x89PNG\r\n\x1a\n\x00\x00", "page")


@pytest.mark.django_db
def test_sources_validate_coins_and_locations():
    source = Source(name="news", kind=Source.Kind.FEED, location="https://a.example/feed.xml", coins=["bitcoin", "solana"])
    source.full_clean()
    source.coins = ["bitcoin", "not-a-coin"]
    with pytest.raises(ValidationError, match="Unknown coin slugs: not-a-coin"):
        source.full_clean()
    source.coins, source.location = [], "ftp://a.example/feed.xml"
    with pytest.raises(ValidationError, match="Not an http"):
        source.full_clean()
    source.location = "https://a.example/a.xml https://a.example/b.xml"
    with pytest.raises(ValidationError, match="exactly one URL"):
        source.full_clean()
    Source(name="pages", kind=Source.Kind.PAGES, location="https://a.example/1\nhttps://a.example/2").full_clean()
    Source(name="disk", kind=Source.Kind.LOCAL, location="/data/notes").full_clean()


@pytest.mark.django_db
def test_pdf_files_are_ingested_from_disk(tmp_path):
    from search.ingest import paths_ingest
    from search.models import Document

    (tmp_path / "lightning.pdf").write_bytes(LIGHTNING_PDF)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    report = paths_ingest([tmp_path], source="papers")
    assert report.created == 1
    assert "unreadable PDF" in dict(report.skipped)["broken.pdf"]
    paper = Document.objects.get(external_id="papers:lightning.pdf")
    assert paper.title == "The Bitcoin Lightning Network" and "hashed timelock contracts" in paper.text


@pytest.mark.django_db
def test_source_admin_picks_coins_and_queues_a_crawl(admin_client, monkeypatch):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append((args, kwargs)))
    response = admin_client.post("/admin/search/source/add/", {
        "name": "optech", "label": "Bitcoin Optech", "kind": "feed", "location": "https://bitcoinops.org/feed.xml",
        "coins": ["bitcoin"], "crawl_interval_minutes": 60,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(name="optech")
    assert source.coins == ["bitcoin"] and source.enabled is False  # unchecked box
    page = admin_client.get(f"/admin/search/source/{source.pk}/change/").content.decode()
    assert "Bitcoin (BTC)" in page and "Last crawl" in page
    admin_client.post("/admin/search/source/", {"action": "crawl_now", "_selected_action": [source.pk]})
    assert queued == [(("search.tasks.crawl_due_sources",), {"source_ids": [source.pk], "group": "crawl"})]
