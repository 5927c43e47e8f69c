"""How the index's sentences and documents are shown: hits, their document, highlighting, the best match.

One shape for the results page, the JSON API (whose hits are these dicts as JSON) and the document
page, read from the memory-mapped index (no SQL per hit).
"""

from __future__ import annotations

import html

from .crawl.addresses import is_http_url
from .index.engine import Index
from .nlp.analyzer import analyze_spans
from .nlp.sentiment import sentiment_label
from .nlp.tone import is_prose

BEST_MATCH_SENTENCES = 3


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


def document_info(index: Index, doc: int) -> dict:
    """A document as hits and the document page show it (a link only to an http(s) original)."""
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
    """A sentence's text, coins and tone: the part a hit and a document page's sentence share."""
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
        document=document_info(index, int(index.sent_doc[sid])),
    )
    return hit


def mark_best_match(index: Index, hits: list[dict]) -> None:
    """The first hit is the document the query names: show it as a card with its most relevant
    sentences (the first hit and the next ones of the same document, in rank order)."""
    first = hits[0]
    doc = int(index.sent_doc[first["id"]])
    same = [h for h in hits[1:] if int(index.sent_doc[h["id"]]) == doc][:BEST_MATCH_SENTENCES - 1]
    first["best_match"] = True
    first["best_match_sentences"] = [{"id": h["id"], "html": h["html"]} for h in same]
