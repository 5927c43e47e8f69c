"""Build one index version from documents (plain Python + numpy, no Django).

    documents ─► Punkt trained on a sample ─► per-chunk analysis in worker processes
      (chunk_analysis.py) ─► merge and term ids in hash order (assembly.py) ─► CSC postings
      with precomputed BM25 weights (bm25.py) ─► the arrays of schema.py, published atomically
      (artifact.py)

Sentences follow rank-bm25's BM25Okapi exactly (bm25.py). Sentences with no terms still count in
N and the average length, as they do in rank-bm25. Titles get a second, document-level BM25
index so that a ranker can add "the sentence's document title matches" with a tunable weight,
and whole documents a third (documents.py).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from .. import doc_status
from ..nlp.analyzer import ANALYZER_VERSION
from ..nlp.sentences import TRAINING_SAMPLE_CHARS, params_to_json, train_punkt
from . import citations, schema
from .artifact import ArtifactWriter
from .assembly import MergedChunks, csc_from_chunks
from .bm25 import B, EPSILON, K1, bm25_idf, document_idf, document_k1_b, posting_weights
from .chunk_analysis import DocumentMeta, analyzed_chunks, worker_count
from .documents import document_postings, duplicate_groups, section_ends

SPELLING_MIN_COUNT = 2


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
    status: str = ""  # lifecycle status of a specification (Final, Draft, ...): search/doc_status.py


def new_version_name() -> str:
    """Sortable by creation time, unique across processes."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f") + "-" + secrets.token_hex(3)


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

        meta = DocumentMeta()
        merged = MergedChunks(writer.string_stream("sentences"))
        for chunk in analyzed_chunks(docs, meta, punkt_json, worker_count(workers)):
            merged.add(chunk)
            if progress:
                progress(len(chunk["title_terms"]))
        merged.sentence_store.close()
        timings["analyze"] = time.perf_counter() - clock
        clock = time.perf_counter()

        columns = merged.sentence_columns()
        n_docs, n_sent = len(meta.keys), merged.n_sent
        terms, hashes, new_id = merged.terms.hash_order()
        n_terms = len(terms)
        sent_doc, sent_len = columns["sent_doc"], columns["sent_len"]
        avgdl = float(sent_len.mean()) if n_sent else 0.0
        ptr, post_sent, post_tf = csc_from_chunks(merged.postings, new_id, n_terms)
        idf = bm25_idf(np.diff(ptr), n_sent)
        weights = posting_weights(ptr, post_sent, post_tf, idf, sent_len, avgdl or 1.0, k1, b)
        t_ptr, t_doc, t_tf, title_len = merged.title_postings(new_id, n_terms)
        title_avg = float(title_len.mean()) if n_docs else 0.0
        t_idf = bm25_idf(np.diff(t_ptr), n_docs)
        t_weights = posting_weights(t_ptr, t_doc, t_tf, t_idf, title_len, title_avg or 1.0, k1, b)
        d_ptr, d_doc, d_tf = document_postings(ptr, post_sent, post_tf, sent_doc)
        doc_len = np.bincount(sent_doc, weights=sent_len, minlength=n_docs).astype(np.int32)
        doc_avg = float(doc_len.mean()) if n_docs else 0.0
        d_idf = document_idf(np.diff(d_ptr), n_docs)
        doc_k1, doc_b = document_k1_b(k1, b, doc_k1, doc_b)
        d_weights = posting_weights(d_ptr, d_doc, d_tf, d_idf, doc_len, doc_avg or 1.0, doc_k1, doc_b)
        timings["postings"] = time.perf_counter() - clock
        clock = time.perf_counter()

        dup_of, dup_docs = duplicate_groups(columns["fingerprint"], sent_doc)
        own_keys = [[i.key for i in ids] for ids in meta.identifiers]
        cite_src, cite_dst = citations.citation_edges(own_keys, merged.mentioned, meta.required, merged.links, meta.urls)
        cites_ptr, cites_doc = citations.csr(n_docs, cite_src, cite_dst)
        cited_ptr, cited_doc = citations.csr(n_docs, cite_dst, cite_src)
        ident_pairs = sorted((key, doc) for doc, keys in enumerate(own_keys) for key in keys)
        timings["evidence"] = time.perf_counter() - clock
        clock = time.perf_counter()

        sources = sorted(set(meta.sources))
        source_id = {s: i for i, s in enumerate(sources)}
        doc_first = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(sent_doc, minlength=n_docs), out=doc_first[1:])
        # Surface words seen at least twice: the spelling dictionary and query completions.
        spelled = sorted((word, count) for word, count in merged.words.items() if count >= SPELLING_MIN_COUNT)
        _write_schema(writer, {
            "sent_doc": sent_doc,
            "sent_len": sent_len,
            "sent_sentiment": columns["sentiment"],
            "sent_coins": columns["coins"].reshape(n_sent, schema.COIN_WORDS),
            "sent_role": columns["role"].astype(np.uint8),
            "sent_section": columns["section"],
            "section_end": section_ends(columns["section"]),
            "sent_dup": dup_of,
            "sent_dup_docs": dup_docs,
            "term_hash": hashes,
            "term_idf": idf.astype(np.float32),
            "post_ptr": ptr, "post_sent": post_sent, "post_tf": post_tf, "post_weight": weights,
            "title_idf": t_idf.astype(np.float32),
            "title_ptr": t_ptr, "title_doc": t_doc, "title_tf": t_tf, "title_weight": t_weights,
            "doc_title_len": title_len,
            "docp_ptr": d_ptr, "docp_doc": d_doc, "docp_tf": d_tf, "docp_weight": d_weights,
            "docp_idf": d_idf.astype(np.float32),
            "doc_len": doc_len,
            "doc_key": np.asarray(meta.keys, dtype=np.int64),
            "doc_source": np.asarray([source_id[s] for s in meta.sources], dtype=np.uint16),
            "doc_date": np.asarray([schema.days_of(d) for d in meta.dates], dtype=np.int32),
            "doc_first_sent": doc_first,
            "ident_key": np.asarray([k for k, _ in ident_pairs], dtype=np.int64),
            "ident_doc": np.asarray([d for _, d in ident_pairs], dtype=np.int32),
            "cites_ptr": cites_ptr, "cites_doc": cites_doc,
            "cited_ptr": cited_ptr, "cited_doc": cited_doc,
            "doc_authority": citations.authority(n_docs, cite_src, cite_dst),
            "word_count": np.asarray([count for _, count in spelled], dtype=np.int64),
        }, {
            "terms": terms,
            "doc_slug": meta.slugs,
            "doc_title": meta.titles,
            "doc_url": meta.urls,
            "doc_ident": [",".join(i.label for i in ids) for ids in meta.identifiers],
            "words": [word for word, _ in spelled],
        }, streamed=("sentences",))
        writer.text("punkt.json", punkt_json)
        # Outside schema.py, like the semantic vectors: optional, a version without it loads as before.
        writer.array(doc_status.ARRAY, doc_status.settled_flags(meta.statuses))
        timings["write"] = time.perf_counter() - clock
        # --- semantic document vectors (search/semantic): optional, timed apart --------------
        semantic = None
        if semantic_cache is not None:
            from ..semantic.build import add_document_vectors

            clock = time.perf_counter()
            semantic = add_document_vectors(docs, writer, semantic_cache)
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
            "coins": schema.COIN_SLUGS,
            "created": datetime.now(timezone.utc).isoformat(),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        if semantic:
            manifest["semantic"] = semantic
        return version, writer.publish(manifest)
    except BaseException:
        writer.abandon()
        raise


def _write_schema(writer: ArtifactWriter, arrays: dict, strings: dict, *, streamed: tuple[str, ...]) -> None:
    """Write exactly schema.py's arrays and string tables (`streamed` ones are written already)."""
    if set(arrays) != set(schema.ARRAYS) or set(strings) | set(streamed) != set(schema.STRINGS):
        raise RuntimeError("the build's arrays differ from schema.ARRAYS / schema.STRINGS")
    for name, array in arrays.items():
        writer.array(name, array)
    for name, strings_of in strings.items():
        writer.strings(name, strings_of)
