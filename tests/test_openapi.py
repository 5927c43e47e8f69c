"""/api/openapi.json stays true: real responses of every endpoint, successes and errors, validate."""

import json

import pytest
from django.core.cache import cache
from django.urls import get_resolver
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from search.indexing import reindex
from search.ingest import documents_store
from search.openapi import openapi_document
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def spec():
    return OpenAPI.from_dict(openapi_document())  # also checks the document against the OpenAPI schema


@pytest.fixture
def site(index_dir):
    cache.clear()
    documents_store([
        ParsedDocument(external_id="pos", title="Proof of stake", source="guides", url="https://example.org/pos",
                       text="Validators stake ether. Slashing punishes validators who cheat. Rewards are great."),
        ParsedDocument(external_id="pow", title="Proof of work", source="guides",
                       text="Bitcoin miners burn electricity. Miners do not exist in proof of stake."),
    ])
    return reindex()


def check(spec, response, *, request_too: bool = False):
    """Validate a Django test response (and, for valid requests, the request) against the document."""
    request = DjangoOpenAPIRequest(response.wsgi_request)
    if request_too:
        spec.validate_request(request)
    spec.validate_response(request, DjangoOpenAPIResponse(response))
    return response


def test_every_api_route_is_documented_and_every_documented_path_exists(spec):
    routes = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                routes.add("/" + prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    api_routes = {r for r in routes if r.startswith("/api/")}
    documented = set(openapi_document()["paths"])
    assert api_routes <= documented
    assert documented <= routes


@pytest.mark.parametrize("params", [
    {"q": "validators stake"},
    {"q": "validators", "coin": "ethereum", "sort": "date", "page": "1"},
    {"q": "miners", "source": "guides", "from": "2000-01-01", "to": "2030-01-01"},
    {"q": "nothing matches this"},
    {"q": "validators stake", "explain": "1"},
])
def test_search_200(client, site, spec, params):
    assert check(spec, client.get("/api/search", params), request_too=True).status_code == 200


def test_search_200_with_groups_and_a_best_answer(client, site, spec):
    response = check(spec, client.get("/api/search", {"q": "why are validators who cheat slashed"}), request_too=True)
    body = response.json()
    assert body["best_answer"] and body["best_answer"]["sources"][0]["number"] == 1
    assert [i for group in body["groups"] for i in group["hits"] + group["folded"]] != []


@pytest.mark.parametrize("params", [{}, {"q": "x" * 501}, {"q": "a", "page": "0"}, {"q": "a", "coin": "nope"},
                                    {"q": "a", "from": "2024-02-30"}, {"q": "a", "sort": "best"},
                                    {"q": "a", "explain": "maybe"}])
def test_search_400(client, site, spec, params):
    assert check(spec, client.get("/api/search", params)).status_code == 400


def test_search_and_stats_503(client, index_dir, spec):
    assert check(spec, client.get("/api/search", {"q": "x"})).status_code == 503
    assert check(spec, client.get("/api/stats")).status_code == 503


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "valid"}, {"q": "what is"}, {"q": "bitcoin "}])
def test_suggest_200(client, site, spec, params):
    # (openapi-core refuses empty query values in requests, so an empty q is checked on the response only)
    assert check(spec, client.get("/api/suggest", params), request_too=bool(params.get("q"))).status_code == 200


def test_suggest_400(client, site, spec):
    assert check(spec, client.get("/api/suggest", {"q": "b" * 101})).status_code == 400


def test_stats_and_the_document_itself_200(client, site, spec):
    assert check(spec, client.get("/api/stats"), request_too=True).status_code == 200
    assert check(spec, client.get("/api/openapi.json"), request_too=True).status_code == 200


def _post(client, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/feedback", data, content_type="application/json")


def test_feedback_200_400_and_413(client, site, spec):
    search = client.get("/api/search", {"q": "validators"}).json()
    hit = search["hits"][0]["id"]
    ok = {"log_id": search["log_id"], "hit_id": hit, "action": "vote", "vote": 1}
    assert check(spec, _post(client, ok), request_too=True).json()["stored"] == "created"
    assert check(spec, _post(client, {**ok, "action": "click"}), request_too=True).status_code == 200
    for bad in [{**ok, "log_id": "nope"}, {**ok, "hit_id": "x"}, {**ok, "vote": 3}, {**ok, "hit_id": 999999}, "{oops"]:
        assert check(spec, _post(client, bad)).status_code == 400
    assert check(spec, _post(client, {**ok, "comment": "x" * 5000})).status_code == 413
