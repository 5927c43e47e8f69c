"""Build one index version from documents (plain Python + numpy, no Django).

    documents ─► Punkt trained on a sample ─► per-document analysis in worker processes
      (sentences, terms, coins, sentiment) ─► vocabulary merge ─► CSC postings with
      precomputed BM25 weights ─► artifact directory, published atomically

Scoring follows rank-bm25's BM25Okapi exactly: idf = ln(N - df + 0.5) - ln(df + 0.5), negative
idf replaced by epsilon x (mean idf over the vocabulary), and the usual tf saturation with k1, b
and the average sentence length. Sentences with no terms still count in N and the average
length, as they do in rank-bm25. Titles get a second, document-level BM25 index so that a
ranker can add "the sentence's document title matches" with a tunable weight.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from ..nlp.analyzer import ANALYZER_VERSION, analyze, analyze_with_words
from ..nlp.coins import COINS, detect_coins
from ..nlp.sentences import SentenceSplitter, params_from_json, params_to_json, train_punkt
from ..nlp.sentiment import sentiment_score
from .artifact import ArtifactWriter

K1, B, EPSILON = 1.5, 0.75, 0.25
SPELLING_MIN_COUNT = 2
NO_DATE = np.iinfo(np.int32).min
COIN_SLUGS = [coin.slug for coin in COINS]
COIN_WORDS = (len(COIN_SLUGS) + 63) // 64
_COIN_BIT = {slug: i for i, slug in enumerate(COIN_SLUGS)}


@dataclass(frozen=True)
class DocRecord:
    key: int  # the Document's primary key in the database
    slug: str  # stable external id, e.g. "eip-1559"
    title: str
    url: str
    source: str
    published: date | None
    text: str


def new_version_name() -> str:
    """Sortable by creation time, unique across processes."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f") + "-" + secrets.token_hex(3)


def term_hash(term: str) -> int:
    """A stable 64-bit hash; the engine finds a term by binary search over these."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def bm25_idf(df: np.ndarray, n: int, epsilon: float = EPSILON) -> np.ndarray:
    """rank-bm25's BM25Okapi idf, with its epsilon floor for negative values (df == 0 -> 0)."""
    present = df > 0
    idf = np.zeros(len(df), dtype=np.float64)
    idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
    if present.any():
        floor = epsilon * idf[present].sum() / present.sum()
        idf[present & (idf < 0)] = floor
    return idf


def bm25_weights(idf, tf, length, avg_length, k1=K1, b=B) -> np.ndarray:
    tf = tf.astype(np.float64)
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_length))


# --- analysis, run in worker processes -----------------------------------------------------

_splitter: SentenceSplitter | None = None


def _init_worker(punkt_json: str) -> None:
    global _splitter
    _splitter = SentenceSplitter(params_from_json(punkt_json))


def _analyze_chunk(docs: Sequence[tuple[str, str]]) -> dict:
    """Analyse (title, text) pairs. Term ids are local to the chunk; the parent maps them."""
    vocab: dict[str, int] = {}
    sentences: list[str] = []
    sent_doc, sent_len, sentiment, coin_rows = [], [], [], []
    post_sent, post_term, post_tf = [], [], []
    title_terms = []
    words: Counter = Counter()
    for doc_i, (title, text) in enumerate(docs):
        title_terms.append(analyze(title))
        for sentence in _splitter.iter_split(text):
            sid = len(sentences)
            sentences.append(sentence)
            terms, sentence_words = analyze_with_words(sentence)
            words.update(sentence_words)
            sent_doc.append(doc_i)
            sent_len.append(len(terms))
            sentiment.append(sentiment_score(sentence))
            coin_rows.append([_COIN_BIT[slug] for slug in detect_coins(sentence)])
            counts: dict[int, int] = {}
            for term in terms:
                tid = vocab.setdefault(term, len(vocab))
                counts[tid] = counts.get(tid, 0) + 1
            for tid, tf in counts.items():
                post_sent.append(sid)
                post_term.append(tid)
                post_tf.append(tf)
    coins = np.zeros((len(sentences), COIN_WORDS), dtype=np.uint64)
    for sid, bits in enumerate(coin_rows):
        for bit in bits:
            coins[sid, bit // 64] |= np.uint64(1 << (bit % 64))
    return {
        "vocab": list(vocab),
        "sentences": sentences,
        "sent_doc": np.asarray(sent_doc, dtype=np.int32),
        "sent_len": np.asarray(sent_len, dtype=np.int32),
        "sentiment": np.asarray(sentiment, dtype=np.float16),
        "coins": coins,
        "post_sent": np.asarray(post_sent, dtype=np.int32),
        "post_term": np.asarray(post_term, dtype=np.int32),
        "post_tf": np.minimum(np.asarray(post_tf, dtype=np.int64), 65535).astype(np.uint16),
        "title_terms": title_terms,
        "words": words,
    }


def _chunks(docs: Sequence[DocRecord], target_chars: int = 400_000):
    chunk, size = [], 0
    for doc in docs:
        chunk.append((doc.title, doc.text))
        size += len(doc.text)
        if size >= target_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _worker_count(requested: int) -> int:
    if multiprocessing.current_process().daemon:
        return 1  # daemonic processes (e.g. some task-queue workers) may not have children
    return requested if requested > 0 else (os.cpu_count() or 1)


def _analyzed_chunks(docs, punkt_json: str, workers: int):
    chunks = _chunks(docs)
    if workers <= 1:
        _init_worker(punkt_json)
        yield from map(_analyze_chunk, chunks)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(punkt_json,)) as pool:
        yield from pool.imap(_analyze_chunk, chunks)


