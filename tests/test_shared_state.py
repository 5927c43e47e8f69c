"""State that several workers and nodes share: votes stored once by an upsert (SQLite and
PostgreSQL alike), rate-limit counters in Redis, and what happens when Redis is away."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from evaluation import upsert
from evaluation.models import Click, Feedback, QueryLog

from . import services

pytestmark = pytest.mark.django_db


def _log() -> QueryLog:
    from django.utils import timezone

    return QueryLog.objects.create(query="q", normalized="q", results=[[7, 1], [8, 2]], page=1, created_at=timezone.now())


def test_upserts_store_a_click_once_and_a_vote_once_with_its_latest_value():
    log = _log()
    click = dict(log=log, sentence_id=7, document_id=1, rank=1)
    assert upsert.insert_once(Click(**click), unique=["log", "sentence_id"]) is True
    assert upsert.insert_once(Click(**click), unique=["log", "sentence_id"]) is False
    assert Click.objects.count() == 1 and Click.objects.get().created_at is not None
    vote = dict(log=log, sentence_id=8, document_id=2, rank=2, comment="")
    keys = dict(unique=["log", "sentence_id"], update=["vote", "comment"])
    assert upsert.insert_or_update(Feedback(vote=1, **vote), **keys) is True
    assert upsert.insert_or_update(Feedback(vote=1, **vote), **keys) is False  # the same vote again
    assert upsert.insert_or_update(Feedback(vote=-1, **vote), **keys) is True  # changed its mind
    assert list(Feedback.objects.values_list("sentence_id", "vote")) == [(8, -1)]


@pytest.mark.django_db(transaction=True)
def test_the_same_vote_sent_at_once_by_many_connections_is_stored_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race is real on PostgreSQL (DATABASE_URL=postgres://…)")
    log = _log()
    start, outcomes = threading.Barrier(8), []

    def vote():
        start.wait()
        try:
            outcomes.append(upsert.insert_or_update(
                Feedback(log=log, sentence_id=7, document_id=1, rank=1, vote=1), unique=["log", "sentence_id"],
                update=["vote", "comment"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 7 + [True] and Feedback.objects.count() == 1


@pytest.fixture
def site(index_dir):
    from search.indexing import reindex
    from search.ingest import documents_store
    from search.parsing import ParsedDocument

    documents_store([ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                                    text="Validators stake ether. Slashing punishes validators who cheat.")])
    return reindex()


def _use_redis_counters(settings, url: str) -> str:
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.RATELIMIT_USE_CACHE = "shared"
    settings.RATE_LIMIT_SEARCH = "3/60"
    settings.RATE_LIMIT_EXEMPT = []
    return prefix


def test_rate_limit_counters_live_in_redis_and_outlast_the_worker(site, settings):
    services.need("redis")
    import redis

    prefix = _use_redis_counters(settings, services.redis_url())
    visitor = Client(REMOTE_ADDR="198.51.100.9")
    assert [visitor.get("/api/search", {"q": "validators"}).status_code for _ in range(2)] == [200, 200]
    keys = redis.Redis.from_url(services.redis_url()).keys(f"{prefix}:*")
    assert len(keys) == 1  # one fixed-window counter for this client and group, in Redis
    settings.CACHES = {**settings.CACHES}  # a new worker: Django makes its cache connections afresh
    codes = [visitor.get("/api/search", {"q": "validators"}).status_code for _ in range(2)]
    assert codes == [200, 429]


def test_an_unreachable_redis_lets_searches_through_unlimited(site, settings, caplog):
    _use_redis_counters(settings, "redis://127.0.0.1:9/0")  # nothing listens on the discard port
    from cryptosights_project import ratelimit

    ratelimit.COUNTER_RETRY_SECONDS, saved = 0, ratelimit.COUNTER_RETRY_SECONDS
    try:
        visitor = Client(REMOTE_ADDR="198.51.100.10")
        codes = [visitor.get("/api/search", {"q": "validators"}).status_code for _ in range(5)]
    finally:
        ratelimit.COUNTER_RETRY_SECONDS = saved
    assert codes == [200] * 5
    assert "rate-limit counters unreachable" in caplog.text
