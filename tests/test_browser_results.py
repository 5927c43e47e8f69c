"""Results grouped by document, the best-answer block and on-demand score parts, in a real browser
(Debian's Chromium via Playwright against `python run.py` with the starter articles), at desktop
and phone sizes, with and without JavaScript. Screenshots go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .test_browser import browser, real_server  # noqa: F401  (the shared browser and server fixtures)
from .test_browser_reading import SIZES, _open, hits, shot, type_into_search

pytestmark = pytest.mark.integration

QUESTION = "what is proof of stake"
# The structure of the results (cards, their sentences, the answer block), as tag.class lists.
SHAPE = """el => [...el.querySelectorAll('*')].filter(e => !e.closest('.why-link, .why-parts > *'))
    .map(e => e.tagName + '.' + [...e.classList].sort().join('.'))"""


def cards(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#hits > .hit')].map(card => ({
        doc: card.dataset.docId, lead: card.dataset.hitId,
        others: [...card.querySelectorAll('.hit-more li:not(.hit-folded) a')].map(a => a.dataset.hitId),
        folded: (card.querySelector('.hit-folded') || {}).textContent || '',
        head: card.querySelector('.hit-title a.doc-link').getAttribute('href'),
    }))""")


def matched_sentences_are_whole(page) -> bool:
    """Every card's matched sentence is rendered whole: not clipped by its box, nor hidden."""
    return page.evaluate("""() => [...document.querySelectorAll('#hits > .hit .hit-text')].every(text => {
        const match = text.querySelector('.match').getBoundingClientRect(), box = text.getBoundingClientRect();
        return match.height > 0 && text.scrollHeight <= text.clientHeight + 1
            && match.top >= box.top - 1 && match.bottom <= box.bottom + 1;
    })""")


@pytest.mark.parametrize("size", list(SIZES))
def test_hits_are_grouped_by_document_alike_with_and_without_javascript(browser, real_server, size):  # noqa: F811
    seen = {}
    for javascript in (False, True):
        context, page = _open(browser, real_server, size, javascript=javascript)
        page.size = size
        page.goto("/search/?q=" + QUESTION.replace(" ", "+"))
        if javascript:  # the same question typed: the cards come from the API and site.js
            page.evaluate("document.querySelector('#hits > .hit').dataset.old = '1'")
            type_into_search(page, QUESTION)
            page.wait_for_function("() => { const h = document.querySelector('#hits > .hit'); return h && !h.dataset.old; }")
            page.wait_for_timeout(600)  # the last keystroke's answer
        found = cards(page)
        docs = [card["doc"] for card in found]
        assert len(docs) == len(set(docs)) >= 3, docs  # one card per document
        first = found[0]
        assert len(first["others"]) == 2 and re.fullmatch(r"\d+ more in this document", first["folded"])
        for card in found:
            assert re.fullmatch(rf"/doc/{card['doc']}/\?hit={card['lead']}&back=q%3D[^#]+#s{card['lead']}", card["head"])
        assert matched_sentences_are_whole(page)
        seen[javascript] = (found, page.locator("#hits").evaluate(SHAPE))
        shot(page, f"results-grouped-{'js' if javascript else 'nojs'}")
        # A card's other sentence opens its document at that sentence.
        other = first["others"][0]
        page.locator(f'#hits .hit-more a[data-hit-id="{other}"]').click()
        page.wait_for_url(f"**/doc/{first['doc']}/?hit={other}&back=*#s{other}")
        assert page.locator(f"#s{other}.hit-sentence").is_visible()
        context.close()
        if javascript:
            assert not page.problems, page.problems
    # The live rendering (prefix search of the same words) has the server's structure.
    (server, server_shape), (live, live_shape) = seen[False], seen[True]
    assert [c["doc"] for c in live] == [c["doc"] for c in server] and live_shape == server_shape


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
@pytest.mark.parametrize("size", list(SIZES))
def test_best_answer_numbers_lead_to_their_sentence_on_the_document_page(browser, real_server, size, javascript):  # noqa: F811
    context, page = _open(browser, real_server, size, javascript=javascript)
    page.size = size
    page.goto("/search/")
    if javascript:
        type_into_search(page, QUESTION)
    else:
        page.goto("/search/?q=" + QUESTION.replace(" ", "+"))
    block = page.locator("#best-answer")
    block.wait_for(state="visible")
    assert page.locator("#best-answer .answer-text").inner_text().startswith("Proof of stake is")
    cites = page.locator("#best-answer a.cite")
    sources = page.locator("#best-answer .answer-sources a.answer-source")
    assert cites.count() == sources.count() >= 2
    assert cites.all_inner_texts() == [f"[{n}]" for n in range(1, cites.count() + 1)]
    # The block sits above the first card and is the only highlight (no best-match card beside it).
    assert block.bounding_box()["y"] < hits(page).first.bounding_box()["y"]
    assert page.locator("#hits > .hit.best-match").count() == 0
    shot(page, f"best-answer-{'js' if javascript else 'nojs'}")
    for n in range(cites.count()):
        title = sources.nth(n).locator(".source-title").inner_text()
        href = cites.nth(n).get_attribute("href")
        assert sources.nth(n).get_attribute("href") == href
        sentence = parse_qs(urlsplit(href).query)["hit"][0]
        assert href.endswith(f"#s{sentence}")
        if n in (0, cites.count() - 1):  # the answer's document and the last source: follow the link
            cites.nth(n).click()
            page.wait_for_url(f"**/doc/*/?hit={sentence}&back=*#s{sentence}")
            assert title in page.locator("h1#doc-title").inner_text()
            assert page.locator(f"#s{sentence}.hit-sentence").is_visible()
            back = page.locator(".back-link a").get_attribute("href")
            assert back == "/search/?q=what+is+proof+of+stake"
            page.go_back()
            block.wait_for(state="visible")
    context.close()
    if javascript:
        assert not page.problems, page.problems


