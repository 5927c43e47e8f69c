"""Whole suggestions for a partly typed question (/api/suggest): whole questions (examples and
popular ones), document titles and identifiers (EIP-1559, BIP-32, in one spelling), then the
phrase with its last word completed (search/completion.py), ranked by popularity and by how well
the completion fits the phrase ("lightning chan" offers "channel" before "change"). Numbers and
code names ("nftSetApprovalForAllAll") are not words to offer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from .completion import IDENTIFIER_WORD, TYPED_IDENTIFIER, fitted_completions, fold, is_stop_prefix, memo
from .index.engine import Index
from .index_memo import index_memo
from .nlp.stopwords import STOP_WORDS

WORD_SUGGESTIONS = 5
_IDENTIFIER_SLUG = re.compile(r"^(eip|erc|bip|bolt)-0*(\d+)$")
_CODE_NAME = re.compile(r"[a-z][A-Z]|_|[A-Z]{2,}[a-z]")


def _spell(kind: str, number: str) -> str:
    """The one spelling an identifier is offered in, as the specification pages write it:
    EIP-1559, ERC-20, BIP-32, BOLT 11."""
    kind, number = kind.upper(), str(int(number))
    return f"BOLT {number}" if kind == "BOLT" else f"{kind}-{number}"


def identifier(slug: str) -> str | None:
    match = _IDENTIFIER_SLUG.match(slug)
    return _spell(match.group(1), match.group(2)) if match else None


def _canonical_identifier(word: str) -> str:
    match = re.match(r"^([a-z]+)[-\s]?(\d+)$", word, re.IGNORECASE)
    return _spell(match.group(1), match.group(2)) if match else word


def _identifiers(index: Index) -> list[tuple[str, str, int]]:
    """(kind, number as text, doc) of documents whose id is a specification number."""
    def compute():
        rows = []
        for doc, slug in enumerate(index.doc_slug[i] for i in range(index.document_count)):
            match = _IDENTIFIER_SLUG.match(slug)
            if match:
                rows.append((match.group(1).upper(), str(int(match.group(2))), doc))
        return rows

    return index_memo(index, "completion:identifiers", compute)


def _titles(index: Index) -> list[tuple[str, tuple[str, ...]]]:
    """(title, its folded words) of every document."""
    def compute():
        return [(index.doc_title[d], tuple(fold(w) for w in re.findall(r"[\w-]+", index.doc_title[d])))
                for d in range(index.document_count)]

    return index_memo(index, "completion:titles", compute)


def _is_offerable_word(word: str) -> bool:
    return len(word) <= 24 and not _CODE_NAME.search(word) and not any(c in word for c in "'’")


def _question_matches(typed: str, questions: Iterable[tuple[str, int]]) -> list[tuple[float, str]]:
    lowered, found = typed.lower(), []
    for question, popularity in questions:
        q = question.lower()
        if q == lowered:
            continue
        if q.startswith(lowered):
            found.append((3.0 + math.log1p(popularity), question))
        elif f" {lowered}" in f" {q}":
            found.append((2.0 + math.log1p(popularity), question))
    return found


def _identifier_matches(index: Index, head: str, last: str) -> list[tuple[float, str]]:
    typed = last if TYPED_IDENTIFIER.match(last) and any(c.isdigit() for c in last) else ""
    before = head.rpartition(" ")[2]
    if not typed and last.isdigit() and TYPED_IDENTIFIER.match(before):
        typed, head = f"{before}{last}", head.rpartition(" ")[0]
    match = TYPED_IDENTIFIER.match(typed) if typed else None
    if not match or not match.group(2):
        return []
    kind, digits = match.group(1).upper(), match.group(2).lstrip("0") or "0"
    found = []
    for doc_kind, number, _ in _identifiers(index):
        if doc_kind == kind and number.startswith(digits):
            # The number typed in full first, then the most cited (sentences naming it).
            tid = index.term_id(f"{kind.lower()}{number}")
            cited = index.document_frequency(tid) if tid >= 0 else 0
            score = 2.5 + (0.5 if number == digits else 0.0) + 0.05 * math.log1p(cited)
            found.append((score, f"{head} {_spell(kind, number)}".strip()))
    return found


def _title_matches(index: Index, head: str, last: str) -> list[tuple[float, str]]:
    words = [fold(w) for w in head.split() if w.lower() not in STOP_WORDS]
    prefix = fold(last)
    if len(prefix) < 2 or is_stop_prefix(last) and not words:
        return []
    found = []
    for title, title_words in _titles(index):
        if not any(w.startswith(prefix) for w in title_words):
            continue
        if all(any(w.startswith(typed) for w in title_words) for typed in words):
            # A title that holds the typed words as typed ("hierarchical deter…") fits best.
            phrase = fold(f"{head} {last}")
            whole = phrase in "".join(title_words) if words else False
            found.append(((1.9 if whole else 0.9) + 0.1 * len(words) - 0.002 * len(title), title))
    return found


def _word_matches(index: Index, head: str, last: str) -> list[tuple[float, str]]:
    typing_identifier = bool(TYPED_IDENTIFIER.match(last))
    if len(fold(last)) < 2 or is_stop_prefix(last) and not head or any(c.isdigit() for c in last) and not typing_identifier:
        return []  # numbers are not words to offer ("512" for "51")
    folded, found = fold(last), []
    for word, fit in fitted_completions(index, head, last)[:WORD_SUGGESTIONS]:
        if fit < 0.1 or fold(word) == folded or not fold(word).startswith(folded):
            continue
        if any(c.isdigit() for c in word):
            if not IDENTIFIER_WORD.match(word):
                continue
            word = _canonical_identifier(word)  # one spelling: "EIP-1559", whatever the text wrote
        if _is_offerable_word(word.replace("%", "")):
            found.append((1.0 + fit, f"{head} {word}".strip()))
    return found


def _index_matches(index: Index, typed: str) -> list[tuple[float, str]]:
    """Identifiers, titles and completed phrases for what was typed (memoised: asked per keystroke)."""
    head, _, last = typed.rpartition(" ")
    return _identifier_matches(index, head, last) + _title_matches(index, head, last) + _word_matches(index, head, last)


def suggestions(index: Index | None, raw: str, questions: Iterable[tuple[str, int]], *, limit: int = 8) -> list[str]:
    """Up to `limit` whole suggestions for what has been typed (see the module's docstring)."""
    typed = " ".join(raw.split())
    if not typed:
        return []
    scored = _question_matches(typed, questions)
    if index is not None and not raw[-1].isspace():
        scored += memo.get((index.version, "suggest", typed), lambda: _index_matches(index, typed))
    out, seen = [], {typed.lower()}
    for _, text in sorted(scored, key=lambda item: -item[0]):
        if text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
        if len(out) >= limit:
            break
    return out
