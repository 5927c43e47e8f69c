"""Specification identifiers (EIP-n, ERC-n, BIP-n, BOLT n) in every spelling people use.

People search for and copy a specification's number, not its title: `erc20`, `ERC 20`, `ERC-20`,
`EIP-20`, `bip-0032`, `BIP32`, `bip 32`, `BOLT #11`, `bolt11`. Each spelling resolves to one
Identifier. EIPs and ERCs share one number space (ERC-20 is EIP-20: ERCs are the EIPs of the
application-level category, moved to their own repository), so they share a lookup key; BIPs
and BOLTs are separate families.

A document's own identifiers come from its id (slug), its URL, a title that starts with one
("BOLT #11: Invoice Protocol…", "EIP-1559: Fee market…") and front matter (`eip: 1559`,
MediaWiki `BIP: 32`). Identifiers merely mentioned in a text are references to other documents
(see search/index/citations.py). Plain Python, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The lookup family of each written prefix: ERCs live in the EIPs' number space.
FAMILY = {"eip": "eip", "erc": "eip", "bip": "bip", "bolt": "bolt"}
FAMILY_CODE = {"eip": 1, "bip": 2, "bolt": 3}
_KEY_BASE = 1_000_000  # numbers stay below this; key = family code x base + number

_NUMBER = r"0*(\d{1,5})(?![0-9A-Za-z])"
# A mention anywhere in running text or a query: the prefix, an optional separator (space,
# hyphen, underscore, colon or "#", alone or together) and the number.
MENTION_RE = re.compile(r"(?<![0-9A-Za-z])(eip|erc|bip|bolt)(?:[ \t]?[-_:#][ \t]?#?|[ \t])?[ \t]?" + _NUMBER, re.I)
_SLUG_RE = re.compile(r"^(eip|erc|bip|bolt)[-_ ]?" + _NUMBER + "$", re.I)
_TITLE_RE = re.compile(r"^\s*(eip|erc|bip|bolt)(?:[ \t]?[-_#][ \t]?#?|[ \t])?[ \t]?0*(\d{1,5})\s*(?:[:\-–—|]|$)", re.I)
_URL_RULES = [
    # eips.ethereum.org/EIPS/eip-1559, ercs.ethereum.org/ERCS/erc-20, the repositories' files
    re.compile(r"(?:eips|ercs)\.ethereum\.org/(?:eips|ercs)/(eip|erc)-" + _NUMBER, re.I),
    re.compile(r"github\.com/ethereum/(?:eips|ercs)/(?:blob|tree)/[^/]+/(?:eips|ercs)/(eip|erc)-" + _NUMBER, re.I),
    re.compile(r"github\.com/bitcoin/bips/(?:blob|tree)/[^/]+/(bip)-" + _NUMBER, re.I),
    re.compile(r"bips\.dev/" + _NUMBER, re.I),
    re.compile(r"github\.com/lightning(?:network)?/bolts/(?:blob|tree)/[^/]+/" + _NUMBER + r"-[\w.-]+\.md", re.I),
]
_URL_FAMILY = [None, None, None, "bip", "bolt"]  # rules whose prefix is implied, not captured
# Front matter: `eip: 1559` (Markdown, YAML) or `BIP: 32` (MediaWiki preamble), at the very top,
# either on its own line or with the block's lines joined into one paragraph by ingestion.
_FRONT_MATTER_RE = re.compile(r"\A\s*(?:-{3}|<pre>)?\s*(eip|erc|bip)\s*:\s*" + _NUMBER, re.I)
_REQUIRES_RE = re.compile(r"(?:^|\s)requires\s*:\s*((?:\d{1,5}\s*,?\s*)+)", re.I)
FRONT_MATTER_CHARS = 3000  # where front matter can be (the preamble of a specification)


@dataclass(frozen=True)
class Identifier:
    """One specification number as a document calls itself: kind is EIP, ERC, BIP or BOLT."""

    kind: str
    number: int

    @classmethod
    def of(cls, prefix: str, number: str | int) -> Identifier:
        return cls(prefix.upper(), int(number))

    @property
    def family(self) -> str:
        return FAMILY[self.kind.lower()]

    @property
    def key(self) -> int:
        """Equal for every spelling of one specification (ERC-20 and EIP-20 included)."""
        return FAMILY_CODE[self.family] * _KEY_BASE + self.number

    @property
    def label(self) -> str:
        """How it is shown: EIP-1559, ERC-20, BIP-32, BOLT 11."""
        return f"BOLT {self.number}" if self.kind == "BOLT" else f"{self.kind}-{self.number}"

    def __str__(self) -> str:
        return self.label


def parse(text: str) -> Identifier | None:
    """The identifier that `text` is, in any spelling ("erc20", "BOLT #11", "bip-0032"), or None."""
    match = MENTION_RE.fullmatch(" ".join(text.split()))
    return Identifier.of(match.group(1), match.group(2)) if match else None


def label_of(key: int) -> str:
    """A display label for a lookup key (ERCs and EIPs share keys: shown as EIP)."""
    family = {code: name for name, code in FAMILY_CODE.items()}[key // _KEY_BASE]
    return Identifier(family.upper(), key % _KEY_BASE).label


@dataclass(frozen=True)
class Mention:
    identifier: Identifier
    start: int
    end: int


def mentions(text: str) -> list[Mention]:
    """Every identifier written in a text (a query or a document), in order."""
    return [Mention(Identifier.of(m.group(1), m.group(2)), m.start(), m.end()) for m in MENTION_RE.finditer(text)]


def without_mentions(text: str, found: list[Mention]) -> str:
    """The text with the given mentions cut out: the rest of a question that names a spec."""
    parts, last = [], 0
    for mention in found:
        parts.append(text[last:mention.start])
        last = mention.end
    parts.append(text[last:])
    return " ".join("".join(parts).split())


def from_url(url: str) -> Identifier | None:
    for rule, implied in zip(_URL_RULES, _URL_FAMILY):
        match = rule.search(url or "")
        if match:
            if implied:
                return Identifier.of(implied, match.group(1))
            return Identifier.of(match.group(1), match.group(2))
    return None


def from_title(title: str) -> Identifier | None:
    """Only a title that *starts* with an identifier names the document itself ("ERC-20: Token
    Standard"); "Extensions to ERC-20" is about another one."""
    match = _TITLE_RE.match(title or "")
    return Identifier.of(match.group(1), match.group(2)) if match else None


def from_front_matter(text: str) -> Identifier | None:
    match = _FRONT_MATTER_RE.match(text[:FRONT_MATTER_CHARS] if text else "")
    return Identifier.of(match.group(1), match.group(2)) if match else None


def document_identifiers(slug: str, url: str, title: str, text: str = "") -> list[Identifier]:
    """A document's own identifiers, one per key, most authoritative spelling first.

    The id names the kind best (the corpus's `erc-20` lives at the URL .../eip-20), then front
    matter, the URL and the title. Most documents have none or one; a crawled copy of a
    specification gets the specification's.
    """
    found: dict[int, Identifier] = {}
    slug_match = _SLUG_RE.match(slug or "")
    candidates = [
        Identifier.of(slug_match.group(1), slug_match.group(2)) if slug_match else None,
        from_front_matter(text),
        from_url(url),
        from_title(title),
    ]
    for identifier in candidates:
        if identifier is not None and identifier.key not in found:
            found[identifier.key] = identifier
    return list(found.values())


def required_keys(text: str, family_of: Identifier | None) -> list[int]:
    """Keys named by a front-matter `requires: 2718, 2930` line (numbers of the document's own family)."""
    if family_of is None:
        return []
    match = _REQUIRES_RE.search(text[:FRONT_MATTER_CHARS] if text else "")
    if not match:
        return []
    return [Identifier(family_of.kind, int(n)).key for n in re.findall(r"\d+", match.group(1))]