def test_no_answer_block_for_a_single_keyword(browser, real_server):  # noqa: F811
    context, page = _open(browser, real_server, "desktop")
    page.goto("/search/?q=fees")
    assert hits(page).count() > 0 and page.locator("#best-answer").is_hidden()
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_score_parts_are_fetched_only_when_asked_for(browser, real_server, size):  # noqa: F811
    context, page = _open(browser, real_server, size)
    page.size = size
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/search" in r.url else None)
    page.goto("/search/")
    type_into_search(page, "proof of stake validators")
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length > 0")
    page.wait_for_timeout(500)
    assert asked and not any("explain=" in url for url in asked), asked  # typing never asks for them
    first, second = (hits(page).nth(i).locator(".why") for i in (0, 1))
    assert first.locator(".why-parts > div").count() == 0
    first.locator("summary").click()
    page.wait_for_function("el => el.querySelectorAll('.why-parts > div').length > 0", arg=first.element_handle())
    assert "bm25" in first.locator(".why-parts").inner_text()
    explained = [url for url in asked if "explain=1" in url]
    assert len(explained) == 1 and "q=proof+of+stake+validators" in explained[0]
    second.locator("summary").click()  # the page's parts came with that one request
    page.wait_for_function("el => el.querySelectorAll('.why-parts > div').length > 0", arg=second.element_handle())
    assert len([url for url in asked if "explain=1" in url]) == 1
    shot(page, "why-this-result")
    context.close()
    assert not page.problems, page.problems


def test_without_javascript_the_score_parts_are_a_link_away(browser, real_server):  # noqa: F811
    context, page = _open(browser, real_server, "desktop", javascript=False)
    page.goto("/search/?q=proof+of+stake+validators")
    why = hits(page).first.locator(".why")
    why.locator("summary").click()
    why.locator(".why-link a").click()
    page.wait_for_url("**explain=1**")
    assert "bm25" in hits(page).first.locator(".why-parts").inner_text()
    context.close()
