"""Where a sentence's tone means something, so a sentiment badge is worth showing.

VADER scores wording. In news and opinion that is a fair reading of tone; in a specification it
is noise ("The base fee is always burned" reads as negative, the heading "Motivation" as
positive). So the score is kept for every sentence (averages and the API use it), but a badge is
shown only for prose sentences of sources that publish news and opinion: feeds and crawled web
pages. Specification archives, books and local files (JSONL dumps, folders) get none, and
neither do headings, table rows, list labels or code anywhere.
"""

from __future__ import annotations

import re

# Source kinds (search.models.Source.Kind values) whose documents are articles: news, posts, opinion.
TONE_SOURCE_KINDS = frozenset({"feed", "pages", "sitemap"})

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_CODE = re.compile(
    r"[{};]\s*$"  # a statement or block
    r"|`"  # inline code
    r"|\b\w+\([^()]*\)\s*[;{]"  # a call or a signature
    r"|==|!=|=>|->|::|&&|\|\||<=|>="  # operators
    r"|^\s*(?:function|def|class|import|return|contract|pragma|struct|const|let|var)\b"
    r"|\b0x[0-9a-fA-F]{8,}"
)
_SYMBOLS = re.compile(r"[^\w\s.,;:!?'\"()\-–—%$€£/&’“”]")


def is_prose(sentence: str) -> bool:
    """A sentence of running text, not a heading, table row, short list label or code."""
    text = sentence.strip()
    if not text or "\n" in text or " | " in text:
        return False
    if not _SENTENCE_END.search(text):
        return False  # headings and labels ("Motivation", "- Immutable storage patterns")
    if len(text.split()) < 4:
        return False
    if _CODE.search(text):
        return False
    return len(_SYMBOLS.findall(text)) <= max(2, len(text) // 40)


def tone_shown(source_kind: str, sentence: str) -> bool:
    return source_kind in TONE_SOURCE_KINDS and is_prose(sentence)
