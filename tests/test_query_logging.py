"""Every search is logged; feedback is stored once; a failing log never fails a search."""

import json
import uuid

import pytest
from django.test import Client

from evaluation import query_log
from evaluation.models import Click, Feedback, QueryLog
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                       text="Validators stake ether. Slashing punishes validators who cheat. Rewards pay honest validators."),
        ParsedDocument(external_id="pow", title="Proof of work", source="guides",
                       text="Miners burn electricity. Validators do not exist in proof of work."),
    ])
    return reindex()


def _search(client, q="validators", **params):
    return client.get("/api/search", {"q": q, **params}).json()


def test_api_and_page_searches_are_logged_with_what_was_served(client, site):
    body = _search(client, "Validators  STAKE", coin="ethereum")
    client.get("/search/", {"q": "miners"})
    api, web = QueryLog.objects.get(interface="api"), QueryLog.objects.get(interface="web")
    assert str(api.public_id) == body["log_id"]
    assert api.query == "Validators STAKE" and api.normalized == "validators stake"
    assert api.index_version == site.version and api.ranker == body["ranker"]
    assert api.filters == {"coin": ["ethereum"], "sort": "relevance"}
    assert api.results == [[h["id"], h["document"]["id"]] for h in body["hits"]]
    assert api.result_count == body["total"] and api.latency_ms > 0 and set(api.timings) >= {"rank", "hits", "total"}
    assert len(api.session_hash) == 32 and len(api.client_hash) == 32
    assert web.query == "miners" and not web.zero_results


def test_no_raw_ip_is_stored(client, site):
    _search(Client(REMOTE_ADDR="203.0.113.77"))
    row = QueryLog.objects.values().get()
    assert not any("203.0.113.77" in str(value) for value in row.values())


def test_zero_result_searches_are_logged_as_such(client, site):
    _search(client, "quantum teleportation")
    assert QueryLog.objects.get().zero_results


def test_a_failing_logger_does_not_break_search_and_the_log_is_retried(client, site, monkeypatch):
    original_insert = query_log._insert
    calls = {"n": 0}

    def locked_once(rows):
        calls["n"] += 1
        if calls["n"] == 1:
            from django.db import OperationalError

            raise OperationalError("database is locked")
        return original_insert(rows)

    monkeypatch.setattr(query_log, "_insert", locked_once)
    response = client.get("/api/search", {"q": "validators"})
    assert response.status_code == 200 and response.json()["hits"]
    assert QueryLog.objects.count() == 0 and query_log.pending() == 1
    assert query_log.flush()
    assert QueryLog.objects.get().public_id.hex == response.json()["log_id"].replace("-", "")


def test_a_bug_in_log_preparation_does_not_break_search(client, site, monkeypatch):
    monkeypatch.setattr(query_log, "normalize_query", lambda text: 1 / 0)
    response = client.get("/api/search", {"q": "validators"})
    assert response.status_code == 200 and response.json()["log_id"] == ""


def _feedback(client, **data):
    return client.post("/api/feedback", json.dumps(data), content_type="application/json")


def test_clicks_and_votes_are_stored_once_with_rank_from_the_log(client, site):
    body = _search(client)
    hit = body["hits"][1]
    for _ in range(3):
        assert _feedback(client, log_id=body["log_id"], hit_id=hit["id"], action="click").status_code == 200
    assert Click.objects.get().rank == 2 and Click.objects.get().document_id == hit["document"]["id"]
    assert _feedback(client, log_id=body["log_id"], hit_id=hit["id"], action="vote", vote=1).json()["stored"] == "created"
    assert _feedback(client, log_id=body["log_id"], hit_id=hit["id"], action="vote", vote=1).json()["stored"] == "unchanged"
    assert _feedback(client, log_id=body["log_id"], hit_id=hit["id"], action="vote", vote=-1).json()["stored"] == "updated"
    assert Feedback.objects.get().vote == -1 and Feedback.objects.count() == 1


