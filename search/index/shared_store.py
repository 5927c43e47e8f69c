"""Index versions shared between nodes through a folder every node can read (INDEX_SHARED_DIR).

Each web node keeps its own local copy of the versions it serves (its INDEX_DIR: memory-mapped
from local disk, never over the network). The cluster node that builds a version publishes it to
the shared folder, under its version id, before activating it; a node that is told to serve a
version it does not have copies it from there by that id, checks every file against the
checksums of the version's manifest, and only then renames it into its own index directory. A
copy that does not match is deleted and never served; the node keeps serving what it has.

The shared folder can be any mounted file system (NFS, a cloud file share, a volume shared by
containers); an object store would take the same two operations (put a version, get a version by
id) with the same checks. Plain Python: no Django, so it is testable and usable from any process.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from .artifact import MANIFEST, ArtifactError, list_versions, read_manifest, verify

FETCH_PREFIX = ".fetch-"
PUBLISH_PREFIX = ".publish-"
VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _checked_name(version: str) -> str:
    """A version id read from the database becomes a path component: refuse anything but a name."""
    if not VERSION_NAME.fullmatch(version or "") or ".." in version:
        raise ArtifactError(f"not a version id: {version!r}")
    return version


@contextmanager
def _locked(directory: Path, name: str):
    """One copier at a time per directory and node (a node's workers may all want the same version)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / name, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_verified(source: Path, target_dir: Path, version: str, prefix: str) -> Path:
    """Copy `source` to `target_dir/version` through a temporary name, checking every file against
    the manifest's checksums before the rename; returns the final path."""
    final = target_dir / version
    if final.is_dir():
        return final
    manifest = read_manifest(source)
    if manifest.get("version") not in (None, version):
        raise ArtifactError(f"{source} holds version {manifest.get('version')}, not {version}")
    tmp = target_dir / f"{prefix}{version}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        for name in [*manifest["files"], MANIFEST]:  # the manifest last, as a build writes it
            shutil.copyfile(source / name, tmp / name)
        verify(tmp, read_manifest(tmp), checksums=True)
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _remove_temporaries(directory: Path, prefix: str) -> None:
    for path in directory.iterdir():
        if path.is_dir() and path.name.startswith(prefix):
            shutil.rmtree(path, ignore_errors=True)


def publish(version_dir: Path, shared_dir: Path) -> Path:
    """Put a built version into the shared folder (idempotent); returns its shared path."""
    version_dir, shared_dir = Path(version_dir), Path(shared_dir)
    version = _checked_name(version_dir.name)
    with _locked(shared_dir, ".publish.lock"):
        _remove_temporaries(shared_dir, PUBLISH_PREFIX)
        return _copy_verified(version_dir, shared_dir, version, PUBLISH_PREFIX)


def fetch(version: str, shared_dir: Path, index_dir: Path) -> Path:
    """Copy `version` from the shared folder into this node's index directory, verified by its
    checksums; returns the local path (at once if the node has it already)."""
    version, shared_dir, index_dir = _checked_name(version), Path(shared_dir), Path(index_dir)
    if (index_dir / version).is_dir():
        return index_dir / version
    source = shared_dir / version
    if not (source / MANIFEST).is_file():
        raise ArtifactError(f"version {version} is not in the shared index folder {shared_dir}")
    with _locked(index_dir, ".fetch.lock"):
        _remove_temporaries(index_dir, FETCH_PREFIX)  # left by a copier that died
        return _copy_verified(source, index_dir, version, FETCH_PREFIX)


def prune(directory: Path, keep: int, protect: set[str]) -> list[str]:
    """Delete all but the newest `keep` versions in `directory`, never one in `protect`."""
    directory = Path(directory)
    versions = list_versions(directory)
    doomed = [v for v in versions[: max(0, len(versions) - keep)] if v not in protect]
    for version in doomed:
        shutil.rmtree(directory / version, ignore_errors=True)
    return doomed
