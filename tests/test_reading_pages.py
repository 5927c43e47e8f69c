"""Results grouped by document, the best-answer block and readable key terms, through Django with
a real index and no JavaScript (the browser checks are in tests/test_browser_results.py)."""

import html
import re

import pytest

from search.grouping import BEFORE_CHARS
from search.indexing import reindex
from search.ingest import documents_store
from search.models import Document
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db

POS_GUIDE = " ".join([
    "Proof of stake is a way for a blockchain to agree on blocks without mining.",
    "Validators lock proof of stake deposits before they may propose blocks.",
    "In proof of stake, validators who cheat are slashed and lose part of their deposit.",
    "Proof of stake rewards validators with newly issued coins every epoch.",
    "Proof of stake chains finalize blocks after two epochs of votes.",
])


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(external_id="pos-guide", title="Proof of stake explained", source="guides",
                       url="https://example.org/pos", text=POS_GUIDE),
        ParsedDocument(external_id="merge", title="The Merge", source="guides",
                       text="Ethereum moved from mining to proof of stake in September 2022 with the Merge."),
        ParsedDocument(external_id="staking", title="Staking and yield", source="guides",
                       text="Staking locks tokens to secure a proof of stake blockchain in exchange for rewards."),
        ParsedDocument(external_id="fee-spec", title="Fee adjustment", source="ethereum-eips",
                       text="Let f be the FACTOR that scales the base fee. The base fee grows by FACTOR when f is "
                            "above the target. The ELASTICITY_MULTIPLIER doubles the gas target. The base fee "
                            "falls by FACTOR when blocks are empty. Validators burn the base fee of each block."),
    ])
    return reindex()


def cards_of(page: str) -> list[dict]:
    """Each server-rendered card: its lead sentence, document, other sentences and folded count."""
    listing = re.search(r'<ol id="hits".*?\n    </ol>', page, re.S).group(0)
    found = []
    for card in re.split(r'(?=<li class="hit[ "])', listing)[1:]:
        more = re.search(r'<ul class="hit-more".*?</ul>', card, re.S).group(0)
        folded = re.search(r'class="hit-folded"><a [^>]*>(\d+) more in this document<', more)
        found.append({
            "lead": int(re.search(r'data-hit-id="(\d+)"', card).group(1)),
            "doc": int(re.search(r'data-doc-id="(\d+)"', card).group(1)),
            "others": [int(i) for i in re.findall(r'<li><a class="result-link" data-hit-id="(\d+)"', more)],
            "folded": int(folded.group(1)) if folded else 0,
            "html": card,
        })
    return found


def test_results_are_one_card_per_document_with_its_best_sentences_as_the_api_groups_them(client, site):
    page = client.get("/search/", {"q": "proof of stake"}).content.decode()
    api = client.get("/api/search", {"q": "proof of stake"}).json()
    cards = cards_of(page)
    docs = [card["doc"] for card in cards]
    assert len(docs) == len(set(docs)) >= 3  # each document once
    guide = Document.objects.get(external_id="pos-guide").pk
    first = cards[0]
    assert first["doc"] == guide and len(first["others"]) == 2 and first["folded"] == 2  # 3 shown, the rest linked
    # Every hit of the page is in its document's card, in rank order of the documents' best hits.
    rank = {hit["id"]: hit["rank"] for hit in api["hits"]}
    doc_of = {hit["id"]: hit["document"]["id"] for hit in api["hits"]}
    assert sum(1 + len(c["others"]) + c["folded"] for c in cards) == len(api["hits"])
    assert all(doc_of[i] == c["doc"] for c in cards for i in [c["lead"], *c["others"]])
    assert [rank[c["lead"]] for c in cards] == sorted(rank[c["lead"]] for c in cards)
    # The API's groups are the same arrangement (site.js renders them as you type).
    assert [(g["document"], g["hits"], len(g["folded"])) for g in api["groups"]] == [
        (c["doc"], [c["lead"], *c["others"]], c["folded"]) for c in cards]
    # Each sentence links to itself on its document's page, with the way back to these results.
    for sid in first["others"]:
        assert f'href="/doc/{guide}/?hit={sid}&amp;back=q%3Dproof%2Bof%2Bstake#s{sid}"' in first["html"]


def test_the_matched_sentence_is_whole_and_only_its_neighbours_are_shortened(client, site):
    page = client.get("/search/", {"q": "validators slashed deposit"}).content.decode()
    card = cards_of(page)[0]["html"]
    text = re.search(r'<p class="hit-text">(.*?)</p>', card, re.S).group(1)
    match = re.search(r'<span class="match">(.*?)</span>(?= |$)', text, re.S).group(1)
    assert re.sub(r"</?mark>", "", match) == "In proof of stake, validators who cheat are slashed and lose part of their deposit."
    for context in re.findall(r'<span class="context">(.*?)</span>', text):
        assert len(html.unescape(context)) <= BEFORE_CHARS + 60