@pytest.mark.parametrize("payload, message", [
    ({"log_id": "not-a-uuid", "hit_id": 1, "action": "click"}, "unknown query log"),
    ({"log_id": "00000000-0000-0000-0000-000000000000", "hit_id": 1, "action": "click"}, "unknown query log"),
    ({"hit_id": "x", "action": "click"}, "whole numbers"),
    ({"action": "vote", "vote": 5}, "vote"),
])
def test_bad_feedback_gets_a_clear_400(client, site, payload, message):
    body = _search(client)
    payload = {"log_id": body["log_id"], "hit_id": body["hits"][0]["id"], **payload}
    response = _feedback(client, **payload)
    assert response.status_code == 400 and message in response.json()["error"]


def test_feedback_for_a_hit_that_was_not_shown_is_refused(client, site):
    body = _search(client)
    response = _feedback(client, log_id=body["log_id"], hit_id=999999, action="vote", vote=1)
    assert response.status_code == 400 and "not shown" in response.json()["error"]


def test_malformed_json_and_huge_bodies(client, site):
    assert client.post("/api/feedback", "{oops", content_type="application/json").status_code == 400
    assert client.post("/api/feedback", "[1]", content_type="application/json").status_code == 400
    big = json.dumps({"comment": "x" * 10000})
    assert client.post("/api/feedback", big, content_type="application/json").status_code == 413


def test_feedback_needs_a_csrf_token(site):
    client = Client(enforce_csrf_checks=True)
    body = client.get("/api/search", {"q": "validators"}).json()
    payload = json.dumps({"log_id": body["log_id"], "hit_id": body["hits"][0]["id"], "action": "click"})
    assert client.post("/api/feedback", payload, content_type="application/json").status_code == 403
    token = client.cookies["csrftoken"].value  # set by /api/search
    response = client.post("/api/feedback", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    client.get("/search/", {"q": "validators"})  # the page keeps the same cookie
    assert client.cookies["csrftoken"].value == token
    assert client.post("/api/feedback", payload, content_type="application/json",
                       HTTP_X_CSRFTOKEN="x" * 32).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_writer_batches_rows_and_feedback_waits_for_a_queued_row(client, site, settings, monkeypatch):
    settings.QUERY_LOG_BATCH_MS = 3000  # a long window: every search below is still queued
    inserts = []
    original_insert = query_log._insert
    monkeypatch.setattr(query_log, "_insert", lambda rows: (inserts.append(len(rows)), original_insert(rows)))
    bodies = [_search(client, q) for q in ("validators", "miners", "slashing", "rewards") * 5]
    assert QueryLog.objects.count() == 0 and query_log.pending() == 20
    # A vote at once for the last search: it waits for the queue to be written, then is stored.
    last = bodies[-1]
    response = _feedback(client, log_id=last["log_id"], hit_id=last["hits"][0]["id"], action="vote", vote=1)
    assert response.status_code == 200 and response.json()["stored"] == "created"
    assert inserts == [20] and query_log.pending() == 0
    assert set(QueryLog.objects.values_list("public_id", flat=True)) == {uuid.UUID(b["log_id"]) for b in bodies}
    assert Feedback.objects.get().log.public_id == uuid.UUID(last["log_id"])


def test_a_row_the_database_refuses_does_not_sink_the_others(client, site, monkeypatch):
    original_insert = query_log._insert

    def refuse_miners(rows):
        if any(row["query"] == "miners" for row in rows):
            raise ValueError("a bug in one row")
        return original_insert(rows)

    monkeypatch.setattr(query_log, "_insert", refuse_miners)
    monkeypatch.setattr(query_log, "_write_pending_here", lambda: None)  # queue all three
    ids = [_search(client, q)["log_id"] for q in ("validators", "miners", "slashing")]
    failed = query_log.stats["failed"]
    monkeypatch.undo()
    monkeypatch.setattr(query_log, "_insert", refuse_miners)
    assert query_log.flush() and query_log.pending() == 0
    assert set(QueryLog.objects.values_list("query", flat=True)) == {"validators", "slashing"}
    assert query_log.stats["failed"] == failed + 1 and ids[1] not in {str(p) for p in QueryLog.objects.values_list("public_id", flat=True)}
