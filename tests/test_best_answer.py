"""The best-answer choice (search/best_answer.py): pure functions over hit dicts."""

import pytest

from search.best_answer import as_json, choose_best_answer, coverage, is_question_like
from search.presenters import highlight


def hit(sid, doc, text, *, rank, score=10.0, terms=(), role="prose", best_match=False):
    """A hit as search/query.py makes it; `terms` are the query terms the engine searched."""
    return {"id": sid, "rank": rank, "score": score, "role": role, "text": text,
            "html": highlight(text, set(terms)), "best_match": best_match,
            "document": {"id": doc, "title": f"Document {doc}", "identifiers": []}}


POS = ("proof", "stake")


@pytest.mark.parametrize("q, expected", [
    ("what is proof of stake", True), ("base fee burned?", True), ("bitcoin mining rewards", True),
    ("fees", False), ("EIP-1559", False), ("proof stake", False)])
def test_question_like(q, expected):
    assert is_question_like(q) is expected


def test_a_definition_of_the_subject_wins_and_other_documents_support_it():
    hits = [
        hit(1, 5, "- Attack cost: a proof-of-stake attacker needs stake.", rank=1, score=29, terms=POS, role="list"),
        hit(2, 5, "In a proof-of-stake system, the validators propose and vote on blocks.", rank=2, score=27, terms=POS),
        hit(3, 5, "Proof of stake is a way for a blockchain to agree on blocks without mining.", rank=3, score=27,
            terms=POS),
        hit(4, 9, "Staking means locking up tokens to secure a proof-of-stake blockchain for rewards.", rank=4,
            score=25, terms=POS),
        hit(5, 9, "Validators are paid in the proof-of-stake chain's own coin every epoch.", rank=5, score=24,
            terms=POS),
        hit(6, 7, "The Merge switched Ethereum to proof-of-stake in September 2022.", rank=6, score=20, terms=POS),
        hit(7, 8, "Mining uses electricity and special hardware to secure a chain.", rank=7, score=19, terms=POS),
    ]
    answer = choose_best_answer("what is proof of stake", hits)
    assert answer["hit"]["id"] == 3 and answer["named"] is False
    # [1] is the answer's document, then one source per other document, in rank order; the list item
    # (a fragment) and the sentence without the question's words are never an answer or a source.
    assert [(s["number"], s["hit"]["id"]) for s in answer["sources"]] == [(1, 3), (2, 4), (3, 6)]


def test_no_answer_for_a_keyword_a_later_page_a_date_order_or_without_a_confident_sentence():
    hits = [hit(1, 1, "The base fee is burned by the protocol in every block.", rank=1, terms=("fee", "burn"))]
    assert choose_best_answer("how is the base fee burned", hits) is not None
    assert choose_best_answer("fee", hits) is None
    assert choose_best_answer("how is the base fee burned", hits, page=2) is None
    assert choose_best_answer("how is the base fee burned", hits, sort="date") is None
    # The sentence holds one of the question's three words: not confident enough.
    assert choose_best_answer("how are blob gas prices burned", [
        hit(1, 1, "Blobs carry rollup data for a few weeks only.", rank=1, terms=("blob",))]) is None
    # Too short to answer anything on its own.
    assert choose_best_answer("how is the fee burned", [hit(1, 1, "Fee burned.", rank=1, terms=("fee", "burn"))]) is None


def test_a_far_weaker_hit_is_not_the_answer_and_a_pronoun_opening_comes_last():
    terms = ("lightning", "payment", "channel")
    hits = [
        hit(1, 1, "It is based on payment channels between two parties.", rank=1, score=26, terms=terms),
        hit(2, 1, "Lightning enables fast, cheap payments between channel peers.", rank=2, score=25, terms=terms),
        hit(3, 2, "Lightning payment channels settle on Bitcoin when they close.", rank=3, score=10, terms=terms),
    ]
    answer = choose_best_answer("lightning payment channel", hits)
    assert answer["hit"]["id"] == 2  # not "It is ...", and not the one at under half the top score
    assert [s["hit"]["id"] for s in answer["sources"]] == [2]


def test_a_named_document_answers_from_itself_or_the_best_match_card_shows_alone():
    terms = ("erc20", "token")
    named = hit(1, 7, "A standard interface for fungible tokens on Ethereum.", rank=1, terms=terms, best_match=True)
    other = hit(2, 8, "ERC-20 tokens are fungible tokens that many wallets support.", rank=2, terms=terms)
    # The named document's sentence lacks "ERC-20" (the identifier matched its metadata): no answer.
    assert choose_best_answer("what is an erc20 token", [named, other]) is None
    named = hit(1, 7, "ERC-20 is a standard interface for fungible tokens.", rank=1, terms=terms, best_match=True)
    answer = choose_best_answer("what is an erc20 token", [named, other])
    assert answer["hit"]["id"] == 1 and answer["named"] is True
    assert [s["hit"]["id"] for s in answer["sources"]] == [1, 2]


def test_the_word_being_typed_counts_as_a_prefix():
    text = "Proof of stake is a way for a blockchain to agree on blocks without mining."
    typed = hit(1, 5, text, rank=1, terms=("proof", "stake"))
    assert coverage(typed, {"proof"}, "sta") == 1.0
    assert choose_best_answer("what is proof of sta", [typed], prefix=True)["hit"]["id"] == 1
    assert choose_best_answer("what is proof of xyz", [typed], prefix=True) is None


def test_the_api_form_quotes_the_sentences_and_documents():
    hits = [hit(1, 5, "Proof of stake is a way for a blockchain to agree on blocks.", rank=1, terms=POS),
            hit(2, 9, "Staking locks tokens to secure a proof-of-stake blockchain.", rank=2, terms=POS)]
    body = as_json(choose_best_answer("what is proof of stake", hits))
    assert body["id"] == 1 and body["html"].startswith("<mark>Proof</mark> of <mark>stake</mark>")
    assert [(s["number"], s["id"], s["document"]["id"]) for s in body["sources"]] == [(1, 1, 5), (2, 2, 9)]
    assert as_json(None) is None
