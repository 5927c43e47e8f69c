"""What of a document the model reads: two short passages, each at most MAX_TOKENS word pieces.

- The opening: the title, the description if any, and the start of the text. Specifications open
  with their abstract or summary, so this says what they are about. Bare section headings
  ("Abstract", "Simple Summary") are left out: they carry no meaning and use up the token budget.
- The outline: the title and the document's own section headings, without the generic ones every
  specification has ("Motivation", "Security Considerations"). A book chapter or a guide opens with
  a story, and its headings say what it covers ("Private Keys; Elliptic Curve Cryptography
  Explained; Base58Check Encoding").

A document is as close to a query as the closer of its two passages: on the question set's dev
half that served books and starter articles much better than the opening alone, for a little less
on the known-item set (figures in docs/quality.md, "Semantic signal").

Vectors are cached under each passage's hash, so a changed passage is re-encoded and an unchanged
one never is, whatever else changes in the document.
"""

from __future__ import annotations

import hashlib
import re

OPENING_CHARS = 2500  # comfortably more than 256 word pieces of English; the tokenizer truncates
OUTLINE_CHARS = 2000
_BARE_HEADING_MAX_WORDS = 3
_HEADING_MAX_WORDS = 10
_SENTENCE_END = ".!?:;)\"'"
_LIST_OR_NUMBER = re.compile(r"^(?:[-*•]\s|\d+[.)]\s)")
# Section names of specification templates (EIP, ERC, BIP, BOLT) and books: in nearly every
# document, so they tell documents apart not at all.
GENERIC_HEADINGS = frozenset("""
abstract|motivation|specification|rationale|backwards compatibility|backward compatibility|test cases|
reference implementation|security considerations|copyright|simple summary|references|footnotes|
acknowledgements|acknowledgments|introduction|summary|overview|deployment|compatibility|implementation|
test vectors|examples|example|notes|discussion|definitions|terminology|conclusion|appendix|license|
changelog|change log|requirements|parameters|interface|methods|events|citation|see also|further reading|
authors|status|table of contents|contents|privacy considerations|design|description
""".replace("\n", "").split("|"))


def _clean(line: str) -> str:
    return " ".join(line.split())


def _is_heading(line: str, max_words: int) -> bool:
    return (
        0 < len(line.split()) <= max_words and not line.endswith(tuple(_SENTENCE_END))
        and not _LIST_OR_NUMBER.match(line) and " | " not in line
    )


def document_passage(title: str, text: str, description: str = "") -> str:
    """The opening passage (the tokenizer cuts it at the model's token limit)."""
    parts = [_clean(title)]
    if description.strip():
        parts.append(_clean(description))
    size = 0
    for line in text[: OPENING_CHARS * 2].splitlines():
        line = _clean(line)
        if not line or _is_heading(line, _BARE_HEADING_MAX_WORDS):
            continue
        parts.append(line[: OPENING_CHARS - size])
        size += len(line)
        if size >= OPENING_CHARS:
            break
    return "\n".join(part for part in parts if part)


def document_outline(title: str, text: str) -> str:
    """The title and the document's distinctive section headings, in order, once each."""
    headings: dict[str, None] = {}
    size = 0
    for line in text.splitlines():
        line = _clean(line)
        if _is_heading(line, _HEADING_MAX_WORDS) and line.lower() not in GENERIC_HEADINGS and line not in headings:
            headings[line] = None
            size += len(line) + 2
            if size >= OUTLINE_CHARS:
                break
    return _clean(title) + "\n" + "; ".join(headings)


def document_passages(title: str, text: str, description: str = "") -> tuple[str, str]:
    """Every passage encoded for a document, in the order of its rows in doc_vectors.npy."""
    return document_passage(title, text, description), document_outline(title, text)


def passage_hash(passage: str) -> bytes:
    """16-byte content hash under which a passage's vector is cached."""
    return hashlib.blake2b(passage.encode("utf-8"), digest_size=16).digest()
