"""The index version this process serves, swapped without a restart when another is activated.

Each process asks the database which version is active at most every INDEX_CHECK_SECONDS (one
indexed single-row query). A newly active version is loaded (manifest, sizes, checksums) before
it replaces the current one; if it fails to load, the current one keeps serving and the failure
is remembered for /health. On a node of several, a version the node does not have is first
copied from the shared index folder (search/index/shared_store.py). Requests in flight keep the Index object they started with, and its
memory maps stay valid until the last reference goes.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError

from .index import shared_store
from .index.artifact import ArtifactError
from .index.engine import Index
from .models import IndexBuild

log = logging.getLogger(__name__)
FETCH_RETRY_SECONDS = 30


class IndexHolder:
    def __init__(self):
        self._index: Index | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self.load_error: str = ""
        self._failed_version: str | None = None
        self._retry_at = float("inf")

    def _due(self) -> bool:
        # Until an index is loaded, every request checks (and waits for the thread loading it).
        return self._index is None or time.monotonic() - self._checked_at >= settings.INDEX_CHECK_SECONDS

    def get(self) -> Index | None:
        """The current index (None when no version has ever been activated)."""
        if self._due():
            with self._lock:
                if self._due():
                    self._refresh()
                    self._checked_at = time.monotonic()  # after loading: others keep waiting meanwhile
        return self._index

    def _refresh(self) -> None:
        try:
            version = IndexBuild.objects.active().values_list("version", flat=True).first()
        except DatabaseError as exc:  # a locked or busy database must not stop searches
            log.warning("could not read the active index version: %s", exc)
            return
        if version is None or (self._index is not None and self._index.version == version):
            return
        if version == self._failed_version and time.monotonic() < self._retry_at:
            return  # already tried; keep serving what we have
        try:
            index = Index(local_version_dir(version))
        except (ArtifactError, OSError, ValueError) as exc:
            self._failed_version = version
            # A local copy that fails is not tried again; a copy from the shared folder that failed
            # (folder unreachable, damaged copy) is, after a while: it may be repaired.
            local = (settings.INDEX_DIR / version).is_dir()
            self._retry_at = float("inf") if local else time.monotonic() + FETCH_RETRY_SECONDS
            self.load_error = f"version {version} failed to load: {exc}"
            log.error("%s; still serving %s", self.load_error, self._index.version if self._index else "nothing")
            return
        if self._index is not None:
            gc.unfreeze()  # let the collector reach the old index again (see SpellingDictionary._build)
        self._index, self._failed_version, self.load_error = index, None, ""
        log.info("now serving index version %s", version)

    def reset(self) -> None:
        """Forget the loaded index (tests, and after DATA_DIR changes)."""
        with self._lock:
            self._index, self._checked_at, self.load_error, self._failed_version = None, float("-inf"), "", None


def local_version_dir(version: str):
    """This node's copy of `version`; on a node of several (INDEX_SHARED_DIR set), copied from the
    shared folder first when the node does not have it yet (verified by its checksums)."""
    path = settings.INDEX_DIR / version
    shared = getattr(settings, "INDEX_SHARED_DIR", None)
    if shared is None or path.is_dir():
        return path
    log.info("fetching index version %s from %s", version, shared)
    path = shared_store.fetch(version, shared, settings.INDEX_DIR)
    # A web node never builds, so nothing else prunes its copies: keep the newest few.
    shared_store.prune(settings.INDEX_DIR, settings.INDEX_KEEP_VERSIONS, protect={version, *_serving_versions()})
    return path


def _serving_versions() -> set[str]:
    return {holder._index.version} if holder._index is not None else set()


holder = IndexHolder()


def get_index() -> Index | None:
    return holder.get()
