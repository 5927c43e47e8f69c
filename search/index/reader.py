"""Reading one memory-mapped index version: loading, sizes and lookups (plain Python + numpy).

Every array and string table of schema.py becomes an attribute of the same name, mapped with
mmap_mode="r" (artifact.py), so processes serving the same version share one copy. Scoring over
these arrays is scoring.py's and selecting a page selection.py's; engine.Index combines them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

from ..nlp.analyzer import ANALYZER_VERSION, analyze
from ..nlp.roles import NAMES as ROLE_NAMES
from . import artifact, schema
from .allocator import tune_malloc

TERM_CACHE_SIZE = 20_000


class IndexReader:
    def __init__(self, version_dir: Path, *, verify_checksums: bool = True):
        tune_malloc()  # queries reuse their arrays' memory: see allocator.py
        self.path = Path(version_dir)
        self.manifest = artifact.read_manifest(self.path)
        if self.manifest.get("analyzer_version") != ANALYZER_VERSION:
            raise artifact.ArtifactError(
                f"index built with analyzer {self.manifest.get('analyzer_version')}, code has {ANALYZER_VERSION}"
            )
        artifact.verify(self.path, self.manifest, checksums=verify_checksums)
        self.version = self.manifest["version"]
        self.params = self.manifest["params"]  # the (k1, b) the stored weights were computed with
        self.avgdl = self.manifest["avg_sentence_terms"] or 1.0
        self.title_avg = self.manifest["avg_title_terms"] or 1.0
        self.doc_avg = self.manifest.get("avg_document_terms") or 1.0
        self.sources: list[str] = self.manifest["sources"]
        # Sources of news and opinion, whose sentences may show a tone badge (search/nlp/tone.py).
        self.tone_sources = frozenset(self.manifest.get("tone_sources", ()))
        self.coins: list[str] = self.manifest["coins"]
        self._coin_bit = {slug: i for i, slug in enumerate(self.coins)}
        self._source_id = {s: i for i, s in enumerate(self.sources)}
        for name in schema.ARRAYS:  # self.sent_doc, self.post_ptr, ...
            setattr(self, name, artifact.load_array(self.path, name))
        for name in schema.STRINGS:  # self.sentences, self.terms, ... (artifact.StringTable)
            setattr(self, name, artifact.load_strings(self.path, name))
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
        h = np.uint64(schema.term_hash(term))
        hashes = self._term_hash
        i = int(hashes.searchsorted(h))
        if i < len(hashes) and hashes[i] == h:
            start, end = int(self._term_offsets[i]), int(self._term_offsets[i + 1])
            if self._term_blob[start:end].tobytes() == term.encode("utf-8"):
                return i
        return -1

    def knows(self, word: str) -> bool:
        """True when every index term of `word` occurs in the index (stop words count as known)."""
        return all(self.term_id(term) >= 0 for term in analyze(word))

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
        return schema.date_of(int(self.doc_date[doc]))

    def sentence_coins(self, sid: int) -> list[str]:
        words = self._sent_coins[sid].tolist()  # Python ints: no numpy scalar per coin
        if not any(words):
            return []
        return [slug for slug, bit in self._coin_bit.items() if schema.has_coin(words, bit)]

    def coin_sentence_counts(self) -> dict[str, int]:
        """Sentences tagged with each coin (computed once per loaded version)."""
        if self._coin_counts is None:
            counts = {}
            for slug, bit in self._coin_bit.items():
                column = np.asarray(self.sent_coins[:, schema.coin_word(bit)])
                counts[slug] = int(np.count_nonzero(schema.coin_flags(column, bit)))
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

    # --- reading sentences and documents ----------------------------------------------------

    def also_in(self, sid: int) -> int:
        """In how many other documents a near-identical sentence appears (0: none)."""
        return int(self.sent_dup_docs[sid]) - 1

    def role_of(self, sid: int) -> str:
        return role_name(int(self.sent_role[sid]))

    def context(self, sid: int, before: int = 1, after: int = 1) -> tuple[list[int], list[int]]:
        """Ids of the neighbouring sentences of the same document."""
        doc = int(self.sent_doc[sid])
        first, last = int(self.doc_first_sent[doc]), int(self.doc_first_sent[doc + 1])
        return list(range(max(first, sid - before), sid)), list(range(sid + 1, min(last, sid + 1 + after)))

    def document_sentences(self, doc: int) -> range:
        return range(int(self.doc_first_sent[doc]), int(self.doc_first_sent[doc + 1]))


def role_name(role: int) -> str:
    return ROLE_NAMES[role] if role < len(ROLE_NAMES) else "prose"
