"""Analysis of the documents for a build, chunk by chunk in worker processes (no Django).

The parent reads `docs` once: each document's metadata is kept (DocumentMeta) and its title, text
and source coins go into chunks of about 400,000 characters. A worker splits a chunk into lines
and sentences (Punkt, trained by the parent), and gives each sentence its terms, role, section,
coins, sentiment and duplicate fingerprint, with term ids local to the chunk; assembly.py merges
the chunks in order.
"""

from __future__ import annotations

import multiprocessing
import os
import string
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..nlp import identifiers
from ..nlp.analyzer import analyze, analyze_with_words
from ..nlp.coins import tag_document
from ..nlp.roles import HEADING, LineClassifier
from ..nlp.sentences import SentenceSplitter, params_from_json
from ..nlp.sentiment import _analyzer as _vader, sentiment_score
from ..nlp.tone import TONE_SOURCE_KINDS
from . import citations, schema
from .artifact import encode_batch
from .documents import terms_fingerprint

if TYPE_CHECKING:
    from .build import DocRecord

_splitter: SentenceSplitter | None = None
_vader_words: frozenset = frozenset()


def _init_worker(punkt_json: str) -> None:
    global _splitter, _vader_words
    _splitter = SentenceSplitter(params_from_json(punkt_json))
    analyzer = _vader()
    if any(key.isascii() for key in analyzer.emojis):
        raise RuntimeError("VADER has ASCII emoji keys; _sentence_sentiment's shortcut would be wrong")
    _vader_words = frozenset(analyzer.lexicon)


def _sentence_sentiment(sentence: str) -> float:
    """sentiment_score(sentence), exactly, without running VADER on sentences it would score 0.

    VADER gives a word a valence only when the word (lower-cased, as split on whitespace, with
    or without its surrounding punctuation) is in its lexicon; emojis are first replaced by
    descriptions. With no emoji (all ASCII: VADER's emoji keys are not) and no lexicon word,
    every valence is 0 and so is the compound score. That is over half of all sentences of
    technical text, and VADER was the largest single cost of a build.
    """
    if sentence.isascii():
        lexicon, punctuation = _vader_words, string.punctuation
        for token in sentence.split():
            token = token.lower()
            if token in lexicon or token.strip(punctuation) in lexicon:
                return sentiment_score(sentence)
        return 0.0
    return sentiment_score(sentence)


