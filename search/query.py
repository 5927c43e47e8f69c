"""The search service: a validated request in, ranked sentence hits with context out.

    SearchRequest ─► analyzer ─► Index.rank(params, filters) ─► hits (context, highlight,
    coins, sentiment, document) — all read from the memory-mapped artifact, no SQL per hit.

Views and the API are thin callers; the query log is written by the caller through the
evaluation app's single logging function.
"""

from __future__ import annotations

import html
import json
import random
import time
from dataclasses import dataclass, field, replace
from datetime import date


from .completion import partial_expansions, split_partial
from .crawl.addresses import is_http_url
from .doc_signals import extra_documents, signals_for
from .index.engine import Filters, Index, Ranking
from .index.fusion import Evidence
from .match_count import sentences_with_every_word, word_groups
from .interleaving import team_draft
from .nlp.analyzer import analyze, analyze_spans
from .nlp.coins import COIN_BY_SLUG, detect_coins
from .nlp.sentiment import sentiment_label
from .nlp.tone import is_prose
from .query_identifiers import NamedSpecs, named_specs
from .rankers import RankerConfig, expansion_terms
from .rankers import holder as ranker_holder
from .result_cache import ResultCache

MAX_QUERY_CHARS = 500
MAX_PAGE = 100
SORTS = ("relevance", "date")
# Share of first result pages interleaved when a challenger ranker exists.
INTERLEAVE_SHARE = 0.1


