"""Specification identifiers: every spelling resolves to one identifier; documents get theirs
from id, URL, title and front matter; a query naming one puts that document first."""

import pytest

from search.index.build import DocRecord
from search.index.engine import Index
from search.nlp import identifiers
from search.query_ranking import rank_request
from search.query_identifiers import named_specs
from search.rankers import DEFAULT, PREVIOUS_DEFAULT
from search.search_request import SearchRequest

from .conftest import built_index


@pytest.mark.parametrize("spelling, label", [
    ("erc20", "ERC-20"), ("ERC 20", "ERC-20"), ("ERC-20", "ERC-20"), ("erc_20", "ERC-20"), ("ERC: 20", "ERC-20"),
    ("EIP-20", "EIP-20"), ("eip-1559", "EIP-1559"), ("EIP #1559", "EIP-1559"),
    ("bip-0032", "BIP-32"), ("BIP32", "BIP-32"), ("bip 32", "BIP-32"), ("BIP-0341", "BIP-341"),
    ("BOLT #11", "BOLT 11"), ("bolt11", "BOLT 11"), ("bolt-02", "BOLT 2"), ("BOLT 2", "BOLT 2"),
])
def test_every_spelling_resolves_to_one_identifier(spelling, label):
    assert identifiers.parse(spelling).label == label


def test_eips_and_ercs_share_one_number_space_bips_and_bolts_do_not():
    assert identifiers.parse("ERC-20").key == identifiers.parse("eip20").key
    assert identifiers.parse("BIP-11").key != identifiers.parse("BOLT 11").key != identifiers.parse("EIP-11").key
    assert identifiers.label_of(identifiers.parse("erc 721").key) == "EIP-721"


@pytest.mark.parametrize("text", ["erc20x", "eip", "bip32a", "ercs 20", "tip-20", "EIP-"])
def test_non_identifiers_are_not_parsed(text):
    assert identifiers.parse(text) is None


def test_mentions_and_the_rest_of_a_question():
    query = "how does EIP-1559 burn fees vs BIP32 and bolt #2?"
    found = identifiers.mentions(query)
    assert [m.identifier.label for m in found] == ["EIP-1559", "BIP-32", "BOLT 2"]
    assert identifiers.without_mentions(query, found) == "how does burn fees vs and ?"


@pytest.mark.parametrize("slug, url, title, text, expected", [
    ("erc-20", "https://eips.ethereum.org/EIPS/eip-20", "Token Standard", "", ["ERC-20"]),
    ("bip-0032", "https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki", "Hierarchical", "", ["BIP-32"]),
    ("bolt-11", "", "BOLT #11: Invoice Protocol", "", ["BOLT 11"]),
    # crawled pages: the id is a URL, the identifier comes from the URL, title or front matter
    ("https://x.org/a", "https://github.com/lightning/bolts/blob/master/02-peer-protocol.md", "Peer", "", ["BOLT 2"]),
    ("https://eips.ethereum.org/EIPS/eip-4844", "https://eips.ethereum.org/EIPS/eip-4844", "Shard blobs", "",
     ["EIP-4844"]),
    ("page", "", "EIP-1559: Fee market change", "", ["EIP-1559"]),
    ("page", "", "Notes", "--- eip: 2718 title: Typed envelope requires: 155 ---", ["EIP-2718"]),
    ("page", "", "Notes", "<pre>\n  BIP: 341\n  Title: Taproot\n</pre>", ["BIP-341"]),
    # titles that merely mention another specification do not claim it
    ("page", "", "Extensions to ERC-20", "This extends ERC-20.", []),
    ("mastering-bitcoin-ch04", "https://github.com/bitcoinbook/bitcoinbook/blob/develop/ch04_keys.adoc", "Keys", "", []),
])
def test_document_identifiers_from_id_url_title_and_front_matter(slug, url, title, text, expected):
    assert [i.label for i in identifiers.document_identifiers(slug, url, title, text)] == expected


def test_requires_front_matter():
    own = identifiers.parse("EIP-1559")
    keys = identifiers.required_keys("---\neip: 1559\nrequires: 2718, 2930\n---\nBody", own)
    assert keys == [identifiers.parse("EIP-2718").key, identifiers.parse("EIP-2930").key]


# --- a tiny corpus where citing documents out-match the specifications they cite -------------

FILLER = "This paragraph has nothing to do with the question at all, it talks about weather and food."


