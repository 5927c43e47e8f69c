"""Sentence roles, duplicate groups, document postings, citations and the fusion of evidence."""

import math
from collections import Counter

import numpy as np
import pytest

from search.doc_signals import register, unregister
from search.index import citations
from search.index.build import DocRecord
from search.index.engine import Index, RankParams
from search.index.fusion import Evidence
from search.nlp import roles
from search.nlp.analyzer import analyze
from search.query_ranking import rank_request
from search.rankers import DEFAULT, PREVIOUS_DEFAULT
from search.search_request import SearchRequest
from search.search_service import run_search

from .conftest import built_index


def classify(text: str) -> list[str]:
    return [roles.NAMES[r] for r in roles.classify_lines(text.split("\n"))]


def test_roles_of_lines():
    text = "\n".join([
        "Motivation",
        "The base fee is burned so that block producers cannot manipulate it.",
        "- Each list item says one thing.",
        "- BIP32 - Hierarchical Deterministic Wallets",
        "- https://example.org/spec",
        "Field | Type | Meaning",
        "function transfer(address to, uint256 value) returns (bool);",
        "x = (a * b) ^ 2 + 1",
        "The payload for this transaction is",
        "Rationale about everything in a long section heading that is too long to be one at all",
        "References",
        "- Some paper about fee markets, 2019",
        "Buterin, V. A note on fee markets",
    ])
    assert classify(text) == [
        "heading", "prose", "list", "reference", "reference", "table", "code", "code", "prose", "prose",
        "heading", "reference", "reference",
    ]


BOILERPLATE = "The key words MUST and SHOULD in this document are to be interpreted as described in RFC 2119."


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory) -> Index:
    docs = [
        ("erc-20", "Token Standard", "https://eips.ethereum.org/EIPS/eip-20",
         "Abstract\n\nA standard interface for fungible tokens that can be transferred and approved.\n\n"
         f"{BOILERPLATE}\n\nTransfer\n\nTransfers value tokens to an address and fires the Transfer event.\n\n"
         "Approvals let a spender move tokens on behalf of the owner."),
        ("erc-9001", "Token extension one", "https://eips.ethereum.org/EIPS/eip-9001",
         f"An extension of ERC-20 that adds hooks.\n\n{BOILERPLATE}\n\nRequires ERC-20 approvals first."),
        ("erc-9002", "Token extension two", "",
         f"Builds on EIP-20 and on ERC-9001, see https://eips.ethereum.org/EIPS/eip-9001.\n\n{BOILERPLATE}"),
        ("eip-9003", "Fee burning", "",
         "---\neip: 9003\nrequires: 20\n---\n\nMotivation\n\nBurning fees removes tokens from circulation."),
        ("article", "Unrelated article", "", "Weather today is fine and nobody talks about tokens or fees here."),
    ]
    records = [DocRecord(i + 1, slug, title, url, "corpus", None, text) for i, (slug, title, url, text) in enumerate(docs)]
    return built_index(records, tmp_path_factory.mktemp("evidence"), k1=0.9, b=0.5)


def doc(index, slug):
    return index.doc_of_slug(slug)


def test_citations_from_mentions_requires_and_links(corpus_index):
    idx = corpus_index
    erc20, one, two, burn = (doc(idx, s) for s in ("erc-20", "erc-9001", "erc-9002", "eip-9003"))
    assert idx.cites(one) == [erc20]
    assert idx.cites(two) == sorted([erc20, one])  # "EIP-20" is ERC-20; a mention and a link to erc-9001
    assert idx.cites(burn) == [erc20]  # front matter requires: 20
    assert idx.cited_by(erc20) == sorted([one, two, burn])
    assert idx.cites(doc(idx, "article")) == [] and idx.cited_by(doc(idx, "article")) == []
    authority = np.asarray(idx.doc_authority)
    assert authority[erc20] == authority.max() and authority[erc20] > authority[doc(idx, "article")]


def test_pagerank_of_a_small_graph():
    src, dst = np.array([0, 1, 2, 3]), np.array([2, 2, 3, 2])  # 2 is cited three times
    rank = citations.pagerank(5, src, dst)
    assert rank.mean() == pytest.approx(1.0)
    assert rank.argmax() == 2 and rank[3] > rank[0] == pytest.approx(rank[4])
    assert citations.normalise_url("HTTPS://www.Example.org/a/?x=1#f") == "example.org/a"


