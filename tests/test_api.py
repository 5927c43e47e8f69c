"""The JSON API: /api/search, /api/suggest, /api/stats and /api/openapi.json, errors included."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from evaluation.models import QueryLog
from search import api
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(external_id="pos", title="Proof of stake explained", source="guides",
                       text="Validators stake ether to secure Ethereum. Validators who cheat are slashed. "
                            "Validation rewards are paid in ether. EIP-1559 changed how validators earn fees."),
        ParsedDocument(external_id="btc", title="Bitcoin basics", source="books",
                       text="Bitcoin miners validate blocks. A Bitcoin wallet holds keys, not coins."),
    ])
    return reindex()


def test_search_keeps_its_fields_and_adds_a_page_insight(client, site):
    body = client.get("/api/search", {"q": "validators ether"}).json()
    assert set(body) == {"log_id", "query", "total", "all_words", "incomplete", "pages", "hits", "query_coins", "insight", "did_you_mean",
                         "corrected_query", "timings_ms", "cached", "index_version", "ranker", "groups", "best_answer"}
    assert body["query_coins"] == [{"slug": "ethereum", "name": "Ethereum"}]
    insight = body["insight"]
    assert insight["count"] == len(body["hits"])
    # Tone is tallied over the hits whose tone is shown (news and opinion prose): none here.
    toned = [h for h in body["hits"] if h["sentiment"]["shown"]]
    assert sum(insight["sentiment"][k] for k in ("positive", "neutral", "negative")) == len(toned) == 0
    # Coins and sources are tallied over the page's hits, most frequent first.
    mentioned = Counter(slug for h in body["hits"] for slug in h["coins"])
    assert "ethereum" in mentioned
    assert {c["slug"]: c["count"] for c in insight["coins"]} == dict(mentioned)
    assert [c["count"] for c in insight["coins"]] == sorted(mentioned.values(), reverse=True)
    sources = [h["document"]["source"] for h in body["hits"]]
    assert {s["name"]: s["count"] for s in insight["sources"]} == dict(Counter(sources))
    assert sum(s["count"] for s in insight["sources"]) == len(sources)
    assert insight["sentiment"]["average"] is None


def test_search_without_an_index_is_503_json(client, index_dir):
    response = client.get("/api/search", {"q": "fees"})
    assert response.status_code == 503 and "error" in response.json()


@pytest.mark.parametrize("params, field", [
    ({}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "fees", "to": "31/12/2024"}, "to"),
    ({"q": "fees", "page": "101"}, "page"),
    ({"q": "fees", "coin": "bitcoin,nope"}, "coin"),
])
def test_search_errors_are_json_400s_naming_the_field(client, site, params, field):
    response = client.get("/api/search", params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["field"] == field and response.json()["error"]


def test_search_sets_the_csrf_cookie_when_the_client_has_none(client, site):
    token = client.get("/api/search", {"q": "wallet"}).cookies["csrftoken"].value
    assert len(token) == 32 and token.isalnum() and token.isascii()
    assert "csrftoken" not in client.get("/api/search", {"q": "wallet"}).cookies  # kept, not re-issued
    secrets = {api._new_csrf_secret() for _ in range(200)}
    assert len(secrets) == 200 and all(len(s) == 32 and set(s) <= set(api.CSRF_ALPHABET) for s in secrets)
    assert set("".join(secrets)) == set(api.CSRF_ALPHABET)  # every character of the alphabet is drawn


def test_suggest_completes_the_last_word_with_words_of_the_corpus(client, site):
    body = client.get("/api/suggest", {"q": "how do valid"}).json()
    assert body["q"] == "how do valid"
    assert "how do validators" in body["suggestions"]
    assert all(s.startswith("how do valid") for s in body["suggestions"])
    assert "how do valid" not in body["suggestions"]  # the stem itself is not offered back
    assert len(body["suggestions"]) <= 8


def test_suggest_keeps_ids_and_acronyms_as_written(client, site):
    assert "EIP-1559" in client.get("/api/suggest", {"q": "eip-15"}).json()["suggestions"]


def test_suggest_offers_example_questions_first(client, site):
    suggestions = client.get("/api/suggest", {"q": "what is"}).json()["suggestions"]
    assert suggestions[:2] == ["what is proof of stake", "what is a Lightning Network payment channel"]


def test_suggest_offers_questions_several_visitors_asked(client, site):
    now = timezone.now()
    for i, session in enumerate(["a", "b", "c"]):
        QueryLog.objects.create(created_at=now - timedelta(minutes=i), query="wallet keys explained",
                                normalized="wallet keys explained", session_hash=session)
    QueryLog.objects.create(created_at=now, query="wallet secrets", normalized="wallet secrets", session_hash="a")
    suggestions = client.get("/api/suggest", {"q": "wallet k"}).json()["suggestions"]
    assert suggestions[0] == "wallet keys explained"
    assert "wallet secrets" not in client.get("/api/suggest", {"q": "wallet s"}).json()["suggestions"]


def test_suggest_after_a_space_offers_no_word_completion(client, site):
    assert client.get("/api/suggest", {"q": "bitcoin "}).json()["suggestions"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "z"}])
def test_suggest_with_nothing_to_complete_is_an_empty_list(client, site, params):
    response = client.get("/api/suggest", params)
    assert response.status_code == 200 and response.json()["suggestions"] == []


def test_suggest_rejects_long_input_with_a_json_400(client, site):
    response = client.get("/api/suggest", {"q": "a" * 101})
    assert response.status_code == 400 and response.json()["field"] == "q"
    assert client.get("/api/suggest", {"q": "a" * 100}).status_code == 200


def test_suggest_works_before_the_index_exists(client, index_dir):
    body = client.get("/api/suggest", {"q": "how does"}).json()
    assert body["suggestions"] == ["how does EIP-1559 burn fees?"]


def test_stats_describe_the_served_index(client, site):
    body = client.get("/api/stats").json()
    assert body["index_version"] == site.version
    assert (body["documents"], body["sentences"]) == (2, 6)
    assert body["terms"] > 10
    assert body["sources"] == [
        {"name": "books", "documents": 1, "sentences": 2},
        {"name": "guides", "documents": 1, "sentences": 4},
    ]
    coins = {c["slug"]: c["sentences"] for c in body["coins"]}
    assert coins["ethereum"] == 2 and coins["bitcoin"] == 2 and all(coins.values())
    assert body["built_at"] and body["activated_at"]


def test_stats_without_an_index_is_503_json(client, index_dir):
    response = client.get("/api/stats")
    assert response.status_code == 503 and response.json()["error"]


def test_openapi_document_is_served(client, site):
    body = client.get("/api/openapi.json").json()
    assert body["openapi"].startswith("3.")
    assert {"/api/search", "/api/suggest", "/api/stats", "/api/feedback", "/api/openapi.json"} <= set(body["paths"])


@pytest.mark.parametrize("url", ["/api/search", "/api/suggest", "/api/stats", "/api/openapi.json"])
def test_api_endpoints_are_read_only(client, site, url):
    assert client.post(url).status_code == 405


def test_explain_returns_each_hits_score_parts_and_the_page_offers_why(client, site):
    from search.rankers import DEFAULT, ranker_save, ranker_promote

    ranker_save(DEFAULT.with_changes(name="explained"), origin="test")
    ranker_promote("explained")
    body = client.get("/api/search", {"q": "validators stake", "explain": "1"}).json()
    assert body["hits"]
    for hit in body["hits"]:
        parts = hit["explain"]
        assert {"bm25", "title", "document", "authority", "boost_factor", "total", "role"} <= set(parts)
        assert parts["total"] == pytest.approx(hit["score"], abs=1e-3)
        # BM25 is the base of every score; a sentence without it is there only because a document
        # signal (meaning beyond shared words) put its document among the candidates.
        assert parts["bm25"] > 0 or parts.get("semantic", 0) > 0
    assert body["hits"][0]["explain"]["bm25"] > 0
    assert "explain" not in client.get("/api/search", {"q": "validators stake"}).json()["hits"][0]
    page = client.get("/search/", {"q": "validators stake"}).content.decode()
    assert "Why this result" in page and "explain=1" in page
    explained = client.get("/search/", {"q": "validators stake", "explain": "1"}).content.decode()
    assert '<dl class="why-parts"><div><dt>bm25</dt>' in explained
