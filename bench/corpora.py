"""Benchmark corpora as DocRecord sequences: the shared corpus, and synthetic ones of any size.

Synthetic corpora are made reproducibly from a *base* corpus (the shared corpus, or the starter
articles for quick tests):

1. The base corpus is split into sentences once with the project's own splitter (Punkt trained
   the way the build trains it); the pool is cached under bench/results/cache/.
2. Document sizes (in sentences) are drawn, with a seeded generator, from the base corpus's own
   distribution of sentences per document, and cut so that they add up to exactly the target.
3. Synthetic document i takes a random base document as its topic (title, source, date) and
   fills its sentences with a seeded shuffle: 70 % from that base document, 30 % from the whole
   pool. Sentences are grouped 1-5 to a paragraph (one paragraph per line, as in the corpus);
   headings and list items stay on lines of their own. The build re-splits the text with its
   own Punkt model, so its sentence count lands close to, not exactly on, the target.
4. So that the vocabulary keeps growing with the corpus (as real text does, Heaps' law) rather
   than stopping at the base corpus's ~32k terms, 10 % of sentences get a variant of their
   longest alphabetic word: the word plus a suffix naming a variant number drawn from a Zipf
   distribution (a=2), so new terms themselves follow a Zipf shape: a few variants are common,
   most are rare.

Every document is made on demand from (seed, i), so `SyntheticCorpus` is a Sequence that holds
only the base pool and one array of document sizes: a 5M-sentence corpus costs no memory for
its text, and the build sees exactly what it would see from a database.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from search.index.build import DocRecord

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_CORPUS = SHARED / "corpus" / "crypto-docs.jsonl.gz"
STARTER_CORPUS = ROOT / "search" / "starter_corpus"
CACHE = ROOT / "bench" / "results" / "cache"

FROM_OWN_DOCUMENT = 0.7
VARIANT_SHARE = 0.10
VARIANT_ZIPF_A = 2.0
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD_RE = re.compile(r"[A-Za-z]{4,}")
_CLOSERS = "\"')]’”"


def shared_records(limit: int | None = None) -> list[DocRecord]:
    """The shared corpus as the ingest command stores it (keys are line numbers from 1)."""
    records = []
    with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if limit is not None and i >= limit:
                break
            d = json.loads(line)
            published = date.fromisoformat(d["published"]) if d.get("published") else None
            records.append(DocRecord(i + 1, d["id"], d["title"], d["url"], d["source"], published, d["text"],
                                     status=d.get("status") or ""))
    return records


def starter_records() -> list[DocRecord]:
    from search.parsing import markdown_to_text

    records = []
    for i, path in enumerate(sorted(STARTER_CORPUS.glob("*.md")), start=1):
        title, text = markdown_to_text(path.read_text(encoding="utf-8"))
        records.append(DocRecord(i, path.stem, title, "", "cryptosights-guides", None, text))
    return records


def base_records(name: str) -> list[DocRecord]:
    if name == "shared" and SHARED_CORPUS.exists():
        return shared_records()
    return starter_records()


# --- the sentence pool ----------------------------------------------------------------------


class SentencePool:
    """Sentences of a base corpus, grouped by document, with the span of each one's longest word."""

    def __init__(self, docs: list[DocRecord], sentences: list[str], doc_first: np.ndarray):
        self.docs = docs
        self.sentences = sentences
        self.doc_first = doc_first  # sentences of base doc d: doc_first[d]:doc_first[d + 1]
        self.doc_sizes = np.diff(doc_first)
        # Where a variant suffix goes: the end of the sentence's longest alphabetic word (-1: none).
        self.variant_at = np.full(len(sentences), -1, dtype=np.int32)
        for i, sentence in enumerate(sentences):
            words = _WORD_RE.findall(sentence)
            if words:
                longest = max(words, key=len)
                self.variant_at[i] = sentence.index(longest) + len(longest)

    @classmethod
    def load(cls, base: str = "shared") -> "SentencePool":
        docs = base_records(base)
        digest = hashlib.blake2b(digest_size=8)
        for d in docs:
            digest.update(d.text.encode("utf-8"))
        cache = CACHE / f"pool-{base}-{digest.hexdigest()}.json.gz"
        if cache.exists():
            with gzip.open(cache, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
            return cls(docs, data["sentences"], np.asarray(data["doc_first"], dtype=np.int64))
        sentences, doc_first = _split(docs)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(cache, "wt", encoding="utf-8") as handle:
            json.dump({"sentences": sentences, "doc_first": doc_first.tolist()}, handle)
        return cls(docs, sentences, doc_first)


def _split(docs: list[DocRecord]) -> tuple[list[str], np.ndarray]:
    """Split with Punkt trained exactly as build_index trains it."""
    from search.nlp.sentences import SentenceSplitter, train_punkt

    splitter = SentenceSplitter(train_punkt([d.text for d in docs]))
    sentences: list[str] = []
    doc_first = [0]
    for d in docs:
        sentences.extend(splitter.iter_split(d.text))
        doc_first.append(len(sentences))
    return sentences, np.asarray(doc_first, dtype=np.int64)


def _variant_suffix(n: int) -> str:
    """A short alphabetic suffix for variant number n >= 1 ("x" + base-26 letters)."""
    letters = []
    while n:
        n, r = divmod(n, 26)
        letters.append(_LETTERS[r])
    return "x" + "".join(reversed(letters))


# --- synthetic corpora ----------------------------------------------------------------------


class SyntheticCorpus(Sequence):
    """`sentences` sentences in documents made on demand from (seed, document number)."""

    def __init__(self, pool: SentencePool, sentences: int, seed: int = 20261126):
        self.pool, self.seed, self.target = pool, seed, sentences
        rng = np.random.default_rng(seed)
        sizes = pool.doc_sizes[pool.doc_sizes > 0]
        drawn = rng.choice(sizes, size=max(1, int(sentences / sizes.mean() * 1.2) + 16))
        while drawn.sum() < sentences:  # (only a tiny target can fall short)
            drawn = np.concatenate([drawn, rng.choice(sizes, size=len(drawn))])
        ends = np.cumsum(drawn)
        n_docs = int(np.searchsorted(ends, sentences)) + 1
        self.sizes = drawn[:n_docs].astype(np.int64)
        self.sizes[-1] -= int(ends[n_docs - 1]) - sentences  # exactly `sentences` in total
        self.first = np.concatenate([[0], np.cumsum(self.sizes)])
        self.topics = rng.integers(0, len(pool.docs), size=n_docs)
        self.total_chars_estimate = int(sentences * np.mean([len(s) for s in pool.sentences[:5000]]))

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._document(i)

    def _document(self, i: int) -> DocRecord:
        pool = self.pool
        rng = np.random.default_rng((self.seed, i))
        n = int(self.sizes[i])
        topic = int(self.topics[i])
        base = pool.docs[topic]
        own_first, own_size = int(pool.doc_first[topic]), int(pool.doc_sizes[topic])
        from_own = rng.random(n) < FROM_OWN_DOCUMENT if own_size else np.zeros(n, dtype=bool)
        picks = np.where(
            from_own,
            own_first + rng.integers(0, max(own_size, 1), size=n),
            rng.integers(0, len(pool.sentences), size=n),
        )
        variants = np.where(rng.random(n) < VARIANT_SHARE, rng.zipf(VARIANT_ZIPF_A, size=n), 0)
        breaks = rng.integers(1, 6, size=n)  # sentences per paragraph
        lines, paragraph, left = [], [], int(breaks[0])
        for j in range(n):
            sid = int(picks[j])
            sentence = pool.sentences[sid]
            at = int(pool.variant_at[sid])
            if variants[j] and at > 0:
                sentence = sentence[:at] + _variant_suffix(min(int(variants[j]), 10**6)) + sentence[at:]
            paragraph.append(sentence)
            left -= 1
            # A heading or list item (no final . ! ?) ends its line, or Punkt would join it to the next.
            if left == 0 or not sentence.rstrip(_CLOSERS).endswith((".", "!", "?")):
                lines.append(" ".join(paragraph))
                paragraph, left = [], int(breaks[j])
        if paragraph:
            lines.append(" ".join(paragraph))
        return DocRecord(
            key=i + 1, slug=f"{base.slug}~{i}", title=base.title, url=base.url, source=base.source,
            published=base.published, text="\n\n".join(lines),
        )


def corpus_for(scale: str, *, sentences: int | None = None, base: str | None = None, seed: int = 20261126):
    """(name, DocRecord sequence) for a scale: shared, tiny, 1m, 5m, or synthetic with `sentences`."""
    if scale == "shared" and sentences is None:
        if SHARED_CORPUS.exists():
            return "shared", shared_records()
        return "starter", starter_records()
    targets = {"tiny": 300, "1m": 1_000_000, "5m": 5_000_000}
    n = sentences or targets.get(scale)
    if n is None:
        raise ValueError(f"unknown scale {scale!r}; give --sentences N for a synthetic corpus")
    base = base or ("starter" if scale == "tiny" else "shared")
    return f"synthetic-{n}", SyntheticCorpus(SentencePool.load(base), n, seed)