def test_sentence_roles_sections_and_duplicates_are_stored(corpus_index):
    idx = corpus_index
    first = int(idx.doc_first_sent[doc(idx, "erc-20")])
    sentences = [idx.sentences[s] for s in idx.document_sentences(doc(idx, "erc-20"))]
    assert idx.role_of(first) == "heading" and sentences[0] == "Abstract"
    transfer_heading = first + sentences.index("Transfer")
    transfer_text = transfer_heading + 1
    assert int(idx.sent_section[transfer_text]) == transfer_heading
    assert int(idx.sent_section[transfer_heading]) == -1
    boiler = [s for s in range(idx.sentence_count) if idx.sentences[s] == BOILERPLATE]
    assert len(boiler) == 3
    assert {int(idx.sent_dup[s]) for s in boiler} == {boiler[0]}
    assert [idx.also_in(s) for s in boiler] == [2, 2, 2]
    assert idx.also_in(transfer_text) == 0


def test_duplicates_are_shown_once(corpus_index):
    terms = analyze("key words MUST SHOULD interpreted")
    collapsed = corpus_index.rank(terms, params=RankParams(collapse_duplicates=True), per_doc=None)
    plain = corpus_index.rank(terms, params=RankParams(), per_doc=None)
    text = lambda ranking: [corpus_index.sentences[s] for s in ranking.sentence_ids]  # noqa: E731
    assert text(plain).count(BOILERPLATE) == 3
    assert text(collapsed).count(BOILERPLATE) == 1
    hit = run_search(corpus_index, SearchRequest(q="key words MUST SHOULD interpreted"), ranker=DEFAULT).hits[0]
    assert hit["text"] == BOILERPLATE and hit["also_in"] == 2


def test_document_postings_are_bm25_over_whole_documents(corpus_index):
    idx = corpus_index
    docs_terms = [Counter(t for s in idx.document_sentences(d) for t in analyze(idx.sentences[s]))
                  for d in range(idx.document_count)]
    lengths = [sum(c.values()) for c in docs_terms]
    avg = sum(lengths) / len(lengths)
    k1, b = 1.2, 0.75
    for term in ("token", "fee", "approv"):
        df = sum(1 for c in docs_terms if c[term])
        idf = math.log(1 + (len(docs_terms) - df + 0.5) / (df + 0.5))  # never negative over documents
        expected = [0.0 if not c[term] else idf * c[term] * (k1 + 1) / (c[term] + k1 * (1 - b + b * n / avg))
                    for c, n in zip(docs_terms, lengths)]
        got = idx.document_scores([term], RankParams(doc_k1=k1, doc_b=b, k1=0.9, b=0.5))
        assert got == pytest.approx(expected, rel=1e-5)


def test_heading_and_reference_hits_are_demoted(corpus_index):
    terms = analyze("motivation")
    plain = corpus_index.score(terms, RankParams())
    demoted = corpus_index.score(terms, RankParams(role_weight=0.5))
    heading = [s for s in plain[0] if corpus_index.role_of(int(s)) == "heading"]
    assert heading
    at = list(plain[0]).index(heading[0])
    assert demoted[1][at] == pytest.approx(plain[1][at] * 0.5)


def test_section_scores_lend_each_matching_heading_to_its_sentences(corpus_index):
    idx = corpus_index
    terms = analyze("transfer tokens address")
    candidates, parts, _ = idx.score_parts(terms, RankParams(section_weight=1.0))
    bm25 = dict(zip(candidates.tolist(), parts["bm25"].tolist()))
    expected = [bm25.get(int(idx.sent_section[sid]), 0.0) if int(idx.sent_section[sid]) >= 0 else 0.0
                for sid in candidates.tolist()]
    assert parts["section"].tolist() == pytest.approx(expected)
    assert any(expected)  # the "Transfer" heading matched and lent its score


