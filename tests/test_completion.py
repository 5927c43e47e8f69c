"""Typing: the last word is a prefix (search as you type), suggestions are whole and fit what was
typed, and the count a visitor reads is of sentences with every word."""

import re

import numpy as np
import pytest

from search.completion import partial_expansions, split_partial
from search.suggestions import identifier, suggestions
from search.index.engine import Filters
from search.match_count import sentences_with_every_word, word_groups
from search.query_ranking import rank_request
from search.search_request import SearchRequest
from search.rankers import DEFAULT

EXAMPLES = [("what is proof of stake", 3), ("what is a Lightning Network payment channel", 3)]


def _rank(index, q, prefix):
    return rank_request(index, SearchRequest(q=q, prefix=prefix), DEFAULT, wait_for_spelling=True)


def test_the_word_being_typed_is_completed_never_corrected(starter_index):
    typed = _rank(starter_index, "what is proof of sta", prefix=True)
    assert typed.did_you_mean == "" and typed.ranking.total > 0
    top = [starter_index.sentences[sid].lower() for sid in typed.ranking.sentence_ids[:5]]
    assert all("stake" in s or "staking" in s for s in top), top
    # Submitted as a whole question, the same text is a finished word: it may be corrected.
    submitted = _rank(starter_index, "what is proof of sta", prefix=False)
    assert submitted.did_you_mean.startswith("what is proof of ") and submitted.did_you_mean != "what is proof of sta"
    # Finished words are still corrected while typing; the word being typed is kept as typed.
    assert _rank(starter_index, "what is prof of sta", prefix=True).did_you_mean == "what is proof of sta"


def test_only_the_start_of_a_stop_word_is_nothing_to_search_yet(starter_index):
    answer = _rank(starter_index, "wh", prefix=True)
    assert answer.incomplete and answer.ranking.total == 0
    assert not _rank(starter_index, "bitcoin wh", prefix=True).incomplete


def test_completions_are_weighed_by_the_phrase_they_continue(starter_index):
    weights = partial_expansions(starter_index, "lightning", "chan")
    assert weights["channel"] == 1.0 and weights.get("chang", 0) < weights["channel"]
    assert partial_expansions(starter_index, "proof of", "st")["stake"] == 1.0
    assert partial_expansions(starter_index, "what is a", "51") == {}  # "51" is not the start of "512"
    assert split_partial("how does EIP 15") == ("how does", "EIP-15")


def test_suggestions_are_whole_and_fit_what_was_typed(starter_index):
    assert suggestions(starter_index, "proof of st", EXAMPLES)[0] == "what is proof of stake"
    assert "proof of stake" in suggestions(starter_index, "proof of st", [])
    lightning = suggestions(starter_index, "lightning chan", [])
    assert lightning[0] == "lightning channels" and lightning.index("lightning channels") < lightning.index(
        "lightning change")
    assert suggestions(starter_index, "wh", EXAMPLES) == [q for q, _ in EXAMPLES]
    assert not any(re.search(r"\d", s) for s in suggestions(starter_index, "what is a 51", []))
    # Titles are offered whole; identifiers in one spelling.
    assert "Proof of Stake Explained" in suggestions(starter_index, "proof of st", [])
    ids = suggestions(starter_index, "eip-15", [])
    assert ids[0] == "EIP-1559" and not any(s.lower() in ("eip1559", "eip 1559") for s in ids)
    assert identifier("bip-0032") == "BIP-32" and identifier("eip-1559") == "EIP-1559" and identifier("guide") is None
    assert identifier("bolt-02") == "BOLT 2"


def test_popular_questions_outrank_examples_and_words(starter_index):
    found = suggestions(starter_index, "proof of st", [*EXAMPLES, ("how does proof of stake slash validators", 40)])
    assert found[0] == "how does proof of stake slash validators"


def test_code_names_are_never_offered(starter_index):
    for typed in ["nft", "set", "approve", "get"]:
        assert not any(re.search(r"[a-z][A-Z]|_", s) for s in suggestions(starter_index, typed, [])), typed


def test_the_count_is_of_sentences_with_every_word(starter_index):
    answer = _rank(starter_index, "what is proof of stake", prefix=False)
    assert 0 < answer.all_words < answer.ranking.total
    proof, stake = (starter_index.term_id(t) for t in ("proof", "stake"))

    def sentences(tid):
        return set(int(s) for s in starter_index.post_sent[starter_index.post_ptr[tid]:starter_index.post_ptr[tid + 1]])

    both = np.array(sorted(sentences(proof) & sentences(stake)))
    expected = int(np.count_nonzero(np.asarray(starter_index.sent_len)[both] >= DEFAULT.min_terms))
    assert answer.all_words == expected
    assert word_groups("proof-of-stake consensus") == [{"proof-of-stake", "proof", "stake"}, {"consensus"}]
    assert sentences_with_every_word(starter_index, [{"stake"}, {"nosuchword"}], Filters()) == 0


@pytest.mark.django_db
def test_api_prefix_and_incomplete(client, index_dir):
    from search.indexing import reindex
    from search.ingest import documents_store
    from search.parsing import ParsedDocument

    documents_store([ParsedDocument(
        external_id="pos", title="Proof of stake", source="guides",
        text="Proof of stake secures Ethereum with staked ether. A proof of work chain burns power. "
             "Stakers who cheat lose their stake.")])
    reindex()
    typed = client.get("/api/search", {"q": "proof of sta", "prefix": "1"}).json()
    assert typed["did_you_mean"] == "" and typed["total"] > 0 and typed["incomplete"] is False
    assert "<mark>stake</mark>" in typed["hits"][0]["html"].lower()
    assert typed["all_words"] <= typed["total"]
    waiting = client.get("/api/search", {"q": "wh", "prefix": "1"}).json()
    assert waiting["incomplete"] is True and waiting["total"] == 0
