"""Assembly of the analysed chunks into corpus-wide columns and CSC postings (numpy).

Chunks arrive in document order with chunk-local sentence, document and term ids (see
chunk_analysis.py). MergedChunks makes those ids global as each chunk arrives; TermIds then
renumbers the terms in hash order, so the reader can binary-search a term's hash, and the
postings are grouped by term (CSC) in that order. BM25 weights are bm25.py's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from . import schema
from .artifact import StringStream

SENTENCE_COLUMNS = ("sent_doc", "sent_len", "sentiment", "coins", "role", "fingerprint")


class TermIds:
    """Global term ids, in order of first appearance, of every chunk's terms and every title's."""

    def __init__(self):
        self.ids: dict[str, int] = {}

    def map(self, local_terms: Iterable[str]) -> np.ndarray:
        """Global ids of a chunk's terms (listed in its local id order)."""
        ids = self.ids
        return np.fromiter((ids.setdefault(t, len(ids)) for t in local_terms), dtype=np.int32)

    def id(self, term: str) -> int:
        return self.ids.setdefault(term, len(self.ids))

    def hash_order(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(terms sorted by schema.term_hash, their hashes, each first-appearance id's new id)."""
        terms = list(self.ids)
        n_terms = len(terms)
        hashes = np.fromiter((schema.term_hash(t) for t in terms), dtype=np.uint64, count=n_terms)
        order = np.argsort(hashes, kind="stable")
        if n_terms > 1 and np.any(hashes[order][1:] == hashes[order][:-1]):
            raise RuntimeError("64-bit term hash collision; change the hash before building")
        new_id = np.empty(n_terms, dtype=np.int32)
        new_id[order] = np.arange(n_terms, dtype=np.int32)
        return [terms[i] for i in order], hashes[order], new_id


class MergedChunks:
    """The analysed chunks merged, in order; sentence text goes straight to `sentence_store`."""

    def __init__(self, sentence_store: StringStream):
        self.terms = TermIds()
        self.sentence_store = sentence_store
        self.parts: dict[str, list] = {k: [] for k in SENTENCE_COLUMNS}
        self.sections, self.mentioned, self.links = [], [], []
        self.postings: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (term, sentence, tf) per chunk
        self.n_sent = 0
        self.n_docs = 0
        self.words: Counter = Counter()
        self.title_rows, self.title_terms, self.title_tfs, self.title_len = [], [], [], []

    def add(self, chunk: dict) -> None:
        n_sent, doc_offset = self.n_sent, self.n_docs
        local_to_global = self.terms.map(chunk["vocab"])
        self.postings.append((
            local_to_global[chunk["post_term"]] if len(chunk["post_term"]) else chunk["post_term"],
            chunk["post_sent"] + n_sent,
            chunk["post_tf"],
        ))
        self.parts["sent_doc"].append(chunk["sent_doc"] + doc_offset)
        for key in SENTENCE_COLUMNS[1:]:
            self.parts[key].append(chunk[key])
        self.sections.append(np.where(chunk["section"] >= 0, chunk["section"] + n_sent, -1).astype(np.int32))
        self.mentioned.extend(chunk["mentioned"])
        self.links.extend(chunk["links"])
        self.sentence_store.append_encoded(chunk["sentence_blob"], chunk["sentence_bytes"])
        self.n_sent += len(chunk["sent_len"])
        self.words.update(chunk["words"])
        for i, terms in enumerate(chunk["title_terms"]):
            self.title_len.append(len(terms))
            counts: dict[str, int] = {}
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
            for term, tf in counts.items():
                self.title_rows.append(doc_offset + i)
                self.title_terms.append(self.terms.id(term))
                self.title_tfs.append(tf)
        self.n_docs += len(chunk["title_terms"])

    def sentence_columns(self) -> dict[str, np.ndarray]:
        """SENTENCE_COLUMNS and "section" over all sentences (global sentence and document ids)."""
        arrays = {
            k: (np.concatenate(v) if v else np.zeros((0, schema.COIN_WORDS) if k == "coins" else 0, dtype=np.int32))
            for k, v in self.parts.items()
        }
        arrays["section"] = np.concatenate(self.sections) if self.sections else np.zeros(0, dtype=np.int32)
        self.parts = self.sections = None
        return arrays

    def title_postings(self, new_id: np.ndarray, n_terms: int):
        """(ptr, doc, tf, title lengths): CSC postings of terms over document titles."""
        ptr, doc, tf = csc(
            new_id[np.asarray(self.title_terms, dtype=np.int32)] if self.title_terms else np.zeros(0, dtype=np.int32),
            np.asarray(self.title_rows, dtype=np.int32),
            np.asarray(self.title_tfs, dtype=np.uint16),
            n_terms,
        )
        return ptr, doc, tf, np.asarray(self.title_len, dtype=np.int32)


def csc(term: np.ndarray, row: np.ndarray, tf: np.ndarray, n_terms: int):
    """Postings grouped by term, rows ascending within a term (rows arrive ascending)."""
    order = np.argsort(term, kind="stable")
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=n_terms), out=ptr[1:])
    return ptr, row[order], tf[order]


def csc_from_chunks(chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], new_id: np.ndarray, n_terms: int):
    """csc over the concatenation of per-chunk (term, row, tf) postings, chunk by chunk.

    A counting sort: each chunk's postings go straight to their final places, so the build never
    holds the concatenated unsorted arrays, their sort order (8 bytes a posting) and the sorted
    copies at once. Peak memory is the chunks plus the sorted output, 16 bytes a posting.
    Consumes `chunks` (emptied as it goes). Same result as csc.
    """
    counts = np.zeros(n_terms, dtype=np.int64)
    for i, (term, _row, _tf) in enumerate(chunks):
        term = new_id[term]
        chunks[i] = (term, _row, _tf)
        counts += np.bincount(term, minlength=n_terms)
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    rows = np.empty(int(ptr[-1]), dtype=np.int32)
    tfs = np.empty(int(ptr[-1]), dtype=np.uint16)
    filled = ptr[:-1].copy()  # next free slot of each term
    chunks.reverse()
    while chunks:
        term, row, tf = chunks.pop()
        if not len(term):
            continue
        order = np.argsort(term, kind="stable")
        sorted_terms = term[order]
        chunk_counts = np.bincount(sorted_terms, minlength=n_terms)
        block_start = np.cumsum(chunk_counts) - chunk_counts  # where each term's run starts in `order`
        dest = filled[sorted_terms] + (np.arange(len(order)) - block_start[sorted_terms])
        rows[dest] = row[order]
        tfs[dest] = tf[order]
        filled += chunk_counts
    return ptr, rows, tfs