def test_fusion_parts_add_up_and_each_weight_matters(corpus_index):
    idx = corpus_index
    terms = analyze("tokens transferred approved")
    params = RankParams(k1=0.9, b=0.5, title_weight=0.5, role_weight=0.5, section_weight=0.3, doc_weight=1.0,
                        authority_weight=0.5)
    candidates, parts, boost = idx.score_parts(terms, params, doc_boost={doc(idx, "erc-9001"): 1.0}, separate=True)
    assert set(parts) == {"bm25", "section", "title", "document", "authority"}
    combined = idx.score_parts(terms, params, doc_boost={doc(idx, "erc-9001"): 1.0})[1]
    assert set(combined) == {"bm25", "section", "documents"}  # document-level parts gathered once
    assert combined["documents"] == pytest.approx(parts["title"] + parts["document"] + parts["authority"])
    candidates2, total = idx.score(terms, params, doc_boost={doc(idx, "erc-9001"): 1.0})
    assert list(candidates) == list(candidates2)
    assert total == pytest.approx(sum(parts.values()) * boost)
    # With no evidence weights the score is plain BM25 (what the parity test checks against rank-bm25).
    bare = idx.score(terms, RankParams(k1=0.9, b=0.5))
    assert bare[1] == pytest.approx(idx.score_parts(terms, RankParams(k1=0.9, b=0.5))[1]["bm25"])
    # Whole-document evidence lifts the sentences of the document that matches as a whole.
    only_doc = idx.score(terms, RankParams(k1=0.9, b=0.5, doc_weight=5.0))
    best = int(only_doc[0][np.argmax(only_doc[1])])
    assert idx.doc_slug[int(idx.sent_doc[best])] == "erc-20"


def test_named_document_signals_are_fused_by_weight(corpus_index):
    idx = corpus_index
    article = doc(idx, "article")

    def provider(index, query):
        scores = np.zeros(index.document_count)
        scores[article] = 1.0
        return scores

    register("test-signal", provider)
    try:
        ranker = PREVIOUS_DEFAULT.with_changes(name="signal", signal_weights={"test-signal": 50.0}, min_terms=0)
        ranking = rank_request(idx, SearchRequest(q="tokens"), ranker, limit=5, page_size=5).ranking
        assert idx.doc_slug[int(idx.sent_doc[ranking.sentence_ids[0]])] == "article"
        # The signal's best document becomes a candidate even when it shares no word with the query.
        found = rank_request(idx, SearchRequest(q="approvals"), ranker, limit=5, page_size=5).ranking
        assert "article" in {idx.doc_slug[int(idx.sent_doc[s])] for s in found.sentence_ids}
        assert not idx.document_scores(analyze("approvals"))[article]
        off = rank_request(idx, SearchRequest(q="tokens"), PREVIOUS_DEFAULT.with_changes(name="p", min_terms=0),
                           limit=5, page_size=5).ranking
        assert idx.doc_slug[int(idx.sent_doc[off.sentence_ids[0]])] != "article"
        evidence = Evidence(signals={"test-signal": provider(idx, "")})
        parts = idx.score_parts(analyze("tokens"), RankParams(signal_weights=(("test-signal", 2.0),)),
                                evidence=evidence, separate=True)[1]
        assert "test-signal" in parts and parts["test-signal"].max() == 2.0
    finally:
        unregister("test-signal")


def test_explain_gives_each_hits_score_parts(corpus_index):
    response = run_search(corpus_index, SearchRequest(q="what is ERC-20 approval", explain=True), ranker=DEFAULT)
    assert response.hits
    for hit in response.hits:
        parts = hit["explain"]
        additive = sum(v for k, v in parts.items() if isinstance(v, float) and k not in ("boost_factor", "total"))
        assert parts["total"] == pytest.approx(additive * parts["boost_factor"], abs=1e-3)
        assert parts["total"] == pytest.approx(hit["score"], abs=1e-3)
        assert {"bm25", "title", "document", "authority", "role"} <= set(parts)
    first = response.hits[0]
    assert first["best_match"] and first["explain"]["identifier"] == DEFAULT.identifier_weight
    assert first["explain"]["identifiers_named"] == ["ERC-20"]
    plain = run_search(corpus_index, SearchRequest(q="what is ERC-20 approval"), ranker=DEFAULT)
    assert "explain" not in plain.hits[0]