# --- assembly -------------------------------------------------------------------------------


class _Vocabulary:
    def __init__(self):
        self.ids: dict[str, int] = {}

    def map(self, local_terms: Iterable[str]) -> np.ndarray:
        ids = self.ids
        return np.fromiter((ids.setdefault(t, len(ids)) for t in local_terms), dtype=np.int32)


def _csc(term: np.ndarray, row: np.ndarray, tf: np.ndarray, n_terms: int):
    """Postings grouped by term, rows ascending within a term (rows arrive ascending)."""
    order = np.argsort(term, kind="stable")
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=n_terms), out=ptr[1:])
    return ptr, row[order], tf[order]


def build_index(
    docs: Sequence[DocRecord],
    index_dir,
    *,
    version: str | None = None,
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, dict]:
    """Build and publish a version; returns (version, manifest). Raises on any failure."""
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()
    version = version or new_version_name()
    writer = ArtifactWriter(index_dir, version)
    try:
        punkt_json = params_to_json(train_punkt((d.text for d in docs), total_chars=sum(len(d.text) for d in docs)))
        timings["train_punkt"] = time.perf_counter() - clock
        clock = time.perf_counter()

        vocab = _Vocabulary()
        parts: dict[str, list] = {k: [] for k in ("sent_doc", "sent_len", "sentiment", "coins", "post_sent", "post_term", "post_tf")}
        sentences: list[str] = []
        words: Counter = Counter()
        title_rows, title_terms, title_tfs, title_len = [], [], [], []
        doc_offset = 0
        for chunk in _analyzed_chunks(docs, punkt_json, _worker_count(workers)):
            local_to_global = vocab.map(chunk["vocab"])
            parts["post_sent"].append(chunk["post_sent"] + len(sentences))
            parts["post_term"].append(local_to_global[chunk["post_term"]] if len(chunk["post_term"]) else chunk["post_term"])
            parts["post_tf"].append(chunk["post_tf"])
            parts["sent_doc"].append(chunk["sent_doc"] + doc_offset)
            for key in ("sent_len", "sentiment", "coins"):
                parts[key].append(chunk[key])
            sentences.extend(chunk["sentences"])
            words.update(chunk["words"])
            for i, terms in enumerate(chunk["title_terms"]):
                title_len.append(len(terms))
                counts: dict[str, int] = {}
                for term in terms:
                    counts[term] = counts.get(term, 0) + 1
                for term, tf in counts.items():
                    title_rows.append(doc_offset + i)
                    title_terms.append(vocab.ids.setdefault(term, len(vocab.ids)))
                    title_tfs.append(tf)
            doc_offset += len(chunk["title_terms"])
            if progress:
                progress(len(chunk["title_terms"]))
        timings["analyze"] = time.perf_counter() - clock
        clock = time.perf_counter()

        arrays = {
            k: (np.concatenate(v) if v else np.zeros((0, COIN_WORDS) if k == "coins" else 0, dtype=np.int32))
            for k, v in parts.items()
        }
        n_sent, n_docs = len(sentences), len(docs)
        terms = list(vocab.ids)
        n_terms = len(terms)
        # Term ids become positions in hash order, so the engine can binary-search a term's hash.
        hashes = np.fromiter((term_hash(t) for t in terms), dtype=np.uint64, count=n_terms)
        order = np.argsort(hashes, kind="stable")
        if n_terms > 1 and np.any(hashes[order][1:] == hashes[order][:-1]):
            raise RuntimeError("64-bit term hash collision; change the hash before building")
        new_id = np.empty(n_terms, dtype=np.int32)
        new_id[order] = np.arange(n_terms, dtype=np.int32)
        terms = [terms[i] for i in order]

        sent_len = arrays["sent_len"]
        avgdl = float(sent_len.mean()) if n_sent else 0.0
        ptr, post_sent, post_tf = _csc(new_id[arrays["post_term"]], arrays["post_sent"], arrays["post_tf"], n_terms)
        idf = bm25_idf(np.diff(ptr), n_sent)
        post_term_sorted = np.repeat(np.arange(n_terms), np.diff(ptr))
        weights = bm25_weights(idf[post_term_sorted], post_tf, sent_len[post_sent], avgdl or 1.0).astype(np.float32)

        title_len_arr = np.asarray(title_len, dtype=np.int32)
        title_avg = float(title_len_arr.mean()) if n_docs else 0.0
        t_ptr, t_doc, t_tf = _csc(
            new_id[np.asarray(title_terms, dtype=np.int32)] if title_terms else np.zeros(0, dtype=np.int32),
            np.asarray(title_rows, dtype=np.int32),
            np.asarray(title_tfs, dtype=np.uint16),
            n_terms,
        )
        t_idf = bm25_idf(np.diff(t_ptr), n_docs)
        t_term_sorted = np.repeat(np.arange(n_terms), np.diff(t_ptr))
        t_weights = bm25_weights(t_idf[t_term_sorted], t_tf, title_len_arr[t_doc], title_avg or 1.0).astype(np.float32)
        timings["postings"] = time.perf_counter() - clock
        clock = time.perf_counter()

        sources = sorted({d.source for d in docs})
        source_id = {s: i for i, s in enumerate(sources)}
        doc_first = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(arrays["sent_doc"], minlength=n_docs), out=doc_first[1:])
        epoch = date(1970, 1, 1)
        w = writer
        w.array("sent_doc", arrays["sent_doc"])
        w.array("sent_len", sent_len)
        w.array("sent_sentiment", arrays["sentiment"])
        w.array("sent_coins", arrays["coins"].reshape(n_sent, COIN_WORDS))
        w.strings("sentences", sentences)
        w.array("term_hash", hashes[order])
        w.strings("terms", terms)
        w.array("term_idf", idf.astype(np.float32))
        w.array("post_ptr", ptr)
        w.array("post_sent", post_sent)
        w.array("post_tf", post_tf)
        w.array("post_weight", weights)
        w.array("title_idf", t_idf.astype(np.float32))
        w.array("title_ptr", t_ptr)
        w.array("title_doc", t_doc)
        w.array("title_tf", t_tf)
        w.array("title_weight", t_weights)
        w.array("doc_title_len", title_len_arr)
        w.array("doc_key", np.asarray([d.key for d in docs], dtype=np.int64))
        w.array("doc_source", np.asarray([source_id[d.source] for d in docs], dtype=np.uint16))
        w.array("doc_date", np.asarray([(d.published - epoch).days if d.published else NO_DATE for d in docs], dtype=np.int32))
        w.array("doc_first_sent", doc_first)
        w.strings("doc_slug", [d.slug for d in docs])
        w.strings("doc_title", [d.title for d in docs])
        w.strings("doc_url", [d.url for d in docs])
        # Surface words seen at least twice: the spelling dictionary and query completions.
        spelled = sorted((word, count) for word, count in words.items() if count >= SPELLING_MIN_COUNT)
        w.strings("words", [word for word, _ in spelled])
        w.array("word_count", np.asarray([count for _, count in spelled], dtype=np.int64))
        w.text("punkt.json", punkt_json)
        timings["write"] = time.perf_counter() - clock
        timings["total"] = time.perf_counter() - started
        manifest = {
            "analyzer_version": ANALYZER_VERSION,
            "params": {"k1": K1, "b": B, "epsilon": EPSILON},
            "counts": {
                "documents": n_docs,
                "sentences": n_sent,
                "terms": n_terms,
                "postings": int(len(post_sent)),
                "title_postings": int(len(t_doc)),
            },
            "avg_sentence_terms": avgdl,
            "avg_title_terms": title_avg,
            "sources": sources,
            "coins": COIN_SLUGS,
            "created": datetime.now(timezone.utc).isoformat(),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        return version, writer.publish(manifest)
    except BaseException:
        writer.abandon()
        raise