class InvalidQuery(ValueError):
    """A request parameter is unusable; the message is safe to show to the visitor."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    coins: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    prefix: bool = False  # the last word is still being typed (search as you type): complete it, never correct it
    explain: bool = False  # each hit's score parts (API: explain=1)

    @property
    def filters(self) -> Filters:
        return Filters(coins=self.coins, sources=self.sources, date_from=self.date_from, date_to=self.date_to)

    def as_dict(self) -> dict:
        return {
            "q": self.q, "coin": list(self.coins), "source": list(self.sources),
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "sort": self.sort, "page": self.page,
        }


def _date_param(value: str, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidQuery(name, f"'{name}' must be a date written YYYY-MM-DD") from None


def _values(params, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return [str(v) for v in params.getlist(name)]
    value = params.get(name)
    return [] if value is None else [str(v) for v in (value if isinstance(value, list) else [value])]


def _first(params, name: str) -> str:
    values = _values(params, name)
    return values[0].strip() if values else ""


def _list(params, name: str) -> list[str]:
    """Repeated parameters and comma-separated values both work: coin=a&coin=b or coin=a,b."""
    return [part.strip() for value in _values(params, name) for part in value.split(",") if part.strip()]


def parse_request(params) -> SearchRequest:
    """Validate query parameters (a QueryDict or a plain dict)."""
    q = " ".join(_first(params, "q").split())
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidQuery("q", f"The question is too long: at most {MAX_QUERY_CHARS} characters, please.")
    coins = tuple(dict.fromkeys(_list(params, "coin")))
    unknown = [c for c in coins if c not in COIN_BY_SLUG]
    if unknown:
        raise InvalidQuery("coin", f"Unknown coin: {', '.join(unknown)[:100]}")
    sources = tuple(dict.fromkeys(s[:100] for s in _list(params, "source")))
    sort = _first(params, "sort") or "relevance"
    if sort not in SORTS:
        raise InvalidQuery("sort", "'sort' must be 'relevance' or 'date'")
    page_raw = _first(params, "page") or "1"
    try:
        page = int(page_raw)
    except ValueError:
        raise InvalidQuery("page", "'page' must be a whole number") from None
    if not 1 <= page <= MAX_PAGE:
        raise InvalidQuery("page", f"'page' must be between 1 and {MAX_PAGE}")
    date_from, date_to = _date_param(_first(params, "from"), "from"), _date_param(_first(params, "to"), "to")
    if date_from and date_to and date_from > date_to:
        raise InvalidQuery("from", "'from' must not be after 'to'")
    prefix = _first(params, "prefix").lower() in ("1", "true")
    explain_raw = _first(params, "explain").lower()
    if explain_raw not in ("", "0", "1", "true", "false"):
        raise InvalidQuery("explain", "'explain' must be 1 or 0")
    return SearchRequest(q=q, coins=coins, sources=sources, date_from=date_from, date_to=date_to, sort=sort, page=page,
                         prefix=prefix, explain=explain_raw in ("1", "true"))


def highlight(text: str, query_terms: set[str]) -> str:
    """HTML-escaped text with the tokens that match a query term wrapped in <mark>."""
    if not query_terms:
        return html.escape(text)
    out, last = [], 0
    for start, end, terms in analyze_spans(text):
        if not query_terms.isdisjoint(terms):
            out.append(html.escape(text[last:start]))
            out.append(f"<mark>{html.escape(text[start:end])}</mark>")
            last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


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
    # Values derived from the hits, made once per answer; copies served from the cache share it.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def memoized(self, name: str, compute):
        value = self.memo.get(name)
        if value is None:
            value = self.memo[name] = compute()
        return value

    @property
    def hits(self) -> list[dict]:
        if self.hit_dicts is None:  # a cached answer keeps its hits as JSON text (memo["hits_json"])
            self.hit_dicts = json.loads(self.memo["hits_json"])
        return self.hit_dicts

    def hits_json(self) -> str:
        """The hits as JSON text, encoded once per answer (what the API sends and the cache keeps)."""
        return self.memoized("hits_json", lambda: json.dumps(self.hits))

    @property
    def result_ids(self) -> list[list[int]]:
        """[sentence id, document id] of each hit in rank order, as the query log stores them."""
        return self.memoized("result_ids", self._result_ids)

    @property
    def best_match(self) -> dict | None:
        """The document the query names by identifier, when it is the first hit (the page shows
        it as a card)."""
        hits = self.hits
        return hits[0] if hits and hits[0].get("best_match") else None

    def _result_ids(self) -> list[list[int]]:
        return [[hit["id"], hit["document"]["id"]] for hit in self.hits]

    def cache_copy(self) -> SearchResponse:
        """What the result cache keeps: the hits as JSON text (a third of the memory of their
        dicts, and what the API sends) and the ids the log needs, in the shared memo; copies
        served from it decode the hits only if something reads .hits (the page does)."""
        self.hits_json()
        self.memoized("result_ids", self._result_ids)
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


def _document_info(index: Index, doc: int) -> dict:
    published = index.doc_date_of(doc)
    url = index.doc_url[doc]
    return {
        "id": int(index.doc_key[doc]),
        "slug": index.doc_slug[doc],
        "identifiers": index.identifiers_of(doc),
        "title": index.doc_title[doc],
        "url": url if is_http_url(url) else "",
        "source": index.sources[int(index.doc_source[doc])],
        "date": published.isoformat() if published else None,
    }


def sentence_info(index: Index, sid: int) -> dict:
    score = float(index.sent_sentiment[sid])
    text = index.sentences[sid]
    toned = index.sources[int(index.doc_source[int(index.sent_doc[sid])])] in index.tone_sources
    return {
        "id": sid,
        "text": text,
        "coins": index.sentence_coins(sid),
        "sentiment": {"score": round(score, 3), "label": sentiment_label(score), "shown": toned and is_prose(text)},
    }


def build_hit(index: Index, sid: int, score: float, query_terms: set[str], rank: int) -> dict:
    before, after = index.context(sid)
    hit = sentence_info(index, sid)
    hit.update(
        rank=rank,
        score=round(score, 4),
        role=index.role_of(sid),
        also_in=index.also_in(sid),
        html=highlight(hit["text"], query_terms),
        context_before=[{"id": i, "text": index.sentences[i]} for i in before],
        context_after=[{"id": i, "text": index.sentences[i]} for i in after],
        document=_document_info(index, int(index.sent_doc[sid])),
    )
    return hit


def normalize_query(text: str) -> str:
    """The form queries are grouped and judged by: lower case, single spaces."""
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]


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


BEST_MATCH_SENTENCES = 3


def mark_best_match(index: Index, hits: list[dict], term_set: set[str]) -> None:
    """The first hit is the document the query names: show it as a card with its most relevant
    sentences (the first hit and the next ones of the same document, in rank order)."""
    first = hits[0]
    doc = int(index.sent_doc[first["id"]])
    same = [h for h in hits[1:] if int(index.sent_doc[h["id"]]) == doc][:BEST_MATCH_SENTENCES - 1]
    first["best_match"] = True
    first["best_match_sentences"] = [{"id": h["id"], "html": h["html"]} for h in same]


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
    serving = ranker is None
    if serving:
        ranker, challenger = ranker_holder.current()
    rng = rng or _rng
    interleave = (challenger is not None and request.page == 1 and request.sort == "relevance"
                  and rng.random() < interleave_share)
    # An answer is reused only when it was complete: with spelling on, once the dictionary is loaded.
    cacheable = serving and not interleave and (not ranker.spelling or index.spelling.ready())
    owner, key = (index, ranker), (request, page_size)
    cached = result_cache().get(owner, key) if cacheable else None
    if cached is not None:
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return replace(cached, cached=True, timings_ms={"rank": 0.0, "hits": 0.0, "total": elapsed})
    response = _answer(index, request, ranker, challenger if interleave else None, page_size, rng, started)
    if cacheable:
        result_cache().put(owner, key, response.cache_copy())
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
        mark_best_match(index, hits, term_set)
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
