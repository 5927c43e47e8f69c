"""Answers to repeated questions, kept per process.

Popular questions come back again and again; ranking and building their hits (highlighting,
context, coins, sentiment) is most of a search's cost, and the answer only changes when the
index or the serving ranker does. So the last SEARCH_CACHE_ENTRIES answers are kept, least
recently used first out, and the whole cache is dropped the moment either changes. Every
search is still logged: the cache only saves the ranking work.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ResultCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._owner: tuple = ()
        self._lock = threading.Lock()

    def _check_owner(self, owner: tuple) -> None:
        """Drop every entry when the index or ranker (compared by identity) changed."""
        if len(owner) != len(self._owner) or any(a is not b for a, b in zip(owner, self._owner)):
            self._entries.clear()
            self._owner = owner

    def get(self, owner: tuple, key):
        if self.size <= 0:
            return None
        with self._lock:
            self._check_owner(owner)
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, owner: tuple, key, value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._check_owner(owner)
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
