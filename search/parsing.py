"""Reading documents out of files (plain Python, no Django): parsing and cleaning.

Supported: .jsonl / .jsonl.gz in the shared corpus schema, .txt, .md, .html (article text
extracted with trafilatura, which drops navigation, scripts and other boilerplate) and .pdf
(the text layer, via pypdf). Bad files and bad lines are reported in an IngestReport and
skipped. The crawler (search/crawl/) reuses the decoding and extraction functions for web pages.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.utils.text import slugify

from . import safe_json
from .crawl.addresses import is_http_url

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_DOCUMENT_CHARS = 5_000_000
MIN_DOCUMENT_CHARS = 20
MAX_PDF_PAGES = 2000
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
PDF_SUFFIXES = (".pdf",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


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


# --- parsing files ----------------------------------------------------------------------------


def parse_date(value) -> date | None:
    """The date at the start of an ISO 8601 string ("2024-04-20T10:00Z"), or None."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_corpus_record(record: dict, where: str) -> ParsedDocument:
    """One line of the shared corpus schema (see ../shared/README.md)."""
    if not isinstance(record, dict):
        raise BadInput(f"{where}: expected a JSON object")
    missing = [key for key in ("id", "title", "text") if not record.get(key)]
    if missing:
        raise BadInput(f"{where}: missing {', '.join(missing)}")
    authors = record.get("authors") or []
    return ParsedDocument(
        external_id=str(record["id"])[:300],
        title=str(record["title"])[:1000],
        text=str(record["text"]),
        source=slugify(str(record.get("source") or "corpus"))[:100] or "corpus",
        url=str(record.get("url") or "")[:2000],
        published=parse_date(record.get("published")),
        authors=[str(a) for a in authors] if isinstance(authors, list) else [],
        status=str(record.get("status") or "")[:100],
        license=str(record.get("license") or "")[:200],
    )


@dataclass(frozen=True)
class JsonlLimits:
    """What one JSONL file may cost: the longest line read (longer ones are skipped unread, never
    held in memory) and, for .gz files, the most bytes decompressed (a small file can inflate to
    gigabytes; past the cap the rest of the file is skipped and reported)."""

    max_line_bytes: int = 32 * 1024 * 1024
    max_decompressed_bytes: int = 2 * 1024 * 1024 * 1024


def _jsonl_lines(handle, path: Path, limits: JsonlLimits, report: IngestReport) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line within the limits; what is skipped is reported."""
    capped = path.name.endswith(".gz")
    total, number = 0, 0
    while True:
        raw = handle.readline(limits.max_line_bytes + 1)
        if not raw:
            return
        number += 1
        total += len(raw)
        too_long = len(raw) > limits.max_line_bytes and not raw.endswith(b"\n")
        while too_long and raw and not raw.endswith(b"\n"):  # skip the rest of the line, 1 MB at a time
            raw = handle.readline(1024 * 1024)
            total += len(raw)
            if capped and total > limits.max_decompressed_bytes:
                break
        if capped and total > limits.max_decompressed_bytes:
            report.skipped.append((f"{path.name}:{number}", f"more than {limits.max_decompressed_bytes:,} bytes "
                                   "decompressed: this line and the rest of the file were not read"))
            return
        if too_long:
            report.skipped.append((f"{path.name}:{number}", f"line longer than {limits.max_line_bytes:,} bytes"))
            continue
        yield number, raw


def iter_jsonl(path: Path, report: IngestReport, limits: JsonlLimits = JsonlLimits()) -> Iterator[ParsedDocument]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, raw in _jsonl_lines(handle, path, limits, report):
                where = f"{path.name}:{number}"
                if not raw.strip():
                    continue
                try:
                    doc = parse_corpus_record(safe_json.loads(raw), where)
                    doc.where = where
                    yield doc
                except BadInput as exc:
                    report.skipped.append((where, str(exc)))
                except ValueError as exc:  # JSONDecodeError and JSONRejected are ValueErrors
                    report.skipped.append((where, f"malformed JSON: {exc}"))
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        report.skipped.append((path.name, f"unreadable: {exc}"))


MAX_ID_CHARS = 300


def file_document_id(source: str, name: str) -> str:
    """`source:relative/path.ext`, unique per file: notes.txt, notes.md, a/notes.txt and b/notes.txt
    are four documents. Markdown, the project's own format, drops its `.md` (`guides:01-what-is-bitcoin`):
    those are the ids the starter articles always had, which judged question sets name; no other
    file can take such an id, since every other kind keeps its suffix. Too long for the column:
    cut, plus a digest of the whole."""
    if name.lower().endswith(".md"):
        name = name[:-3]
    document_id = f"{source}:{name}"
    if len(document_id) > MAX_ID_CHARS:
        digest = hashlib.sha256(document_id.encode("utf-8")).hexdigest()[:16]
        document_id = f"{document_id[:MAX_ID_CHARS - 17]}~{digest}"
    return document_id


def parse_text_file(path: Path, source: str, name: str | None = None) -> ParsedDocument:
    """A .txt, .md, .html or .pdf file as one document, identified by source and `name`: its path
    inside the folder that was ingested, or its file name when it was ingested on its own."""
    where = name or path.name
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput(f"{where}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    url = ""
    published = None
    authors: list[str] = []
    if suffix in PDF_SUFFIXES:
        title, text, meta = pdf_to_document(data, where)
        published = meta["date"]
        authors = [meta["author"]] if meta["author"] else []
    elif suffix in (".html", ".htm"):
        title, text, meta = html_to_document(html_decode(data, where), where)
        url = meta.get("url") or ""
        published = parse_date(meta.get("date"))
    elif suffix in (".md", ".markdown"):
        title, text = markdown_to_text(decode_bytes(data, where))
    else:
        text = join_wrapped_lines(decode_bytes(data, where))
        title = ""
    title = title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    return ParsedDocument(
        external_id=file_document_id(source, where), title=title[:1000], text=text, source=source,
        url=url[:2000] if is_http_url(url) else "", published=published, authors=authors,
        where=where, previous_id=f"{source}:{path.stem}"[:MAX_ID_CHARS],
    )


def iter_path(path: Path, source: str, report: IngestReport,
              limits: JsonlLimits = JsonlLimits(), *, root: Path | None = None) -> Iterator[ParsedDocument]:
    """Documents from a file or, recursively, a directory of supported files (`root`: the folder
    that was ingested; a file's id is its path inside it)."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.name.lower().endswith(TEXT_SUFFIXES + PDF_SUFFIXES + JSONL_SUFFIXES):
                yield from iter_path(child, source, report, limits, root=root or path)
        return
    if not path.is_file():
        report.skipped.append((str(path), "no such file"))
        return
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        yield from iter_jsonl(path, report, limits)
    elif name.endswith(TEXT_SUFFIXES + PDF_SUFFIXES):
        name = path.relative_to(root).as_posix() if root else path.name
        try:
            yield parse_text_file(path, source, name)
        except (BadInput, OSError) as exc:
            report.skipped.append((name, str(exc)))
    else:
        report.skipped.append((path.name, "unsupported file type (use .txt, .md, .html, .pdf, .jsonl or .jsonl.gz)"))
