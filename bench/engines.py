"""The engines compared, behind one small interface: build from the same tokens, top 10 by BM25.

Every engine sees exactly the terms our analyzer produced: the tokens of each sentence are read
back from the serving index's postings (term, tf) rather than re-analysed, so the comparison is
of ranking machinery only, not of tokenizers. Order within a sentence is lost, which BM25 does
not use. Query terms are analysed once, outside the timed region, for every engine alike.

    serving      search.index.engine.Index.rank (pure BM25, top 10, no per-document cap)
    rank-bm25    rank_bm25.BM25Okapi.get_scores + top 10 (the scoring reference)
    bm25s        bm25s.BM25() with its defaults, retrieve(k=10), one query per call
    tantivy      tantivy-py, whitespace tokenizer over the space-joined terms, a boolean SHOULD
                 query of term queries, search(limit=10) (count=True, its default: it counts
                 every match, as Index.rank does for `total`)
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from search.index.engine import Index, RankParams


def sentence_tokens(index: Index, limit: int | None = None) -> list[list[str]]:
    """Each sentence's terms (with repeats) from the index's postings, for the first `limit` sentences."""
    n = index.sentence_count if limit is None else min(limit, index.sentence_count)
    ptr = np.asarray(index.post_ptr)
    post_sent = np.asarray(index.post_sent)
    term_of = np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))
    keep = post_sent < n
    sent, term, tf = post_sent[keep], term_of[keep], np.asarray(index.post_tf)[keep].astype(np.int64)
    order = np.argsort(sent, kind="stable")
    stream = np.repeat(term[order], tf[order])  # the term ids of sentence 0, then sentence 1, ...
    ends = np.cumsum(np.bincount(sent, weights=tf, minlength=n).astype(np.int64))
    names = np.array([index.terms[i] for i in range(len(ptr) - 1)], dtype=object)
    flat = names[stream].tolist()
    starts = np.concatenate([[0], ends[:-1]]).tolist()
    return [flat[a:b] for a, b in zip(starts, ends.tolist())]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


class Serving:
    name = "serving"

    def __init__(self, index: Index, params: RankParams = RankParams(), per_doc: int | None = None):
        self.index, self.params, self.per_doc = index, params, per_doc

    def search(self, terms: list[str]) -> list[int]:
        return self.index.rank(terms, params=self.params, limit=10, per_doc=self.per_doc).sentence_ids


class RankBM25:
    name = "rank-bm25"

    def __init__(self, tokens: list[list[str]]):
        from rank_bm25 import BM25Okapi

        started = time.perf_counter()
        self.bm25 = BM25Okapi(tokens)
        self.build_seconds = time.perf_counter() - started

    def search(self, terms: list[str]) -> list[int]:
        scores = self.bm25.get_scores(terms)
        # Every sentence tied with the 10th best competes, then ties go to the smaller id, as
        # in the serving engine (the synthetic corpora repeat sentences: ties are common).
        kth = np.partition(scores, max(0, len(scores) - 10))[max(0, len(scores) - 10)]
        top = np.flatnonzero((scores >= kth) & (scores > 0))
        return top[np.lexsort((top, -scores[top]))][:10].tolist()


class BM25S:
    name = "bm25s"

    def __init__(self, tokens: list[list[str]]):
        import bm25s

        started = time.perf_counter()
        self.retriever = bm25s.BM25()  # defaults: method="lucene", k1=1.5, b=0.75
        self.retriever.index(tokens, show_progress=False)
        self.build_seconds = time.perf_counter() - started
        self.k = min(10, len(tokens))
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-bm25s-"))
        self.retriever.save(self.tmp / "index")
        self.disk_bytes = dir_bytes(self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def search(self, terms: list[str]) -> list[int]:
        docs, _scores = self.retriever.retrieve([terms], k=self.k, show_progress=False)
        return docs[0].tolist()


class Tantivy:
    name = "tantivy"

    def __init__(self, tokens: list[list[str]]):
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("sid", stored=False, fast=True)
        self.schema = builder.build()
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-tantivy-"))
        started = time.perf_counter()
        self.index = tantivy.Index(self.schema, path=str(self.tmp))
        writer = self.index.writer(heap_size=512_000_000)  # its default thread count (one per core)
        for sid, terms in enumerate(tokens):
            writer.add_document(tantivy.Document(body=" ".join(terms), sid=sid))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.build_seconds = time.perf_counter() - started
        self.disk_bytes = dir_bytes(self.tmp)

    def query(self, terms: list[str]):
        q, t = self.tantivy.Query, self.tantivy
        return q.boolean_query([(t.Occur.Should, q.term_query(self.schema, "body", term, index_option="freq")) for term in terms])

    def search_timed_part(self, terms: list[str]):
        return self.searcher.search(self.query(terms), limit=10)

    def search(self, terms: list[str]) -> list[int]:
        hits = self.search_timed_part(terms).hits
        if not hits:
            return []
        return [int(v) for v in self.searcher.fast_field_values("sid", [address for _, address in hits])]

    def close(self) -> None:
        self.searcher = self.index = None
        shutil.rmtree(self.tmp, ignore_errors=True)
