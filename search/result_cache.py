"""Answers to repeated questions, kept per process.

Popular questions come back again and again; ranking and building their hits (highlighting,
context, coins, sentiment) is most of a search's cost, and the answer only changes when the
index or the serving ranker does. So the last SEARCH_CACHE_ENTRIES answers are kept, least
recently used first out, under the serving generation (search/serving_state.py) they were made
in: the whole cache is dropped the moment a newer generation asks, and an older one (a request
that began before the change) neither reads nor fills it. Every search is still logged: the
cache only saves the ranking work.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ResultCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def _current(self, generation: int) -> bool:
        """Whether `generation` may use the entries; a newer one drops them all first."""
        if generation > self._generation:
            self._entries.clear()
            self._generation = generation
        return generation == self._generation

    def get(self, generation: int, key):
        if self.size <= 0:
            return None
        with self._lock:
            if not self._current(generation):
                return None
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, generation: int, key, value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            if not self._current(generation):
                return
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
