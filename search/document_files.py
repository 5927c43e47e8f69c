"""Documents out of files (plain Python, no Django): lines of the shared corpus's JSONL (.jsonl,
.jsonl.gz, within JsonlLimits), single .txt, .md, .html and .pdf files, and folders of them. Bad
files and bad lines are reported in an IngestReport and skipped; the text of each format is read
by search/parsing.py.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from . import safe_json
from .crawl.addresses import is_http_url
from .parsing import (
    BadInput, IngestReport, ParsedDocument, decode_bytes, html_decode, html_to_document, join_wrapped_lines,
    markdown_to_text, parse_date, pdf_to_document,
)

MAX_FILE_BYTES = 200 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
PDF_SUFFIXES = (".pdf",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


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
