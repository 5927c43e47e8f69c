"""How a page of hits is laid out for reading: document groups (search/grouping.py) and the
best-answer block (search/best_answer.py). Made once per answer and kept with it (answers served
from the result cache share it), in the JSON form the API sends; the results page renders the
same values, and site.js renders them from the API as you type.
"""

from __future__ import annotations

from .best_answer import as_json, choose_best_answer
from .grouping import group_hits


def layout(response) -> dict:
    """{"groups": [...], "best_answer": {...} | None} for a SearchResponse (search/search_service.py)."""
    encoded = response.encoded()
    if encoded.layout is None:
        encoded.layout = _layout(response)
    return encoded.layout


def _layout(response) -> dict:
    request, hits = response.request, response.hits
    answer = choose_best_answer(response.corrected_query or request.q, hits, prefix=request.prefix,
                                page=request.page, sort=request.sort)
    # One highlight at the top: an answer from the named document stands for its best-match card.
    groups = group_hits(hits, best_match=not (answer and answer["named"]))
    # Only ids and short quotes are kept: a cached answer keeps its hits as JSON text, not dicts.
    return {"groups": groups, "best_answer": as_json(answer)}