def test_a_question_opens_with_the_best_answer_and_its_numbered_sources(client, site):
    page = client.get("/search/", {"q": "what is proof of stake"}).content.decode()
    block = re.search(r'<section id="best-answer".*?</section>', page, re.S).group(0)
    assert " hidden>" not in block.split("\n")[0]
    answer = re.search(r'<span class="answer-text">(.*?)</span><span class="answer-cites">', block, re.S).group(1)
    assert re.sub(r"</?mark>", "", answer) == "Proof of stake is a way for a blockchain to agree on blocks without mining."
    cites = re.findall(r'<a class="cite result-link" data-hit-id="(\d+)" href="/doc/(\d+)/\?hit=(\d+)&amp;back=[^"#]+#s(\d+)"'
                       r'[^>]*>\[(\d+)\]</a>', block)
    sources = re.findall(r'<a class="answer-source result-link" data-hit-id="(\d+)" href="/doc/(\d+)/\?hit=(\d+)&amp;'
                         r'back=[^"#]+#s(\d+)"><span class="cite-number">\[(\d+)\]</span>', block)
    assert len(cites) >= 2 and cites == sources
    assert [int(n) for *_, n in cites] == list(range(1, len(cites) + 1))
    api = client.get("/api/search", {"q": "what is proof of stake"}).json()
    doc_of = {hit["id"]: hit["document"]["id"] for hit in api["hits"]}
    for hit_id, doc, linked, anchor, _ in cites:  # each number leads to its sentence on its document's page
        assert hit_id == linked == anchor and doc_of[int(hit_id)] == int(doc)
    assert len({doc for _, doc, *_ in cites}) == len(cites)  # one number per document
    assert int(cites[0][1]) == Document.objects.get(external_id="pos-guide").pk
    best = api["best_answer"]
    assert [(s["number"], s["id"], s["document"]["id"]) for s in best["sources"]] == [
        (int(n), int(i), int(d)) for i, d, _, _, n in cites]
    assert best["id"] == int(cites[0][0]) and best["named"] is False


def test_no_answer_block_for_a_keyword_or_a_date_ordered_page(client, site):
    for params in ({"q": "proof"}, {"q": "what is proof of stake", "sort": "date"}):
        page = client.get("/search/", params).content.decode()
        assert re.search(r'<section id="best-answer"[^>]* hidden>', page)
        assert client.get("/api/search", params).json()["best_answer"] is None


def test_a_named_specification_answers_in_the_block_instead_of_a_second_highlight(client, index_dir, shipped_ranker):
    documents_store([
        ParsedDocument(external_id="erc-20", title="Token Standard", source="ethereum-ercs",
                       text="ERC-20 is a standard interface for fungible tokens. Tokens can be transferred."),
        ParsedDocument(external_id="erc-4626", title="Tokenized Vaults", source="ethereum-ercs",
                       text="Vaults hold ERC-20 tokens deposited by users of the vault."),
    ])
    reindex()
    erc20 = Document.objects.get(external_id="erc-20").pk
    page = client.get("/search/", {"q": "what is an erc20 token"}).content.decode()
    block = re.search(r'<section id="best-answer".*?</section>', page, re.S).group(0)
    assert '<span class="best-answer-named">, from the specification you named</span>' in block
    assert f'href="/doc/{erc20}/?hit=' in re.search(r'<a class="cite result-link".*?</a>', block).group(0)
    first = cards_of(page)[0]
    assert first["doc"] == erc20 and "best-match" not in first["html"].split(">")[0]
    # A bare identifier is no question: its best-match card, and no answer block.
    page = client.get("/search/", {"q": "ERC-20"}).content.decode()
    assert re.search(r'<section id="best-answer"[^>]* hidden>', page)
    assert 'class="hit best-match"' in page


def test_document_key_terms_leave_out_letters_constants_and_numbers(client, site):
    doc = Document.objects.get(external_id="fee-spec").pk
    page = client.get(f"/doc/{doc}/").content.decode()
    terms = re.findall(r'<li><a class="chip" href="/search/\?q=[^"]*">([^<]+)</a></li>',
                       re.search(r'<h2 id="terms-title">Key terms</h2>(.*?)</section>', page, re.S).group(1))
    assert "fee" in terms and "FACTOR" not in terms and "f" not in terms
    assert not any("_" in t or len(t) < 3 for t in terms), terms
