"""A search request's parameters: validated once, from a query string or a plain dict.

`parse_request` turns the page's and the API's parameters into a `SearchRequest`, or raises
`InvalidQuery` with a message safe to show; `normalize_query` is the form queries are grouped and
judged by (the query log, judgments and feedback boosts all use it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .index.engine import Filters
from .nlp.coins import COIN_BY_SLUG

MAX_QUERY_CHARS = 500
MAX_PAGE = 100
SORTS = ("relevance", "date")


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


def normalize_query(text: str) -> str:
    """The form queries are grouped and judged by: lower case, single spaces."""
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]
