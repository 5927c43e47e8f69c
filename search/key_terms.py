"""Which of a document's key terms are worth showing as chips on its page.

The engine weighs every index term (search/index/engine.py, Index.document_key_terms); on a
specification that surfaces variables and constants of its code ("f", "FACTOR", "baseFeePerGas")
and bare numbers. They are terms, not topics: a reader cannot search anything useful with them.
"""

from __future__ import annotations

import re

from .nlp.stopwords import STOP_WORDS

MIN_LENGTH = 3
_NUMBER = re.compile(r"[\d.,%+\-/]+|0x[0-9a-f]+|\d+(?:st|nd|rd|th|s)|\d+(?:\.\d+)?e[+-]?\d+", re.I)
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{5,}")  # SCREAMING_CASE, FACTOR
_CODE = re.compile(r"[a-z]+[A-Z]\w*|\w+(?:\.\w+)+|\w*[_()\[\]{}=<>$\\]\w*")  # camelCase, a.b, snake_case


def is_readable_term(word: str) -> bool:
    """A word a reader would search for: not a single letter, stop word, number or code name."""
    return (len(word) >= MIN_LENGTH and word.lower() not in STOP_WORDS and not _NUMBER.fullmatch(word)
            and not _CONSTANT.fullmatch(word) and not _CODE.fullmatch(word))


def readable_key_terms(words: list[str], limit: int = 12) -> list[str]:
    """The readable words, in their order (heaviest first), each once whatever its case."""
    seen: set[str] = set()
    kept = []
    for word in words:
        if is_readable_term(word) and word.lower() not in seen:
            seen.add(word.lower())
            kept.append(word)
    return kept[:limit]
