"""What part a sentence plays in its document: heading, list or reference entry, table row,
code or formula, or prose.

Headings ("Motivation", "Specification") and reference lines ("- BIP32 - Hierarchical
Deterministic Wallets") match queries well, because they are short and made of the document's
key words, but they answer nothing. The ranker demotes them as hits and lets a heading lend
weight to the sentences of its section instead. Classification runs at build time on each line
of a document (the corpus keeps one heading, paragraph, list item or table row per line) and is
stored per sentence in the index. Plain Python, no Django.
"""

from __future__ import annotations

import re

from .identifiers import MENTION_RE

PROSE, HEADING, LIST_ITEM, REFERENCE, TABLE_ROW, CODE = range(6)
NAMES = ("prose", "heading", "list", "reference", "table", "code")
NOT_ANSWERS = (HEADING, REFERENCE)  # never an answer by themselves

# A list item's marker ("- ", "1. ", "[3] ", "a) "); the document page splits list items by it too.
LIST_MARKER = re.compile(r"^(?:[-*+•]|\d{1,3}[.)]|\[\d{1,3}\]|\(\d{1,3}\)|[a-z][.)])\s+")
_NUMBERED_HEADING_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Z]\.)\s+\S")
_REFERENCE_SECTION_RE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:references?|citations?|footnotes?|notes|bibliography|see also|"
    r"related (?:work|eips|ercs|bips|specifications)|further reading|acknowledg\w*)\s*:?$",
    re.I,
)
_CODE_START_RE = re.compile(
    r"^(?:function|contract|interface|library|event|struct|mapping|modifier|pragma|import|def|class|return|"
    r"require|emit|uint\d*|int\d*|bytes\d*|address|bool|string|var|let|const|if|for|while)\b[^.]*[;{}()=]"
)
_URL_RE = re.compile(r"https?://|www\.", re.I)
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
MAX_HEADING_WORDS = 12
# A line ending in one of these leads into something (a formula or list the corpus dropped).
_LEAD_IN_ENDINGS = frozenset("is are be the a an of to for and or with by as in on at from that which such where".split())


def _letter_share(line: str) -> float:
    visible = [c for c in line if not c.isspace()]
    if not visible:
        return 0.0
    return sum(c.isalpha() for c in visible) / len(visible)


def _is_code(line: str) -> bool:
    if _CODE_START_RE.match(line):
        return True
    # Formulas and code: mostly symbols and digits, with the marks of an expression.
    return _letter_share(line) < 0.5 and bool(re.search(r"[=<>+*/^(){}\[\];]", line))


def _is_heading(line: str) -> bool:
    words = line.split()
    if not words or len(words) > MAX_HEADING_WORDS or line[-1] in ".!?;,:":
        return False
    if len(words) > 1 and words[-1].lower() in _LEAD_IN_ENDINGS:
        return False
    if len(_WORD_RE.findall(line)) == 0:
        return False
    first = line.lstrip("#0123456789.) ")[:1]
    return first.isupper() or first.isdigit() or bool(_NUMBERED_HEADING_RE.match(line))


def _is_reference(content: str) -> bool:
    """A list entry that names another document rather than saying something: it starts with a
    specification identifier or a bracketed number, or carries a URL, and is short."""
    if _URL_RE.search(content):
        return True
    words = content.split()
    if len(words) > 25:
        return False
    return bool(MENTION_RE.match(content)) or bool(re.match(r"^(?:\[\d{1,3}\]|\^)", content))


class LineClassifier:
    """Classifies the lines of one document in order (a references section changes what its
    list entries are); `section_of` is the line number of the heading that opened the section."""

    def __init__(self):
        self.in_references = False

    def classify(self, line: str) -> int:
        line = line.strip()
        if not line:
            return PROSE
        if " | " in line or line.startswith("|"):
            return TABLE_ROW
        list_match = LIST_MARKER.match(line)
        if list_match:
            content = line[list_match.end():]
            if self.in_references or _is_reference(content):
                return REFERENCE
            if _is_code(content):
                return CODE
            return LIST_ITEM
        if _is_code(line):
            return CODE
        if _is_heading(line) and not (self.in_references and ("," in line or len(line.split()) > 5)):
            # (in a references section, "Buterin, V. A note on fees" is an entry, not a heading)
            self.in_references = bool(_REFERENCE_SECTION_RE.match(line.lstrip("#").strip()))
            return HEADING
        if self.in_references and (len(line.split()) <= 40 or _URL_RE.search(line)):
            return REFERENCE
        return PROSE


def classify_lines(lines: list[str]) -> list[int]:
    classifier = LineClassifier()
    return [classifier.classify(line) for line in lines]
