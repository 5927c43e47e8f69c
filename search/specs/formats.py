"""Specification files (EIPs, ERCs, BIPs, BOLTs) as documents with their metadata (no Django).

Which format a file is follows from its name, as each repository names its files:

| file | format | document id | identifier |
| --- | --- | --- | --- |
| `EIPS/eip-1559.md` | Markdown, YAML front matter | `eip-1559` | EIP-1559 |
| `ERCS/erc-20.md` | Markdown, YAML front matter | `erc-20` | ERC-20 |
| `bip-0032.mediawiki`, `bip-0003.md` | MediaWiki or Markdown with a preamble | `bip-0032` | BIP-32 |
| `11-payment-encoding.md` | Markdown (lightning/bolts) | `bolt-11` | BOLT 11 |

The ids are the shared corpus's, so an archive crawl updates a document ingested from the corpus
instead of adding a second copy. The front matter or preamble becomes metadata (title, authors,
status, created date as the document's date, requires, description, type, category, layer,
licence) and is removed from the text; the body keeps its structure (markup.py). A file that
cannot be read as its format raises SpecError saying why, and is skipped by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .markup import markdown_to_structured_text, mediawiki_to_structured_text

EIP_URL = "https://eips.ethereum.org/EIPS/eip-{number}"
BIP_URL = "https://github.com/bitcoin/bips/blob/master/{name}"
BOLT_URL = "https://github.com/lightning/bolts/blob/master/{name}"
MAX_SPEC_BYTES = 5 * 1024 * 1024

_EIP_NAME = re.compile(r"^(eip|erc)-(\d{1,6})\.md$", re.I)
_BIP_NAME = re.compile(r"^bip-(\d{1,5})\.(mediawiki|md)$", re.I)
_BOLT_NAME = re.compile(r"^(\d{2})-[\w.-]+\.md$")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADER_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_EMAIL = re.compile(r"<[^<>]*@[^<>]*>")
_HANDLE = re.compile(r"\(\s*@?[\w.-]+\s*\)")


class SpecError(ValueError):
    """A file that is not a readable specification of its format; the message says why."""


@dataclass
class SpecDocument:
    external_id: str  # eip-1559, erc-20, bip-0032, bolt-11
    identifier: str  # EIP-1559, ERC-20, BIP-32, BOLT 11
    title: str
    text: str
    url: str
    published: date | None = None
    authors: list[str] = field(default_factory=list)
    status: str = ""
    license: str = ""
    meta: dict = field(default_factory=dict)  # identifier, number, description, requires, type, category, ...


def spec_kind(path: str) -> str | None:
    """"eip", "erc", "bip" or "bolt" for a file name a parser knows, else None."""
    name = path.rsplit("/", 1)[-1]
    if match := _EIP_NAME.match(name):
        return match.group(1).lower()
    if _BIP_NAME.match(name):
        return "bip"
    if _BOLT_NAME.match(name):
        return "bolt"
    return None


def parse_spec(path: str, data: bytes) -> SpecDocument:
    """The document in one specification file, given its path inside the archive."""
    kind = spec_kind(path)
    if kind is None:
        raise SpecError("not a specification file name this crawler knows (eip-N.md, erc-N.md, bip-N.mediawiki, NN-name.md)")
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"larger than {MAX_SPEC_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if text.count("\x00") > len(text) // 1000:
        raise SpecError("binary data, not text")
    text = text.replace("\x00", "")  # a stray NUL in a text file (seen in a BIP) is not binary data
    name = path.rsplit("/", 1)[-1]
    if kind in ("eip", "erc"):
        return _eip(kind, name, text)
    if kind == "bip":
        return _bip(name, text)
    return _bolt(name, text)


# --- headers -----------------------------------------------------------------------------------


def _header_lines(block: str) -> dict[str, str]:
    """RFC 822-style `Key: value` lines; an indented line without a key continues the previous value."""
    headers: dict[str, str] = {}
    last = None
    for line in block.splitlines():
        match = _HEADER_LINE.match(line)
        if match and not (last and line[:1].isspace() and line.strip().startswith(("http://", "https://"))):
            last = match.group(1).lower()
            headers[last] = match.group(2).strip()
        elif last and line.strip():
            headers[last] = f"{headers[last]}\n{line.strip()}".strip()
    return headers


def _front_matter(block: str) -> dict[str, str]:
    """YAML front matter as strings. EIP front matter is meant to be YAML but titles with a colon
    or an unquoted `@` break some files, so they are read as plain `key: value` lines instead."""
    import yaml

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        return _header_lines(block)
    return {str(key).lower(): ", ".join(map(str, value)) if isinstance(value, list) else str(value).strip()
            for key, value in data.items() if value is not None}


def split_authors(value: str) -> list[str]:
    """Names from an author line: e-mail addresses and (@handles) removed; a bare handle kept without its @."""
    names = []
    for part in re.split(r",(?![^(<]*[)>])|\n", value or ""):
        name = " ".join(_HANDLE.sub("", _EMAIL.sub("", part)).split()).strip(" ,")
        name = name.removeprefix("@")
        if name:
            names.append(name)
    return names


def _date(value: str) -> date | None:
    match = re.search(r"\d{4}-\d{2}-\d{2}", value or "")
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(0))
    except ValueError:
        return None


def _numbers(value: str) -> list[int]:
    return [int(number) for number in re.findall(r"\d+", value or "")]


# --- formats -----------------------------------------------------------------------------------


def _eip(kind: str, name: str, text: str) -> SpecDocument:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise SpecError("no front matter (a block between --- lines at the top)")
    headers = _front_matter(match.group(1))
    number_text = headers.get("eip", "")
    if not number_text.isdigit():
        raise SpecError("the front matter has no eip number")
    number = int(number_text)
    if int(_EIP_NAME.match(name).group(2)) != number:
        raise SpecError(f"the file name says {name} but the front matter says eip {number}")
    title = headers.get("title", "").strip().strip("\"'")
    if not title:
        raise SpecError("the front matter has no title")
    status = headers.get("status", "")
    if status.lower() == "moved":
        raise SpecError("status Moved: the document lives in another repository now")
    identifier = f"{kind.upper()}-{number}"
    meta = {"identifier": identifier, "number": number, "requires": _numbers(headers.get("requires", ""))}
    for key in ("description", "type", "category", "discussions-to", "last-call-deadline", "withdrawal-reason"):
        if headers.get(key):
            meta[key.replace("-", "_")] = headers[key]
    body = markdown_to_structured_text(text[match.end():])
    # The one-line description is the specification's own summary in plain words: the sentence a
    # visitor's question is most likely to match, so it opens the searchable text.
    if meta.get("description"):
        body = f"{' '.join(meta['description'].split())}\n\n{body}"
    return SpecDocument(
        external_id=f"{kind}-{number}", identifier=identifier, title=title,
        text=body, url=EIP_URL.format(number=number),
        published=_date(headers.get("created", "")), authors=split_authors(headers.get("author", "")),
        status=status, license="CC0-1.0", meta=meta,
    )


_BIP_PREAMBLE_MEDIAWIKI = re.compile(r"<pre>\s*\n(\s*BIP:.*?)</pre>", re.S | re.I)
_BIP_PREAMBLE_MARKDOWN = re.compile(r"^(```|~~~)[^\n]*\n(\s*BIP:.*?)^\1[ \t]*$", re.S | re.M | re.I)


def _bip(name: str, text: str) -> SpecDocument:
    markdown = name.lower().endswith(".md")
    pattern = _BIP_PREAMBLE_MARKDOWN if markdown else _BIP_PREAMBLE_MEDIAWIKI
    match = pattern.search(text[:20_000])
    if not match:
        raise SpecError("no preamble (a block of BIP:, Title:, ... lines at the top)")
    headers = _header_lines(match.group(match.lastindex))
    number_text = headers.get("bip", "")
    if not number_text.isdigit():
        raise SpecError("the preamble has no BIP number")
    number = int(number_text)
    if int(_BIP_NAME.match(name).group(1)) != number:
        raise SpecError(f"the file name says {name} but the preamble says BIP {number}")
    title = " ".join(headers.get("title", "").split())
    if not title:
        raise SpecError("the preamble has no title")
    body = text[: match.start()] + text[match.end():]
    licence = headers.get("license", "")
    code_licence = headers.get("license-code", "")
    if licence and code_licence and code_licence != licence:
        licence = f"{licence} ({code_licence})"
    identifier = f"BIP-{number}"
    meta = {"identifier": identifier, "number": number, "requires": _numbers(headers.get("requires", ""))}
    for key in ("layer", "type", "replaces", "superseded-by", "discussion", "comments-uri"):
        if headers.get(key):
            meta[key.replace("-", "_")] = " ".join(headers[key].split())
    return SpecDocument(
        external_id=f"bip-{number:04d}", identifier=identifier, title=title,
        text=markdown_to_structured_text(body) if markdown else mediawiki_to_structured_text(body),
        url=BIP_URL.format(name=name),
        published=_date(headers.get("created", "") or headers.get("assigned", "")),
        authors=split_authors(headers.get("authors", "") or headers.get("author", "")),
        status=headers.get("status", ""), license=licence, meta=meta,
    )


_FIRST_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)
_TOC = re.compile(r"^#{1,6}[ \t]+Table of Contents[ \t]*\n.*?(?=^#{1,6}[ \t])", re.S | re.M | re.I)


def _bolt(name: str, text: str) -> SpecDocument:
    match = _FIRST_HEADING.search(text)
    if not match:
        raise SpecError("no title heading (a line starting with '# ')")
    number = int(name[:2])
    body = text[: match.start()] + text[match.end():]
    body = _TOC.sub("", body)  # a list of links to the headings that follow: nothing to search
    identifier = f"BOLT {number}"
    return SpecDocument(
        external_id=f"bolt-{number:02d}", identifier=identifier, title=match.group(1).strip(),
        text=markdown_to_structured_text(body), url=BOLT_URL.format(name=name), license="CC-BY-4.0",
        meta={"identifier": identifier, "number": number, "requires": []},
    )
