"""Coin tagging and sentence sentiment."""

from search.nlp.coins import COINS, detect_coins
from search.nlp.sentiment import sentiment_label, sentiment_score


def test_dictionary_covers_the_large_coins_and_hamster_kombat():
    slugs = {coin.slug for coin in COINS}
    assert len(COINS) >= 51
    assert {"bitcoin", "ethereum", "solana", "dogecoin", "tether", "hamster-kombat"} <= slugs
    assert len({coin.ticker for coin in COINS}) == len(COINS)


def test_names_tickers_and_aliases():
    assert detect_coins("Bitcoin (BTC) and XBT are the same coin") == ["bitcoin"]
    assert detect_coins("Staking ether on Ethereum; $eth is up") == ["ethereum"]
    assert detect_coins("Bitcoin Cash split from Bitcoin") == ["bitcoin-cash", "bitcoin"]
    assert detect_coins("Hamster Kombat listed HMSTR on TON") == ["hamster-kombat", "toncoin"]


def test_ordinary_words_are_not_coins():
    assert detect_coins("The link MUST NOT point to a dot near the polygon.") == []
    assert detect_coins("Chainlink LINK feeds on Polygon") == ["chainlink", "polygon"]


def test_queries_accept_lower_case_tickers_that_are_not_words():
    assert detect_coins("btc vs eth fees", query=True) == ["bitcoin", "ethereum"]
    assert detect_coins("btc vs eth fees") == []
    assert detect_coins("a dot near the link", query=True) == []


def test_sentiment_scores_and_labels():
    good = sentiment_score("The upgrade was a great success and users are happy.")
    bad = sentiment_score("The exchange was hacked and investors lost everything in the scam.")
    assert good > 0.5 and sentiment_label(good) == "positive"
    assert bad < -0.5 and sentiment_label(bad) == "negative"
    assert sentiment_label(sentiment_score("The block size is 1 MB.")) == "neutral"


def test_crypto_words_get_their_crypto_meaning():
    assert sentiment_label(sentiment_score("Each block links to the previous block.")) == "neutral"
    assert sentiment_label(sentiment_score("Traders turned bullish.")) == "positive"
    assert sentiment_label(sentiment_score("The protocol suffered a rugpull.")) == "negative"
