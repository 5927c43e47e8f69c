"""The public pages: layout, home, search states, the document page and the static pages."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection

from search.indexing import reindex
from search.ingest import documents_store
from search.models import Document, Source
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db

PAGES = ["/", "/search/", "/about/", "/faq/", "/privacy/", "/terms/", "/evaluation/", "/evaluation/dashboard/"]


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(
            external_id="eip-1559", title="Fee market change for ETH 1.0 chain", source="ethereum-eips",
            url="https://eips.ethereum.org/EIPS/eip-1559", published=date(2019, 4, 13),
            authors=["Vitalik Buterin", "Eric Conner"], status="Final", license="CC0-1.0",
            text="The base fee is burned, which makes ether scarcer. A priority fee rewards the block producer. "
                 "Ethereum users pay a base fee per unit of gas. The burn is a great improvement for users.",
        ),
        ParsedDocument(
            external_id="btc-guide", title="What is Bitcoin", source="guides",
            text="Bitcoin is a peer-to-peer electronic cash system. Miners secure Bitcoin with proof of work. "
                 "The fee market on Bitcoin is a terrible mess when blocks are full.",
        ),
        ParsedDocument(
            external_id="evil", title="<script>alert('title')</script>", source="guides", url="javascript:alert(1)",
            text="Staking <script>alert('xss')</script> rewards <img src=x onerror=alert(2)> are paid in ether.",
        ),
    ])
    return reindex()


class _Page(HTMLParser):
    """Collects what accessibility and CSP checks need from a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.labels_for, self.images, self.inline = [], [], set(), [], []
        self.controls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.labels_for.add(attrs["for"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "script" and "src" not in attrs:
            self.inline.append("script")
        self.inline += [name for name in attrs if name == "style" or name.startswith("on")]
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs)


def hits_of(html: str) -> str:
    """The server-rendered result list (not the empty hit template the script clones)."""
    return re.search(r'<ol id="hits".*?</ol>', html, re.S).group(0)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_layout_and_is_accessible_and_csp_ready(client, site, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    page = parse(html)
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and 'id="main"' in html  # skip link
    for target in ["/", "/search/", "/about/", "/faq/", "/evaluation/", "/privacy/", "/terms/"]:
        assert f'href="{target}"' in html, target
    assert not page.inline, f"inline script, style or event handler: {page.inline}"
    assert all("alt" in img for img in page.images)
    for control in page.controls:  # every form field has a label (or an aria-label)
        assert control.get("id") in page.labels_for or control.get("aria-label"), control
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates
    assert re.search(r'<link rel="stylesheet" href="/static/css/site\.css">', html)
    assert re.search(r'<script src="/static/js/site\.js" defer></script>', html)
    assert "//fonts." not in html and "cdn" not in html.lower()


def test_navigation_marks_the_current_page(client, site):
    html = client.get("/faq/").content.decode()
    assert '<a href="/faq/" aria-current="page">FAQ</a>' in html
    assert 'aria-current="page">Home' not in html


def test_home_shows_examples_coins_with_counts_and_corpus_figures(client, site):
    html = client.get("/").content.decode()
    assert "Ask anything about crypto" in html
    assert 'href="/search/?q=how%20does%20EIP-1559%20burn%20fees%3F"' in html
    coins = re.findall(r'coin=([a-z-]+)">([^<]+)</a> <span class="count">(\d+)</span>', html)
    assert coins and [int(n) for _, _, n in coins] == sorted((int(n) for _, _, n in coins), reverse=True)
    assert ("ethereum", "Ethereum") in {(slug, name) for slug, name, _ in coins}
    assert all(int(n) > 0 for _, _, n in coins)
    assert "solana" not in {slug for slug, _, _ in coins}  # coins without sentences are not listed
    assert re.search(r"<dt>Documents</dt><dd>3</dd>", html) and re.search(r"<dt>Sources</dt><dd>2</dd>", html)
    assert site.version in html


def test_home_before_the_index_exists_says_so(client, index_dir):
    html = client.get("/").content.decode()
    assert "being built" in html


def test_search_page_without_a_question_shows_what_to_try(client, site):
    html = client.get("/search/").content.decode()
    empty = re.search(r'<div class="state" data-state="empty">(.*?)</div>', html, re.S)
    assert empty and "how does EIP-1559 burn fees?" in empty.group(1)
    assert re.search(r'<ol id="hits" [^>]*start="1">\s*</ol>', html)


def test_search_results_have_everything_a_hit_needs(client, site):
    response = client.get("/search/", {"q": "base fee burned"})
    html = response.content.decode()
    assert response.status_code == 200 and response.cookies["csrftoken"].value
    log_id = re.search(r'data-log-id="([0-9a-f-]{36})"', html).group(1)
    hits = re.findall(r'<li class="hit" data-hit-id="(\d+)"', html)
    assert hits
    assert "The <mark>base</mark> <mark>fee</mark> is <mark>burned</mark>" in html
    assert '<time class="hit-date" datetime="2019-04-13">2019-04-13</time>' in html
    assert '<span class="badge coin" data-coin="ethereum">Ethereum</span>' in html
    assert re.search(r'class="badge sentiment sentiment-(positive|neutral|negative)"', html)
    doc_id = Document.objects.get(external_id="eip-1559").pk
    # The card's head is the document, linking to its page here, with the way back to these results.
    card = re.search(rf'<li class="hit" data-hit-id="{hits[0]}".*?</li>', html, re.S).group(0)
    head = re.search(r'<h3 class="hit-title"[^>]*>(.*?)</h3>', card, re.S).group(1)
    assert f'href="/doc/{doc_id}/?hit={hits[0]}&amp;back=q%3Dbase%2Bfee%2Bburned#s{hits[0]}"' in head
    assert 'class="doc-link result-link"' in head and "EIP-1559" in head and "http" not in head
    assert card.index('class="hit-title"') < card.index('class="hit-text"')  # head first, then the snippet
    # The original is a separate link, marked as leaving the site.
    source = re.search(r'<a class="source-link"[^>]*>.*?</a>', card, re.S).group(0)
    assert 'href="https://eips.ethereum.org/EIPS/eip-1559"' in source and 'rel="noopener nofollow"' in source
    assert "leaves CryptoSights" in source and "↗" in source
    assert 'data-vote="1"' in html and 'data-vote="-1"' in html and 'aria-pressed="false"' in html
    assert log_id


def test_tone_badges_only_on_news_and_opinion_prose(client, site):
    Source.objects.create(name="coin-news", kind=Source.Kind.FEED, location="https://news.example/feed.xml")
    documents_store([ParsedDocument(
        external_id="https://news.example/rally", title="Traders cheer the rally", source="coin-news",
        url="https://news.example/rally",
        text="Traders were delighted as the rally lifted prices to a wonderful new high. "
             "Great news\n\nCritics warned that the fee spike was a disaster for small users.",
    )])
    reindex()
    html = hits_of(client.get("/search/", {"q": "fee"}).content.decode())
    badges = re.findall(r'<li class="hit".*?<span class="badge sentiment sentiment-(\w+)"[^>]*?( hidden)?>', html, re.S)
    hits = re.findall(r'<li class="hit".*?</li>', html, re.S)
    shown = {("news.example" in hit): not re.search(r'class="badge sentiment[^>]* hidden>', hit) for hit in hits}
    assert badges and shown == {True: True, False: False}  # the news hit shows its tone, the spec's hits do not
    api_hits = client.get("/api/search", {"q": "fee"}).json()["hits"]
    assert {h["document"]["source"]: h["sentiment"]["shown"] for h in api_hits} == {
        "coin-news": True, "ethereum-eips": False, "guides": False}
    assert all(h["sentiment"]["label"] for h in api_hits)  # the score and label stay for every sentence
    news = Document.objects.get(external_id="https://news.example/rally")
    page = client.get(f"/doc/{news.pk}/").content.decode()
    assert "sentiment-positive" in page and "sentiment-negative" in page and "Average sentiment score" in page
    insight = re.search(r'<aside id="insight".*?</aside>', client.get("/search/", {"q": "fee"}).content.decode(), re.S).group(0)
    assert '<div data-insight="tone">' in insight  # the news hit has a tone to tally
    assert sum(int(n) for n in re.findall(r'data-count="\w+">(\d+)</span>', insight)) == 1
    assert re.search(r'class="doc-sentence">Great news</span>', page)  # short, not prose: no tone


def test_insight_panel_summarises_the_page(client, site):
    html = client.get("/search/", {"q": "fee"}).content.decode()
    insight = re.search(r'<aside id="insight".*?</aside>', html, re.S).group(0)
    assert 'data-count="positive"' in insight and 'data-count="negative"' in insight
    assert re.search(r'<span class="tally-name">Ethereum</span> <span class="count">\d+</span>', insight)
    assert re.search(r'<span class="tally-name">ethereum-eips</span> <span class="count">\d+</span>', insight)
    # Specification and guide hits have no tone to tally: the tone block is hidden.
    counts = [int(n) for n in re.findall(r'data-count="\w+">(\d+)</span>', insight)]
    assert sum(counts) == 0 and '<div data-insight="tone" hidden>' in insight


def test_query_coins_become_one_click_filters(client, site):
    html = client.get("/search/", {"q": "bitcoin fee market"}).content.decode()
    chip = re.search(r'<a class="chip" href="([^"]+)" data-coin="bitcoin">Only <span class="chip-name">Bitcoin</span>', html)
    assert chip
    filtered = client.get("/search/" + chip.group(1).replace("&amp;", "&")).content.decode()
    assert '<option value="bitcoin" selected>Bitcoin</option>' in filtered
    assert 'data-coin="bitcoin">Only' not in filtered  # the active filter is not offered again
    hits = re.findall(r'<li class="hit".*?</li>\n', hits_of(filtered), re.S)
    assert hits and all('data-coin="bitcoin"' in hit for hit in hits)


def test_filters_and_sort_are_kept_in_the_form_and_the_pager(client, site):
    params = {"q": "fee", "source": "ethereum-eips", "from": "2019-01-01", "to": "2020-12-31", "sort": "date"}
    html = client.get("/search/", params).content.decode()
    assert '<option value="ethereum-eips" selected>' in html
    assert 'value="2019-01-01"' in html and 'value="2020-12-31"' in html
    assert '<option value="date" selected>' in html
    assert "Document" not in re.findall(r'<span class="hit-source">([^<]+)', html)
    assert set(re.findall(r'<span class="hit-source">([^<]+)', html)) == {"ethereum-eips"}


def test_filter_form_urls_carry_no_empty_parameters(client, site):
    # The filter form without JavaScript submits every field: the page answers with the clean URL.
    response = client.get("/search/?q=fee&coin=&source=ethereum-eips&from=&to=&sort=relevance&page=1")
    assert response.status_code == 302 and response["Location"] == "/search/?q=fee&source=ethereum-eips"
    assert client.get("/search/?q=&coin=")["Location"] == "/search/"
    assert client.get("/search/?q=fee&source=ethereum-eips").status_code == 200
    html = client.get("/search/?q=fee&source=ethereum-eips&sort=date").content.decode()
    assert '<span class="badge filters-active">2 active</span>' in html
    assert '<span class="badge filters-active" hidden>0 active</span>' in client.get("/search/?q=fee").content.decode()


def test_help_line_promises_only_what_works_without_javascript(client, site):
    html = client.get("/search/", {"q": "fee"}).content.decode()
    help_line = re.search(r'<p id="search-help"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "as you type" not in help_line and "<kbd>j</kbd>" not in help_line and "Enter" in help_line
    # The live help is a template that the script shows.
    assert re.search(r'<template id="live-help">Results update as you type.*<kbd>j</kbd>', html)


def test_the_count_is_of_sentences_with_every_word(client, site):
    summary = re.search(r'<p id="summary"[^>]*>(.*?)</p>', client.get("/search/", {"q": "base fee burned"}).content.decode(),
                        re.S).group(1)
    every, some = re.search(r"(\d+) sentences? with every word of “base fee burned”, (\d+) results? in all", summary).groups()
    assert 0 < int(every) < int(some)
    one_word = re.search(r'<p id="summary"[^>]*>(.*?)</p>', client.get("/search/", {"q": "fee"}).content.decode()).group(1)
    # One word: every sentence holding it holds every word; more results only from documents close
    # in meaning (the semantic signal), never from sentences holding "some" of one word.
    match = re.match(r"(\d+) (?:matching sentences? for|sentences? with every word of) “fee”(?:, (\d+) results? in all)? — page 1 of 1\.", one_word)
    assert match, one_word


def test_pagination_keeps_every_parameter(client, index_dir):
    documents_store([
        ParsedDocument(external_id=f"d{i}", title=f"Wallet note {i}", source="notes",
                       text=f"A wallet keeps keys number {i}. Another wallet fact {i}. Third wallet line {i}.")
        for i in range(12)
    ])
    reindex()
    html = client.get("/search/", {"q": "wallet", "source": "notes", "sort": "date"}).content.decode()
    next_link = re.search(r'<a class="pager-next" rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert next_link == "?q=wallet&source=notes&sort=date&page=2"
    second = client.get("/search/" + next_link).content.decode()
    assert "page 2 of 4" in second
    previous = re.search(r'<a class="pager-previous" rel="prev" href="([^"]+)"', second).group(1)
    assert previous.replace("&amp;", "&") == "?q=wallet&source=notes&sort=date"
    assert re.search(r'<ol id="hits" [^>]*start="11">', second)


def test_zero_results_say_what_to_try_next(client, site):
    html = client.get("/search/", {"q": "quantum teleportation", "coin": "bitcoin"}).content.decode()
    zero = re.search(r'<div class="state" data-state="zero">(.*?)</div>', html, re.S).group(1)
    assert "Nothing matched" in zero and "spelling" in zero
    assert 'href="?q=quantum+teleportation"' in zero  # the same question without filters


@pytest.mark.parametrize("params, field", [
    ({"q": "fees", "page": "-3"}, "page"),
    ({"q": "fees", "from": "yesterday"}, "from"),
    ({"q": "fees", "coin": "notacoin"}, "coin"),
    ({"q": "fees", "sort": "random"}, "sort"),
    ({"q": "x" * 501}, "q"),
])
def test_bad_parameters_get_a_400_page_that_points_at_the_field(client, site, params, field):
    response = client.get("/search/", params)
    html = response.content.decode()
    assert response.status_code == 400
    error = re.search(r'data-state="error" role="alert">(.*?)</div>', html, re.S).group(1)
    assert "could not run" in error and field in error
    if field != "page":  # the page number is not a form field
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)


def test_pages_before_the_index_exists_are_503_not_500(client, index_dir):
    assert client.get("/search/", {"q": "fees"}).status_code == 503
    assert client.get("/doc/1/").status_code == 503
    for url in ["/about/", "/faq/", "/privacy/", "/terms/"]:
        assert client.get(url).status_code == 200


def test_document_page_shows_metadata_sentences_terms_and_summary(client, site):
    doc = Document.objects.get(external_id="eip-1559")
    hit = client.get("/api/search", {"q": "priority fee block producer"}).json()["hits"][0]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/doc/{doc.pk}/", {"hit": hit["id"]})
    html = response.content.decode()
    assert response.status_code == 200
    assert sum("search_document" in q["sql"] for q in queries.captured_queries) == 1
    assert '<h1 id="doc-title"><span class="doc-ident">EIP-1559</span> Fee market change for ETH 1.0 chain</h1>' in html
    assert "<title>EIP-1559: Fee market change for ETH 1.0 chain — CryptoSights</title>" in html
    for text in ["Vitalik Buterin, Eric Conner", "<dd>Final</dd>", "<dd>CC0-1.0</dd>", "13 April 2019", "ethereum-eips"]:
        assert text in html, text
    assert re.search(r'href="https://eips.ethereum.org/EIPS/eip-1559" rel="noopener nofollow" aria-label="[^"]*leaves CryptoSights'
                     r'[^"]*">Read the original <span aria-hidden="true">↗</span></a>', html)
    assert f'id="s{hit["id"]}" class="doc-sentence hit-sentence" aria-current="true"' in html
    assert len(re.findall(r'class="doc-sentence[ "]', html)) == 4
    assert '<span class="badge coin">Ethereum</span>' in html
    # A specification's sentences carry no tone badge, even "a great improvement" (the score is kept).
    assert 'class="badge sentiment' not in html
    terms = re.search(r'id="terms-title">Key terms</h2>(.*?)</section>', html, re.S).group(1)
    words = re.findall(r'class="chip" href="/search/\?q=[^"]+">([^<]+)</a>', terms)
    assert {"base", "burned", "gas"} <= set(words)  # words of the text, not stems ("burn")
    text = " ".join(re.findall(r'class="doc-sentence[^"]*"[^>]*>([^<]+)', html)).lower()
    assert all(word.lower() in text for word in words)
    summary = re.search(r'id="summary-title">(.*?)</section>', html, re.S).group(1)
    assert "Ethereum" in summary and "Average sentiment score" not in summary  # a specification: no tone


def test_document_page_escapes_and_drops_unsafe_links(client, site):
    doc = Document.objects.get(external_id="evil")
    html = client.get(f"/doc/{doc.pk}/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert "javascript:" not in html and "Read the original" not in html


def test_document_page_errors(client, site):
    assert client.get("/doc/999999/").status_code == 404
    doc = Document.objects.get(external_id="btc-guide")
    assert client.get(f"/doc/{doc.pk}/", {"hit": "nonsense"}).status_code == 200
    assert client.get(f"/doc/{doc.pk}/", {"hit": "99999999"}).status_code == 200


def test_search_page_escapes_the_query_everywhere(client, site):
    q = '"><script>alert(1)</script>'
    html = client.get("/search/", {"q": q}).content.decode()
    assert "<script>alert" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_privacy_page_matches_what_is_logged(client, site, settings):
    settings.LOG_RETENTION_DAYS = 45
    html = client.get("/privacy/").content.decode()
    for fact in ["cs_visitor", "csrftoken", "45 days", "salted hash", "never stored", "index version",
                 "filters", "results shown", "how long the answer took"]:
        assert fact.lower() in html.lower(), fact


def test_faq_explains_ranking_filters_and_feedback(client, site):
    html = client.get("/faq/").content.decode()
    for fact in ["BM25", "title", "Coin", "Source", "different visitors", "One voice per visitor", "at most", "privacy"]:
        assert fact in html, fact


def test_unknown_pages_are_404(client, site):
    assert client.get("/nope/").status_code == 404


def test_pages_reject_other_methods(site):
    client = Client()
    assert client.post("/search/", {"q": "fee"}).status_code in (403, 405)
    assert client.post("/about/").status_code in (403, 405)


def test_spelling_corrections_are_shown_and_linked(client, site, monkeypatch):
    from search import api, views

    def corrected(index, request, **kwargs):
        response = real_run_search(index, request, **kwargs)
        response.did_you_mean, response.corrected_query = "base fee", "base fee"
        return response

    real_run_search = views.run_search
    monkeypatch.setattr(views, "run_search", corrected)
    monkeypatch.setattr(api, "run_search", corrected)
    html = client.get("/search/", {"q": "bsae fe", "coin": "ethereum"}).content.decode()
    assert re.search(r'Nothing matched “<span class="typed">bsae fe</span>”, so these are the results for '
                     r'“<strong class="corrected">base fee</strong>”', html)
    assert 'Did you mean <a class="suggested" href="?q=base+fee&amp;coin=ethereum">base fee</a>?' in html
    body = client.get("/api/search", {"q": "bsae fe"}).json()
    assert body["did_you_mean"] == "base fee" and body["corrected_query"] == "base fee"


def test_identifiers_best_match_card_and_citations_on_pages(client, index_dir, shipped_ranker):
    documents_store([
        ParsedDocument(external_id="erc-20", title="Token Standard", source="ethereum-ercs",
                       url="https://eips.ethereum.org/EIPS/eip-20",
                       text="A standard interface for tokens. Tokens can be transferred and approved."),
        ParsedDocument(external_id="erc-4626", title="Tokenized Vaults", source="ethereum-ercs",
                       text="Vaults hold ERC-20 tokens. ERC-20 tokens are deposited into the vault by users."),
    ])
    reindex()
    erc20, vault = (Document.objects.get(external_id=i).pk for i in ("erc-20", "erc-4626"))
    html = client.get("/search/", {"q": "what is erc20?"}).content.decode()
    first = re.search(r'<li class="hit[^"]*" data-hit-id="\d+"', html).group(0)
    assert "best-match" in first and "Best match" in html
    assert '<span class="hit-ident">ERC-20</span>' in html
    page = client.get(f"/doc/{erc20}/").content.decode()
    assert "<title>ERC-20: Token Standard — CryptoSights</title>" in page
    cited_by = re.search(r'<ul class="citations cited-by">(.*?)</ul>', page, re.S).group(1)
    assert f'href="/doc/{vault}/"' in cited_by and "ERC-4626: Tokenized Vaults" in cited_by
    cites = re.search(r'<ul class="citations cites">(.*?)</ul>', client.get(f"/doc/{vault}/").content.decode(),
                      re.S).group(1)
    assert f'href="/doc/{erc20}/"' in cites


STRUCTURED_TEXT = "\n".join([
    "Overview", "A wallet keeps keys. It signs transactions.",
    "Steps", "- Create a seed phrase. Keep it offline.", "- Derive the first address.",
    "Parameters", "| Name | Value |", "| --- | --- |", "| FORK_BLOCK | 12965000 |", "| BASE_FEE_MAX_CHANGE_DENOMINATOR | 8 |",
    "Code", "function burn(uint256 amount) external {", "require(amount > 0);",
    "Formula", "The fee is $b \\cdot g$ per block, as described above.",
])


def test_document_page_keeps_the_source_structure(client, site):
    documents_store([ParsedDocument(external_id="structured", title="Structured wallet notes", source="guides",
                                    text=STRUCTURED_TEXT)])
    reindex()
    doc = Document.objects.get(external_id="structured")
    html = client.get(f"/doc/{doc.pk}/").content.decode()
    body = re.search(r'<div class="doc-body">(.*?)</article>', html, re.S).group(1)
    headings = re.findall(r'<h2 id="(sec-[\w-]+)" class="doc-heading"><span id="s\d+" class="doc-sentence">([^<]+)</span> '
                          r'<a class="heading-anchor" href="#\1"', body)
    assert [text for _, text in headings] == ["Overview", "Steps", "Parameters", "Code", "Formula"]
    toc = re.search(r'<nav class="toc card".*?</nav>', html, re.S).group(0)  # five headings: a table of contents
    assert re.findall(r'href="#(sec-[\w-]+)"', toc) == [anchor for anchor, _ in headings]
    items = re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="doc-list">(.*?)</ul>', body, re.S).group(1), re.S)
    assert len(items) == 2  # a two-sentence item stays one item; the bullet is the list's, not the text's
    assert "Create a seed phrase." in items[0] and "Keep it offline." in items[0] and "- " not in items[0]
    table = re.search(r'<table class="doc-table">(.*?)</table>', body, re.S).group(1)
    assert re.findall(r"<th scope=\"col\">([^<]+)</th>", table) == ["Name", "Value"]
    assert re.findall(r"<td>([^<]+)</td>", table) == ["FORK_BLOCK", "12965000", "BASE_FEE_MAX_CHANGE_DENOMINATOR", "8"]
    code = re.search(r'<pre class="doc-code">(.*?)</pre>', body, re.S).group(1)
    assert "function burn(uint256 amount) external {" in code and "\n" in code and "require(amount &gt; 0);" in code
    assert "$b \\cdot g$" in body  # LaTeX stays readable as text; nothing is fetched to render it
    assert html.count("<script") == 1 and " style=" not in html  # only the site's script file; no inline style


def test_back_to_results_comes_from_the_link_or_a_same_site_referer(client, site):
    doc = Document.objects.get(external_id="eip-1559")

    def back(**kwargs):
        html = client.get(f"/doc/{doc.pk}/", **kwargs).content.decode()
        link = re.search(r'<p class="back-link"><a href="([^"]+)">', html)
        return link.group(1) if link else None

    assert back(data={"back": "q=base fee&coin=ethereum&sort=date&page=2"}) == \
        "/search/?q=base+fee&amp;coin=ethereum&amp;sort=date&amp;page=2"
    assert back() is None  # not from a search: no link
    assert back(data={"back": "coin=ethereum"}) is None  # no question, no results to go back to
    assert back(data={"back": "q=fee&coin=not-a-coin"}) is None  # invalid: no link rather than an error
    assert back(data={"back": "q=fee&next=https://evil.example/"}) == "/search/?q=fee"  # rebuilt, nothing else kept
    assert back(HTTP_REFERER="http://testserver/search/?q=gas+price&sort=date") == "/search/?q=gas+price&amp;sort=date"
    assert back(HTTP_REFERER="https://elsewhere.example/search/?q=gas") is None
    assert back(HTTP_REFERER="http://testserver/about/?q=gas") is None