def _analyze_chunk(docs: Sequence[tuple[str, str, tuple[str, ...]]]) -> dict:
    """Analyse (title, text, source coins). Term ids are local to the chunk; the parent maps them."""
    vocab: dict[str, int] = {}
    sentences: list[str] = []
    sent_doc, sent_len, sentiment, coin_rows = [], [], [], []
    roles, sections, fingerprints = [], [], []
    post_sent, post_term, post_tf = [], [], []
    title_terms, mentioned, links = [], [], []
    words: Counter = Counter()
    for doc_i, (title, text, source_coins) in enumerate(docs):
        title_terms.append(analyze(title))
        mentioned.append(sorted({m.identifier.key for m in identifiers.mentions(text)}))
        links.append(sorted(set(citations.linked_urls(text))))
        classifier, section, first = LineClassifier(), -1, len(sentences)
        for line, line_sentences in _splitter.iter_lines(text):
            role = classifier.classify(line)
            for sentence in line_sentences:
                sid = len(sentences)
                sentences.append(sentence)
                terms, sentence_words = analyze_with_words(sentence)
                words.update(sentence_words)
                sent_doc.append(doc_i)
                sent_len.append(len(terms))
                sentiment.append(_sentence_sentiment(sentence))
                roles.append(role)
                sections.append(-1 if role == HEADING else section)  # a heading is its section's title
                fingerprints.append(terms_fingerprint(terms))
                counts: dict[int, int] = {}
                for term in terms:
                    tid = vocab.setdefault(term, len(vocab))
                    counts[tid] = counts.get(tid, 0) + 1
                for tid, tf in counts.items():
                    post_sent.append(sid)
                    post_term.append(tid)
                    post_tf.append(tf)
            if role == HEADING and line_sentences:
                section = len(sentences) - len(line_sentences)  # its first sentence opens the section
        # Coins need the whole document: a word like "Render" is a coin only with evidence elsewhere.
        for slugs in tag_document(sentences[first:], title=title, source_coins=source_coins):
            coin_rows.append([schema.COIN_BIT[slug] for slug in slugs])
    coins = schema.pack_coins(coin_rows)
    # Sentences travel back already encoded: one bytes object pickles far faster than a list of str,
    # and the parent streams it straight into the artifact.
    blob, lengths = encode_batch(sentences)
    return {
        "vocab": list(vocab),
        "sentence_blob": blob,
        "sentence_bytes": lengths,
        "sent_doc": np.asarray(sent_doc, dtype=np.int32),
        "sent_len": np.asarray(sent_len, dtype=np.int32),
        "sentiment": np.asarray(sentiment, dtype=np.float16),
        "coins": coins,
        "post_sent": np.asarray(post_sent, dtype=np.int32),
        "post_term": np.asarray(post_term, dtype=np.int32),
        "post_tf": np.minimum(np.asarray(post_tf, dtype=np.int64), 65535).astype(np.uint16),
        "title_terms": title_terms,
        "words": words,
        "role": np.asarray(roles, dtype=np.uint8),
        "section": np.asarray(sections, dtype=np.int32),  # chunk-local sentence id, -1: none
        "fingerprint": np.asarray(fingerprints, dtype=np.uint64),
        "mentioned": mentioned,
        "links": links,
    }


class DocumentMeta:
    """What the artifact keeps of each document, gathered during the one pass over `docs`.

    `docs` may make each record on demand (a database cursor, a synthetic benchmark corpus), so
    it is read once for analysis rather than once per metadata column.
    """

    def __init__(self):
        self.keys, self.slugs, self.titles, self.urls, self.sources, self.dates = [], [], [], [], [], []
        self.tone_sources: set[str] = set()
        self.identifiers: list[list[identifiers.Identifier]] = []
        self.required: list[list[int]] = []
        self.statuses: list[str] = []

    def add(self, doc: DocRecord) -> None:
        own = identifiers.document_identifiers(doc.slug, doc.url, doc.title, doc.text[:identifiers.FRONT_MATTER_CHARS])
        self.identifiers.append(own)
        self.required.append(identifiers.required_keys(doc.text, own[0] if own else None))
        self.keys.append(doc.key)
        self.slugs.append(doc.slug)
        self.titles.append(doc.title)
        self.urls.append(doc.url)
        self.sources.append(doc.source)
        self.dates.append(doc.published)
        self.statuses.append(doc.status)
        if doc.source_kind in TONE_SOURCE_KINDS:
            self.tone_sources.add(doc.source)


def document_chunks(docs: Sequence[DocRecord], meta: DocumentMeta, target_chars: int = 400_000):
    chunk, size = [], 0
    for doc in docs:
        meta.add(doc)
        chunk.append((doc.title, doc.text, tuple(doc.source_coins)))
        size += len(doc.text)
        if size >= target_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def worker_count(requested: int) -> int:
    if multiprocessing.current_process().daemon:
        return 1  # daemonic processes (e.g. some task-queue workers) may not have children
    return requested if requested > 0 else (os.cpu_count() or 1)


def analyzed_chunks(docs, meta: DocumentMeta, punkt_json: str, workers: int):
    """The chunks of `docs` analysed, in order (by `workers` processes); fills `meta` as it reads."""
    chunked = document_chunks(docs, meta)
    if workers <= 1:
        _init_worker(punkt_json)
        yield from map(_analyze_chunk, chunked)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(punkt_json,)) as pool:
        yield from pool.imap(_analyze_chunk, chunked)
