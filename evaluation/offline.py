"""Offline evaluation: run a ranker over judged queries (see qrels.py) and score its document rankings."""

from __future__ import annotations

from search.services import MAX_QUERY_CHARS, Index, RankerConfig, SearchRequest, rank_request

from .metrics import OfflineResult, offline_metrics, reciprocal_rank

SENTENCES_PER_QUERY = 300  # enough sentences to find ten distinct documents


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
    return {query: reciprocal_rank(document_ranking(index, query, ranker), judged) for query, judged in qrels.items()}
