"""Pages, the JSON API and /health, end to end through Django with a real index."""

import re

import pytest

from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(
            external_id="pos", title="Proof of stake explained", source="guides", url="https://example.org/pos",
            text="Proof of stake lets validators lock ether instead of burning electricity. "
                 "Validators who cheat are slashed. Ethereum moved to proof-of-stake in 2022.",
        ),
        ParsedDocument(
            external_id="evil", title="<script>alert('title')</script>", source="guides", url="javascript:alert(1)",
            text="Staking <script>alert('xss')</script> rewards <img src=x onerror=alert(2)> are paid in ether.",
        ),
    ])
    return reindex()


def test_health_reports_the_loaded_index(client, site):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["index_version"] == site.version
    assert (body["documents"], body["sentences"]) == (2, 4)
    assert "timestamp" in body


def test_health_before_any_index_is_503(client, index_dir):
    response = client.get("/health")
    assert response.status_code == 503 and response.json()["index_loaded"] is False


def test_home_and_search_pages(client, site):
    assert b"Ask anything about crypto" in client.get("/").content
    page = client.get("/search/", {"q": "what is proof of stake"}).content.decode()
    assert "<mark>Proof</mark> of <mark>stake</mark> lets validators" in page
    assert re.search(r'<h3 class="hit-title"[^>]*><a class="doc-link result-link" href="/doc/\d+/\?hit=\d+', page)


def test_api_search_returns_hits_with_context_and_metadata(client, site):
    body = client.get("/api/search", {"q": "proof of stake validators"}).json()
    assert body["total"] >= 2 and body["index_version"] == site.version
    hit = body["hits"][0]
    assert set(hit) >= {"id", "text", "html", "context_before", "context_after", "score", "coins", "sentiment", "document"}
    assert hit["document"]["title"] == "Proof of stake explained"
    assert hit["document"]["url"] == "https://example.org/pos"
    assert hit["sentiment"]["label"] in {"positive", "negative", "neutral"}
    assert body["timings_ms"]["total"] > 0


def test_corpus_and_query_html_is_escaped_everywhere(client, site):
    body = client.get("/api/search", {"q": "staking rewards <script>"}).json()
    hit = body["hits"][0]
    assert "<script" not in hit["html"] and "&lt;<mark>script</mark>&gt;" in hit["html"]
    assert "<img" not in hit["html"]
    assert hit["document"]["url"] == ""  # javascript: links are never passed on
    page = client.get("/search/", {"q": "staking rewards <script>alert(3)</script>"}).content.decode()
    assert "<script>" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert "javascript:" not in page


def test_document_page_shows_every_sentence_and_marks_the_hit(client, site):
    hit = client.get("/api/search", {"q": "slashed"}).json()["hits"][0]
    page = client.get(f"/doc/{hit['document']['id']}/", {"hit": hit["id"]}).content.decode()
    assert f'id="s{hit["id"]}" class="doc-sentence hit-sentence"' in page
    assert "Ethereum moved to proof-of-stake in 2022." in page
    assert client.get("/doc/999999/").status_code == 404


@pytest.mark.parametrize("params, field", [
    ({"q": "x" * 501}, "q"),
    ({"q": "fees", "page": "0"}, "page"),
    ({"q": "fees", "page": "ten"}, "page"),
    ({"q": "fees", "from": "2024-13-45"}, "from"),
    ({"q": "fees", "from": "2024-02-01", "to": "2024-01-01"}, "from"),
    ({"q": "fees", "coin": "notacoin"}, "coin"),
    ({"q": "fees", "sort": "random"}, "sort"),
    ({"q": ""}, "q"),
])
def test_bad_parameters_get_a_clear_400(client, site, params, field):
    response = client.get("/api/search", params)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["error"]


def test_bad_parameters_on_the_page_get_a_400_page_not_a_traceback(client, site):
    response = client.get("/search/", {"q": "fees", "page": "-3"})
    assert response.status_code == 400 and b"page" in response.content


def test_filters_through_the_api(client, site):
    assert client.get("/api/search", {"q": "ether", "coin": "ethereum"}).json()["total"] == 3  # with the ethereum alias
    assert client.get("/api/search", {"q": "ether", "coin": "solana"}).json()["total"] == 0
    assert client.get("/api/search", {"q": "ether", "source": "guides"}).json()["total"] == 3
    assert client.get("/api/search", {"q": "ether", "from": "2020-01-01"}).json()["total"] == 0


def test_health_reports_build_cluster_tasks_and_memory(client, site, settings):
    from search.cluster_status import beat
    from search.health import cluster_heartbeat

    body = client.get("/health").json()
    assert body["last_build"]["status"] == "succeeded" and body["last_build"]["version"] == site.version
    assert body["cluster"] == {"alive": False, "heartbeat_age_seconds": None, "running": [], "workers": [],
                               "scheduled_task_age_seconds": None}
    assert body["worker"]["rss_bytes"] > 10_000_000 and body["artifact_bytes"] > 0
    assert body["pending_tasks"] == 0
    cluster_heartbeat()  # the every-minute task ran: the queue moves
    assert client.get("/health").json()["cluster"]["scheduled_task_age_seconds"] < 5
    beat()  # a worker process beats (every 5 s, busy or idle): alive
    cluster = client.get("/health").json()["cluster"]
    assert cluster["alive"] is True and cluster["heartbeat_age_seconds"] < 5
