import gzip
import os
import json
from datetime import date
from pathlib import Path

import pytest

from search.index.build import DocRecord, build_index
from search.index.engine import Index

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_CORPUS = SHARED / "corpus" / "crypto-docs.jsonl.gz"
STARTER_CORPUS = ROOT / "search" / "starter_corpus"


# What touches the database or the task queue: a test using one of these, marked django_db, or
# starting real processes (integration). Nothing else behaves differently on PostgreSQL and Redis.
SERVICE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                    "live_server", "stack"}


def pytest_collection_modifyitems(config, items):
    """SERVICE_TESTS_ONLY=1 (.ci/run's pass on PostgreSQL + Redis) keeps only the tests that touch the
    services: the in-process ones (analysis, ranking, the model) already ran in the first pass, and so
    did those marked own_services, which use PostgreSQL and Redis in either pass."""
    if os.environ.get("SERVICE_TESTS_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_services = (SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                         or item.get_closest_marker("django_db") or item.get_closest_marker("integration"))
        (keep if uses_services and not item.get_closest_marker("own_services") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def starter_records() -> list[DocRecord]:
    from search.parsing import markdown_to_text

    records = []
    for i, path in enumerate(sorted(STARTER_CORPUS.glob("*.md")), start=1):
        title, text = markdown_to_text(path.read_text(encoding="utf-8"))
        records.append(DocRecord(i, path.stem, title, "", "cryptosights-guides", None, text))
    return records


def shared_records(every: int = 1) -> list[DocRecord]:
    records = []
    with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i % every:
                continue
            d = json.loads(line)
            published = date.fromisoformat(d["published"]) if d.get("published") else None
            records.append(DocRecord(i + 1, d["id"], d["title"], d["url"], d["source"], published, d["text"]))
    return records


def built_index(records, directory: Path, **kwargs) -> Index:
    """Build a version from records into directory (one worker unless told) and open it."""
    version, _ = build_index(records, directory, **{"workers": 1, **kwargs})
    return Index(directory / version)


@pytest.fixture(scope="session")
def starter_index(tmp_path_factory) -> Index:
    return built_index(starter_records(), tmp_path_factory.mktemp("starter-index"))


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Templates use {% static %}; tests need no collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _inline_query_logs(settings):
    # In-process tests assert a search's log row right after the response: the request writes
    # it itself. (The real stack's batching writer is covered by tests that say so.)
    from evaluation import query_log

    settings.QUERY_LOG_BATCH_MS = 0
    yield
    query_log._pending.clear()


@pytest.fixture(scope="session")
def semantic_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("semantic-cache")


@pytest.fixture(autouse=True)
def _shared_semantic_cache(settings, semantic_cache_dir):
    # Builds in tests share one vector cache, so the starter corpus is encoded once per session
    # (when the model package is installed; without it builds skip the vectors).
    settings.SEMANTIC_CACHE_DIR = semantic_cache_dir


@pytest.fixture
def index_dir(settings, tmp_path):
    """A fresh, empty index directory for this test, and a serving state that forgets older ones."""
    from search.serving_state import state

    settings.DATA_DIR = tmp_path
    settings.INDEX_DIR = tmp_path / "index"
    settings.INDEX_CHECK_SECONDS = 0
    state.reset()
    yield settings.INDEX_DIR
    state.reset()


@pytest.fixture
def shipped_ranker(db):
    """Serve the shipped ranker: a fresh database serves the tuned starting point until a promotion."""
    from search.rankers import DEFAULT, ranker_promote, ranker_save

    ranker_save(DEFAULT.with_changes(name="shipped-test"), origin="test")
    ranker_promote("shipped-test")


@pytest.fixture
def stack(tmp_path):
    """The real stack (`python run.py`) with its own DATA_DIR; for integration tests."""
    from .stack import running_stack

    with running_stack(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On a database server, each run gets its own test database (test_<name>_<pid>), so two runs on
    one server (two sessions, CI beside a developer) never drop each other's tables."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Before pytest-django drops a PostgreSQL test database, end the sessions that threads of this run
    still hold (the query-log writer keeps its connection), or the drop would be refused."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    """With REDIS_URL, rate-limit counters live in Redis, beyond this process: each test counts under
    its own key prefix, so no test (nor a parallel run) sees another's counts."""
    if "shared" in settings.CACHES:
        import uuid

        settings.CACHES = {**settings.CACHES,
                           "shared": {**settings.CACHES["shared"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _own_task_queue(settings):
    """With REDIS_URL, tasks that tests queue (a rebuild after an ingest) land in a real Redis list
    that no cluster of this run reads: each run gets a queue of its own, emptied after every test,
    as the ORM queue's rows are rolled back with the test's transaction."""
    if "redis" not in settings.Q_CLUSTER:
        yield
        return
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if not Conf.CLUSTER_NAME.endswith(f"-test{os.getpid()}"):
        Conf.CLUSTER_NAME = f"{Conf.CLUSTER_NAME}-test{os.getpid()}"
    yield
    get_broker().purge_queue()
