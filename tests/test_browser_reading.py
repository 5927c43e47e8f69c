"""Reading experience in a real browser (Debian's Chromium via Playwright, against `python run.py`
with the starter articles), at desktop and phone sizes, with and without JavaScript: tone badges,
search as you type, suggestions, filters and history, the count, and the public dashboard.

Screenshots of the main pages are saved under tests/artifacts/screenshots/ (git-ignored) for a
reviewer to look at.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from .conftest import ROOT
from .test_browser import CSP, browser, real_server  # noqa: F401  (the shared browser and server fixtures)

pytestmark = pytest.mark.integration

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def _open(browser, real_server, size: str, *, javascript: bool = True):  # noqa: F811
    phone = size == "phone"
    context = browser.new_context(base_url=real_server.url, viewport=SIZES[size], java_script_enabled=javascript,
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)

    def with_csp(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)  # a redirect goes back to the browser as a redirect
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    context.route("**/*", with_csp)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture(params=["desktop", "phone"])
def page(request, browser, real_server):  # noqa: F811
    context, page = _open(browser, real_server, request.param)
    page.size = request.param
    yield page
    context.close()
    assert not page.problems, page.problems


@pytest.fixture(params=["desktop", "phone"])
def static_page(request, browser, real_server):  # noqa: F811
    """The same visitor with JavaScript off."""
    context, page = _open(browser, real_server, request.param, javascript=False)
    page.size = request.param
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.size}.png"), full_page=True)


def hits(page):
    return page.locator("#hits > .hit")


def type_into_search(page, text: str) -> None:
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially(text, delay=35)


# --- tone -------------------------------------------------------------------------------------


def test_no_tone_badges_on_explainers_and_specs_without_javascript(static_page):
    static_page.goto("/search/?q=the+exchange+was+hacked+and+lost+funds")
    assert hits(static_page).count() > 0
    assert static_page.locator("#hits .badge.sentiment").count() == hits(static_page).count()
    assert static_page.locator("#hits .badge.sentiment-negative").count() > 0  # the score is kept...
    assert not any(b.is_visible() for b in static_page.locator("#hits .badge.sentiment").all())  # ...not shown
    shot(static_page, "results-no-js")


def test_tone_badges_follow_the_api_with_javascript(page):
    # The starter articles are explainers: no hit shows a tone. A news hit (sentiment.shown) does.
    def mark_first_as_news(route):
        response = route.fetch()
        body = response.json()
        if body.get("hits"):
            body["hits"][0]["sentiment"].update(shown=True, label="negative")
        route.fulfill(response=response, body=json.dumps(body))

    page.goto("/search/")
    type_into_search(page, "hacked exchange lost funds")
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length > 0")
    page.wait_for_timeout(500)
    assert not any(b.is_visible() for b in page.locator("#hits .badge.sentiment").all())
    page.route("**/api/search?*", mark_first_as_news)
    type_into_search(page, "hacked exchange lost money")
    page.wait_for_function("() => document.querySelector('#hits > .hit .badge.sentiment:not([hidden])')")
    visible = [b for b in page.locator("#hits .badge.sentiment").all() if b.is_visible()]
    assert len(visible) == 1 and visible[0].inner_text() == "negative"


# --- search as you type -------------------------------------------------------------------------


def test_the_word_being_typed_is_a_prefix_not_a_typo(page):
    page.goto("/search/")
    type_into_search(page, "what is proof of sta")
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length > 0")
    page.wait_for_timeout(600)
    assert page.locator('[data-spelling="suggested"]').is_hidden()
    assert page.locator('[data-spelling="corrected"]').is_hidden()
    assert "rta" not in page.locator("#results").inner_text().lower()
    first = hits(page).first.locator(".match").inner_text().lower()
    assert "stak" in first, first
    shot(page, "typing-proof-of-sta")
    type_into_search(page, "wh")
    page.wait_for_function("() => document.querySelector('#summary').textContent.startsWith('Keep typing')")
    assert page.locator('[data-state="zero"]').is_hidden()
    assert "Nothing matched" not in page.locator("#results").inner_text()


def test_suggestions_are_whole_and_fit_what_was_typed(page):
    def options(typed):
        page.goto("/search/")
        type_into_search(page, typed)
        page.wait_for_function(
            "t => document.querySelectorAll('#q-suggestions option').length > 0 || "
            "performance.getEntriesByType('resource').some(e => e.name.includes('/api/suggest') && "
            "decodeURIComponent(e.name.replace(/\\+/g, ' ')).endsWith('q=' + t))", arg=typed)
        page.wait_for_timeout(400)
        return page.eval_on_selector_all("#q-suggestions option", "os => os.map(o => o.value)")

    proof = options("proof of st")
    assert any(o.endswith("proof of stake") for o in proof[:3]), proof
    lightning = options("lightning chan")
    assert lightning and lightning[0] == "lightning channels", lightning
    assert not any(re.search(r"\b51\d", o) for o in options("what is a 51"))
    assert not any(re.search(r"[a-z][A-Z]", o) for o in options("nft"))


# --- filters, history, help line, count -----------------------------------------------------------


def test_filters_update_the_badge_and_back_undoes_them(page):
    page.goto("/search/?q=bitcoin+fees")
    page.locator(".filters-panel summary").click()
    badge = page.locator(".filters-active")
    assert badge.is_hidden()
    page.select_option("#f-coin", "bitcoin")
    page.wait_for_url("**/search/?q=bitcoin+fees&coin=bitcoin")
    assert badge.inner_text() == "1 active"
    page.select_option("#f-sort", "date")
    page.wait_for_url("**/search/?q=bitcoin+fees&coin=bitcoin&sort=date")
    assert badge.inner_text() == "2 active"
    shot(page, "filters-active")
    page.go_back()
    page.wait_for_url("**/search/?q=bitcoin+fees&coin=bitcoin")
    assert page.locator("#f-sort").input_value() == "relevance" and badge.inner_text() == "1 active"
    page.go_back()
    page.wait_for_url("**/search/?q=bitcoin+fees")
    assert page.locator("#f-coin").input_value() == "" and badge.is_hidden()
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length > 0")
    # With JavaScript the help line (shown from 640 px up) promises what now works.
    help_line = page.locator("#search-help").text_content()
    assert "as you type" in help_line and "j/k" in help_line.replace(" ", "")


def test_without_javascript_the_help_line_and_urls_are_honest(static_page):
    static_page.goto("/search/?q=bitcoin+fees")
    help_line = static_page.locator("#search-help").text_content()
    assert "as you type" not in help_line and "j/k" not in help_line and "Enter" in help_line
    static_page.locator(".filters-panel summary").click()
    static_page.select_option("#f-coin", "bitcoin")
    static_page.locator(".filters button[type=submit]").click()
    static_page.wait_for_url("**/search/?q=bitcoin+fees&coin=bitcoin")
    assert not re.search(r"[?&]\w+=(&|$)", static_page.url), static_page.url
    assert static_page.locator(".filters-active").inner_text() == "1 active"


def test_the_count_is_of_sentences_with_every_word(page):
    page.goto("/search/?q=what+is+proof+of+stake")
    summary = page.locator("#summary").inner_text()
    every, some = re.search(r"([\d,]+) sentences? with every word of “what is proof of stake”, ([\d,]+) results? in all",
                            summary).groups()
    assert int(every.replace(",", "")) < int(some.replace(",", ""))
    type_into_search(page, "proof of stake validators")
    page.wait_for_url("**/search/?q=proof+of+stake+validators")
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('validators')")
    assert re.search(r"with every word of “proof of stake validators”|matching sentences? for",
                     page.locator("#summary").inner_text())


# --- public dashboard -------------------------------------------------------------------------------


def _add_offline_snapshot(real_server):  # noqa: F811
    now = datetime.now(timezone.utc).isoformat()
    metrics = {"queries": 438, "ndcg10": 0.8123, "mrr10": 0.7711, "recall10": 0.9345, "hit10": 0.9345}
    with real_server.db() as db:
        if not db.execute("SELECT 1 FROM evaluation_metricsnapshot WHERE kind = 'offline'").fetchone():
            db.execute("INSERT INTO evaluation_metricsnapshot (created_at, window_start, window_end, kind, "
                       "index_version, ranker, metrics) VALUES (?, ?, ?, 'offline', ?, ?, ?)",
                       (now, now, now, "20261201T111707.169758-f3907f", "bm25-title-v2", json.dumps(metrics)))


@pytest.mark.parametrize("width", [320, 360, 768, 1280])
def test_dashboard_fits_every_width(browser, real_server, width):  # noqa: F811
    _add_offline_snapshot(real_server)
    context = browser.new_context(base_url=real_server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/search/?q=bitcoin")  # at least one day with data
    page.goto("/evaluation/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for figure in page.locator(".chart-figure").all():
        box, svg = figure.bounding_box(), figure.locator("svg").bounding_box()
        assert figure.evaluate("f => f.scrollWidth <= f.clientWidth")
        assert svg["x"] >= box["x"] and svg["x"] + svg["width"] <= box["x"] + box["width"] + 0.5
        # The latest day's label is inside the drawing (charts with data: the votes chart may have none).
        if figure.locator("text.axis[text-anchor=end]").count():
            label = figure.locator("text.axis[text-anchor=end]").last.bounding_box()
            assert label["x"] + label["width"] <= svg["x"] + svg["width"] + 0.5
    offline = page.locator("table.offline")
    assert offline.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), "the offline table scrolls sideways"
    # Hit@10, the last column, is in view: as a column on wide screens, as a labelled line on phones.
    cell = offline.locator('td[data-label="Hit@10"]').first
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and cell.inner_text().endswith("93.5%")
    if width >= 640:
        header = offline.locator("th", has_text="Hit@10").bounding_box()
        assert header["x"] + header["width"] <= width
    else:
        assert cell.evaluate("c => getComputedStyle(c, '::before').content") == '"Hit@10: "'
    text = page.locator("main").inner_text()
    assert "manage.py" not in text and not re.search(r"(?<![\d.,])0\.\d{3}\b", text)
    if width in (360, 1280):
        page.size = "phone" if width == 360 else "desktop"
        shot(page, "dashboard")
        page.goto("/evaluation/")
        assert "manage.py" not in page.locator("main").inner_text()
        shot(page, "evaluation")
    context.close()


def test_screenshots_of_the_main_pages(page):
    page.goto("/")
    shot(page, "home")
    page.goto("/search/?q=how+does+EIP-1559+burn+fees")
    shot(page, "results")
    page.locator("#hits > .hit a.doc-link").first.click()
    page.wait_for_url("**/doc/**")
    shot(page, "document")


# --- result cards -----------------------------------------------------------------------------

def fully_visible_hits(page) -> int:
    """How many hit cards lie entirely inside the first screen (no scrolling)."""
    return page.evaluate("""() => {
        const h = window.innerHeight;
        return [...document.querySelectorAll('#hits > .hit')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= h;
        }).length;
    }""")


def fully_visible_sentences(page) -> int:
    """How many matching sentences (a card's lead and its other sentences) lie entirely inside the
    first screen: with cards grouped by document, a result is a sentence and a card may hold three."""
    return page.evaluate("""() => {
        const h = window.innerHeight;
        return [...document.querySelectorAll('#hits > .hit .hit-text .match, #hits > .hit .hit-more li:not(.hit-folded)')]
            .filter(el => { const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= h; })
            .length;
    }""")


def test_desktop_first_screen_shows_several_results(browser, real_server):  # noqa: F811
    for javascript in (True, False):
        context, page = _open(browser, real_server, "desktop", javascript=javascript)
        page.goto("/search/?q=fees")
        assert page.locator("#hits > .hit .match, #hits > .hit .hit-more li:not(.hit-folded)").count() >= 6
        cards, sentences = fully_visible_hits(page), fully_visible_sentences(page)
        print(f"at 1280x900 (JavaScript {'on' if javascript else 'off'}): {cards} whole document cards, "
              f"{sentences} whole matching sentences")
        # It was 2 sentences with the snippet-first cards and 5 with one card per sentence; grouped by
        # document, 8 (in 3 whole cards) were measured; 6 and 3 leave room for font metrics.
        assert sentences >= 6 and cards >= 3
        context.close()


# (the score parts differ by design: the API sends them, the page links to a page that shows them)
CARD_SHAPE = """hit => [...hit.querySelectorAll('*')].filter(el => !el.closest('.why-link, .why-parts > *'))
    .map(el => el.tagName + '.' + [...el.classList].sort().join('.'))"""


def test_card_head_is_the_document_and_live_cards_match_the_server_ones(page):
    page.goto("/search/?q=fees")
    first = hits(page).first
    head = first.locator(".hit-title a.doc-link")
    assert re.fullmatch(r"/doc/\d+/\?hit=\d+&back=q%3Dfees#s\d+", head.get_attribute("href"))
    assert head.inner_text().strip() == first.locator(".hit-doc-title").inner_text().strip() != ""
    order = first.evaluate("h => [...h.children].map(c => c.className)")
    assert order.index("hit-title") < order.index("hit-text")  # the document first, then the snippet
    source = first.locator("a.source-link")
    if source.get_attribute("href"):  # an original elsewhere: a separate link that says it leaves the site
        assert source.get_attribute("rel") == "noopener nofollow"
        assert "leaves CryptoSights" in source.get_attribute("aria-label")
    server_shape = first.evaluate(CARD_SHAPE)
    # The same results rendered by site.js as you type have the same structure and links.
    first.evaluate("h => h.dataset.old = '1'")
    type_into_search(page, "fees")
    page.wait_for_function("() => { const h = document.querySelector('#hits > .hit'); return h && !h.dataset.old; }")
    live = hits(page).first
    assert live.evaluate(CARD_SHAPE) == server_shape
    assert live.locator(".hit-title a.doc-link").get_attribute("href") == head.get_attribute("href")
    shot(page, "result-cards")
    # Enter on a selected hit opens its page here.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/doc/*/?hit=*&back=q%3Dfees#s*")


def _check_document_page(page):
    h1 = page.locator("h1#doc-title")
    assert "How Bitcoin Transactions and Fees Work" in h1.inner_text()
    headings = page.locator(".doc-body .doc-heading")
    assert headings.count() >= 4
    for i in range(headings.count()):
        anchor = headings.nth(i).get_attribute("id")
        assert anchor and headings.nth(i).locator(f'a.heading-anchor[href="#{anchor}"]').count() == 1
    assert "Inputs and Outputs" in page.locator(".doc-body h2 .doc-sentence").all_inner_texts()
    assert page.locator(".doc-body p.doc-prose").count() >= 4  # prose between headings, not one run-on block
    toc = page.locator("nav.toc a")
    assert toc.count() == headings.count()
    target = toc.nth(1).get_attribute("href")
    toc.nth(1).click()
    page.wait_for_url(f"**{target}")
    assert page.locator(target).is_visible()
    hit = page.locator(".hit-sentence")
    assert hit.count() == 1 and hit.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_document_page_keeps_structure_and_leads_back_to_the_same_results(browser, real_server, javascript):  # noqa: F811
    for size in SIZES:
        context, page = _open(browser, real_server, size, javascript=javascript)
        page.size = size
        page.goto("/search/?q=fee+mempool&sort=date")
        results_url = page.url
        hits(page).locator("a.doc-link", has_text="How Bitcoin Transactions and Fees Work").first.click()
        page.wait_for_url("**/doc/**")
        _check_document_page(page)
        if not javascript:
            shot(page, "document-structure-nojs")
        back = page.locator(".back-link a")
        assert back.get_attribute("href") == "/search/?q=fee+mempool&sort=date"
        back.click()
        page.wait_for_url(results_url)
        assert hits(page).count() > 0 and page.locator("#q").input_value() == "fee mempool"
        context.close()
        if javascript:
            assert not page.problems, page.problems
