"""The search service: a validated request in, ranked sentence hits with context out.

    SearchRequest ─► analyzer ─► Index.rank(params, filters) ─► hits (context, highlight,
    coins, sentiment, document) — all read from the memory-mapped artifact, no SQL per hit.

Views and the API are thin callers; the query log is written by the caller through the
evaluation app's single logging function.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import escape

from .index.engine import Filters, Index, RankParams
from .nlp.analyzer import analyze, analyze_spans
from .nlp.coins import COIN_BY_SLUG, detect_coins
from .nlp.sentiment import sentiment_label

MAX_QUERY_CHARS = 500
MAX_PAGE = 100
SORTS = ("relevance", "date")
# The shipped ranker until tuning promotes another: BM25 plus the document title's match.
DEFAULT_RANKER_ID = "bm25-title-1.0"
DEFAULT_PARAMS = RankParams(k1=1.5, b=0.75, title_weight=1.0)


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
    return SearchRequest(q=q, coins=coins, sources=sources, date_from=date_from, date_to=date_to, sort=sort, page=page)


def highlight(text: str, query_terms: set[str]) -> str:
    """HTML-escaped text with the tokens that match a query term wrapped in <mark>."""
    if not query_terms:
        return escape(text)
    out, last = [], 0
    for start, end, terms in analyze_spans(text):
        if query_terms.intersection(terms):
            out.append(escape(text[last:start]))
            out.append(f"<mark>{escape(text[start:end])}</mark>")
            last = end
    out.append(escape(text[last:]))
    return "".join(out)


@dataclass
class SearchResponse:
    request: SearchRequest
    hits: list[dict] = field(default_factory=list)
    total: int = 0
    query_terms: list[str] = field(default_factory=list)
    query_coins: list[str] = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    index_version: str = ""
    ranker_id: str = DEFAULT_RANKER_ID
    page_size: int = 10

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
        "title": index.doc_title[doc],
        "url": url if re.match(r"^https?://", url) else "",
        "source": index.sources[int(index.doc_source[doc])],
        "date": published.isoformat() if published else None,
    }


def sentence_info(index: Index, sid: int) -> dict:
    score = float(index.sent_sentiment[sid])
    return {
        "id": sid,
        "text": index.sentences[sid],
        "coins": index.sentence_coins(sid),
        "sentiment": {"score": round(score, 3), "label": sentiment_label(score)},
    }


def build_hit(index: Index, sid: int, score: float, query_terms: set[str], rank: int) -> dict:
    before, after = index.context(sid)
    hit = sentence_info(index, sid)
    hit.update(
        rank=rank,
        score=round(score, 4),
        html=highlight(hit["text"], query_terms),
        context_before=[{"id": i, "text": index.sentences[i]} for i in before],
        context_after=[{"id": i, "text": index.sentences[i]} for i in after],
        document=_document_info(index, int(index.sent_doc[sid])),
    )
    return hit


def run_search(index: Index, request: SearchRequest, *, params: RankParams = DEFAULT_PARAMS,
               ranker_id: str = DEFAULT_RANKER_ID, page_size: int = 10) -> SearchResponse:
    started = time.perf_counter()
    terms = analyze(request.q)
    analyzed = time.perf_counter()
    ranking = index.rank(
        terms, params=params, filters=request.filters, offset=(request.page - 1) * page_size,
        limit=page_size, page_size=page_size, sort=request.sort,
    )
    ranked = time.perf_counter()
    term_set = set(terms)
    first_rank = (request.page - 1) * page_size + 1
    hits = [
        build_hit(index, sid, score, term_set, first_rank + i)
        for i, (sid, score) in enumerate(zip(ranking.sentence_ids, ranking.scores))
    ]
    done = time.perf_counter()
    return SearchResponse(
        request=request, hits=hits, total=ranking.total, query_terms=terms,
        query_coins=detect_coins(request.q, query=True), index_version=index.version, ranker_id=ranker_id,
        page_size=page_size,
        timings_ms={
            "analyze": round((analyzed - started) * 1000, 3),
            "rank": round((ranked - analyzed) * 1000, 3),
            "hits": round((done - ranked) * 1000, 3),
            "total": round((done - started) * 1000, 3),
        },
    )
