"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

tests/test_openapi.py validates real responses of every endpoint (successes and errors) against
it, so a field added to or removed from a response must be described here too.
"""

from __future__ import annotations

import copy

from .search_request import MAX_PAGE, MAX_QUERY_CHARS, SORTS

NULLABLE_STRING = {"type": ["string", "null"]}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "description": "What is wrong, in words fit to show a person."},
        "field": {"type": "string", "description": "The request parameter at fault, when there is one."},
    },
}
_SENTIMENT = {
    "type": "object",
    "required": ["score", "label", "shown"],
    "properties": {
        "score": {"type": "number", "minimum": -1, "maximum": 1, "description": "VADER compound score."},
        "label": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "shown": {"type": "boolean", "description": "Whether the tone means something here (a prose sentence of a "
                                                     "news or opinion source); the site shows a badge only then."},
    },
}
_COIN = {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
}
_CONTEXT_SENTENCE = {
    "type": "object",
    "required": ["id", "text"],
    "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
}
_HIT = {
    "type": "object",
    "description": "One ranked sentence with its neighbours and document. More fields may be added.",
    "required": ["id", "rank", "score", "text", "html", "coins", "sentiment", "context_before", "context_after",
                 "document"],
    "properties": {
        "id": {"type": "integer", "description": "Sentence id (within this index version)."},
        "rank": {"type": "integer", "minimum": 1},
        "score": {"type": "number"},
        "text": {"type": "string"},
        "html": {"type": "string", "description": "The sentence HTML-escaped, query terms wrapped in <mark>."},
        "coins": {"type": "array", "items": {"type": "string"}, "description": "Slugs of the coins mentioned."},
        "sentiment": {"$ref": "#/components/schemas/Sentiment"},
        "context_before": {"type": "array", "items": {"$ref": "#/components/schemas/ContextSentence"}},
        "context_after": {"type": "array", "items": {"$ref": "#/components/schemas/ContextSentence"}},
        "role": {"type": "string", "enum": ["prose", "heading", "list", "reference", "table", "code"],
                 "description": "What the sentence is in its document."},
        "also_in": {"type": "integer", "minimum": 0,
                    "description": "Other documents with a near-identical sentence (shown once)."},
        "best_match": {"type": "boolean",
                       "description": "Present and true on the first hit when the query names this document's "
                                      "identifier (EIP-1559, BIP32, …)."},
        "best_match_sentences": {
            "type": "array", "description": "With best_match: the document's next most relevant sentences.",
            "items": {"type": "object", "required": ["id", "html"],
                      "properties": {"id": {"type": "integer"}, "html": {"type": "string"}}},
        },
        "explain": {
            "type": "object", "description": "With explain=1: the parts of the score (docs/quality.md). "
                                             "score = (sum of the numeric parts except boost_factor) x boost_factor.",
            "required": ["bm25", "total", "role", "boost_factor"],
            "properties": {
                "bm25": {"type": "number", "description": "The sentence's own BM25 (times role_weight for headings "
                                                          "and reference lines)."},
                "section": {"type": "number"}, "title": {"type": "number"}, "document": {"type": "number"},
                "authority": {"type": "number"}, "identifier": {"type": "number"},
                "boost_factor": {"type": "number"}, "total": {"type": "number"},
                "role": {"type": "string"},
                "identifiers_named": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": {"type": ["number", "string", "array"]},
        },
        "document": {
            "type": "object",
            "required": ["id", "slug", "identifiers", "title", "url", "source", "date"],
            "properties": {
                "id": {"type": "integer"},
                "slug": {"type": "string"},
                "identifiers": {"type": "array", "items": {"type": "string"},
                                "description": "The document's specification identifiers, e.g. [\"EIP-1559\"]."},
                "title": {"type": "string"},
                "url": {"type": "string", "description": "http(s) link to the original, or empty."},
                "source": {"type": "string"},
                "date": {**NULLABLE_STRING, "format": "date"},
            },
        },
    },
}
_INSIGHT = {
    "type": "object",
    "description": "A summary of the hits of this page.",
    "required": ["count", "coins", "sentiment", "sources"],
    "additionalProperties": False,
    "properties": {
        "count": {"type": "integer", "minimum": 0},
        "coins": {
            "type": "array",
            "items": {
                "type": "object", "required": ["slug", "name", "count"], "additionalProperties": False,
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "count": {"type": "integer"}},
            },
        },
        "sentiment": {
            "type": "object",
            "required": ["positive", "neutral", "negative", "average"],
            "additionalProperties": False,
            "properties": {
                "positive": {"type": "integer"}, "neutral": {"type": "integer"}, "negative": {"type": "integer"},
                "average": {"type": ["number", "null"]},
            },
        },
        "sources": {
            "type": "array",
            "items": {
                "type": "object", "required": ["name", "count"], "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
            },
        },
    },
}
_GROUP = {
    "type": "object",
    "description": "One document of the page, as the site shows it (search/grouping.py): its best hits, the rest "
                   "of its hits on this page folded. Every hit of the page is in exactly one group.",
    "required": ["document", "hits", "folded", "before", "after", "best_match"],
    "additionalProperties": False,
    "properties": {
        "document": {"type": "integer", "description": "The document's id (hits[].document.id)."},
        "hits": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "integer"},
                 "description": "Sentence ids shown, the lead (best ranked) first."},
        "folded": {"type": "array", "items": {"type": "integer"},
                   "description": "Sentence ids of this document on this page that are not shown."},
        "before": {"type": "string", "description": "The lead's previous sentence, shortened; empty when none."},
        "after": {"type": "string", "description": "The lead's next sentence, shortened; empty when none."},
        "best_match": {"type": "boolean", "description": "Shown as the best match for the identifier the question "
                                                         "names (false when the best answer speaks for it)."},
    },
}
_ANSWER_DOCUMENT = {
    "type": "object",
    "required": ["id", "identifiers", "title"],
    "additionalProperties": False,
    "properties": {"id": {"type": "integer"}, "identifiers": {"type": "array", "items": {"type": "string"}},
                   "title": {"type": "string"}},
}
_ANSWER_SENTENCE = {
    "id": {"type": "integer", "description": "Sentence id (a hit of this page)."},
    "rank": {"type": "integer", "minimum": 1},
    "text": {"type": "string"},
    "html": {"type": "string", "description": "HTML-escaped, query terms wrapped in <mark>."},
    "document": _ANSWER_DOCUMENT,
}
_BEST_ANSWER = {
    "type": ["object", "null"],
    "description": "The sentence of this page that answers the question best, with its sources numbered from 1 "
                   "(1 is the answer's own document); null when the question is no question, the page is not "
                   "the first by relevance, or no sentence answers with confidence (search/best_answer.py).",
    "required": ["id", "rank", "text", "html", "document", "named", "sources"],
    "additionalProperties": False,
    "properties": {
        **_ANSWER_SENTENCE,
        "named": {"type": "boolean", "description": "The answer comes from the document the question names by "
                                                    "identifier (shown in place of its best-match card)."},
        "sources": {
            "type": "array", "minItems": 1, "maxItems": 4,
            "items": {"type": "object", "required": ["number", "id", "rank", "text", "html", "document"],
                      "additionalProperties": False,
                      "properties": {"number": {"type": "integer", "minimum": 1}, **_ANSWER_SENTENCE}},
        },
    },
}
_SEARCH = {
    "type": "object",
    "required": ["log_id", "query", "total", "all_words", "incomplete", "pages", "hits", "query_coins", "insight",
                 "did_you_mean", "corrected_query", "timings_ms", "cached", "index_version", "ranker", "groups",
                 "best_answer"],
    "additionalProperties": False,
    "properties": {
        "log_id": {"type": "string", "description": "Id of this search's log: send it with clicks and votes. "
                                                    "Empty in the rare case the search could not be logged."},
        "query": {
            "type": "object",
            "required": ["q", "coin", "source", "from", "to", "sort", "page"],
            "additionalProperties": False,
            "properties": {
                "q": {"type": "string"},
                "coin": {"type": "array", "items": {"type": "string"}},
                "source": {"type": "array", "items": {"type": "string"}},
                "from": {**NULLABLE_STRING, "format": "date"},
                "to": {**NULLABLE_STRING, "format": "date"},
                "sort": {"type": "string", "enum": list(SORTS)},
                "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
        },
        "total": {"type": "integer", "minimum": 0, "description": "Ranked sentences: those holding any word of "
                                                                "the question (what the pages count through)."},
        "all_words": {"type": "integer", "minimum": 0, "description": "Sentences holding every word of the "
                                                                    "question, under the same filters."},
        "incomplete": {"type": "boolean", "description": "With prefix=1: nothing to search yet (only the start "
                                                         "of a word such as \"wh\"); no hits, and not a failure."},
        "pages": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE},
        "hits": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Hit"}},
        "query_coins": {"type": "array", "items": {"$ref": "#/components/schemas/Coin"},
                        "description": "Coins the question names: candidates for a coin filter."},
        "insight": {"$ref": "#/components/schemas/Insight"},
        "did_you_mean": {"type": "string", "description": "A corrected question to offer, or empty."},
        "corrected_query": {"type": "string", "description": "What was searched instead because the question "
                                                             "as typed found nothing, or empty."},
        "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}},
        "cached": {"type": "boolean", "description": "The answer was reused from this server's cache of "
                                                     "recent answers for the same index and ranker."},
        "index_version": {"type": "string"},
        "ranker": {"type": "string"},
        "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"},
                   "description": "The hits arranged by document, in the order of each document's best hit."},
        "best_answer": {"$ref": "#/components/schemas/BestAnswer"},
    },
}
_SUGGEST = {
    "type": "object",
    "required": ["q", "suggestions"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string", "description": "The prefix, whitespace collapsed."},
        "suggestions": {"type": "array", "maxItems": 8, "items": {"type": "string"}},
    },
}
_STATS = {
    "type": "object",
    "required": ["index_version", "built_at", "activated_at", "documents", "sentences", "terms", "sources", "coins"],
    "additionalProperties": False,
    "properties": {
        "index_version": {"type": "string"},
        "built_at": {**NULLABLE_STRING, "format": "date-time"},
        "activated_at": {**NULLABLE_STRING, "format": "date-time"},
        "documents": {"type": "integer"},
        "sentences": {"type": "integer"},
        "terms": {"type": "integer", "description": "Distinct index terms (stems)."},
        "sources": {
            "type": "array",
            "items": {
                "type": "object", "required": ["name", "documents", "sentences"], "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "documents": {"type": "integer"},
                               "sentences": {"type": "integer"}},
            },
        },
        "coins": {
            "type": "array",
            "description": "Coins with at least one indexed sentence, most sentences first.",
            "items": {
                "type": "object", "required": ["slug", "name", "sentences"], "additionalProperties": False,
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "sentences": {"type": "integer"}},
            },
        },
    },
}
_FEEDBACK_REQUEST = {
    "type": "object",
    "required": ["log_id", "hit_id", "action"],
    "properties": {
        "log_id": {"type": "string", "description": "`log_id` of the search that showed the hit."},
        "hit_id": {"type": "integer", "description": "`id` of the hit (sentence)."},
        "action": {"type": "string", "enum": ["click", "vote"]},
        "vote": {"type": "integer", "enum": [1, -1], "description": "With action 'vote': 1 helpful, -1 not."},
        "comment": {"type": "string", "maxLength": 1000},
    },
}
_FEEDBACK_RESPONSE = {
    "type": "object",
    "required": ["ok", "stored"],
    "additionalProperties": False,
    "properties": {"ok": {"const": True}, "stored": {"type": "string", "enum": ["created", "updated", "unchanged"]}},
}
def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


_BAD_REQUEST = _json("Error", "A parameter is unusable; `field` names it.")
_UNAVAILABLE = _json("Error", "No index is loaded yet (first start): try again shortly.")


def _query(name: str, schema: dict, description: str, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


def _list_parameter(name: str, description: str) -> dict:
    return _query(name, {"type": "array", "items": {"type": "string"}}, description, style="form", explode=True)


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "CryptoSights API",
        "version": "1.0.0",
        "description": "Search cryptocurrency text sentence by sentence (BM25), with context, coins and sentiment. "
                       "Errors are JSON objects {error, field}.",
    },
    "paths": {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Ranked sentences for a question",
                "description": "Every search is logged anonymously; the response sets the `csrftoken` cookie "
                               "that POST /api/feedback needs in its X-CSRFToken header.",
                "parameters": [
                    {**_query("q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                              "The question."), "required": True},
                    _list_parameter("coin", "Only sentences mentioning any of these coins (slugs; repeat or "
                                            "comma-separate)."),
                    _list_parameter("source", "Only documents from any of these sources."),
                    _query("from", {"type": "string", "format": "date"}, "Documents published on or after (YYYY-MM-DD)."),
                    _query("to", {"type": "string", "format": "date"}, "Documents published on or before (YYYY-MM-DD)."),
                    _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Order of hits."),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                           "Page of 10 hits."),
                    _query("prefix", {"type": "string", "enum": ["0", "1"], "default": "0"},
                           "1 while the last word is still being typed: it is completed from the corpus "
                           "(the completions that fit the words before it) and never spell-corrected."),
                    _query("explain", {"type": "string", "enum": ["0", "1", "true", "false"], "default": "0"},
                           "1: each hit carries `explain`, the parts of its score."),
                ],
                "responses": {
                    "200": _json("SearchResponse", "One page of hits."),
                    "400": _BAD_REQUEST,
                    "503": _UNAVAILABLE,
                },
            }
        },
        "/api/suggest": {
            "get": {
                "operationId": "suggest",
                "summary": "Completions of a partly typed question",
                "description": "Whole suggestions for what has been typed: known questions (examples, and past "
                               "questions asked by several visitors) that contain it, document titles and "
                               "specification identifiers (EIP-1559, BIP-32) that fit it, then `q` with its last "
                               "word completed by the corpus words that fit the words before it; ranked by "
                               "popularity and fit.",
                "parameters": [_query("q", {"type": "string", "maxLength": 100},
                                      "What has been typed so far; missing or empty gives no suggestions.")],
                "responses": {"200": _json("Suggestions", "Up to 8 suggestions."), "400": _BAD_REQUEST},
            }
        },
        "/api/stats": {
            "get": {
                "operationId": "stats",
                "summary": "What is indexed",
                "responses": {"200": _json("Stats", "Sizes of the served index version."), "503": _UNAVAILABLE},
            }
        },
        "/api/feedback": {
            "post": {
                "operationId": "feedback",
                "summary": "Record a click on a hit or a vote on it",
                "description": "Needs the `csrftoken` cookie (set by /api/search and the search page) echoed in "
                               "the X-CSRFToken header. Idempotent: a repeated click or vote is stored once; "
                               "a changed vote replaces the earlier one.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}},
                },
                "responses": {
                    "200": _json("FeedbackResponse", "Stored."),
                    "400": _json("Error", "Unknown log, a hit that was not shown, or a malformed body."),
                    "403": {"description": "Missing or wrong CSRF token."},
                    "413": _json("Error", "The body is larger than 4 KiB."),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        },
    },
    "components": {
        "schemas": {
            "Error": _ERROR,
            "Sentiment": _SENTIMENT,
            "Coin": _COIN,
            "ContextSentence": _CONTEXT_SENTENCE,
            "Hit": _HIT,
            "Group": _GROUP,
            "BestAnswer": _BEST_ANSWER,
            "Insight": _INSIGHT,
            "SearchResponse": _SEARCH,
            "Suggestions": _SUGGEST,
            "Stats": _STATS,
            "FeedbackRequest": _FEEDBACK_REQUEST,
            "FeedbackResponse": _FEEDBACK_RESPONSE,
        }
    },
}


def openapi_document() -> dict:
    return copy.deepcopy(DOCUMENT)
