"""The best-answer block at the top of a results page: the sentence that answers best, its
document, and the other documents on the page that support it, numbered [1], [2], ...

Shown only where an answer makes sense and the page holds a confident one:
- the question reads as one (a question word first, or a "?") or has at least three words; a bare
  keyword or identifier ("fees", "EIP-1559") gets the ranked list, and an identifier its
  best-match card;
- first page, best match first (a date-sorted page has no "best");
- a prose sentence of sensible length among the page's hits, within ANSWER_POOL ranks of the top
  and SCORE_SHARE of its score, that holds at least MIN_COVERAGE of the question's words.

Among those, a sentence that defines the subject of a "what is X" question ("X is ...") wins,
then the one holding more of the question's words, then the better ranked; a sentence that opens
with a pronoun ("It is based on ...") reads badly alone and comes last. When the query names a
document (the best-match card), the answer must come from that document; the block then stands
for the best-match card, which is not highlighted a second time. Without such an answer the
best-match card shows alone, so the page never opens with two competing highlights.

Pure functions over the hit dicts of search/query.py; search/result_page.py calls them.
"""

from __future__ import annotations

import html
import re

from .nlp.analyzer import analyze

QUESTION_WORDS = frozenset(
    "what how why when where who whom whose which is are was were can could does do did should "
    "will would explain define".split())
MIN_WORDS = 3  # a query of this many words is treated like a question
ANSWER_POOL = 10  # ranks considered
SCORE_SHARE = 0.5  # of the top hit's score
MIN_COVERAGE = 0.6  # share of the question's words the answer holds
MIN_ANSWER_WORDS, MAX_ANSWER_WORDS = 5, 80
MAX_SOURCES = 4  # the answer's document and up to three more
PRONOUN_OPENINGS = frozenset("it its this that these those they their he she such".split())

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_DEFINITION = re.compile(r"^(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\??$", re.I)
_COPULA = re.compile(r"\s(?:is|are|was|were|means|refers to)\s", re.I)


def is_question_like(q: str) -> bool:
    words = q.split()
    return bool(words) and (q.rstrip().endswith("?") or words[0].lower() in QUESTION_WORDS
                            or len(words) >= MIN_WORDS)


def _required(q: str, prefix: bool) -> tuple[set[str], str]:
    """The question's index terms, and the word still being typed (matched as a prefix)."""
    if prefix:
        finished, _, typing = q.rstrip().rpartition(" ")
        typing = typing.lower()
        return set(analyze(finished)), typing if re.fullmatch(r"[a-z0-9]+", typing) else ""
    return set(analyze(q)), ""


def coverage(hit: dict, required: set[str], typing: str = "") -> float:
    """Share of the question's words that this hit holds (its <mark>ed words, as index terms)."""
    marked = [html.unescape(m) for m in _MARK.findall(hit.get("html", ""))]
    terms = {t for word in marked for t in analyze(word)}
    held = len(required & terms) + bool(typing and any(part.startswith(typing) for w in marked
                                                      for part in re.split(r"[^a-z0-9]+", w.lower())))
    wanted = len(required) + bool(typing)
    return held / wanted if wanted else 0.0


def _defines(text: str, subject: set[str]) -> bool:
    """Whether the sentence opens with the subject and a copula: "Proof of stake is a way ..."."""
    copula = _COPULA.search(text)
    return bool(subject and copula and set(analyze(text[:copula.start()])) == subject)


def _readable(hit: dict) -> bool:
    words = hit.get("text", "").split()
    return hit.get("role", "prose") == "prose" and MIN_ANSWER_WORDS <= len(words) <= MAX_ANSWER_WORDS


def choose_best_answer(q: str, hits: list[dict], *, prefix: bool = False, page: int = 1,
                       sort: str = "relevance") -> dict | None:
    """{"hit": the answering hit, "named": whether its document is the one the query names,
    "sources": [{"number": 1, "hit": answer}, {"number": 2, "hit": ...}, ...]} or None."""
    if page != 1 or sort != "relevance" or not hits or not is_question_like(q):
        return None
    required, typing = _required(q, prefix)
    if not required and not typing:
        return None
    definition = _DEFINITION.match(" ".join(q.split()))
    subject = set(analyze(definition.group(1))) if definition else set()
    top = hits[0].get("score", 0.0)
    pool = [h for h in hits[:ANSWER_POOL] if h.get("score", 0.0) >= SCORE_SHARE * top]
    covered = {h["id"]: coverage(h, required, typing) for h in pool}

    def key(hit):
        first = (hit.get("text", "").split() or [""])[0].lower().strip(",.;:")
        return (_defines(hit.get("text", ""), subject), first not in PRONOUN_OPENINGS, covered[hit["id"]],
                -hit.get("rank", 0))

    eligible = [h for h in pool if _readable(h) and covered[h["id"]] >= MIN_COVERAGE]
    named_doc = hits[0]["document"]["id"] if hits[0].get("best_match") else None
    # A query that names a document is answered from that document or not at all (its card then shows).
    candidates = [h for h in eligible if named_doc is None or h["document"]["id"] == named_doc]
    if not candidates:
        return None
    answer = max(candidates, key=key)
    sources, seen = [answer], {answer["document"]["id"]}
    for hit in sorted(eligible, key=lambda h: h.get("rank", 0)):  # other documents, in rank order
        if len(sources) >= MAX_SOURCES:
            break
        if hit["document"]["id"] not in seen:
            seen.add(hit["document"]["id"])
            sources.append(hit)
    return {
        "hit": answer,
        "named": answer["document"]["id"] == named_doc,
        "sources": [{"number": n, "hit": hit} for n, hit in enumerate(sources, start=1)],
    }


def as_json(answer: dict | None) -> dict | None:
    """The API's form: the sentences and documents quoted, so a client needs nothing else."""
    if answer is None:
        return None

    def sentence(hit: dict) -> dict:
        doc = hit["document"]
        return {"id": hit["id"], "rank": hit.get("rank"), "text": hit.get("text", ""), "html": hit.get("html", ""),
                "document": {"id": doc["id"], "identifiers": doc.get("identifiers", []), "title": doc.get("title", "")}}

    return {
        **sentence(answer["hit"]),
        "named": answer["named"],
        "sources": [{"number": s["number"], **sentence(s["hit"])} for s in answer["sources"]],
    }
