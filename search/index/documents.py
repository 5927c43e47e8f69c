"""Whole-document evidence: document-level postings and near-identical sentence groups, derived
at build time from the sentence-level index (plain Python + numpy).

Document postings: the sentence postings are grouped by term with sentence ids ascending, and a
document's sentences are contiguous, so each (term, document) pair is one run of postings. Its
term frequency is the run's sum; BM25 weights are computed over documents as "sentences" (with
document lengths and a document-level idf that is never negative, bm25.document_idf). A query
then scores whole documents by the same formula it scores sentences with, at the cost of the
(far fewer) document postings.

Duplicate groups: sentences whose analysed terms are identical (the same sentence, give or take
punctuation, case, stop words and word endings) in several documents form one group; the
ranker shows a group once and says in how many documents it appears.
"""

from __future__ import annotations

import hashlib

import numpy as np

DUPLICATE_MIN_TERMS = 4  # shorter sentences ("Abstract", "See below") are not grouped


def terms_fingerprint(terms: list[str]) -> int:
    """64-bit fingerprint of a sentence's terms (0: too short to group)."""
    if len(terms) < DUPLICATE_MIN_TERMS:
        return 0
    digest = hashlib.blake2b("\x1f".join(terms).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def document_postings(ptr: np.ndarray, post_sent: np.ndarray, post_tf: np.ndarray, sent_doc: np.ndarray):
    """(doc_ptr, doc_doc, doc_tf): CSC postings of terms over documents, documents ascending."""
    n_terms = len(ptr) - 1
    if len(post_sent) == 0:
        return np.zeros(n_terms + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint32)
    docs = sent_doc[post_sent]
    new_run = np.empty(len(docs), dtype=bool)
    new_run[0] = True
    np.not_equal(docs[1:], docs[:-1], out=new_run[1:])
    starts_of_terms = ptr[:-1][np.diff(ptr) > 0]
    new_run[starts_of_terms] = True
    starts = np.flatnonzero(new_run)
    doc_tf = np.add.reduceat(post_tf.astype(np.uint32), starts)
    run_term = np.searchsorted(ptr, starts, side="right") - 1
    doc_ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(run_term, minlength=n_terms), out=doc_ptr[1:])
    return doc_ptr, docs[starts].astype(np.int32), doc_tf


def section_ends(sent_section: np.ndarray) -> np.ndarray:
    """For each heading sentence h, the id just past the last sentence of its section (h + 1 when
    it has none); other sentences get their own id + 1. A section is contiguous, so the query
    can find a heading's section among the candidates with two binary searches."""
    ends = np.arange(1, len(sent_section) + 1, dtype=np.int32)
    member = np.flatnonzero(sent_section >= 0)
    np.maximum.at(ends, sent_section[member], (member + 1).astype(np.int32))
    return ends


def duplicate_groups(fingerprints: np.ndarray, sent_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(representative, documents): for each sentence, the id of the first sentence with the same
    fingerprint (itself when unique or ungrouped), and how many distinct documents its group
    spans (1 when unique), saturated at 65535."""
    n = len(fingerprints)
    representative = np.arange(n, dtype=np.int32)
    documents = np.ones(n, dtype=np.uint16)
    grouped = np.flatnonzero(fingerprints != 0)
    if len(grouped) == 0:
        return representative, documents
    _, first, inverse = np.unique(fingerprints[grouped], return_index=True, return_inverse=True)
    representative[grouped] = grouped[first][inverse]
    # Distinct (group, document) pairs, counted per group.
    pairs = np.unique(np.stack([inverse.astype(np.int64), sent_doc[grouped].astype(np.int64)]), axis=1)
    per_group = np.bincount(pairs[0], minlength=len(first))
    documents[grouped] = np.minimum(per_group[inverse], 65535).astype(np.uint16)
    return representative, documents
