"""A killed cluster: its interrupted build is found and redone within a minute, lost tasks come back
within minutes, and /health says what the cluster is doing (and that it is gone) honestly."""

import subprocess
import time

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django_q.models import OrmQ

from cryptosights_project.schedules import SCHEDULES
from search import cluster_status, health
from search.indexing import BuildInProgress, build_lock, reindex
from search.ingest import documents_store
from search.models import IndexBuild
from search.parsing import ParsedDocument
from search.tasks import index_rebuild, interrupted_builds_rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(index_dir):
    documents_store([ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                                    text="Validators stake ether to secure Ethereum. Validators who cheat are slashed.")])
    return reindex()


def _queued_functions() -> list[str]:
    """What waits in the task queue, on whichever broker the settings name (ORM or Redis)."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker()
    if "redis" in django_settings.Q_CLUSTER:
        return [SignedPackage.loads(package)["func"] for package in broker.connection.lrange(broker.list_key, 0, -1)]
    return [task.func() for task in OrmQ.objects.all()]


def _a_build_killed_mid_way() -> IndexBuild:
    documents_store([ParsedDocument(external_id="new", title="Quorvex", source="guides",
                                    text="Quorvex is an imaginary token ingested just before the cluster died.")])
    return IndexBuild.objects.create(version="20990101T000000.000000-dead00")  # status running, no builder


def test_a_build_whose_process_died_is_marked_failed_and_rebuilt(site):
    dead = _a_build_killed_mid_way()
    assert interrupted_builds_rebuild().startswith("marked failed")
    dead.refresh_from_db()
    assert dead.status == "failed" and "interrupted" in dead.error and dead.finished_at
    assert _queued_functions() == ["search.tasks.index_rebuild"]
    assert interrupted_builds_rebuild() == "no interrupted build"  # once


def test_a_build_that_is_still_running_is_left_alone(site):
    running = _a_build_killed_mid_way()
    with build_lock():  # a live builder holds the lock
        assert interrupted_builds_rebuild() == "no interrupted build"
    running.refresh_from_db()
    assert running.status == "running" and _queued_functions() == []


def test_a_rebuild_that_finds_another_build_running_is_queued_again(site, settings, monkeypatch):
    with build_lock(), pytest.raises(CommandError) as refused:
        call_command("reindex", verbosity=0)
    assert refused.value.returncode == BuildInProgress.exit_code != 1  # 1: any other failure
    settings.INDEX_REBUILD_DELAY_SECONDS = 0
    monkeypatch.setattr("search.tasks.subprocess.run",  # what the task's child process ends with
                        lambda args, **kwargs: subprocess.CompletedProcess(args, refused.value.returncode, "", ""))
    assert index_rebuild(force=True) == "another build was running; queued again"
    assert _queued_functions() == ["search.tasks.index_rebuild"]
    monkeypatch.setattr("search.tasks.subprocess.run",
                        lambda args, **kwargs: subprocess.CompletedProcess(args, 1, "", "no documents"))
    with pytest.raises(RuntimeError, match="reindex failed: no documents"):
        index_rebuild(force=True)


def test_the_check_runs_every_minute():
    assert ("interrupted-builds", "search.tasks.interrupted_builds_rebuild", "I", 1) in SCHEDULES


def test_a_lost_task_is_handed_out_again_within_minutes():
    q = django_settings.Q_CLUSTER
    # django-q2's ORM broker hands an unacknowledged task out again `retry` seconds after it took it.
    assert q["retry"] <= 15 * 60
    assert q["retry"] > q["timeout"] + 30  # a task that runs its full time is not handed out twice
    assert q["timeout"] >= 300  # an index build of millions of sentences still fits


def test_health_shows_the_build_and_whether_its_builder_lives(site, client):
    _a_build_killed_mid_way()
    build = client.get("/health").json()["last_build"]
    assert build["status"] == "running" and build["builder_alive"] is False and build["started_at"]
    with build_lock():
        assert client.get("/health").json()["last_build"]["builder_alive"] is True


# --- /health's view of the cluster ------------------------------------------------------------


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_a_cluster_busy_with_a_long_build_is_alive(data_dir, client):
    now = time.time()
    health.heartbeat_path().write_text(str(now - 400))  # the every-minute task waits behind the build
    cluster_status.task_started({"func": "search.tasks.index_rebuild"}, now=now - 395)
    cluster_status.beat(now=now - 2)  # the worker's own beat goes on while it builds
    status = client.get("/health").json()["cluster"]
    assert status["alive"] is True and status["heartbeat_age_seconds"] < 10
    assert status["running"] == [{"task": "search.tasks.index_rebuild", "pid": status["workers"][0]["pid"],
                                  "seconds": pytest.approx(395, abs=5)}]
    assert status["scheduled_task_age_seconds"] == pytest.approx(400, abs=5)


def test_a_killed_cluster_is_reported_dead_within_seconds(data_dir, client):
    now = time.time()
    health.heartbeat_path().write_text(str(now - 40))  # its last every-minute task ran 40 s ago
    cluster_status.task_finished(now=now - 30)  # and its worker's last beat was 30 s ago
    status = client.get("/health").json()["cluster"]
    assert status["alive"] is False and status["running"] == []
    assert status["heartbeat_age_seconds"] == pytest.approx(30, abs=5)


def test_a_worker_that_finished_its_task_is_idle(data_dir):
    cluster_status.task_started({"func": "search.tasks.crawl_due_sources"})
    cluster_status.task_finished()
    status = cluster_status.cluster_status()
    assert status["alive"] and status["running"] == [] and status["workers"][0]["task"] is None
