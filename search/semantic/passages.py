"""What of a document the model reads: its title, description if any, and the opening of its text.

One vector per document, from at most MAX_TOKENS word pieces: the title says what the document is,
and specifications and chapters open with their abstract or summary. Bare section headings
("Abstract", "Simple Summary") are left out: they carry no meaning and use up the token budget.

Change PASSAGE_VERSION whenever the passage of some document changes: cached vectors are keyed by
the passage's hash, but the version also names the cache, so old entries are not kept alive.
"""

from __future__ import annotations

import hashlib

PASSAGE_VERSION = "1"
OPENING_CHARS = 2500  # comfortably more than 256 word pieces of English; the tokenizer truncates
_HEADING_MAX_WORDS = 3
_SENTENCE_END = ".!?:;)\"'"


def _is_bare_heading(line: str) -> bool:
    return len(line.split()) <= _HEADING_MAX_WORDS and not line.endswith(tuple(_SENTENCE_END))


def document_passage(title: str, text: str, description: str = "") -> str:
    """The text encoded for a document (the tokenizer cuts it at the model's token limit)."""
    parts = [" ".join(title.split())]
    if description.strip():
        parts.append(" ".join(description.split()))
    size = 0
    for line in text[: OPENING_CHARS * 2].splitlines():
        line = " ".join(line.split())
        if not line or _is_bare_heading(line):
            continue
        parts.append(line[: OPENING_CHARS - size])
        size += len(line)
        if size >= OPENING_CHARS:
            break
    return "\n".join(part for part in parts if part)


def passage_hash(passage: str) -> bytes:
    """16-byte content hash under which a passage's vector is cached."""
    return hashlib.blake2b(passage.encode("utf-8"), digest_size=16).digest()
