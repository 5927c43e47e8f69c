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
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from ..nlp.analyzer import ANALYZER_VERSION, analyze, analyze_with_words
from ..nlp import identifiers
from ..nlp.coins import COINS, tag_document
from ..nlp.roles import HEADING, LineClassifier
from ..nlp.sentences import TRAINING_SAMPLE_CHARS, SentenceSplitter, params_from_json, params_to_json, train_punkt
from ..nlp.sentiment import _analyzer as _vader, sentiment_score
from ..nlp.tone import TONE_SOURCE_KINDS
from . import citations
from .artifact import ArtifactWriter, encode_batch
from .documents import section_ends, document_idf, document_postings, duplicate_groups, terms_fingerprint

K1, B, EPSILON = 1.5, 0.75, 0.25
WEIGHT_BLOCK = 1 << 22  # postings per block when computing BM25 weights (bounds temporaries)
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
    source_coins: tuple[str, ...] = ()  # coins the document's source is about: evidence for coin tags
    source_kind: str = ""  # the source's kind (search.models.Source.Kind): news and opinion get tone badges


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
            coin_rows.append([_COIN_BIT[slug] for slug in slugs])
    coins = np.zeros((len(sentences), COIN_WORDS), dtype=np.uint64)
    for sid, bits in enumerate(coin_rows):
        for bit in bits:
            coins[sid, bit // 64] |= np.uint64(1 << (bit % 64))
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


class _DocMeta:
    """What the artifact keeps of each document, gathered during the one pass over `docs`.

    `docs` may make each record on demand (a database cursor, a synthetic benchmark corpus), so
    it is read once for analysis rather than once per metadata column.
    """

    def __init__(self):
        self.keys, self.slugs, self.titles, self.urls, self.sources, self.dates = [], [], [], [], [], []
        self.tone_sources: set[str] = set()
        self.identifiers: list[list[identifiers.Identifier]] = []
        self.required: list[list[int]] = []

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
        if doc.source_kind in TONE_SOURCE_KINDS:
            self.tone_sources.add(doc.source)


def _chunks(docs: Sequence[DocRecord], meta: _DocMeta, target_chars: int = 400_000):
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


def _worker_count(requested: int) -> int:
    if multiprocessing.current_process().daemon:
        return 1  # daemonic processes (e.g. some task-queue workers) may not have children
    return requested if requested > 0 else (os.cpu_count() or 1)


def _analyzed_chunks(docs, meta: _DocMeta, punkt_json: str, workers: int):
    chunks = _chunks(docs, meta)
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


def _csc_from_chunks(chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], new_id: np.ndarray, n_terms: int):
    """_csc over the concatenation of per-chunk (local term, row, tf) postings, chunk by chunk.

    A counting sort: each chunk's postings go straight to their final places, so the build never
    holds the concatenated unsorted arrays, their sort order (8 bytes a posting) and the sorted
    copies at once. Peak memory is the chunks plus the sorted output, 16 bytes a posting.
    Consumes `chunks` (emptied as it goes). Same result as _csc.
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


def _posting_weights(ptr, post_sent, post_tf, idf, sent_len, avgdl, k1=K1, b=B) -> np.ndarray:
    """float32 BM25 weights of every posting, computed in blocks so float64 temporaries stay small."""
    weights = np.empty(len(post_sent), dtype=np.float32)
    term_of = np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))
    for start in range(0, len(post_sent), WEIGHT_BLOCK):
        end = start + WEIGHT_BLOCK
        rows = post_sent[start:end]
        weights[start:end] = bm25_weights(idf[term_of[start:end]], post_tf[start:end], sent_len[rows], avgdl, k1, b)
    return weights


def _punkt_texts(docs: Sequence[DocRecord], total_chars: int):
    """The texts train_punkt will sample (every stride-th, its own rule), "" for the others.

    train_punkt turns its input into a list; passing only what it samples keeps a large corpus
    out of memory, and a corpus that makes its records on demand from making them all.
    """
    stride = max(1, round(total_chars / TRAINING_SAMPLE_CHARS))
    return (docs[i].text if i % stride == 0 else "" for i in range(len(docs)))


def build_index(
    docs: Sequence[DocRecord],
    index_dir,
    *,
    version: str | None = None,
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
    k1: float = K1,
    b: float = B,
    semantic_cache=None,
    doc_k1: float | None = None,
    doc_b: float | None = None,
) -> tuple[str, dict]:
    """Build and publish a version; returns (version, manifest). Raises on any failure.

    `k1` and `b` are the parameters whose weights are precomputed (rank-bm25's by default; the
    site passes its serving ranker's, so the common query needs no re-weighting). Other values
    still work at query time, from the stored term frequencies. `doc_k1` and `doc_b` (default: k1
    and b) are those of the whole-document BM25 weights (documents.py).

    Memory stays bounded at millions of sentences: sentence text is streamed into the artifact
    as chunks arrive, `docs` is read once, and postings are sorted chunk by chunk.

    With `semantic_cache` (a directory), the version also gets small-model vectors of each document
    (search/semantic, read a second time from `docs`); skipped with a log line if the model is absent.
    """
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()
    version = version or new_version_name()
    writer = ArtifactWriter(index_dir, version)
    try:
        total_chars = sum(len(d.text) for d in docs)
        punkt_json = params_to_json(train_punkt(_punkt_texts(docs, total_chars), total_chars=total_chars))
        timings["train_punkt"] = time.perf_counter() - clock
        clock = time.perf_counter()

        vocab = _Vocabulary()
        meta = _DocMeta()
        parts: dict[str, list] = {k: [] for k in ("sent_doc", "sent_len", "sentiment", "coins", "role", "fingerprint")}
        sections, mentioned, links = [], [], []
        postings: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        sentence_store = writer.string_stream("sentences")
        n_sent = 0
        words: Counter = Counter()
        title_rows, title_terms, title_tfs, title_len = [], [], [], []
        doc_offset = 0
        for chunk in _analyzed_chunks(docs, meta, punkt_json, _worker_count(workers)):
            local_to_global = vocab.map(chunk["vocab"])
            postings.append((
                local_to_global[chunk["post_term"]] if len(chunk["post_term"]) else chunk["post_term"],
                chunk["post_sent"] + n_sent,
                chunk["post_tf"],
            ))
            parts["sent_doc"].append(chunk["sent_doc"] + doc_offset)
            for key in ("sent_len", "sentiment", "coins", "role", "fingerprint"):
                parts[key].append(chunk[key])
            sections.append(np.where(chunk["section"] >= 0, chunk["section"] + n_sent, -1).astype(np.int32))
            mentioned.extend(chunk["mentioned"])
            links.extend(chunk["links"])
            sentence_store.append_encoded(chunk["sentence_blob"], chunk["sentence_bytes"])
            n_sent += len(chunk["sent_len"])
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
        sentence_store.close()
        timings["analyze"] = time.perf_counter() - clock
        clock = time.perf_counter()

        arrays = {
            k: (np.concatenate(v) if v else np.zeros((0, COIN_WORDS) if k == "coins" else 0, dtype=np.int32))
            for k, v in parts.items()
        }
        sent_section = np.concatenate(sections) if sections else np.zeros(0, dtype=np.int32)
        del parts
        n_docs = len(meta.keys)
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
        ptr, post_sent, post_tf = _csc_from_chunks(postings, new_id, n_terms)
        idf = bm25_idf(np.diff(ptr), n_sent)
        weights = _posting_weights(ptr, post_sent, post_tf, idf, sent_len, avgdl or 1.0, k1, b)

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
        t_weights = bm25_weights(t_idf[t_term_sorted], t_tf, title_len_arr[t_doc], title_avg or 1.0, k1, b).astype(np.float32)
        d_ptr, d_doc, d_tf = document_postings(ptr, post_sent, post_tf, arrays["sent_doc"])
        doc_len = np.bincount(arrays["sent_doc"], weights=sent_len, minlength=n_docs).astype(np.int32)
        doc_avg = float(doc_len.mean()) if n_docs else 0.0
        d_idf = document_idf(np.diff(d_ptr), n_docs)
        d_term_sorted = np.repeat(np.arange(n_terms), np.diff(d_ptr))
        doc_k1, doc_b = doc_k1 or k1, doc_b or b
        d_weights = bm25_weights(d_idf[d_term_sorted], d_tf, doc_len[d_doc], doc_avg or 1.0, doc_k1, doc_b).astype(np.float32)
        timings["postings"] = time.perf_counter() - clock
        clock = time.perf_counter()

        dup_of, dup_docs = duplicate_groups(arrays["fingerprint"], arrays["sent_doc"])
        own_keys = [[i.key for i in ids] for ids in meta.identifiers]
        cite_src, cite_dst = citations.citation_edges(own_keys, mentioned, meta.required, links, meta.urls)
        cites_ptr, cites_doc = citations.csr(n_docs, cite_src, cite_dst)
        cited_ptr, cited_doc = citations.csr(n_docs, cite_dst, cite_src)
        ident_pairs = sorted((key, doc) for doc, keys in enumerate(own_keys) for key in keys)
        timings["evidence"] = time.perf_counter() - clock
        clock = time.perf_counter()

        sources = sorted(set(meta.sources))
        source_id = {s: i for i, s in enumerate(sources)}
        doc_first = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(arrays["sent_doc"], minlength=n_docs), out=doc_first[1:])
        epoch = date(1970, 1, 1)
        w = writer
        w.array("sent_doc", arrays["sent_doc"])
        w.array("sent_len", sent_len)
        w.array("sent_sentiment", arrays["sentiment"])
        w.array("sent_coins", arrays["coins"].reshape(n_sent, COIN_WORDS))
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
        w.array("doc_key", np.asarray(meta.keys, dtype=np.int64))
        w.array("doc_source", np.asarray([source_id[s] for s in meta.sources], dtype=np.uint16))
        w.array("doc_date", np.asarray([(d - epoch).days if d else NO_DATE for d in meta.dates], dtype=np.int32))
        w.array("doc_first_sent", doc_first)
        w.strings("doc_slug", meta.slugs)
        w.strings("doc_title", meta.titles)
        w.strings("doc_url", meta.urls)
        w.strings("doc_ident", [",".join(i.label for i in ids) for ids in meta.identifiers])
        w.array("ident_key", np.asarray([k for k, _ in ident_pairs], dtype=np.int64))
        w.array("ident_doc", np.asarray([d for _, d in ident_pairs], dtype=np.int32))
        w.array("sent_role", arrays["role"].astype(np.uint8))
        w.array("sent_section", sent_section)
        w.array("section_end", section_ends(sent_section))
        w.array("sent_dup", dup_of)
        w.array("sent_dup_docs", dup_docs)
        w.array("docp_ptr", d_ptr)
        w.array("docp_doc", d_doc)
        w.array("docp_weight", d_weights)
        w.array("docp_tf", d_tf)
        w.array("docp_idf", d_idf.astype(np.float32))
        w.array("doc_len", doc_len)
        w.array("cites_ptr", cites_ptr)
        w.array("cites_doc", cites_doc)
        w.array("cited_ptr", cited_ptr)
        w.array("cited_doc", cited_doc)
        w.array("doc_authority", citations.authority(n_docs, cite_src, cite_dst))
        # Surface words seen at least twice: the spelling dictionary and query completions.
        spelled = sorted((word, count) for word, count in words.items() if count >= SPELLING_MIN_COUNT)
        w.strings("words", [word for word, _ in spelled])
        w.array("word_count", np.asarray([count for _, count in spelled], dtype=np.int64))
        w.text("punkt.json", punkt_json)
        timings["write"] = time.perf_counter() - clock
        # --- semantic document vectors (search/semantic): optional, timed apart --------------
        semantic = None
        if semantic_cache is not None:
            from ..semantic.build import add_document_vectors

            clock = time.perf_counter()
            semantic = add_document_vectors(docs, w, semantic_cache)
            timings["semantic_vectors"] = time.perf_counter() - clock
        # --- end of semantic document vectors ------------------------------------------------
        timings["total"] = time.perf_counter() - started
        manifest = {
            "analyzer_version": ANALYZER_VERSION,
            "params": {"k1": k1, "b": b, "epsilon": EPSILON, "doc_k1": doc_k1, "doc_b": doc_b},
            "counts": {
                "documents": n_docs,
                "sentences": n_sent,
                "terms": n_terms,
                "postings": int(len(post_sent)),
                "title_postings": int(len(t_doc)),
                "document_postings": int(len(d_doc)),
                "citations": int(len(cite_src)),
                "identified_documents": sum(1 for ids in meta.identifiers if ids),
            },
            "avg_sentence_terms": avgdl,
            "avg_title_terms": title_avg,
            "avg_document_terms": doc_avg,
            "sources": sources,
            "tone_sources": sorted(meta.tone_sources),
            "coins": COIN_SLUGS,
            "created": datetime.now(timezone.utc).isoformat(),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        if semantic:
            manifest["semantic"] = semantic
        return version, writer.publish(manifest)
    except BaseException:
        writer.abandon()
        raise
