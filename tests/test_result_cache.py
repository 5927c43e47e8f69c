"""Repeated questions are answered from the per-process cache, still logged, and never stale."""

import random

import pytest

from evaluation.models import QueryLog
from search import search_service
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument
from search.rankers import DEFAULT, ranker_promote, ranker_save, ranker_set_challenger
from search.result_cache import ResultCache
from search.search_request import SearchRequest
from search.search_service import run_search
from search.serving_state import get_index, state

pytestmark = pytest.mark.django_db


def _store(*texts):
    documents_store([ParsedDocument(external_id=f"doc{i}", title=f"Doc {i}", source="guides", text=text)
                     for i, text in enumerate(texts)])


@pytest.fixture
def site(index_dir, monkeypatch):
    monkeypatch.setattr(search_service, "_cache", ResultCache(100))
    state.reset()
    _store("Validators stake ether to secure the chain. Validators who cheat are slashed hard.",
           "Miners burn electricity to find blocks. Miners are paid in newly minted coins.")
    build = reindex()
    get_index().spelling.ready(wait=True)  # answers are cached once the spelling dictionary is loaded
    yield build
    state.reset()


def _search(client, **params):
    return client.get("/api/search", params).json()


def test_a_repeated_question_is_answered_from_the_cache_and_still_logged(client, site):
    first, second = _search(client, q="validators stake"), _search(client, q="validators stake")
    assert not first["cached"] and second["cached"]
    per_request = ("log_id", "timings_ms", "cached")
    assert {k: v for k, v in second.items() if k not in per_request} == {k: v for k, v in first.items() if k not in per_request}
    assert set(first) == set(second) and first["hits"] and first["insight"]
    assert second["log_id"] != first["log_id"]
    logs = QueryLog.objects.order_by("id")
    assert [log.results for log in logs] == [[[h["id"], h["document"]["id"]] for h in first["hits"]]] * 2
    assert [log.timings["cached"] for log in logs] == [0, 1]


def test_other_parameters_are_other_answers(client, site):
    _search(client, q="validators")
    assert not _search(client, q="validators", page=2)["cached"]
    assert not _search(client, q="validators", coin="ethereum")["cached"]
    assert not _search(client, q="miners")["cached"]
    assert _search(client, q="validators", page=2)["cached"]


def test_a_new_index_version_is_never_answered_from_the_old_cache(client, site):
    before = _search(client, q="validators")
    _store("Validators stake ether to secure the chain. Validators who cheat are slashed hard.",
           "Miners burn electricity to find blocks. Miners are paid in newly minted coins.",
           "Validators validate validators: a sentence about validators that ranks first.")
    new = reindex()
    after = _search(client, q="validators")
    assert not after["cached"] and after["index_version"] == new.version != before["index_version"]
    assert after["total"] == before["total"] + 1


def test_a_promoted_ranker_is_never_answered_from_the_old_cache(client, site):
    _search(client, q="validators")
    assert _search(client, q="validators")["cached"]
    ranker_save(DEFAULT.with_changes(name="cache-test", k1=1.2), origin="test")
    ranker_promote("cache-test")
    after = _search(client, q="validators")
    assert not after["cached"] and after["ranker"] == "cache-test"


def test_the_cache_keeps_the_most_recently_used_answers(client, site, monkeypatch):
    monkeypatch.setattr(search_service, "_cache", ResultCache(2))
    for q in ("validators", "miners", "validators", "ether"):  # "miners" is now the least recent
        _search(client, q=q)
    assert _search(client, q="validators")["cached"] and _search(client, q="ether")["cached"]
    assert not _search(client, q="miners")["cached"]


def test_interleaved_answers_are_not_cached(client, site):
    ranker_save(DEFAULT.with_changes(name="challenger", k1=0.5), origin="test")
    ranker_set_challenger("challenger")
    index, request = get_index(), SearchRequest(q="validators")
    answers = [run_search(index, request, interleave_share=1.0, rng=random.Random(i)) for i in range(3)]
    assert all(a.ranker_id.startswith("interleaved:") and not a.cached for a in answers)
    plain = [run_search(index, request, interleave_share=0.0) for _ in range(2)]
    assert [a.cached for a in plain] == [False, True] and plain[1].ranker_id == DEFAULT.name


def test_a_cache_of_size_zero_is_off(client, site, monkeypatch):
    monkeypatch.setattr(search_service, "_cache", ResultCache(0))
    assert not any(_search(client, q="validators")["cached"] for _ in range(3))


def test_answers_stay_cached_when_the_periodic_ranker_check_finds_nothing_new(client, site):
    from search.models import Ranker

    Ranker.objects.create(name="older", params={"k1": 1.2, "b": 0.75}, origin="test")  # fields left at defaults
    ranker_promote("older")
    assert not _search(client, q="validators")["cached"]
    for _ in range(2):
        state._rankers_checked_at = float("-inf")  # as when RANKER_CHECK_SECONDS have passed
        assert _search(client, q="validators")["cached"]


def test_the_page_and_the_api_share_answers_and_the_page_shows_cached_hits_in_full(client, site):
    page = client.get("/search/", {"q": "validators"})
    body = _search(client, q="validators")
    again = client.get("/search/", {"q": "validators"})
    assert body["cached"] and [h["id"] for h in page.context["hits"]] == [h["id"] for h in body["hits"]]
    assert again.context["response"].cached
    assert [h["html"] for h in again.context["hits"]] == [h["html"] for h in page.context["hits"]]
    assert "<mark>Validators</mark>" in again.content.decode()
    logs = QueryLog.objects.order_by("id")
    assert [log.results for log in logs] == [[[h["id"], h["document"]["id"]] for h in body["hits"]]] * 3


def test_a_request_that_began_before_a_new_version_is_answered_but_not_cached(client, site):
    old = get_index()
    _store("Validators stake ether to secure the chain. Validators who cheat are slashed hard.",
           "Miners burn electricity to find blocks. Miners are paid in newly minted coins.",
           "Validators validate validators: a sentence about validators that ranks first.")
    reindex()
    stale = [run_search(old, SearchRequest(q="validators")) for _ in range(2)]
    assert [a.cached for a in stale] == [False, False] and stale[0].index_version == old.version
    fresh = _search(client, q="validators")
    assert not fresh["cached"] and fresh["index_version"] != old.version and fresh["total"] == stale[0].total + 1


def test_a_newer_generation_drops_the_cache_and_an_older_one_neither_reads_nor_fills_it():
    cache = ResultCache(10)
    cache.put(1, "q", "first answer")
    assert cache.get(1, "q") == "first answer"
    assert cache.get(2, "q") is None
    cache.put(1, "q", "stale answer")
    assert cache.get(1, "q") is None and cache.get(2, "q") is None
