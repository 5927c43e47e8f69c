"""The search service: a validated request in, ranked sentence hits with context out.

    SearchRequest ─► rank_request (search/query_ranking.py) ─► [team-draft interleaving with the
    challenger] ─► build_hit (search/presenters.py) ─► SearchResponse

Views and the API are thin callers of `run_search`; the query log is written by the caller through
the evaluation app's single logging function. Answers of the serving rankers are kept in the
result cache under the serving generation (search/serving_state.py).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field, replace

from .index.engine import Index
from .interleaving import team_draft
from .nlp.coins import detect_coins
from .presenters import build_hit, mark_best_match
from .query_ranking import add_explanations, rank_request
from .rankers import RankerConfig
from .result_cache import ResultCache
from .search_request import MAX_PAGE, SearchRequest
from .serving_state import current as serving_now

# Share of first result pages interleaved when a challenger ranker exists.
INTERLEAVE_SHARE = 0.1


@dataclass(eq=False)
class CachedAnswer:
    """The parts of an answer made once and shared by the response that made it and every copy the
    result cache serves: the hits as JSON text (a third of the memory of their dicts, and what the
    API sends), the ids the query log stores, and what the page and the API derive from them."""
    hits_json: str
    result_ids: list[list[int]]
    layout: dict | None = None  # document groups and the best answer (search/result_page.py), made on first use
    api_json: str = ""  # the rest of the API's body for this answer, encoded by search/api.py on first use


@dataclass
class SearchResponse:
    request: SearchRequest
    hit_dicts: list[dict] | None = None  # None on a copy served from the cache, until .hits is read
    total: int = 0
    query_coins: list[str] = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    index_version: str = ""
    ranker_id: str = ""
    page_size: int = 10
    did_you_mean: str = ""  # a corrected query to offer
    corrected_query: str = ""  # what was searched instead, when the query as typed found nothing
    all_words: int = 0  # sentences holding every word of the question (search/match_count.py)
    incomplete: bool = False  # only a word still being typed, and nothing to search for yet ("wh")
    interleaving: dict = field(default_factory=dict)  # {"a": ranker, "b": ranker, "teams": {id: "a"|"b"}}
    cached: bool = False  # reused from the result cache
    answer: CachedAnswer | None = field(default=None, repr=False, compare=False)  # see encoded()

    def encoded(self) -> CachedAnswer:
        """The answer's shared parts, made on first use (a cached copy always has them)."""
        if self.answer is None:
            self.answer = CachedAnswer(json.dumps(self.hits), self._result_ids())
        return self.answer

    @property
    def hits(self) -> list[dict]:
        if self.hit_dicts is None:  # a copy served from the cache decodes its hits when they are read
            self.hit_dicts = json.loads(self.answer.hits_json)
        return self.hit_dicts

    @property
    def result_ids(self) -> list[list[int]]:
        """[sentence id, document id] of each hit in rank order, as the query log stores them."""
        return self.answer.result_ids if self.answer is not None else self._result_ids()

    def _result_ids(self) -> list[list[int]]:
        return [[hit["id"], hit["document"]["id"]] for hit in self.hits]

    @property
    def best_match(self) -> dict | None:
        """The document the query names by identifier, when it is the first hit (the page shows
        it as a card)."""
        hits = self.hits
        return hits[0] if hits and hits[0].get("best_match") else None

    def cache_copy(self) -> SearchResponse:
        """What the result cache keeps: the encoded answer without the hit dicts; copies served
        from it decode the hits only if something reads .hits (the page does)."""
        self.encoded()
        return replace(self, hit_dicts=None)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, -(-self.total // self.page_size)) if self.total else 0

    @property
    def has_next(self) -> bool:
        return self.request.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.request.page > 1


_cache: ResultCache | None = None
_rng = random.Random()


def result_cache() -> ResultCache:
    global _cache
    if _cache is None:
        from django.conf import settings

        _cache = ResultCache(getattr(settings, "SEARCH_CACHE_ENTRIES", 1000))
    return _cache


def run_search(index: Index, request: SearchRequest, *, ranker: RankerConfig | None = None,
               challenger: RankerConfig | None = None, interleave_share: float = INTERLEAVE_SHARE,
               page_size: int = 10, rng: random.Random | None = None) -> SearchResponse:
    """Answer one request. Without an explicit ranker, the incumbent serves (and, on a share of
    first pages, is interleaved with the challenger); its answers are cached."""
    started = time.perf_counter()
    serving = serving_now() if ranker is None else None
    if serving is not None:
        ranker, challenger = serving.incumbent, serving.challenger
    rng = rng or _rng
    interleave = (challenger is not None and request.page == 1 and request.sort == "relevance"
                  and rng.random() < interleave_share)
    # An answer is reused only when it was complete (with spelling on, once the dictionary is
    # loaded) and made with what serves now (not by a request that began before a new index).
    cacheable = (serving is not None and serving.index is index and not interleave
                 and (not ranker.spelling or index.spelling.ready()))
    key = (request, page_size)
    cached = result_cache().get(serving.generation, key) if cacheable else None
    if cached is not None:
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return replace(cached, cached=True, timings_ms={"rank": 0.0, "hits": 0.0, "total": elapsed})
    response = _answer(index, request, ranker, challenger if interleave else None, page_size, rng, started)
    if cacheable:
        result_cache().put(serving.generation, key, response.cache_copy())
    return response


def _answer(index: Index, request: SearchRequest, ranker: RankerConfig, challenger: RankerConfig | None,
            page_size: int, rng: random.Random, started: float) -> SearchResponse:
    offset = (request.page - 1) * page_size
    ranked_request = rank_request(index, request, ranker, offset=offset, limit=page_size, page_size=page_size)
    ranking, searched_terms = ranked_request.ranking, ranked_request.searched_terms
    corrected_terms = ranked_request.corrected_terms
    ranker_id, interleaving = ranker.name, {}
    if challenger is not None and ranking.total:
        other = rank_request(index, request, challenger, limit=page_size, page_size=page_size).ranking
        scores = dict(zip(other.sentence_ids, other.scores)) | dict(zip(ranking.sentence_ids, ranking.scores))
        merged, teams = team_draft(ranking.sentence_ids, other.sentence_ids, length=page_size, rng=rng)
        ranking.sentence_ids, ranking.scores = merged, [scores[sid] for sid in merged]
        ranker_id = f"interleaved:{ranker.name}|{challenger.name}"
        interleaving = {"a": ranker.name, "b": challenger.name, "teams": {str(k): v for k, v in teams.items()}}
    ranked = time.perf_counter()
    term_set = set(searched_terms) | (set(corrected_terms) if ranker.spelling else set())
    hits = [
        build_hit(index, sid, score, term_set, offset + 1 + i)
        for i, (sid, score) in enumerate(zip(ranking.sentence_ids, ranking.scores))
    ]
    named = ranked_request.named
    if (hits and request.page == 1 and request.sort == "relevance" and named.docs and ranker.identifier_weight
            and int(index.sent_doc[hits[0]["id"]]) in named.docs):
        mark_best_match(index, hits)
    if request.explain and hits:
        add_explanations(index, request, ranker, ranked_request, hits)
    done = time.perf_counter()
    return SearchResponse(
        request=request, hit_dicts=hits, total=ranking.total,
        query_coins=detect_coins(request.q, query=True), index_version=index.version, ranker_id=ranker_id,
        page_size=page_size, did_you_mean=ranked_request.did_you_mean,
        corrected_query=ranked_request.corrected_query, interleaving=interleaving,
        all_words=ranked_request.all_words, incomplete=ranked_request.incomplete,
        timings_ms={
            "rank": round((ranked - started) * 1000, 3),
            "hits": round((done - ranked) * 1000, 3),
            "total": round((done - started) * 1000, 3),
        },
    )
