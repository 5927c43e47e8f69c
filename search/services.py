"""The search app's public seam: everything another app (evaluation) calls in `search`.

The evaluation app ranks judged queries as the site would, reads which rankers serve, stores and
promotes rankers, and maps document ids to their stable slugs; it reaches all of that here, never
through search's models or internals, so those can change behind this module. (Besides this
seam, `evaluation` listens to `search.signals` and uses `search.safe_json`.)

Offline evaluation and the benchmarks import this module without a configured Django: what needs
the database is imported when called.
"""

from __future__ import annotations

from .index.engine import Index
from .query_ranking import RankedRequest, rank_request
from .rankers import BASELINE, DEFAULT, RankerConfig, ranker_promote, ranker_save, ranker_set_challenger
from .search_request import MAX_QUERY_CHARS, SearchRequest, normalize_query

__all__ = [
    "BASELINE", "DEFAULT", "MAX_QUERY_CHARS", "Index", "RankedRequest", "RankerConfig", "SearchRequest",
    "document_slugs", "normalize_query", "rank_request", "ranker_exists", "ranker_promote", "ranker_save",
    "ranker_set_challenger", "serving_index", "serving_rankers",
]


def serving_index() -> Index | None:
    """The index version this process serves (None before the first build)."""
    from .serving_state import get_index

    return get_index()


def serving_rankers() -> tuple[RankerConfig, RankerConfig | None]:
    """(incumbent, challenger) as this process serves them."""
    from .serving_state import current

    serving = current()
    return serving.incumbent, serving.challenger


def ranker_exists(name: str) -> bool:
    from .models import Ranker

    return Ranker.objects.filter(name=name).exists()


def document_slugs() -> dict[int, str]:
    """Stored document id -> its stable external id (the slug judgments and the index use)."""
    from .models import Document

    return dict(Document.objects.values_list("id", "external_id"))
