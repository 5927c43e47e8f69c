"""The on-disk form of one index version: plain .npy arrays plus a manifest.json.

What the arrays are is schema.py's table; this module stores, verifies and loads them.

A version is the directory `<index dir>/<version>/`. It is written into a hidden temporary
directory and renamed into place, so a half-written version is never visible under its name.
Arrays are loaded with mmap_mode="r": every process that maps the same version shares one copy
in the page cache, and nothing on the serving path is a pickle.

Strings (sentences, titles, urls, terms) are stored as a UTF-8 blob plus an int64 offsets array.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .schema import FORMAT_VERSION

MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"


class ArtifactError(Exception):
    """The artifact is missing, incomplete, corrupted or of another format."""


def file_checksum(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encode_strings(strings) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, blob) for a sequence of strings; string i is blob[offsets[i]:offsets[i+1]]."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return offsets, blob


class StringTable:
    """Read access to an (offsets, blob) pair, usually memory-mapped."""

    def __init__(self, offsets: np.ndarray, blob: np.ndarray):
        self.offsets = offsets
        self.blob = blob
        # Reads go through plain ndarray views of the same memory: slicing an np.memmap costs a
        # Python-level __array_finalize__ each time, and a page of hits reads dozens of strings.
        self._offsets = offsets.view(np.ndarray)
        self._blob = blob.view(np.ndarray)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        offsets = self._offsets
        return self._blob[int(offsets[i]):int(offsets[i + 1])].tobytes().decode("utf-8")


class ArrayStream:
    """One .npy file written chunk by chunk, so a build never holds the whole array in memory.

    The header (which names the final shape) is reserved up front and written on close();
    np.load and mmap see an ordinary .npy file.
    """

    HEADER_BYTES = 128  # numpy's v1 header, padded to 64-byte alignment, for any shape we write

    def __init__(self, path: Path, dtype, row_shape: tuple[int, ...] = ()):
        self.path, self.dtype, self.row_shape, self.rows = Path(path), np.dtype(dtype), tuple(row_shape), 0
        self.handle = open(self.path, "wb")
        self.handle.write(b"\0" * self.HEADER_BYTES)

    def append(self, array) -> None:
        array = np.ascontiguousarray(array, dtype=self.dtype)
        if array.shape[1:] != self.row_shape:
            raise ValueError(f"{self.path.name}: rows of shape {array.shape[1:]}, expected {self.row_shape}")
        self.handle.write(memoryview(array.reshape(-1).view(np.uint8)))
        self.rows += len(array)

    def close(self) -> None:
        if self.handle.closed:
            return
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (self.rows, *self.row_shape),
        })
        if len(header.getvalue()) != self.HEADER_BYTES:
            raise ValueError(f"unexpected .npy header size for {self.path.name}")
        self.handle.seek(0)
        self.handle.write(header.getvalue())
        self.handle.close()


class StringStream:
    """Strings appended in batches of already-encoded UTF-8 (blob + lengths), as `strings` stores them."""

    def __init__(self, directory: Path, name: str):
        self.offsets = ArrayStream(directory / f"{name}.offsets.npy", np.int64)
        self.blob = ArrayStream(directory / f"{name}.blob.npy", np.uint8)
        self.end = 0
        self.offsets.append(np.zeros(1, dtype=np.int64))

    def append_encoded(self, blob: bytes, lengths: np.ndarray) -> None:
        ends = self.end + np.cumsum(np.asarray(lengths, dtype=np.int64))
        if len(ends) and ends[-1] - self.end != len(blob):
            raise ValueError("string lengths do not add up to the blob")
        self.blob.append(np.frombuffer(blob, dtype=np.uint8))
        self.offsets.append(ends)
        self.end = int(ends[-1]) if len(ends) else self.end

    def close(self) -> None:
        self.offsets.close()
        self.blob.close()


def encode_batch(strings) -> tuple[bytes, np.ndarray]:
    """(blob, byte lengths) of a batch of strings, for StringStream.append_encoded."""
    encoded = [s.encode("utf-8") for s in strings]
    return b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))


class ArtifactWriter:
    """Collects arrays and files into a temporary directory, then publishes it atomically."""

    def __init__(self, index_dir: Path, version: str):
        self.index_dir = Path(index_dir)
        self.version = version
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = self.index_dir / f"{TMP_PREFIX}{version}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()

    def array(self, name: str, array: np.ndarray) -> None:
        np.save(self.tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    def strings(self, name: str, strings) -> None:
        offsets, blob = encode_strings(strings)
        self.array(f"{name}.offsets", offsets)
        self.array(f"{name}.blob", blob)

    def array_stream(self, name: str, dtype, row_shape: tuple[int, ...] = ()) -> ArrayStream:
        return ArrayStream(self.tmp / f"{name}.npy", dtype, row_shape)

    def string_stream(self, name: str) -> StringStream:
        return StringStream(self.tmp, name)

    def text(self, name: str, content: str) -> None:
        (self.tmp / name).write_text(content, encoding="utf-8")

    def publish(self, manifest: dict) -> dict:
        """Checksum every file, write the manifest last, fsync, rename into place; returns the manifest."""
        files = {}
        for path in sorted(self.tmp.iterdir()):
            files[path.name] = {"bytes": path.stat().st_size, "checksum": file_checksum(path)}
        manifest = {**manifest, "format_version": FORMAT_VERSION, "version": self.version, "files": files}
        manifest_path = self.tmp / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        for path in self.tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        final = self.index_dir / self.version
        os.rename(self.tmp, final)
        _fsync_dir(self.index_dir)
        return manifest

    def abandon(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(version_dir: Path) -> dict:
    try:
        manifest = json.loads((Path(version_dir) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"no manifest in {version_dir}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"unreadable manifest in {version_dir}: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"index format {manifest.get('format_version')} in {version_dir}, this code reads {FORMAT_VERSION}"
        )
    return manifest


def verify(version_dir: Path, manifest: dict, *, checksums: bool = True) -> None:
    """Refuse a version whose files are missing, truncated or (with checksums) altered."""
    for name, expected in manifest["files"].items():
        path = Path(version_dir) / name
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ArtifactError(f"{name} is missing from {version_dir}") from exc
        if size != expected["bytes"]:
            raise ArtifactError(f"{name} in {version_dir} has {size} bytes, expected {expected['bytes']}")
        if checksums and file_checksum(path) != expected["checksum"]:
            raise ArtifactError(f"{name} in {version_dir} fails its checksum")


def load_array(version_dir: Path, name: str) -> np.ndarray:
    return np.load(Path(version_dir) / f"{name}.npy", mmap_mode="r", allow_pickle=False)


def load_strings(version_dir: Path, name: str) -> StringTable:
    return StringTable(load_array(version_dir, f"{name}.offsets"), load_array(version_dir, f"{name}.blob"))


def list_versions(index_dir: Path) -> list[str]:
    """Published versions on disk, oldest first (version names sort by creation time)."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def remove_stale_temporaries(index_dir: Path) -> list[str]:
    """Delete temporary directories left by builds that crashed or were killed."""
    removed = []
    index_dir = Path(index_dir)
    if index_dir.is_dir():
        for path in index_dir.iterdir():
            if path.is_dir() and path.name.startswith(TMP_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    return removed
