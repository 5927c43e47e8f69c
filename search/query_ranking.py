"""Ranking a search request: what the engine is asked, and what it answered.

    SearchRequest ─► identifiers named, analysis, spelling, completions of a word being typed,
    expansions, feedback boosts, document signals ─► Index.rank ─► RankedRequest

A query that finds nothing as typed is re-run corrected. The site's search service
(search/search_service.py) and offline evaluation (through search/services.py) rank alike here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .completion import partial_expansions, split_partial
from .doc_signals import extra_documents, signals_for
from .index.engine import Index, Ranking
from .index.fusion import Evidence
from .match_count import sentences_with_every_word, word_groups
from .nlp.analyzer import analyze
from .query_identifiers import NamedSpecs, named_specs
from .rankers import RankerConfig, expansion_terms
from .search_request import SearchRequest, normalize_query


def doc_boosts(index: Index, ranker: RankerConfig, query: str) -> dict[int, float]:
    judged = ranker.boosts.get(normalize_query(query)) if ranker.feedback_boost else None
    if not judged:
        return {}
    boosts = {}
    for slug, grade in judged.items():
        doc = index.doc_of_slug(slug)
        if doc is not None and grade > 0:
            boosts[doc] = ranker.feedback_boost * min(int(grade), 3)
    return boosts


def _ranking_inputs(index: Index, request: SearchRequest, ranker: RankerConfig, terms: list[str],
                    corrected_terms: list[str], named: NamedSpecs, typing: dict[str, float] | None = None) -> dict:
    """What the engine needs besides the terms: expansions, feedback boosts, document evidence."""
    expansions = expansion_terms(ranker, terms)
    if ranker.spelling:
        expansions.update({term: 1.0 for term in corrected_terms if term not in terms})
    if typing:  # completions of the word being typed
        expansions.update({term: weight for term, weight in typing.items() if term not in terms})
    signals = signals_for(index, request.q, ranker)
    evidence = Evidence(identified_docs=named.docs, extra_docs=extra_documents(signals), signals=signals)
    return {"expansions": expansions, "doc_boost": doc_boosts(index, ranker, request.q), "evidence": evidence}


def _rank_once(index: Index, request: SearchRequest, ranker: RankerConfig, terms: list[str],
               corrected_terms: list[str], named: NamedSpecs, *, offset: int, limit: int, page_size: int,
               typing: dict[str, float] | None = None):
    inputs = _ranking_inputs(index, request, ranker, terms, corrected_terms, named, typing)
    return index.rank(
        terms, params=ranker.rank_params, filters=request.filters, offset=offset, limit=limit,
        page_size=page_size, sort=request.sort, **inputs,
    )


@dataclass
class RankedRequest:
    ranking: object  # engine Ranking
    searched_terms: list[str]
    corrected_terms: list[str]
    did_you_mean: str = ""
    corrected_query: str = ""
    all_words: int = 0
    incomplete: bool = False
    named: NamedSpecs = field(default_factory=NamedSpecs)
    typing: dict[str, float] = field(default_factory=dict)  # completions of a word still being typed


def rank_request(index: Index, request: SearchRequest, ranker: RankerConfig, *, offset: int = 0, limit: int = 10,
                 page_size: int = 10, wait_for_spelling: bool = False) -> RankedRequest:
    """The ranking a visitor gets: analysis, spelling, expansions, boosts, and a corrected re-run
    when the query as typed finds nothing. Offline evaluation uses this too (and waits for the
    spelling dictionary, which a live search never does)."""
    if request.prefix:
        return _rank_partial(index, request, ranker, offset=offset, limit=limit, page_size=page_size,
                             wait_for_spelling=wait_for_spelling)
    named = named_specs(index, request.q, ranker.rank_params, ranker.identifier_min_share)
    terms = list(named.terms)
    did_you_mean = (index.correct(request.q, wait=wait_for_spelling) or "") if request.q else ""
    corrected_terms = analyze(did_you_mean) if did_you_mean else []
    ranking = _rank_once(index, request, ranker, terms, corrected_terms, named, offset=offset, limit=limit,
                         page_size=page_size)
    if ranking.total == 0 and did_you_mean:
        # Nothing found as typed: search the correction instead, and say so.
        named = named_specs(index, did_you_mean, ranker.rank_params, ranker.identifier_min_share)
        ranking = _rank_once(index, request, ranker, corrected_terms, [], named, offset=offset, limit=limit,
                             page_size=page_size)
        return RankedRequest(ranking, corrected_terms, corrected_terms, did_you_mean, corrected_query=did_you_mean,
                             all_words=_all_words(index, request, ranker, word_groups(did_you_mean)), named=named)
    return RankedRequest(ranking, terms, corrected_terms, did_you_mean,
                         all_words=_all_words(index, request, ranker, word_groups(request.q)), named=named)


def _all_words(index: Index, request: SearchRequest, ranker: RankerConfig, groups: list[set[str]]) -> int:
    return sentences_with_every_word(index, groups, request.filters, ranker.rank_params.min_terms)


def _rank_partial(index: Index, request: SearchRequest, ranker: RankerConfig, *, offset: int, limit: int,
                  page_size: int, wait_for_spelling: bool) -> RankedRequest:
    """A question whose last word is still being typed: that word is a prefix (search/completion.py)."""
    head, last = split_partial(request.q)
    named = named_specs(index, head, ranker.rank_params, ranker.identifier_min_share)
    terms = list(named.terms)
    typing = partial_expansions(index, head, last)
    if not terms and not typing:
        return RankedRequest(Ranking(), [], [], incomplete=True)
    # Only the finished words are ever corrected.
    corrected_head = (index.correct(head, wait=wait_for_spelling) or "") if head else ""
    did_you_mean = f"{corrected_head} {last}" if corrected_head else ""
    corrected_terms = analyze(corrected_head) if corrected_head else []
    ranking = _rank_once(index, request, ranker, terms, corrected_terms, named, offset=offset, limit=limit,
                         page_size=page_size, typing=typing)
    searched = [*terms, *typing]
    groups = word_groups(head) + ([set(typing)] if typing else [])
    if ranking.total == 0 and corrected_head:
        named = named_specs(index, corrected_head, ranker.rank_params, ranker.identifier_min_share)
        ranking = _rank_once(index, request, ranker, corrected_terms, [], named, offset=offset, limit=limit,
                             page_size=page_size, typing=typing)
        groups = word_groups(corrected_head) + ([set(typing)] if typing else [])
        return RankedRequest(ranking, [*corrected_terms, *typing], corrected_terms, did_you_mean,
                             corrected_query=did_you_mean, all_words=_all_words(index, request, ranker, groups),
                             named=named, typing=typing)
    return RankedRequest(ranking, searched, corrected_terms, did_you_mean,
                         all_words=_all_words(index, request, ranker, groups), named=named, typing=typing)


def add_explanations(index: Index, request: SearchRequest, ranker: RankerConfig, ranked: RankedRequest,
                     hits: list[dict]) -> None:
    """Each hit's score parts (search/index/fusion.py), recomputed for this page's sentences."""
    inputs = _ranking_inputs(index, request, ranker, ranked.searched_terms, ranked.corrected_terms, ranked.named,
                             ranked.typing)
    parts = index.explain(ranked.searched_terms, [h["id"] for h in hits], ranker.rank_params, **inputs)
    for hit in hits:
        hit["explain"] = parts.get(hit["id"], {})
        if "identifier" in hit["explain"]:
            hit["explain"]["identifiers_named"] = list(ranked.named.labels)
