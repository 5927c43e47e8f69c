"""Typo tolerance: corrections against the words of the index, with symspellpy.

The dictionary is the index's own surface words (seen at least twice), stored in the artifact,
so corrections always lead to words that can match. Only words the index does not know are
corrected (a rare but real word such as "hamster" is left alone); short words allow one edit,
longer ones two. The SymSpell structure takes a noticeable time and memory to build (figures in
docs/architecture.md), so each process builds it lazily, on the first query that needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from symspellpy import SymSpell, Verbosity

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


class SpellingCorrector:
    def __init__(self, words: Iterable[tuple[str, int]]):
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in words:
            self._symspell.create_dictionary_entry(word, int(count))

    def suggest(self, word: str) -> str | None:
        """The most frequent dictionary word within the allowed edit distance, or None."""
        lowered = word.lower()
        distance = 1 if len(lowered) <= 4 else 2
        if len(lowered) < 3:
            return None
        found = self._symspell.lookup(lowered, Verbosity.TOP, max_edit_distance=distance)
        if not found or found[0].term == lowered:
            return None
        return found[0].term

    def correct(self, query: str, is_known: Callable[[str], bool]) -> str | None:
        """The query with unknown words replaced by their best correction; None if nothing changed."""
        changed = False

        def replace(match: re.Match) -> str:
            nonlocal changed
            word = match.group()
            if is_known(word):
                return word
            suggestion = self.suggest(word)
            if suggestion is None:
                return word
            changed = True
            return suggestion

        corrected = _WORD.sub(replace, query)
        return corrected if changed else None
