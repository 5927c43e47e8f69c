"""The spelling dictionary of one index version, built in a background thread when first needed.

Built from the version's surface words (schema.STRINGS "words", "word_count") the first time a
query needs it (about a second), so no search waits for it unless it asks to.
"""

from __future__ import annotations

import gc
import threading

import numpy as np

from .artifact import StringTable


class SpellingDictionary:
    def __init__(self, words: StringTable, counts: np.ndarray):
        self._words, self._counts = words, counts
        self._corrector = None
        self._thread: threading.Thread | None = None

    def _build(self) -> None:
        from ..nlp.spelling import SpellingCorrector

        words = self._words
        self._corrector = SpellingCorrector(zip((words[i] for i in range(len(words))), self._counts))
        # The dictionary is millions of long-lived objects that Python's full garbage collections
        # would walk again and again (long pauses under load: docs/benchmarks.md). Freeze everything
        # alive now out of their reach; objects freed later are still freed by reference counting.
        # Whoever swaps the index out unfreezes (search/serving_state.py).
        gc.freeze()

    def ready(self, *, wait: bool = False) -> bool:
        """Start building the dictionary in the background if needed; True once it is built."""
        if self._corrector is None and self._thread is None:
            self._thread = threading.Thread(target=self._build, name="spelling", daemon=True)
            self._thread.start()
        if wait and self._corrector is None:
            self._thread.join()
        return self._corrector is not None

    def correct(self, query: str, knows, *, wait: bool = False) -> str | None:
        """The query with unknown words corrected, or None. `knows(word)` says whether the index
        has a word (IndexReader.knows); the dictionary is built the first time a query has an
        unknown word, and this returns None until it is ready (unless `wait`)."""
        from ..nlp.spelling import words_of

        if all(knows(word) for word in words_of(query)):
            return None
        if not self.ready(wait=wait):
            return None
        return self._corrector.correct(query, knows)
