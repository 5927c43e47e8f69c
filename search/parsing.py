"""Documents and their text (plain Python, no Django): the parsed document and ingest report, and
turning the bytes of one format into clean text (encodings; Markdown; HTML, whose article text is
extracted with trafilatura, which drops navigation, scripts and other boilerplate; PDF's text
layer, via pypdf). Files and the shared corpus's JSONL lines are read by search/document_files.py;
the crawler (search/crawl/) uses the same decoding and extraction for web pages.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date


MAX_DOCUMENT_CHARS = 5_000_000
MIN_DOCUMENT_CHARS = 20
MAX_PDF_PAGES = 2000


class BadInput(ValueError):
    """A file or record that cannot be ingested; the message says why."""


@dataclass
class ParsedDocument:
    external_id: str
    title: str
    text: str
    source: str
    url: str = ""
    published: date | None = None
    authors: list[str] = field(default_factory=list)
    status: str = ""
    license: str = ""
    # Where it came from (file:line, a path) for reports, and the id an earlier version gave it
    # (source:file stem), so a document already stored under that id is renamed, not duplicated.
    where: str = ""
    previous_id: str = ""
    meta: dict = field(default_factory=dict)  # e.g. a specification's identifier, requires, description

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode("utf-8")).hexdigest()


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (id, what collided): the last one was kept

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        conflicts = f", {len(self.conflicts)} id conflicts" if self.conflicts else ""
        return (
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped{conflicts}"
        )


# --- cleaning ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def clean_text(text: str) -> str:
    """NFC, no control characters, unix newlines, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def join_wrapped_lines(text: str) -> str:
    """Plain text is often hard-wrapped: rejoin each paragraph's lines, keeping list items apart."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines, current = [], ""
        for line in block.split("\n"):
            line = line.strip()
            if re.match(r"^([-*+•]|\d+[.)]|#{1,6})\s", line):
                if current:
                    lines.append(current)
                current = line
            else:
                current = f"{current} {line}".strip()
        if current:
            lines.append(current)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(p for p in paragraphs if p)


_MD_RULES = [
    (re.compile(r"```.*?```", re.S), ""),  # code blocks
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML tags
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"\1"),  # italics
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"^#{1,6}\s*", re.M), ""),  # heading markers (the heading stays its own line)
    (re.compile(r"^\s*[*+]\s+", re.M), "- "),  # bullets
]


def markdown_to_text(markdown: str) -> tuple[str, str]:
    """(title, text): the first heading is the title; markup is reduced to visible text."""
    title_match = re.search(r"^#\s+(.+)$", markdown, re.M)
    title = title_match.group(1).strip() if title_match else ""
    if title_match:
        markdown = markdown[: title_match.start()] + markdown[title_match.end():]
    text = join_wrapped_lines(markdown)
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return title, text


def decode_bytes(data: bytes, where: str, *, declared: tuple[str, ...] = ()) -> str:
    """UTF-8 when it is, else the first declared encoding that decodes, else the detected one;
    binary data is refused. UTF-8 goes first because bytes that decode as UTF-8 almost never
    are anything else, while declared charsets (HTTP headers, <meta>) are often wrong."""
    if b"\x00" in data[:8192]:
        raise BadInput(f"{where}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in declared:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):  # unknown name, or the declaration is wrong
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise BadInput(f"{where}: unknown text encoding")
    return str(best)


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)


def html_decode(data: bytes, where: str, *, header_charset: str | None = None) -> str:
    """An HTML page's text: UTF-8, else the charset of the HTTP header or the page's <meta>, else detected."""
    match = _META_CHARSET.search(data[:4096])
    declared = (header_charset, match.group(1).decode("ascii") if match else None)
    return decode_bytes(data, where, declared=tuple(name for name in declared if name))


def html_to_document(html: str, where: str, *, url: str | None = None) -> tuple[str, str, dict]:
    """(title, text, metadata) of an HTML page's main content, via trafilatura. The metadata
    also holds "canonical": the page's <link rel=canonical> as written (maybe relative), or ""."""
    import trafilatura
    from trafilatura.settings import set_date_params

    tree = trafilatura.load_html(html)
    if tree is None:
        raise BadInput(f"{where}: not parseable as HTML")
    canonical = tree.xpath('string((//head//link[@rel="canonical"]/@href)[1])').strip()
    extracted = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, with_metadata=True,
        # Dates from the page's metadata only: the extensive search guesses from any year in the text.
        date_extraction_params=set_date_params(extensive=False),
    )
    if extracted is None:
        raise BadInput(f"{where}: no article text found in the HTML")
    data = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    data["canonical"] = canonical
    text = data.get("text") or ""
    return (data.get("title") or "").strip(), text, data


def pdf_to_document(data: bytes, where: str) -> tuple[str, str, dict]:
    """(title, text, metadata) of a PDF's text layer, via pypdf. Metadata: "author", "date"."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadInput(f"{where}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
        info = reader.metadata
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 — pypdf raises many types on damaged files
        raise BadInput(f"{where}: unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text = join_wrapped_lines("\n\n".join(pages))
    if not text.strip():
        raise BadInput(f"{where}: the PDF has no text layer (scanned images?)")
    title, meta = "", {"author": "", "date": None}
    if info is not None:
        title, meta["author"] = (info.title or "").strip(), (info.author or "").strip()
        try:
            meta["date"] = info.creation_date.date() if info.creation_date else None
        except (ValueError, TypeError):  # garbage date strings are common in PDF metadata
            pass
    return title, text, meta


# --- metadata -------------------------------------------------------------------------------------


def parse_date(value) -> date | None:
    """The date at the start of an ISO 8601 string ("2024-04-20T10:00Z"), or None."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