def spec_corpus() -> list[DocRecord]:
    docs = [
        ("eip-1559", "ethereum-eips", "Fee market change for ETH 1.0 chain", "https://eips.ethereum.org/EIPS/eip-1559",
         "Abstract\n\nA base fee per gas is burned by the protocol in every block.\n\n"
         "The priority fee goes to the block producer as a tip.\n\n" + FILLER),
        ("erc-20", "ethereum-ercs", "Token Standard", "https://eips.ethereum.org/EIPS/eip-20",
         "Simple Summary\n\nA standard interface for tokens with transfer and approve functions.\n\n" + FILLER),
        ("bip-0032", "bitcoin-bips", "Hierarchical Deterministic Wallets",
         "https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki",
         "Abstract\n\nThis document describes hierarchical deterministic wallets derived from a single seed.\n\n"
         + FILLER),
        ("bolt-11", "lightning-bolts", "BOLT #11: Invoice Protocol for Lightning Payments",
         "https://github.com/lightning/bolts/blob/master/11-payment-encoding.md",
         "A simple, extendable, QR-code-ready protocol for requesting payments over Lightning.\n\n" + FILLER),
    ]
    citers = [
        ("eip-9001", "EIP-1559 burn fee changes", "EIP-1559 burns the base fee. EIP-1559 fee burn, EIP-1559 fees burn."),
        ("erc-9002", "ERC-20 extension", "An ERC-20 token extension. ERC20 tokens and erc20 transfers, ERC-20 again."),
        ("bip-9003", "Uses BIP32", "- BIP32 - Hierarchical Deterministic Wallets\n\nBIP32 wallets, BIP32 keys."),
        ("bolt-99", "Offers", "Unlike BOLT #11 invoices, bolt11 strings, BOLT 11 invoices are single use."),
    ]
    records = [DocRecord(i + 1, slug, title, url, source, None, text)
               for i, (slug, source, title, url, text) in enumerate(docs)]
    records += [DocRecord(len(records) + i + 1, slug, title, "", "misc", None, text)
                for i, (slug, title, text) in enumerate(citers)]
    return records


@pytest.fixture(scope="module")
def spec_index(tmp_path_factory) -> Index:
    return built_index(spec_corpus(), tmp_path_factory.mktemp("spec-index"))


def top_documents(index, query, ranker=DEFAULT):
    ranking = rank_request(index, SearchRequest(q=query), ranker, limit=50, page_size=50).ranking
    return list(dict.fromkeys(index.doc_slug[int(index.sent_doc[sid])] for sid in ranking.sentence_ids))


def test_the_index_stores_identifiers_and_finds_documents_by_key(spec_index):
    doc = spec_index.doc_of_slug("erc-20")
    assert spec_index.identifiers_of(doc) == ["ERC-20"]
    assert spec_index.docs_with_identifier(identifiers.parse("EIP-20").key) == [doc]
    assert spec_index.identifiers_of(spec_index.doc_of_slug("bolt-11")) == ["BOLT 11"]
    assert spec_index.docs_with_identifier(identifiers.parse("BIP-9999").key) == []


@pytest.mark.parametrize("query, slug", [
    ("EIP-1559", "eip-1559"), ("eip1559", "eip-1559"), ("how does EIP-1559 burn fees?", "eip-1559"),
    ("erc20", "erc-20"), ("EIP-20", "erc-20"), ("ERC 20", "erc-20"), ("what is ERC-20?", "erc-20"),
    ("BIP32", "bip-0032"), ("bip-0032", "bip-0032"), ("BIP32 hierarchical deterministic wallets", "bip-0032"),
    ("BOLT #11", "bolt-11"), ("bolt11", "bolt-11"), ("how do bolt 11 invoices work", "bolt-11"),
])
def test_a_query_naming_an_identifier_puts_that_document_first(spec_index, query, slug):
    assert top_documents(spec_index, query)[0] == slug


def test_without_the_identifier_signal_the_citing_documents_win(spec_index):
    # What made this necessary: the documents that repeat the identifier out-score the spec itself.
    assert top_documents(spec_index, "how does EIP-1559 burn fees?", PREVIOUS_DEFAULT)[0] == "eip-9001"
    assert top_documents(spec_index, "ERC 20", PREVIOUS_DEFAULT)[0] == "erc-9002"


def test_descriptions_of_extensions_are_not_about_the_spec_they_extend(spec_index):
    named = named_specs(spec_index, "An extension of ERC-20 for tokens", DEFAULT.rank_params, 1.0)
    assert named.docs == () and named.named == (spec_index.doc_of_slug("erc-20"),)
    # words the named specification does not use: a question about something else
    assert named_specs(spec_index, "ERC-20 weather forecasting satellites", DEFAULT.rank_params, 1.0).docs == ()
    assert named_specs(spec_index, "ERC-20 transfer", DEFAULT.rank_params, 1.0).docs == (
        spec_index.doc_of_slug("erc-20"),)


def test_the_best_match_card_is_the_first_hit_with_more_sentences(spec_index):
    from search.search_service import run_search

    response = run_search(spec_index, SearchRequest(q="how does EIP-1559 burn fees?"), ranker=DEFAULT)
    first = response.hits[0]
    assert first["best_match"] and first["document"]["slug"] == "eip-1559"
    assert first["document"]["identifiers"] == ["EIP-1559"]
    assert "burned" in first["text"]  # its most relevant sentence for the rest of the question
    assert all(s["id"] != first["id"] for s in first["best_match_sentences"])
    assert not any(h.get("best_match") for h in response.hits[1:])
    other = run_search(spec_index, SearchRequest(q="burn fees"), ranker=DEFAULT)
    assert not any(h.get("best_match") for h in other.hits)


@pytest.mark.parametrize("query", ["erc20 vs bip32", "ERC-20 versus BIP-32", "difference between ERC-20 and BIP32",
                                   "compare erc 20 and bip 32"])
def test_a_comparison_of_two_specifications_is_about_both(spec_index, query):
    # "vs" is a word neither document uses: before, it made the query about neither of them.
    named = named_specs(spec_index, query, DEFAULT.rank_params, 1.0)
    assert set(named.docs) == {spec_index.doc_of_slug("erc-20"), spec_index.doc_of_slug("bip-0032")}
    assert set(top_documents(spec_index, query)[:2]) == {"erc-20", "bip-0032"}
