"""What someone means while still typing: the last word is a prefix, completed by what fits.

Search as you type (`partial_expansions`): "what is proof of sta" searches "proof" plus the index
terms that start with "sta", each weighted by how often it occurs with the words before it
("stake" next to "proof", not "rta"); the word being typed is never spell-corrected, and a prefix
of a stop word ("wh" of "what") stands for nothing yet. `fitted_completions` also completes the
last word of the whole suggestions (search/suggestions.py).

Fit is measured on the index itself: the share of a completion's sentences among the sentences
of the typed words nearest to it (co-occurrence), with the completion's frequency breaking ties.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .index.engine import Index
from .nlp.analyzer import analyze
from .nlp.stopwords import STOP_WORDS
from .index_memo import index_memo
from .site_stats import _words_for_term

PREFIX_CANDIDATES = 40  # most frequent index terms considered for a typed prefix
SEARCH_COMPLETIONS = 8  # completions a partial search adds
CONTEXT_TERMS = 2  # typed words nearest the prefix that judge the fit
SURFACED = 12  # completions whose corpus word is looked up
PHRASE_SENTENCES = 3000  # sentences of the phrase's rarest word read to see what follows it

_SEPARATORS = re.compile(r"[-_\s’'#]")
TYPED_IDENTIFIER = re.compile(r"^(eip|erc|bip|bolt)[-\s#]*(\d*)$", re.IGNORECASE)  # "EIP 15", "bip", "erc#20"
IDENTIFIER_WORD = re.compile(r"^(eip|erc|bip|bolt)[-\s]?\d+$", re.IGNORECASE)  # "EIP-1559", "bip32"
_STOP_PREFIXES = frozenset(w[:n] for w in STOP_WORDS for n in range(1, len(w) + 1) if w.isalpha())


def fold(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).lower())


def split_partial(text: str) -> tuple[str, str]:
    """(the words typed so far, the word being typed); "EIP 15" is one word being typed."""
    head, _, last = " ".join(text.split()).rpartition(" ")
    before_head, _, before = head.rpartition(" ")
    if last.isdigit() and TYPED_IDENTIFIER.match(before or "x"):
        return before_head, f"{before}-{last}"
    return head, last


def is_stop_prefix(word: str) -> bool:
    """True when the word could still become a stop word ("wh" -> "what"), or is one."""
    return word.lower() in _STOP_PREFIXES


# --- prefix terms and their fit -----------------------------------------------------------


@dataclass(frozen=True)
class _SortedTerms:
    """The index's terms in sorted order, for prefix lookups by bisection."""

    terms: list[str]  # sorted
    ids: np.ndarray  # term id of each sorted term
    frequency: np.ndarray  # sentences holding each sorted term


def _sorted_terms(index: Index) -> _SortedTerms:
    def compute() -> _SortedTerms:
        terms = [index.terms[i] for i in range(len(index.terms))]
        order = sorted(range(len(terms)), key=terms.__getitem__)
        ptr = np.asarray(index.post_ptr, dtype=np.int64)
        ids = np.asarray(order, dtype=np.int64)
        return _SortedTerms([terms[i] for i in order], ids, (ptr[ids + 1] - ptr[ids]))

    return index_memo(index, "sorted-terms", compute)


def prefix_terms(index: Index, prefix: str, *, limit: int = PREFIX_CANDIDATES) -> list[tuple[str, int, int]]:
    """(term, term id, sentence count) of index terms starting with the folded prefix, most
    frequent first; stems shorter than the typed word ("valid" for "validat") count too."""
    folded = fold(prefix)
    if len(folded) < 2:
        return []
    vocab = _sorted_terms(index)
    positions = list(range(*_prefix_range(vocab.terms, folded)))
    for cut in range(4, len(folded)):
        lo, hi = _prefix_range(vocab.terms, folded[:cut])
        if lo < hi and vocab.terms[lo] == folded[:cut]:
            positions.append(lo)
    positions = sorted(set(positions), key=lambda p: (-int(vocab.frequency[p]), vocab.terms[p]))[:limit]
    return [(vocab.terms[p], int(vocab.ids[p]), int(vocab.frequency[p])) for p in positions]


def _prefix_range(terms: list[str], prefix: str) -> tuple[int, int]:
    return bisect.bisect_left(terms, prefix), bisect.bisect_left(terms, prefix + "\uffff")


def _postings(index: Index, term_id: int) -> np.ndarray:
    return index.post_sent[int(index.post_ptr[term_id]):int(index.post_ptr[term_id + 1])]


def _context_sentences(index: Index, context: tuple[str, ...]) -> np.ndarray | None:
    parts = [_postings(index, tid) for tid in (index.term_id(t) for t in context) if tid >= 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))


def _together(sorted_ids: np.ndarray, other: np.ndarray) -> int:
    """How many ids of `other` (ascending) are in `sorted_ids` (ascending)."""
    if not len(sorted_ids) or not len(other):
        return 0
    small, big = (other, sorted_ids) if len(other) <= len(sorted_ids) else (sorted_ids, other)
    at = np.searchsorted(big, small)
    at[at == len(big)] = len(big) - 1
    return int(np.count_nonzero(big[at] == small))


class _Memo:
    """A small LRU of fit computations: suggestions ask the same on every keystroke."""

    def __init__(self, size: int = 4096):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, compute):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = compute()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


