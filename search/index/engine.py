"""The serving engine: BM25 over one memory-mapped index version (plain Python + numpy).

A query touches only the postings of its own terms: scores are accumulated for the sentences
those postings name (the candidates), filters are masks over the candidates, and top-k selection
runs over the candidates only, never over every sentence of the index. Nothing proportional to
the index size is allocated per query.

Merging the postings of several terms is the cost that grows with the index (common terms in
millions of sentences): see _accumulate, one SIMD sort of packed 64-bit keys instead of
np.unique's argsort, with bit-for-bit the same sums.

With the build's k1 and b the precomputed weights are used as stored; another (k1, b) recomputes
the weights of the touched postings from their term frequencies, so rankers can be tuned without
a rebuild. A ranker may add `title_weight` x (BM25 of the query against the sentence's document
title).
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..nlp.analyzer import ANALYZER_VERSION, analyze
from ..nlp.roles import NAMES as ROLE_NAMES
from . import artifact, fusion
from .allocator import tune_malloc
from .bm25 import bm25_weights
from .schema import NO_DATE, term_hash

EPOCH = date(1970, 1, 1)
TERM_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class RankParams:
    k1: float = 1.5
    b: float = 0.75
    title_weight: float = 0.0
    min_terms: int = 0  # sentences with fewer index terms (headings, "stake") are not hits
    # Whole-document evidence (see fusion.py for how the parts add up):
    role_weight: float = 1.0  # multiplies headings' and reference lines' own scores
    section_weight: float = 0.0  # share of the section heading's BM25 lent to its sentences
    doc_weight: float = 0.0  # the query's BM25 against the whole document
    doc_k1: float = 0.0  # that BM25's k1 and b over documents (0: the sentences' k1 and b)
    doc_b: float = 0.0
    authority_weight: float = 0.0  # citation-graph authority
    identifier_weight: float = 0.0  # the query names the document's identifier
    collapse_duplicates: bool = False  # near-identical sentences of several documents shown once
    signal_weights: tuple[tuple[str, float], ...] = ()  # named document rankings (fusion.Evidence.signals)


@dataclass(frozen=True)
class Filters:
    coins: tuple[str, ...] = ()  # any of these coins
    sources: tuple[str, ...] = ()  # any of these sources
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return bool(self.coins or self.sources or self.date_from or self.date_to)


@dataclass
class Ranking:
    """One page of ranked sentence ids with their scores, and how many sentences matched."""

    sentence_ids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    total: int = 0


class Index:
    def __init__(self, version_dir: Path, *, verify_checksums: bool = True):
        tune_malloc()  # queries reuse their arrays' memory: see allocator.py
        self.path = Path(version_dir)
        self.manifest = artifact.read_manifest(self.path)
        if self.manifest.get("analyzer_version") != ANALYZER_VERSION:
            raise artifact.ArtifactError(
                f"index built with analyzer {self.manifest.get('analyzer_version')}, code has {ANALYZER_VERSION}"
            )
        artifact.verify(self.path, self.manifest, checksums=verify_checksums)
        load = lambda name: artifact.load_array(self.path, name)  # noqa: E731
        self.version = self.manifest["version"]
        self.params = self.manifest["params"]
        self.avgdl = self.manifest["avg_sentence_terms"] or 1.0
        self.title_avg = self.manifest["avg_title_terms"] or 1.0
        self.sources: list[str] = self.manifest["sources"]
        # Sources of news and opinion, whose sentences may show a tone badge (search/nlp/tone.py).
        self.tone_sources = frozenset(self.manifest.get("tone_sources", ()))
        self.coins: list[str] = self.manifest["coins"]
        self._coin_bit = {slug: i for i, slug in enumerate(self.coins)}
        self._source_id = {s: i for i, s in enumerate(self.sources)}
        self.sent_doc = load("sent_doc")
        self.sent_len = load("sent_len")
        self.sent_sentiment = load("sent_sentiment")
        self.sent_coins = load("sent_coins")
        self.sentences = artifact.load_strings(self.path, "sentences")
        self.term_hash = load("term_hash")
        self.terms = artifact.load_strings(self.path, "terms")
        self.term_idf = load("term_idf")
        self.post_ptr = load("post_ptr")
        self.post_sent = load("post_sent")
        self.post_tf = load("post_tf")
        self.post_weight = load("post_weight")
        self.title_idf = load("title_idf")
        self.title_ptr = load("title_ptr")
        self.title_doc = load("title_doc")
        self.title_tf = load("title_tf")
        self.title_weight = load("title_weight")
        self.doc_title_len = load("doc_title_len")
        self.doc_key = load("doc_key")
        self.doc_source = load("doc_source")
        self.doc_date = load("doc_date")
        self.doc_first_sent = load("doc_first_sent")
        self.doc_slug = artifact.load_strings(self.path, "doc_slug")
        self.doc_title = artifact.load_strings(self.path, "doc_title")
        self.doc_url = artifact.load_strings(self.path, "doc_url")
        self.words = artifact.load_strings(self.path, "words")
        self.doc_ident = artifact.load_strings(self.path, "doc_ident")
        self.ident_key, self.ident_doc = load("ident_key"), load("ident_doc")
        self.sent_role, self.sent_section = load("sent_role"), load("sent_section")
        self.section_end = load("section_end")
        self.sent_dup, self.sent_dup_docs = load("sent_dup"), load("sent_dup_docs")
        self.docp_ptr, self.docp_doc, self.docp_weight = load("docp_ptr"), load("docp_doc"), load("docp_weight")
        self.docp_tf, self.docp_idf, self.doc_len = load("docp_tf"), load("docp_idf"), load("doc_len")
        self.doc_avg = self.manifest.get("avg_document_terms") or 1.0
        self.cites_ptr, self.cites_doc = load("cites_ptr"), load("cites_doc")
        self.cited_ptr, self.cited_doc = load("cited_ptr"), load("cited_doc")
        self.doc_authority = load("doc_authority")
        self.word_count = load("word_count")
        # The hot path reads plain ndarray views of the same mapped memory: slicing an np.memmap
        # runs Python-level __array_finalize__ on every slice, several per query term.
        plain = lambda a: a.view(np.ndarray)  # noqa: E731
        self._term_hash, self._post_ptr, self._post_sent = plain(self.term_hash), plain(self.post_ptr), plain(self.post_sent)
        self._post_weight, self._sent_doc = plain(self.post_weight), plain(self.sent_doc)
        self._sent_coins, self._sent_len, self._post_tf = plain(self.sent_coins), plain(self.sent_len), plain(self.post_tf)
        self._term_offsets, self._term_blob = plain(self.terms.offsets), plain(self.terms.blob)
        self._sent_role, self._section_end = plain(self.sent_role), plain(self.section_end)
        self._doc_authority, self._sent_dup = plain(self.doc_authority), plain(self.sent_dup)
        self._docp_ptr, self._docp_doc, self._docp_weight = plain(self.docp_ptr), plain(self.docp_doc), plain(self.docp_weight)
        self._title_ptr, self._title_doc, self._title_weight = plain(self.title_ptr), plain(self.title_doc), plain(self.title_weight)
        self._term_cache: dict[str, int] = {}
        self._spelling = None
        self._spelling_thread: threading.Thread | None = None
        self._key_to_doc: dict[int, int] | None = None
        self._slug_to_doc: dict[str, int] | None = None
        self._coin_counts: dict[str, int] | None = None

    # --- sizes and lookups ------------------------------------------------------------------

    @property
    def sentence_count(self) -> int:
        return len(self.sent_doc)

    @property
    def document_count(self) -> int:
        return len(self.doc_key)

    def disk_bytes(self) -> int:
        return sum(f["bytes"] for f in self.manifest["files"].values())

    def term_id(self, term: str) -> int:
        """The term's id, or -1 when the index has never seen it."""
        tid = self._term_cache.get(term)
        if tid is None:
            tid = self._find_term(term)
            if len(self._term_cache) >= TERM_CACHE_SIZE:
                self._term_cache.clear()
            self._term_cache[term] = tid
        return tid

    def _find_term(self, term: str) -> int:
        h = np.uint64(term_hash(term))
        hashes = self._term_hash
        i = int(hashes.searchsorted(h))
        if i < len(hashes) and hashes[i] == h:
            start, end = int(self._term_offsets[i]), int(self._term_offsets[i + 1])
            if self._term_blob[start:end].tobytes() == term.encode("utf-8"):
                return i
        return -1

    def document_frequency(self, term_id: int) -> int:
        return int(self.post_ptr[term_id + 1] - self.post_ptr[term_id])

    def doc_of_key(self, key: int) -> int | None:
        """The index's document number for a database key (built lazily: rarely needed)."""
        if self._key_to_doc is None:
            self._key_to_doc = {int(k): i for i, k in enumerate(self.doc_key)}
        return self._key_to_doc.get(int(key))

    def doc_of_slug(self, slug: str) -> int | None:
        if self._slug_to_doc is None:
            self._slug_to_doc = {self.doc_slug[i]: i for i in range(self.document_count)}
        return self._slug_to_doc.get(slug)

    def docs_with_identifier(self, key: int) -> list[int]:
        """Documents whose own identifier has this key (identifiers.Identifier.key), best first."""
        keys = self.ident_key
        start, end = int(keys.searchsorted(key, "left")), int(keys.searchsorted(key, "right"))
        return [int(d) for d in self.ident_doc[start:end]]

    def identifiers_of(self, doc: int) -> list[str]:
        """The document's identifier labels (EIP-1559, ERC-20, BIP-32, BOLT 11); often none."""
        labels = self.doc_ident[doc]
        return labels.split(",") if labels else []

    def cites(self, doc: int) -> list[int]:
        return [int(d) for d in self.cites_doc[int(self.cites_ptr[doc]):int(self.cites_ptr[doc + 1])]]

    def cited_by(self, doc: int) -> list[int]:
        return [int(d) for d in self.cited_doc[int(self.cited_ptr[doc]):int(self.cited_ptr[doc + 1])]]

    def doc_date_of(self, doc: int) -> date | None:
        days = int(self.doc_date[doc])
        return None if days == NO_DATE else EPOCH + timedelta(days=days)

    def sentence_coins(self, sid: int) -> list[str]:
        words = self._sent_coins[sid].tolist()  # Python ints: no numpy scalar per coin
        if not any(words):
            return []
        return [slug for slug, bit in self._coin_bit.items() if words[bit // 64] >> (bit % 64) & 1]

    def coin_sentence_counts(self) -> dict[str, int]:
        """Sentences tagged with each coin (computed once per loaded version)."""
        if self._coin_counts is None:
            counts = {}
            for slug, bit in self._coin_bit.items():
                column = np.asarray(self.sent_coins[:, bit // 64])
                counts[slug] = int(np.count_nonzero((column >> np.uint64(bit % 64)) & np.uint64(1)))
            self._coin_counts = counts
        return self._coin_counts

    def document_key_terms(self, doc: int, limit: int = 12) -> list[tuple[str, float]]:
        """The document's highest-weighted index terms: frequency in the document x IDF."""
        counts = Counter()
        for sid in self.document_sentences(doc):
            counts.update(analyze(self.sentences[sid]))
        weighted = []
        for term, tf in counts.items():
            tid = self.term_id(term)
            if tid >= 0:
                weighted.append((term, tf * float(self.term_idf[tid])))
        weighted.sort(key=lambda item: (-item[1], item[0]))
        return weighted[:limit]

    # --- words: spelling -----------------------------------------------------

    def knows(self, word: str) -> bool:
        """True when every index term of `word` occurs in the index (stop words count as known)."""
        return all(self.term_id(term) >= 0 for term in analyze(word))

    def _build_spelling(self) -> None:
        from ..nlp.spelling import SpellingCorrector

        self._spelling = SpellingCorrector(zip((self.words[i] for i in range(len(self.words))), self.word_count))
        # The dictionary is millions of long-lived objects that Python's full garbage collections
        # would walk again and again (pauses of ~200 ms measured under load). Freeze everything
        # alive now out of their reach; objects freed later are still freed by reference counting.
        gc.freeze()

    def spelling_ready(self, *, wait: bool = False) -> bool:
        """Start building the spelling dictionary in the background (about a second) if needed."""
        if self._spelling is None and self._spelling_thread is None:
            self._spelling_thread = threading.Thread(target=self._build_spelling, name="spelling", daemon=True)
            self._spelling_thread.start()
        if wait and self._spelling is None:
            self._spelling_thread.join()
        return self._spelling is not None

    def correct(self, query: str, *, wait: bool = False) -> str | None:
        """The query with unknown words corrected, or None. The dictionary is built in the
        background the first time a query needs it, so no search waits for it (unless `wait`)."""
        from ..nlp.spelling import words_of

        if all(self.knows(word) for word in words_of(query)):
            return None
        if not self.spelling_ready(wait=wait):
            return None
        return self._spelling.correct(query, self.knows)

    # --- scoring ----------------------------------------------------------------------------

    def _weights(self, start: int, end: int, term_id: int, params: RankParams) -> np.ndarray:
        if params.k1 == self.params["k1"] and params.b == self.params["b"]:
            return self._post_weight[start:end]
        # Other (k1, b), e.g. a tuned ranker: build.bm25_weights(idf, tf, length, avgdl, k1, b), i.e.
        # idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl)), evaluated in place in the
        # same operation order (bit-for-bit equal) so that common terms cost two temporaries, not ten.
        k1, b = params.k1, params.b
        tf = self._post_tf[start:end].astype(np.float64)
        denominator = self._sent_len[self._post_sent[start:end]] * b
        denominator /= self.avgdl
        denominator += 1 - b
        denominator *= k1
        denominator += tf
        weights = tf * float(self.term_idf[term_id])
        weights *= k1 + 1
        weights /= denominator
        return weights

    def score(
        self,
        terms: list[str],
        params: RankParams = RankParams(),
        *,
        expansions: dict[str, float] | None = None,
        doc_boost: dict[int, float] | None = None,
        evidence: fusion.Evidence | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(candidate sentence ids ascending, their scores) for a bag of query terms.

        A term repeated in the query counts once per occurrence, as in rank-bm25. `expansions`
        adds other terms with a weight below one (coin aliases, learned synonyms); `doc_boost`
        multiplies the scores of a document's sentences by (1 + boost), so feedback can reorder
        matching sentences but never make a non-matching one appear. `evidence` carries the
        documents the query names by identifier (their sentences become candidates even when
        they share no word with the query) and named document rankings; see fusion.py.
        """
        candidates, parts, boost = self.score_parts(terms, params, expansions=expansions, doc_boost=doc_boost,
                                                    evidence=evidence)
        if not parts:
            return candidates, np.zeros(0, dtype=np.float64)
        return candidates, fusion.fuse(parts, boost)

    def score_parts(self, terms, params: RankParams = RankParams(), *, expansions=None, doc_boost=None,
                    evidence: fusion.Evidence | None = None, separate: bool = False):
        """(candidates, {part name: array over candidates}, boost factor array or None)."""
        id_parts, weight_parts = [], []
        term_counts: Counter = Counter(t for t in (self.term_id(term) for term in terms) if t >= 0)
        for term, weight in (expansions or {}).items():
            tid = self.term_id(term)
            if tid >= 0 and tid not in term_counts:
                term_counts[tid] = weight
        ptr, post_sent = self._post_ptr, self._post_sent
        for tid, count in term_counts.items():
            start, end = int(ptr[tid]), int(ptr[tid + 1])
            if start == end:
                continue
            id_parts.append(post_sent[start:end])
            weights = self._weights(start, end, tid, params)
            weight_parts.append(weights if count == 1 else weights * count)
        identified = evidence.identified_docs if (evidence and params.identifier_weight) else ()
        extra = tuple(d for d in evidence.extra_docs if d not in identified) if evidence else ()
        for doc in (*identified, *extra):  # these documents' sentences compete even without a shared word
            first, last = int(self.doc_first_sent[doc]), int(self.doc_first_sent[doc + 1])
            id_parts.append(np.arange(first, last, dtype=np.int32))
            weight_parts.append(np.zeros(last - first, dtype=np.float64))
        if not id_parts:
            return np.zeros(0, dtype=np.int32), {}, None
        if len(id_parts) == 1:
            candidates, scores = id_parts[0], np.asarray(weight_parts[0], dtype=np.float64)
        else:
            candidates, scores = self._accumulate(id_parts, weight_parts)
        parts = self._fusion_parts(candidates, scores, term_counts, params, evidence, identified, separate)
        boost = None
        if doc_boost:
            factors = np.ones(self.document_count, dtype=np.float64)
            for doc, value in doc_boost.items():
                factors[doc] += value
            boost = factors[self._sent_doc[candidates]]
        return candidates, parts, boost

    def _fusion_parts(self, candidates, bm25, term_counts, params: RankParams, evidence, identified,
                      separate: bool = False) -> dict:
        """The additive parts of fusion.py's formula that this ranker uses (BM25 first).

        The document-level parts (title, document, authority, named signals) are one value per
        document: they are added per document and gathered onto the candidates once, as the part
        "documents", unless `separate` (explain) asks for each on its own.
        """
        roles = None
        if params.role_weight != 1.0 or params.section_weight or identified:
            roles = self._sent_role[candidates]
        parts = {"bm25": bm25}
        if params.role_weight != 1.0:
            factors = np.ones(len(ROLE_NAMES), dtype=np.float64)
            factors[list(fusion.NOT_ANSWERS)] = params.role_weight
            parts["bm25"] = bm25 * factors[roles]
        if params.section_weight:
            lent = fusion.section_scores(candidates, bm25, roles, self._section_end, params.section_weight)
            if lent is not None or separate:
                parts["section"] = lent if lent is not None else np.zeros(len(candidates))
        per_doc = {}
        if params.title_weight:
            per_doc["title"] = params.title_weight * self._title_scores(term_counts, params)
        if params.doc_weight:
            per_doc["document"] = params.doc_weight * self._document_scores(term_counts, params)
        if params.authority_weight:
            per_doc["authority"] = params.authority_weight * self._doc_authority.astype(np.float64)
        for name, weight in params.signal_weights:
            signal = (evidence.signals.get(name) if evidence else None)
            if weight and signal is not None:
                per_doc[name] = weight * np.asarray(signal, dtype=np.float64)
        docs = self._sent_doc[candidates] if (per_doc or identified) else None
        if separate:
            parts.update({name: values[docs] for name, values in per_doc.items()})
        elif per_doc:
            parts["documents"] = fusion.fuse(per_doc, None)[docs]
        if identified:
            parts["identifier"] = params.identifier_weight * fusion.pinned_sentences(
                candidates, docs, fusion.fuse(parts, None), identified, self._sent_len[candidates] >= params.min_terms,
                fusion.not_answer_mask(roles))
        return parts

    def explain(self, terms, sentence_ids: list[int], params: RankParams = RankParams(), *, expansions=None,
                doc_boost=None, evidence: fusion.Evidence | None = None) -> dict[int, dict]:
        """Each given sentence's score parts (as fusion.py adds them up) and its total."""
        candidates, parts, boost = self.score_parts(terms, params, expansions=expansions, doc_boost=doc_boost,
                                                    evidence=evidence, separate=True)
        out = {}
        if not parts:
            return out
        total = fusion.fuse(parts, boost)
        for sid in sentence_ids:
            at = int(np.searchsorted(candidates, sid))
            if at >= len(candidates) or candidates[at] != sid:
                continue
            explained = {name: round(float(values[at]), 4) for name, values in parts.items()}
            explained["boost_factor"] = round(float(boost[at]), 4) if boost is not None else 1.0
            explained["role"] = _role_name(int(self.sent_role[sid]))
            explained["total"] = round(float(total[at]), 4)
            out[sid] = explained
        return out

    @staticmethod
    def _accumulate(id_parts: list[np.ndarray], weight_parts: list[np.ndarray]):
        """(sentence ids ascending, summed float64 scores) over several terms' postings.

        Same result as np.unique(ids, return_inverse=True) + np.bincount, about a quarter
        faster on large merges: each posting becomes one int64 key, sentence id in the high
        half and its position in the concatenation in the low half, so a plain value sort
        (numpy's SIMD quicksort, several times faster than an argsort) groups postings by
        sentence and keeps them in term order within a sentence. bincount then adds each
        sentence's weights in that order starting from 0.0, exactly as before.
        """
        ids = np.concatenate(id_parts)
        weights = np.concatenate(weight_parts)
        n = len(ids)
        keys = ids.astype(np.int64)
        keys <<= 32
        keys |= np.arange(n, dtype=np.int64)
        keys.sort()
        sorted_ids = (keys >> 32).astype(np.int32)
        keys &= 0xFFFFFFFF  # now the positions, in sorted order
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=first[1:])
        group = np.cumsum(first)
        group -= 1
        return sorted_ids[first], np.bincount(group, weights=weights[keys])

    def _title_scores(self, term_counts: Counter, params: RankParams) -> np.ndarray:
        scores = np.zeros(self.document_count, dtype=np.float64)
        for tid, count in term_counts.items():
            start, end = int(self._title_ptr[tid]), int(self._title_ptr[tid + 1])
            if start == end:
                continue
            docs = self._title_doc[start:end]
            if params.k1 == self.params["k1"] and params.b == self.params["b"]:
                weights = self._title_weight[start:end]
            else:
                weights = bm25_weights(
                    float(self.title_idf[tid]), self.title_tf[start:end], self.doc_title_len[docs],
                    self.title_avg, params.k1, params.b,
                )
            scores[docs] += weights * count
        return scores

    def term_coverage(self, terms: list[str], doc: int) -> float:
        """The idf-weighted share of the terms that occur in the document's text or title (0..1)."""
        total = found = 0.0
        for term in set(terms):
            tid = self.term_id(term)
            if tid < 0:
                total += 1.0  # a word the index has never seen: the document does not have it
                continue
            idf = max(float(self.docp_idf[tid]), 1e-3)
            total += idf
            if _has(self.docp_doc, int(self.docp_ptr[tid]), int(self.docp_ptr[tid + 1]), doc) or _has(
                    self.title_doc, int(self.title_ptr[tid]), int(self.title_ptr[tid + 1]), doc):
                found += idf
        return found / total if total else 1.0

    def document_scores(self, terms: list[str], params: RankParams = RankParams()) -> np.ndarray:
        """Whole-document BM25 of a bag of terms, one score per document."""
        return self._document_scores(Counter(t for t in map(self.term_id, terms) if t >= 0), params)

    def _document_scores(self, term_counts: Counter, params: RankParams) -> np.ndarray:
        """BM25 of the query against every whole document (documents.py's postings)."""
        k1, b = params.doc_k1 or params.k1, params.doc_b or params.b
        stored = (k1, b) == (self.params.get("doc_k1", self.params["k1"]), self.params.get("doc_b", self.params["b"]))
        scores = np.zeros(self.document_count, dtype=np.float64)
        ptr, doc_ids = self._docp_ptr, self._docp_doc
        for tid, count in term_counts.items():
            start, end = int(ptr[tid]), int(ptr[tid + 1])
            if start == end:
                continue
            docs = doc_ids[start:end]
            if stored:
                weights = self._docp_weight[start:end]
            else:
                weights = bm25_weights(float(self.docp_idf[tid]), self.docp_tf[start:end], self.doc_len[docs],
                                       self.doc_avg, k1, b)
            scores[docs] += weights * count
        return scores

    # --- filtering and selection ------------------------------------------------------------

    def filter_mask(self, candidates: np.ndarray, filters: Filters) -> np.ndarray | None:
        """Boolean mask over candidates, or None when there is nothing to filter."""
        if not filters:
            return None
        mask = np.ones(len(candidates), dtype=bool)
        if filters.coins:
            coin_mask = np.zeros(len(candidates), dtype=bool)
            for slug in filters.coins:
                bit = self._coin_bit.get(slug)
                if bit is not None:
                    column = self.sent_coins[candidates, bit // 64]
                    coin_mask |= ((column >> np.uint64(bit % 64)) & np.uint64(1)).astype(bool)
            mask &= coin_mask
        docs = self.sent_doc[candidates]
        if filters.sources:
            wanted = [self._source_id[s] for s in filters.sources if s in self._source_id]
            mask &= np.isin(self.doc_source[docs], wanted)
        if filters.date_from or filters.date_to:
            days = self.doc_date[docs]
            mask &= days != NO_DATE
            if filters.date_from:
                mask &= days >= (filters.date_from - EPOCH).days
            if filters.date_to:
                mask &= days <= (filters.date_to - EPOCH).days
        return mask

    def rank(
        self,
        terms: list[str],
        *,
        params: RankParams = RankParams(),
        filters: Filters = Filters(),
        offset: int = 0,
        limit: int = 10,
        per_doc: int | None = 2,
        page_size: int = 10,
        sort: str = "relevance",
        expansions: dict[str, float] | None = None,
        doc_boost: dict[int, float] | None = None,
        evidence: fusion.Evidence | None = None,
    ) -> Ranking:
        """Sentences ranked by score (ties by sentence id), or by document date when sort="date".

        With `per_doc`, a page of `page_size` holds at most `per_doc` sentences of one document;
        the others move on to later pages rather than being dropped.
        """
        candidates, scores = self.score(terms, params, expansions=expansions, doc_boost=doc_boost, evidence=evidence)
        mask = self.filter_mask(candidates, filters)
        if params.min_terms:
            long_enough = self._sent_len[candidates] >= params.min_terms
            mask = long_enough if mask is None else mask & long_enough
        if mask is not None:
            candidates, scores = candidates[mask], scores[mask]
        total = len(candidates)
        wanted = offset + limit
        if total == 0 or limit <= 0:
            return Ranking(total=total)
        take = min(total, max(wanted * 4, 64))
        while True:
            order = self._top(candidates, scores, take, sort)
            if params.collapse_duplicates:
                order = self._first_of_duplicates(candidates, order)
            ids = candidates[order]
            if per_doc:
                order = order[_paged_with_cap(self.sent_doc[ids], per_doc, page_size, wanted)]
            if len(order) >= wanted or take >= total:
                break
            take = min(total, take * 4)
        order = order[offset:wanted]
        return Ranking(
            sentence_ids=[int(i) for i in candidates[order]],
            scores=[float(s) for s in scores[order]],
            total=total,
        )

    def _first_of_duplicates(self, candidates: np.ndarray, order: np.ndarray) -> np.ndarray:
        """`order` without the sentences whose duplicate group already appeared earlier in it."""
        groups = self._sent_dup[candidates[order]]
        _, first = np.unique(groups, return_index=True)
        return order[np.sort(first)]

    def also_in(self, sid: int) -> int:
        """In how many other documents a near-identical sentence appears (0: none)."""
        return int(self.sent_dup_docs[sid]) - 1

    def role_of(self, sid: int) -> str:
        return _role_name(int(self.sent_role[sid]))

    def _top(self, candidates: np.ndarray, scores: np.ndarray, take: int, sort: str) -> np.ndarray:
        """Positions of the best `take` candidates, best first; ties by smaller sentence id."""
        if sort == "date":
            days = self.doc_date[self.sent_doc[candidates]].astype(np.int64)
            return np.lexsort((candidates, -scores, -days))[:take]
        if take < len(candidates):
            # argpartition picks `take` of the best scores; boundary ties are resolved by id below.
            kth = np.partition(scores, len(scores) - take)[len(scores) - take]
            pool = np.flatnonzero(scores >= kth)
        else:
            pool = np.arange(len(candidates))
        order = pool[np.lexsort((candidates[pool], -scores[pool]))]
        return order[:take]

    # --- reading sentences and documents ----------------------------------------------------

    def context(self, sid: int, before: int = 1, after: int = 1) -> tuple[list[int], list[int]]:
        """Ids of the neighbouring sentences of the same document."""
        doc = int(self.sent_doc[sid])
        first, last = int(self.doc_first_sent[doc]), int(self.doc_first_sent[doc + 1])
        return list(range(max(first, sid - before), sid)), list(range(sid + 1, min(last, sid + 1 + after)))

    def document_sentences(self, doc: int) -> range:
        return range(int(self.doc_first_sent[doc]), int(self.doc_first_sent[doc + 1]))


def _has(postings_doc: np.ndarray, start: int, end: int, doc: int) -> bool:
    """Whether a term's postings (documents ascending in [start, end)) include `doc`."""
    at = start + int(np.searchsorted(postings_doc[start:end], doc))
    return at < end and int(postings_doc[at]) == doc


def _role_name(role: int) -> str:
    return ROLE_NAMES[role] if role < len(ROLE_NAMES) else "prose"


def _paged_with_cap(docs: np.ndarray, per_doc: int, page_size: int, wanted: int) -> np.ndarray:
    """Reorder ranked positions so each page has at most `per_doc` hits of one document.

    Surplus hits wait, in rank order, for the next page with room for their document. Only when
    no other document's hits are left does a page take more of one document (rather than show
    a short page), so every page but the last is full.
    Returns positions into `docs` (at least `wanted` when the input has enough).
    """
    docs = docs.tolist()
    result: list[int] = []
    waiting: list[int] = []
    position, n = 0, len(docs)
    while len(result) < wanted and (position < n or waiting):
        page: list[int] = []
        per_page: Counter = Counter()
        held_back = []
        for i in waiting:
            if len(page) < page_size and per_page[docs[i]] < per_doc:
                page.append(i)
                per_page[docs[i]] += 1
            else:
                held_back.append(i)
        while len(page) < page_size and position < n:
            doc = docs[position]
            if per_page[doc] < per_doc:
                page.append(position)
                per_page[doc] += 1
            else:
                held_back.append(position)
            position += 1
        if len(page) < page_size:  # nothing else left: fill up with the best held-back hits
            held_back.sort()
            room = page_size - len(page)
            page.extend(held_back[:room])
            held_back = held_back[room:]
        waiting = sorted(held_back)
        result.extend(sorted(page))
    return np.asarray(result, dtype=np.int64)
