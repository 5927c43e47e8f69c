"""Scoring over one index version: BM25 of a query's terms plus fusion.py's evidence parts.

A query touches only the postings of its own terms: scores are accumulated for the sentences
those postings name (the candidates), never for every sentence of the index, so nothing
proportional to the index size is allocated per query.

Merging the postings of several terms is the cost that grows with the index (common terms in
millions of sentences): see _accumulate, one SIMD sort of packed 64-bit keys instead of
np.unique's argsort, with bit-for-bit the same sums.

With the build's k1 and b the precomputed weights are used as stored; another (k1, b) re-weighs
the touched postings from their term frequencies (bm25.reweigh), so rankers can be tuned without
a rebuild. A ranker may add `title_weight` x (BM25 of the query against the sentence's document
title), and the other parts of fusion.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..nlp.roles import NAMES as ROLE_NAMES
from . import fusion
from .bm25 import B, K1, bm25_weights, document_k1_b, reweigh
from .reader import IndexReader


@dataclass(frozen=True)
class RankParams:
    k1: float = K1
    b: float = B
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


class Scoring(IndexReader):
    """Index scoring: the BM25 and fusion parts of each candidate sentence (see engine.Index)."""

    def _weights(self, start: int, end: int, term_id: int, params: RankParams) -> np.ndarray:
        if params.k1 == self.params["k1"] and params.b == self.params["b"]:
            return self._post_weight[start:end]
        return reweigh(float(self.term_idf[term_id]), self._post_tf[start:end],
                       self._sent_len[self._post_sent[start:end]], self.avgdl, params.k1, params.b)

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
            explained["role"] = self.role_of(sid)
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
        k1, b = document_k1_b(params.k1, params.b, params.doc_k1, params.doc_b)
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


def _has(postings_doc: np.ndarray, start: int, end: int, doc: int) -> bool:
    """Whether a term's postings (documents ascending in [start, end)) include `doc`."""
    at = start + int(np.searchsorted(postings_doc[start:end], doc))
    return at < end and int(postings_doc[at]) == doc