memo = _Memo()  # also search/suggestions.py's: one LRU for what is asked on every keystroke


def fitted_completions(index: Index, head: str, prefix: str) -> list[tuple[str, float]]:
    """(completed word, fit in (0, 1]) for a prefix typed after `head`, best first.

    Fit, first from the phrase itself: how often the words typed last ("proof of", "lightning")
    are followed by each completion in the sentences that hold them ("proof of stake" is in the
    text, "proof of stark" is not). When the phrase never occurs, from co-occurrence: the share
    of the sentences of the nearest typed words that hold each completion. With nothing typed
    before, from frequency. Relative to the best completion.
    """
    key = (index.version, " ".join(head.lower().split()[-4:]), fold(prefix))
    return memo.get(key, lambda: _fit(index, head, prefix))


def _phrase_words(head: str) -> list[str]:
    """The typed words from the last one that is not a stop word ("what is proof of" -> proof, of)."""
    words = re.findall(r"[\w$%.-]+", head)
    for i in range(len(words) - 1, max(-1, len(words) - 4), -1):
        if words[i].lower() not in STOP_WORDS:
            return words[i:]
    return []


def _phrase_fit(index: Index, head: str, prefix: str) -> dict[str, float]:
    phrase = _phrase_words(head)
    if not phrase:
        return {}
    anchors = [tid for tid in (index.term_id(t) for t in analyze(phrase[0])) if tid >= 0]
    if not anchors:
        return {}
    tid = min(anchors, key=lambda t: int(index.post_ptr[t + 1]) - int(index.post_ptr[t]))
    pattern = re.compile(
        r"(?<!\w)" + r"[\s,;:-]+".join(re.escape(w) for w in phrase) + r"\s+(" + re.escape(prefix) + r"[\w%-]*)",
        re.IGNORECASE,
    )
    counts: dict[str, int] = {}
    for sid in _postings(index, tid)[:PHRASE_SENTENCES]:
        for match in pattern.finditer(index.sentences[int(sid)]):
            word = match.group(1).rstrip("-")
            if fold(word) != fold(prefix) or len(prefix) > 1:
                counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return {word: n for word, n in counts.items()}


def _fit(index: Index, head: str, prefix: str) -> list[tuple[str, float]]:
    phrase = _phrase_fit(index, head, prefix)
    if phrase:
        best = max(phrase.values())
        return sorted(((w, n / best) for w, n in phrase.items()), key=lambda item: (-item[1], item[0]))
    candidates = prefix_terms(index, prefix)
    if not candidates:
        return []
    context = tuple(t for t in analyze(head) if index.term_id(t) >= 0)[-CONTEXT_TERMS:]
    near = _context_sentences(index, context)
    top = max(df for _, _, df in candidates)
    fits = []
    for term, tid, df in candidates:
        popularity = math.sqrt(df / top)
        fit = popularity if near is None else _together(near, _postings(index, tid)) / len(near) + 0.05 * popularity
        if fit > 0:
            fits.append((fit, term, tid))
    fits.sort(key=lambda item: (-item[0], item[1]))
    merged: dict[str, float] = {}
    for fit, term, tid in fits[:SURFACED]:  # reading words is the costly part: only for the best
        word = _surface(index, tid, term, prefix)
        if word:
            merged[word] = max(merged.get(word, 0.0), fit)
    if not merged:
        return []
    best = max(merged.values())
    return sorted(((w, f / best) for w, f in merged.items()), key=lambda item: (-item[1], item[0]))


def _surface(index: Index, term_id: int, term: str, prefix: str) -> str:
    """The most common word of the corpus for a term that starts with what was typed."""
    folded = fold(prefix)
    for word, _ in _words_for_term(index, term_id, term, sentences=20).most_common():
        if fold(word).startswith(folded):
            return word.lower() if not any(c.isupper() for c in word[1:]) else word
    return ""


def partial_expansions(index: Index, head: str, last_word: str) -> dict[str, float]:
    """Weighted index terms for a word still being typed: its completions that fit the words
    before it (the best weighs 1), and the word itself if the index knows it."""
    if is_stop_prefix(last_word) or len(fold(last_word)) < 2:
        return {}
    exact = [t for t in analyze(last_word)[:1] if index.term_id(t) >= 0]
    if any(c.isdigit() for c in last_word) and not IDENTIFIER_WORD.match(last_word):
        return {term: 1.0 for term in exact}  # "51" is not the start of "512"
    weights: dict[str, float] = {}
    for word, fit in fitted_completions(index, head, last_word)[:SEARCH_COMPLETIONS]:
        for term in analyze(word)[:1]:  # a compound's own term, not its parts ("stake-weight")
            if index.term_id(term) >= 0:
                weights[term] = max(weights.get(term, 0.0), max(0.2, fit))
    if exact and IDENTIFIER_WORD.match(last_word):  # "EIP 155" names a document: its longer numbers matter less
        weights = {term: weight / 2 for term, weight in weights.items()}
    for term in exact:  # the word as typed so far, if it is a word; weaker than what fits better
        whole = not weights or IDENTIFIER_WORD.match(last_word)
        weights[term] = max(weights.get(term, 0.0), 1.0 if whole else 0.3)
    return weights
