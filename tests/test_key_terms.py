"""Which key terms a document page shows (search/key_terms.py)."""

import pytest

from search.key_terms import is_readable_term, readable_key_terms


@pytest.mark.parametrize("word", ["fee", "validators", "BTC", "USDC", "EIP-1559", "ERC20", "proof-of-stake", "DeFi"])
def test_topics_are_kept(word):
    assert is_readable_term(word)


@pytest.mark.parametrize("word", ["f", "x", "of", "the", "FACTOR", "ELASTICITY_MULTIPLIER", "MAX_BLOB_GAS",
                                  "baseFeePerGas", "msg.sender", "block_number", "1559", "2021", "0x1f", "12th",
                                  "10%", "1e18"])
def test_letters_stop_words_numbers_and_code_names_are_dropped(word):
    assert not is_readable_term(word)


def test_order_is_kept_and_each_word_once():
    assert readable_key_terms(["gas", "f", "Gas", "FACTOR", "burn", "fee"], limit=2) == ["gas", "burn"]
