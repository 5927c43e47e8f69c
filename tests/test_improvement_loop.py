"""The self-improvement loop over the database: logs -> judgments -> tuning run -> rankers."""

import json
import random
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from evaluation.improvement import interleaving_evaluate, judgments_refresh, ranker_tune
from evaluation.models import Click, Feedback, Judgment, QueryLog, TuningRun
from search.indexing import reindex
from search.ingest import documents_store
from search.models import Document, Ranker
from search.parsing import ParsedDocument
from search.rankers import BASELINE, ranker_promote, ranker_save, ranker_set_challenger
from search.search_request import SearchRequest
from search.search_service import run_search
from search.serving_state import current, get_index, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(index_dir):
    documents_store([
        ParsedDocument(external_id=f"doc-{i}", title=f"Staking guide part {i}", source="guides",
                       text=f"Staking rewards are paid to validators. Part {i} explains slashing and staking risks.")
        for i in range(6)
    ])
    build = reindex()
    state.reset()
    yield build
    state.reset()


def _log(query, docs, *, session, client):
    return QueryLog.objects.create(
        created_at=timezone.now(), query=query, normalized=query, result_count=len(docs), results=docs,
        session_hash=session, client_hash=client, interface="web", page=1,
    )


def test_behaviour_in_the_database_becomes_judgments_and_boosts(site):
    ids = dict(Document.objects.values_list("external_id", "id"))
    page = [[i, ids[f"doc-{i}"]] for i in range(6)]
    for visitor in range(7):
        log = _log("staking risks", page, session=f"s{visitor}", client=f"c{visitor}")
        Click.objects.create(log=log, sentence_id=4, document_id=ids["doc-4"], rank=5)
        Feedback.objects.create(log=log, sentence_id=4, document_id=ids["doc-4"], rank=5, vote=1)
    pairs = judgments_refresh()
    assert any(p.document == "doc-4" and p.grade == 2 for p in pairs)
    assert Judgment.objects.get(document_slug="doc-4", origin="feedback").sessions == 7
    run = ranker_tune(index=get_index())
    assert run.decision == TuningRun.Decision.BOOSTS and run.promoted
    served = current().incumbent
    assert served.name == run.promoted and served.boosts == {"staking risks": {"doc-4": 2}}
    response = run_search(get_index(), SearchRequest(q="staking risks"))
    assert response.hits[0]["document"]["slug"] == "doc-4" and response.ranker_id == run.promoted


def test_tune_command_records_a_run_and_staff_judgments_override(site, capsys):
    Judgment.objects.create(query="staking risks", document_slug="doc-2", grade=3, origin="staff")
    call_command("tune")
    out = capsys.readouterr().out
    assert "Tuning run" in out and TuningRun.objects.count() == 1
    assert current().incumbent.boosts == {"staking risks": {"doc-2": 3}}


def test_rollback_through_the_admin(admin_client, site):
    ranker_save(BASELINE, origin="test")
    first = current().incumbent.name
    ranker_promote(BASELINE.name)
    assert current().incumbent.name == BASELINE.name
    Ranker.objects.get_or_create(name=first, defaults={"params": {}, "origin": "default"})
    pk = Ranker.objects.get(name=first).pk
    admin_client.post("/admin/search/ranker/", {"action": "promote", "_selected_action": [pk]})
    assert Ranker.objects.get(is_incumbent=True).name == first
    assert admin_client.get("/admin/evaluation/tuningrun/").status_code == 200


def test_interleaved_pages_are_marked_and_the_challenger_can_win(site, client):
    ranker_save(BASELINE.with_changes(name="challenger-x", title_weight=2.0), origin="test")
    ranker_set_challenger("challenger-x")
    serving = current()
    incumbent, challenger = serving.incumbent, serving.challenger
    assert challenger.name == "challenger-x"
    response = run_search(get_index(), SearchRequest(q="staking rewards"), ranker=incumbent, challenger=challenger,
                          interleave_share=1.0, rng=random.Random(1))
    assert response.ranker_id == f"interleaved:{incumbent.name}|challenger-x"
    assert set(response.interleaving["teams"].values()) <= {"a", "b"}
    assert [h["id"] for h in response.hits] == [int(k) for k in response.interleaving["teams"]]
    # Logged pages carry the teams; clicks on the challenger's picks make it win.
    for i in range(25):
        teams = response.interleaving["teams"]
        b_pick = next(int(k) for k, v in teams.items() if v == "b")
        log = QueryLog.objects.create(
            created_at=timezone.now(), query="staking rewards", normalized="staking rewards", interface="web",
            results=[[h["id"], h["document"]["id"]] for h in response.hits], interleaving=response.interleaving,
            ranker=response.ranker_id, session_hash=f"s{i}", public_id=uuid.uuid4(),
        )
        Click.objects.create(log=log, sentence_id=b_pick, document_id=1, rank=1)
    run = interleaving_evaluate()
    assert run.decision == TuningRun.Decision.PROMOTED and current().incumbent.name == "challenger-x"
    assert json.dumps(run.reason).count("25 wins") == 1


def test_api_logs_the_serving_ranker(site, client):
    body = client.get("/api/search", {"q": "staking"}).json()
    assert QueryLog.objects.get().ranker == body["ranker"] == current().incumbent.name
