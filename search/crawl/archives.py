"""Reading the files of a repository archive (.tar.gz or .zip) in memory: nothing is extracted
to disk and nothing in it is ever executed. Plain Python, no Django.

An archive is untrusted input, so:
- only regular files whose path matches one of the source's globs are read;
- symbolic and hard links, absolute paths and paths with `..` are refused (reported, never followed);
- the compressed size is capped by the fetch (CRAWL_ARCHIVE_MAX_BYTES) and everything that is
  decompressed counts towards `max_unpacked_bytes` (a gzip or zip bomb stops there), each file
  read is capped at `max_file_bytes`, and an archive lists at most MAX_MEMBERS entries.

GitHub's archives put every file under one folder named after the repository and branch
(`EIPs-master/EIPS/eip-1.md`); paths are matched without that folder (`EIPS/eip-1.md`).
"""

from __future__ import annotations

import gzip
import io
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..parsing import BadInput

MAX_MEMBERS = 100_000
GZIP_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"PK\x03\x04"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


class ArchiveRefused(BadInput):
    """The archive as a whole cannot be read (not an archive, too large, broken)."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_file_bytes: int = 5 * 1024 * 1024


@dataclass
class Member:
    path: str  # relative to the archive's top folder, if it has one
    data: bytes


def is_archive(body: bytes) -> bool:
    """A zip file, or a gzip file holding a tar archive (not, say, a gzipped sitemap)."""
    if body.startswith(ZIP_MAGIC):
        return True
    if not body.startswith(GZIP_MAGIC):
        return False
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body[:64 * 1024], 1024)
    except zlib.error:
        return False
    return len(head) >= 262 and head[257:262] == b"ustar"


def looks_like_archive_url(url: str) -> bool:
    """An archive by its address: a .tar.gz/.tgz/.zip file, or GitHub's codeload tar.gz/zip paths."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return path.endswith(ARCHIVE_SUFFIXES) or bool(re.search(r"//codeload\.github\.com/[^/]+/[^/]+/(tar\.gz|zip)/", path))


# --- globs ----------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def glob_pattern(glob: str) -> re.Pattern:
    """A path glob as a regular expression: `*` and `?` stay within one folder, `**/` spans any number
    of folders (none included), `[...]` is a character class."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1:end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append(f"[{'^' if negate else ''}{re.escape(body).replace(chr(92) + '-', '-')}]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(path: str, globs: list[str] | tuple[str, ...]) -> bool:
    return any(glob_pattern(glob.strip().lstrip("/")).match(path) for glob in globs if glob.strip())


# --- paths ----------------------------------------------------------------------------------------


def unsafe_path_reason(name: str) -> str | None:
    """Why a member's name must not be used (it would point outside the archive), or None."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "refused: an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "refused: a path with .. (it points outside the archive)"
    if "\x00" in name:
        return "refused: a NUL byte in the path"
    return None


def _relative(name: str, top: str | None) -> str:
    name = name.removeprefix("./")
    if top and name.startswith(top + "/"):
        return name[len(top) + 1:]
    return name


# --- reading --------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A decompressing stream that stops once more than `limit` bytes came out of it."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise ArchiveRefused(f"more than {self.limit:,} bytes once decompressed")
        buffer[: len(data)] = data
        return len(data)


def archive_members(
    body: bytes, *, globs: list[str], limits: ArchiveLimits, skipped: list[tuple[str, str]]
) -> Iterator[Member]:
    """The files of the archive whose path matches a glob. Refused members are added to `skipped`
    as (path, reason); a problem with the whole archive raises ArchiveRefused."""
    if body.startswith(ZIP_MAGIC):
        yield from _zip_members(body, globs=globs, limits=limits, skipped=skipped)
    elif body.startswith(GZIP_MAGIC):
        yield from _tar_members(body, globs=globs, limits=limits, skipped=skipped)
    else:
        raise ArchiveRefused("not a .tar.gz or .zip archive")


def _tar_members(body: bytes, *, globs, limits: ArchiveLimits, skipped) -> Iterator[Member]:
    raw = _CountingReader(gzip.GzipFile(fileobj=io.BytesIO(body)), limits.max_unpacked_bytes)
    top: str | None = None
    try:
        # Stream mode ("r|"): one forward pass, no seeking back and forth in the decompressed data.
        with tarfile.open(fileobj=io.BufferedReader(raw, 1024 * 1024), mode="r|") as archive:
            for count, info in enumerate(archive):
                if count >= MAX_MEMBERS:
                    raise ArchiveRefused(f"more than {MAX_MEMBERS:,} entries")
                if count == 0 and info.isdir() and "/" not in info.name.strip("/"):
                    top = info.name.strip("/")
                reason = unsafe_path_reason(info.name)
                path = _relative(info.name, top)
                if reason:
                    skipped.append((info.name[:300], reason))
                    continue
                if info.isdir() or not path_matches(path, globs):
                    continue
                if info.issym() or info.islnk():
                    skipped.append((path, f"refused: a link (to {info.linkname[:200]}), not followed"))
                    continue
                if not info.isreg():
                    skipped.append((path, "refused: not a regular file"))
                    continue
                if info.size > limits.max_file_bytes:
                    skipped.append((path, f"larger than {limits.max_file_bytes:,} bytes"))
                    continue
                handle = archive.extractfile(info)
                yield Member(path=path, data=handle.read() if handle else b"")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveRefused(f"broken .tar.gz archive ({type(exc).__name__}: {exc})") from exc


def _zip_members(body: bytes, *, globs, limits: ArchiveLimits, skipped) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(f"broken .zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveRefused(f"more than {MAX_MEMBERS:,} entries")
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_unpacked_bytes:
            raise ArchiveRefused(f"more than {limits.max_unpacked_bytes:,} bytes once decompressed ({declared:,})")
        firsts = {info.filename.split("/", 1)[0] for info in infos}
        top = next(iter(firsts)) if len(firsts) == 1 and all("/" in i.filename for i in infos) else None
        unpacked = 0
        for info in infos:
            reason = unsafe_path_reason(info.filename)
            path = _relative(info.filename, top)
            if reason:
                skipped.append((info.filename[:300], reason))
                continue
            if info.is_dir() or not path_matches(path, globs):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                skipped.append((path, "refused: a link, not followed"))
                continue
            if info.file_size > limits.max_file_bytes:
                skipped.append((path, f"larger than {limits.max_file_bytes:,} bytes"))
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(limits.max_file_bytes + 1)  # the header's size may lie
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, zlib.error) as exc:
                skipped.append((path, f"unreadable ({type(exc).__name__}: {exc})"))
                continue
            unpacked += len(data)
            if len(data) > limits.max_file_bytes:
                skipped.append((path, f"larger than {limits.max_file_bytes:,} bytes"))
                continue
            if unpacked > limits.max_unpacked_bytes:
                raise ArchiveRefused(f"more than {limits.max_unpacked_bytes:,} bytes once decompressed")
            yield Member(path=path, data=data)
