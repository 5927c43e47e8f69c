"""Offline evaluation: run a ranker over judged queries and score its document rankings."""

from __future__ import annotations

import csv
from pathlib import Path

from search.index.engine import Index
from search.query import MAX_QUERY_CHARS, SearchRequest, rank_request
from search.rankers import RankerConfig

from .metrics import OfflineResult, offline_metrics

SENTENCES_PER_QUERY = 300  # enough sentences to find ten distinct documents


class QrelsError(ValueError):
    pass


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """`query<TAB>doc_id[<TAB>grade]` with a header line; grade defaults to 1."""
    qrels: dict[str, dict[str, int]] = {}
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if not header or [h.strip().lower() for h in header[:2]] != ["query", "doc_id"]:
                raise QrelsError(f"{path}: the first line must be the header 'query<TAB>doc_id'")
            for number, row in enumerate(reader, start=2):
                if not row or not row[0].strip():
                    continue
                if len(row) < 2:
                    raise QrelsError(f"{path}:{number}: expected query<TAB>doc_id")
                grade = int(row[2]) if len(row) > 2 and row[2].strip().isdigit() else 1
                qrels.setdefault(row[0].strip(), {})[row[1].strip()] = grade
    except (OSError, UnicodeDecodeError) as exc:
        raise QrelsError(f"cannot read {path}: {exc}") from exc
    return qrels


def document_ranking(index: Index, query: str, ranker: RankerConfig, k: int = 10) -> list[str]:
    """Document ids in the order their best sentence ranks, as the site would rank them."""
    request = SearchRequest(q=" ".join(query.split())[:MAX_QUERY_CHARS])
    ranking = rank_request(index, request, ranker, limit=SENTENCES_PER_QUERY, page_size=SENTENCES_PER_QUERY,
                           wait_for_spelling=True).ranking
    docs: list[str] = []
    seen = set()
    for sid in ranking.sentence_ids:
        doc = int(index.sent_doc[sid])
        if doc not in seen:
            seen.add(doc)
            docs.append(index.doc_slug[doc])
            if len(docs) == k:
                break
    return docs


def evaluate(index: Index, qrels: dict[str, dict[str, int]], ranker: RankerConfig) -> OfflineResult:
    return offline_metrics(qrels, lambda q: document_ranking(index, q, ranker))


def per_query_mrr(index: Index, ranker: RankerConfig, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """MRR@10 of each judged query (relevant = grade >= 1): the tuner's scorer."""
    scores = {}
    for query, judged in qrels.items():
        relevant = {doc for doc, grade in judged.items() if grade >= 1}
        ranked = document_ranking(index, query, ranker)
        first = next((i for i, doc in enumerate(ranked) if doc in relevant), None)
        scores[query] = 1 / (first + 1) if first is not None else 0.0
    return scores
