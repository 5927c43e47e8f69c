"""Values derived from one loaded index version, computed once and dropped with that Index.

Corpus figures, the sorted vocabulary, surface words of terms, completion tables and the semantic
document vectors depend only on the index, so they are memoised per Index object (weak keys: an
Index that nothing serves any more takes its values with it). They serve any Index the same way:
the one being served, and those offline evaluation and the benchmarks open. What also depends on
the serving rankers (answers) is keyed by the serving generation instead (search/result_cache.py).
"""

from __future__ import annotations

import threading
import weakref

_per_index: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def index_memo(index, key: str, compute):
    """compute(), once per index and key (None is a value too)."""
    with _lock:
        values = _per_index.setdefault(index, {})
        if key in values:
            return values[key]
    value = compute()  # outside the lock: a duplicate computation is harmless, a stall is not
    with _lock:
        return _per_index.setdefault(index, {}).setdefault(key, value)
