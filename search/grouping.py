"""A results page's hits grouped by document, as documentation search shows them.

A page is still the engine's page of ranked sentences (ranks, clicks, votes, the query log and
interleaving all count sentences); this only arranges that page. Each document becomes one card,
in the order of its best hit: the lead hit (shown with a little of its context), up to
PER_DOCUMENT - 1 more of its sentences from this page, and the rest of them folded into a
"more in this document" link. The page's template and site.js both render these groups (the API
sends them as sentence ids), so the two cannot drift apart.
"""

from __future__ import annotations

PER_DOCUMENT = 3
# The lead hit's neighbours are cut to a few words on the side nearest to it, so the card stays
# short and the matched sentence itself is never what gets cut.
BEFORE_CHARS = 80
AFTER_CHARS = 100


def tail(text: str, limit: int = BEFORE_CHARS) -> str:
    """The end of `text`, at most `limit` characters, cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    space = cut.find(" ")
    return "…" + (cut[space + 1:] if 0 <= space < limit - 1 else cut)


def head(text: str, limit: int = AFTER_CHARS) -> str:
    """The start of `text`, at most `limit` characters, cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(",;:") + "…"


def group_hits(hits: list[dict], *, per_document: int = PER_DOCUMENT, best_match: bool = True) -> list[dict]:
    """The page's hits as document groups:

        {"document": id, "hits": [sentence ids shown, best first], "folded": [ids not shown],
         "before": context before the lead, "after": context after it, "best_match": bool}

    `best_match` False drops the best-match styling of the first group (the best-answer block
    speaks for the named document instead).
    """
    groups: list[dict] = []
    by_document: dict[int, dict] = {}
    for hit in hits:
        doc_id = hit["document"]["id"]
        group = by_document.get(doc_id)
        if group is None:
            group = by_document[doc_id] = {"document": doc_id, "hits": [], "folded": [], "lead": hit,
                                           "best_match": bool(best_match and hit.get("best_match"))}
            groups.append(group)
        (group["hits"] if len(group["hits"]) < per_document else group["folded"]).append(hit["id"])
    for group in groups:
        # A neighbour that is itself one of the card's sentences is shown there, not twice.
        lead, shown = group.pop("lead"), set(group["hits"])
        before = (lead.get("context_before") or [])[-1:]  # the nearest neighbour on each side
        after = (lead.get("context_after") or [])[:1]
        group["before"] = tail(before[0]["text"]) if before and before[0]["id"] not in shown else ""
        group["after"] = head(after[0]["text"]) if after and after[0]["id"] not in shown else ""
    return groups


def cards(groups: list[dict], hits: list[dict]) -> list[dict]:
    """Groups with their hits resolved, for the page's template: `lead` (a hit dict) and `others`."""
    by_id = {hit["id"]: hit for hit in hits}
    return [{**group, "lead": by_id[group["hits"][0]], "others": [by_id[i] for i in group["hits"][1:]]}
            for group in groups]
