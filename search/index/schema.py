"""What one index version holds: its arrays and string tables, and how values are packed in them.

artifact.py stores and loads whatever it is given; this module is the table both sides follow.
The builder writes exactly these names (build.py checks) and the reader (reader.py) loads each
one as an attribute of the same name. Sentence ids are rows of the sent_* arrays, document ids
rows of the doc_* arrays; CSC postings are a *_ptr array (one entry per term, plus one) over
parallel arrays grouped by term.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import numpy as np

from ..nlp.coins import COINS

FORMAT_VERSION = 3  # 2: surface-word dictionary (words, word_count); 3: identifiers, roles, duplicates, document postings, citations

ARRAYS = {
    # sentences
    "sent_doc": "int32: the sentence's document",
    "sent_len": "int32: index terms in the sentence (BM25's length)",
    "sent_sentiment": "float16: VADER compound score",
    "sent_coins": "uint64 (sentences, COIN_WORDS): coin bit set, see pack_coins",
    "sent_role": "uint8: search.nlp.roles line role",
    "sent_section": "int32: the sentence opening its section's heading, -1: none",
    "section_end": "int32: a heading's id just past its section's last sentence (documents.section_ends)",
    "sent_dup": "int32: first sentence of its near-duplicate group (itself when unique)",
    "sent_dup_docs": "uint16: documents its duplicate group spans",
    # terms and sentence postings
    "term_hash": "uint64: term_hash of each term, ascending (term id = position)",
    "term_idf": "float32: sentence-level bm25_idf",
    "post_ptr": "int64: CSC pointers over the sentence postings",
    "post_sent": "int32: sentence of each posting, ascending within a term",
    "post_tf": "uint16: term frequency, saturated at 65535",
    "post_weight": "float32: BM25 weight for the manifest's k1 and b",
    # title postings (documents' titles)
    "title_idf": "float32", "title_ptr": "int64", "title_doc": "int32", "title_tf": "uint16", "title_weight": "float32",
    "doc_title_len": "int32: index terms in the title",
    # whole-document postings (documents.py)
    "docp_ptr": "int64", "docp_doc": "int32", "docp_tf": "uint32", "docp_weight": "float32",
    "docp_idf": "float32: bm25.document_idf",
    "doc_len": "int32: index terms in the document",
    # documents
    "doc_key": "int64: the database key",
    "doc_source": "uint16: position in the manifest's sources",
    "doc_date": "int32: days since EPOCH, NO_DATE when unknown",
    "doc_first_sent": "int64: first sentence of each document, plus the sentence count",
    "ident_key": "int64: identifier keys of the documents' own identifiers, ascending",
    "ident_doc": "int32: the document of each ident_key",
    "cites_ptr": "int64", "cites_doc": "int32: documents each document cites (CSR)",
    "cited_ptr": "int64", "cited_doc": "int32: documents citing each document (CSR)",
    "doc_authority": "float32: citation-graph authority",
    # spelling dictionary and completions
    "word_count": "int64: occurrences of each surface word in `words`",
}

STRINGS = {
    "sentences": "the sentences' text (streamed into the version as chunks arrive)",
    "terms": "index terms, in term id order",
    "doc_slug": "stable external ids", "doc_title": "titles", "doc_url": "urls",
    "doc_ident": "comma-separated labels of the document's own identifiers",
    "words": "surface words seen at least twice, sorted",
}

EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).min

COIN_SLUGS = [coin.slug for coin in COINS]
COIN_WORDS = (len(COIN_SLUGS) + 63) // 64
COIN_BIT = {slug: i for i, slug in enumerate(COIN_SLUGS)}


def term_hash(term: str) -> int:
    """A stable 64-bit hash; the reader finds a term by binary search over these."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def days_of(day: date | None) -> int:
    return (day - EPOCH).days if day else NO_DATE


def date_of(days: int) -> date | None:
    return None if days == NO_DATE else EPOCH + timedelta(days=days)


def pack_coins(rows: list[list[int]]) -> np.ndarray:
    """The sent_coins rows of sentences tagged with these coin bits (COIN_BIT values)."""
    coins = np.zeros((len(rows), COIN_WORDS), dtype=np.uint64)
    for sid, bits in enumerate(rows):
        for bit in bits:
            coins[sid, bit // 64] |= np.uint64(1 << (bit % 64))
    return coins


def coin_word(bit: int) -> int:
    """The sent_coins column holding this coin bit."""
    return bit // 64


def coin_flags(column: np.ndarray, bit: int) -> np.ndarray:
    """0 or 1 per value of a sent_coins column (coin_word(bit)): whether the coin is tagged."""
    return (column >> np.uint64(bit % 64)) & np.uint64(1)


def has_coin(words: list[int], bit: int) -> bool:
    """Whether one sentence's coin words (as Python ints) have this coin bit."""
    return bool(words[bit // 64] >> (bit % 64) & 1)
