"""What this process serves: the active index version, the incumbent and challenger rankers, and a
generation number that changes whenever one of them does.

Each process asks the database which index version is active at most every INDEX_CHECK_SECONDS
(one indexed single-row query) and which rankers serve at most every RANKER_CHECK_SECONDS. A newly
active version is loaded (manifest, sizes, checksums) before it replaces the current one; if it
fails to load, the current one keeps serving and the failure is remembered for /health. On a node
of several, a version the node does not have is first copied from the shared index folder
(search/index/shared_store.py). A ranker whose row is unchanged keeps its config object.

`current()` returns one immutable `Serving` snapshot. Requests in flight keep the snapshot (and the
Index) they started with; its memory maps stay valid until the last reference goes. Caches of
answers are keyed by the snapshot's generation, so a new index or ranker is never answered from
an older cache, and nothing is compared by object identity.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from .index import shared_store
from .index.artifact import ArtifactError
from .index.engine import Index
from .models import IndexBuild
from .rankers import DEFAULT, RankerConfig, rankers_read

log = logging.getLogger(__name__)
FETCH_RETRY_SECONDS = 30
RANKER_CHECK_SECONDS = 5


@dataclass(frozen=True)
class Serving:
    index: Index | None  # None until a version has ever been activated
    incumbent: RankerConfig
    challenger: RankerConfig | None
    generation: int  # new whenever the index, the incumbent or the challenger changes


class ServingState:
    def __init__(self):
        self._lock = threading.Lock()
        self._generations = itertools.count(1)  # never reused, even across reset()
        self.reset()

    def reset(self) -> None:
        """Forget the loaded index and rankers (tests, and after DATA_DIR changes)."""
        with self._lock:
            self._serving = Serving(None, DEFAULT, None, next(self._generations))
            self._index_checked_at = self._rankers_checked_at = float("-inf")
            self.load_error: str = ""
            self._failed_version: str | None = None
            self._retry_at = float("inf")

    def rankers_changed(self) -> None:
        """Read the rankers on the next request (this process just promoted or changed one)."""
        self._rankers_checked_at = float("-inf")

    def current(self) -> Serving:
        if self._due():
            with self._lock:
                if self._due():
                    self._refresh()
        return self._serving

    def _due(self) -> bool:
        # Until an index is loaded, every request checks (and waits for the thread loading it).
        now = time.monotonic()
        return (self._serving.index is None or now - self._index_checked_at >= settings.INDEX_CHECK_SECONDS
                or now - self._rankers_checked_at >= RANKER_CHECK_SECONDS)

    def _refresh(self) -> None:
        """The one place where what is served changes."""
        old = self._serving
        index, incumbent, challenger = old.index, old.incumbent, old.challenger
        if index is None or time.monotonic() - self._index_checked_at >= settings.INDEX_CHECK_SECONDS:
            index = self._read_index(index)
            self._index_checked_at = time.monotonic()  # after loading: others keep waiting meanwhile
        if time.monotonic() - self._rankers_checked_at >= RANKER_CHECK_SECONDS:
            incumbent, challenger = self._read_rankers(incumbent, challenger)
            self._rankers_checked_at = time.monotonic()
        if any(new is not was for new, was in zip((index, incumbent, challenger),
                                                  (old.index, old.incumbent, old.challenger))):
            self._serving = Serving(index, incumbent, challenger, next(self._generations))

    def _read_index(self, current: Index | None) -> Index | None:
        try:
            version = IndexBuild.objects.active().values_list("version", flat=True).first()
        except DatabaseError as exc:  # a locked or busy database must not stop searches
            log.warning("could not read the active index version: %s", exc)
            return current
        if version is None or (current is not None and current.version == version):
            return current
        if version == self._failed_version and time.monotonic() < self._retry_at:
            return current  # already tried; keep serving what we have
        try:
            index = Index(local_version_dir(version))
        except (ArtifactError, OSError, ValueError) as exc:
            self._failed_version = version
            # A local copy that fails is not tried again; a copy from the shared folder that failed
            # (folder unreachable, damaged copy) is, after a while: it may be repaired.
            local = (settings.INDEX_DIR / version).is_dir()
            self._retry_at = float("inf") if local else time.monotonic() + FETCH_RETRY_SECONDS
            self.load_error = f"version {version} failed to load: {exc}"
            log.error("%s; still serving %s", self.load_error, current.version if current else "nothing")
            return current
        if current is not None:
            gc.unfreeze()  # let the collector reach the old index again (see SpellingDictionary._build)
        self._failed_version, self.load_error = None, ""
        log.info("now serving index version %s", version)
        return index

    @staticmethod
    def _read_rankers(incumbent: RankerConfig, challenger: RankerConfig | None):
        try:
            fresh_incumbent, fresh_challenger = rankers_read()
        except DatabaseError as exc:
            log.warning("could not read rankers: %s", exc)
            return incumbent, challenger
        return _same_or_new(incumbent, fresh_incumbent), _same_or_new(challenger, fresh_challenger)

    def serving_versions(self) -> set[str]:
        index = self._serving.index
        return {index.version} if index is not None else set()


def _same_or_new(config: RankerConfig | None, fresh: RankerConfig | None) -> RankerConfig | None:
    """The config object is kept while its row is unchanged (so the generation stays)."""
    if config is None or fresh is None:
        return fresh
    if config == fresh and (config.expansions, config.boosts, config.signal_weights) == (
            fresh.expansions, fresh.boosts, fresh.signal_weights):
        return config
    return fresh


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
    shared_store.prune(settings.INDEX_DIR, settings.INDEX_KEEP_VERSIONS, protect={version, *state.serving_versions()})
    return path


state = ServingState()


def current() -> Serving:
    return state.current()


def get_index() -> Index | None:
    return state.current().index
