"""Building, activating and pruning index versions (the writer side; web workers only read).

A build takes an exclusive file lock in the index directory, so two builds never run at once,
whichever processes start them (the lock is released by the kernel if the builder dies). The
new version is loaded and checked before it is activated; activation flips IndexBuild.is_active
in one transaction, and every web worker notices within INDEX_CHECK_SECONDS.
"""

from __future__ import annotations

import fcntl
import logging
import os
import resource
import shutil
import traceback
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .index import artifact, shared_store
from .index.build import DocRecord, build_index, new_version_name
from .index.engine import Index
from .models import Document, IndexBuild
from .rankers import rankers_read

log = logging.getLogger(__name__)


class BuildInProgress(RuntimeError):
    """Another process holds the build lock."""

    exit_code = 75  # of `manage.py reindex` (EX_TEMPFAIL: try again later), which the rebuild task re-queues on


def index_dir() -> Path:
    return Path(settings.INDEX_DIR)


@contextmanager
def build_lock(*, wait: bool = False):
    index_dir().mkdir(parents=True, exist_ok=True)
    # "a": opening must not truncate the holder's pid (builder_alive reads it) when the lock is taken.
    with open(index_dir() / "build.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise BuildInProgress("another index build is running") from exc
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            with _database_build_lock(wait=wait):
                yield
        finally:
            handle.truncate(0)  # no holder: a later reader must not take this pid (maybe reused) for one
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


BUILD_LOCK_KEY = 0x43534944  # any constant of this site's: PostgreSQL advisory locks are keyed by a number


@contextmanager
def _database_build_lock(*, wait: bool):
    """On PostgreSQL, builds are also exclusive across machines (cluster nodes on other hosts do not
    share the file lock): a session-level advisory lock, released by the server if the builder dies."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [BUILD_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [BUILD_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise BuildInProgress("another index build is running (on another node)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [BUILD_LOCK_KEY])


def document_records() -> list[DocRecord]:
    rows = Document.objects.select_related("source").order_by("id").values_list(
        "id", "external_id", "title", "url", "source__name", "published", "text", "source__coins", "source__kind",
        "status",
    )
    return [DocRecord(*row[:7], tuple(row[7] or ()), row[8], row[9]) for row in rows.iterator(chunk_size=500)]


def reindex(*, activate: bool = True, workers: int | None = None, progress=None) -> IndexBuild:
    """Build a new version from every stored document, record it, and (by default) activate it
    (`manage.py reindex`). search.index.build.build_index writes the artifact files; this is the
    site's side around it: the lock, the IndexBuild record, the check that it loads, activation."""
    with build_lock():
        recover_interrupted_builds()
        record = IndexBuild.objects.create(version=new_version_name())
        try:
            docs = document_records()
            if not docs:
                raise ValueError("there are no documents to index; ingest some first")
            serving = rankers_read()[0]  # precompute the weights the incumbent ranker uses
            _, manifest = build_index(
                docs, index_dir(), version=record.version,
                workers=settings.INDEX_BUILD_WORKERS if workers is None else workers, progress=progress,
                k1=serving.k1, b=serving.b, doc_k1=serving.doc_k1 or None, doc_b=serving.doc_b or None,
                semantic_cache=Path(settings.SEMANTIC_CACHE_DIR) if settings.SEMANTIC_VECTORS else None,
            )
            Index(index_dir() / record.version)  # refuse to record a version that does not load
        except BaseException as exc:
            record.status = IndexBuild.Status.FAILED
            record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:5000]
            record.finished_at = timezone.now()
            record.save()
            raise
        counts = manifest["counts"]
        record.status = IndexBuild.Status.SUCCEEDED
        record.documents, record.sentences, record.terms = counts["documents"], counts["sentences"], counts["terms"]
        record.artifact_bytes = sum(f["bytes"] for f in manifest["files"].values())
        record.parameters = {**manifest["params"], "analyzer_version": manifest["analyzer_version"]}
        record.timings = manifest["timings"]
        record.peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        record.finished_at = timezone.now()
        record.save()
        if activate:
            record = index_activate(record.version)
        prune_versions()
        return record


def index_activate(version: str) -> IndexBuild:
    """Make a built version the one served. Raises if it is unknown or does not load."""
    record = IndexBuild.objects.filter(version=version, status=IndexBuild.Status.SUCCEEDED).first()
    if record is None:
        raise ValueError(f"no successful build with version {version!r}")
    Index(index_dir() / version)  # checksums and format: a broken version is never activated
    if settings.INDEX_SHARED_DIR is not None:  # other nodes must find it before they are told to serve it
        shared_store.publish(index_dir() / version, settings.INDEX_SHARED_DIR)
    with transaction.atomic():
        IndexBuild.objects.active().exclude(pk=record.pk).update(is_active=False)
        record.is_active = True
        record.activated_at = timezone.now()
        record.save(update_fields=["is_active", "activated_at"])
    log.info("index version %s is now active", version)
    return record


def prune_versions(keep: int | None = None) -> list[str]:
    """Delete all but the newest `keep` versions on disk; the active one is always kept."""
    keep = settings.INDEX_KEEP_VERSIONS if keep is None else keep
    active = set(IndexBuild.objects.active().values_list("version", flat=True))
    versions = artifact.list_versions(index_dir())
    doomed = [v for v in versions[: max(0, len(versions) - keep)] if v not in active]
    for version in doomed:
        shutil.rmtree(index_dir() / version, ignore_errors=True)
    if settings.INDEX_SHARED_DIR is not None:
        shared_store.prune(settings.INDEX_SHARED_DIR, keep, protect=active)
    return doomed


def builder_alive() -> bool:
    """Whether the process that last took the build lock (its pid is in the lock file) still runs.
    A read-only look for /health; the lock itself is what keeps builds exclusive."""
    try:
        pid = int((index_dir() / "build.lock").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def interrupted_builds_recover() -> list[str]:
    """Builds recorded as running whose builder is gone (killed with the cluster, or by the OOM
    killer): marked failed, and their versions returned. A builder alive holds the lock: untouched."""
    running = IndexBuild.objects.filter(status=IndexBuild.Status.RUNNING)
    if not running.exists():
        return []
    try:
        with build_lock():
            versions = list(running.values_list("version", flat=True))
            recover_interrupted_builds()
    except BuildInProgress:
        return []
    return versions


def recover_interrupted_builds() -> None:
    """Under the build lock: clean up after builds that were killed mid-way."""
    removed = artifact.remove_stale_temporaries(index_dir())
    stale = IndexBuild.objects.filter(status=IndexBuild.Status.RUNNING)
    if removed or stale.exists():
        log.warning("cleaning up interrupted builds: %s", ", ".join(removed) or "(no files)")
    stale.update(status=IndexBuild.Status.FAILED, error="interrupted: the build process died", finished_at=timezone.now())
