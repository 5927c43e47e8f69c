"""Sentence sentiment with VADER.

NLTK's SentimentIntensityAnalyzer needs its lexicon from NLTK's download server; the
`vaderSentiment` package is the same algorithm and ships the lexicon inside the wheel.
"""

from __future__ import annotations

from functools import lru_cache

# VADER's lexicon is general English; in crypto text some words mean something else ("block",
# "trustless") and some domain words carry a clear tone VADER lacks ("bullish", "rugpull").
DOMAIN_LEXICON = {
    "block": 0.0, "blocks": 0.0, "trustless": 0.0, "mine": 0.0, "mint": 0.0, "stake": 0.0,
    "bullish": 1.5, "bearish": -1.5, "hack": -2.0, "exploited": -2.0, "exploit": -1.5,
    "rugpull": -2.5, "rug-pull": -2.5, "liquidated": -1.5, "depeg": -1.5, "depegged": -1.5,
    "phishing": -2.0, "ponzi": -2.5, "insolvent": -2.0, "insolvency": -2.0,
}
POSITIVE_THRESHOLD = 0.05  # VADER's own recommended cut-offs on the compound score
NEGATIVE_THRESHOLD = -0.05


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


def sentiment_score(text: str) -> float:
    """VADER's compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"])


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"
