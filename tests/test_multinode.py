"""Several nodes on PostgreSQL and Redis: one cluster node and two web nodes (RUN_CLUSTER=0), each
with its own DATA_DIR (its own local copy of the index), sharing the database, Redis, the secret
key and the shared index folder, as docs/scaling-out.md describes."""

import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from scripts.site_database import row_count, scratch_database

from . import services
from .stack import Stack, wait_for

# own_services: it runs on PostgreSQL and Redis whatever the run's settings, so .ci/run's second
# pass (on the services) would only repeat it.
pytestmark = [pytest.mark.integration, pytest.mark.own_services]

VOTES = 3


def _start(name, tmp_path, env, **variables) -> Stack:
    data_dir = tmp_path / name
    data_dir.mkdir(exist_ok=True)
    node = Stack(data_dir, {**env, **variables})
    try:
        wait_for(lambda: node.health()["index_loaded"], 180, f"node {name} to serve")
    except AssertionError:
        node.stop()
        raise AssertionError(f"node {name} did not start:\n{(data_dir / 'stack.log').read_text()[-3000:]}") from None
    return node


def _kill(node: Stack) -> None:
    """SIGKILL the whole node (run.py, gunicorn and its workers): a machine that dies."""
    for proc in node.tree():
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass
    node.process.wait()
    node.log.close()


def _vote(node: Stack, session: requests.Session, log_id: str, hit_id: int) -> int:
    response = session.post(f"{node.url}/api/feedback", json={"log_id": log_id, "hit_id": hit_id, "action": "vote",
                            "vote": 1}, headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=10)
    return response.status_code


@pytest.fixture
def site_env(tmp_path):
    services.need("postgres", "redis")
    base = {**os.environ, "DATABASE_URL": services.postgres_url(), "REDIS_URL": services.redis_url()}
    with scratch_database(base, prefix="multinode") as env:
        yield {**env, "SECRET_KEY": "multinode-" + "k7Qz" * 12, "INDEX_SHARED_DIR": str(tmp_path / "shared"),
               "RATE_LIMIT_EXEMPT": "", "RATE_LIMIT_SEARCH": "100000/60", "RATE_LIMIT_FEEDBACK": "100000/60",
               "RATE_LIMIT_SUGGEST": "10/3600"}


def test_two_web_nodes_and_a_cluster_node_share_one_site(site_env, tmp_path):
    nodes = []
    try:
        cluster = _start("cluster", tmp_path, site_env)  # first: it ingests the starter corpus and builds
        nodes.append(cluster)
        a = _start("web-a", tmp_path, site_env, RUN_CLUSTER="0")
        nodes.append(a)
        b = _start("web-b", tmp_path, site_env, RUN_CLUSTER="0")
        nodes.append(b)
        first = cluster.health()["index_version"]
        assert a.health()["index_version"] == b.health()["index_version"] == first
        assert (tmp_path / "web-a" / "index" / first).is_dir() and (tmp_path / "shared" / first).is_dir()
        assert a.health()["cluster"]["alive"]  # the cluster node's heartbeat, seen through Redis

        # 1. An ingest through a web node is searchable on both web nodes within seconds of the rebuild.
        doc = tmp_path / "quorumite.md"
        doc.write_text("# Quorumite\n\nQuorumite is an imaginary coin that exists only in a multi-node test.\n")
        ingest = a.manage("ingest", str(doc), "--source", "tests")
        assert ingest.returncode == 0, ingest.stderr
        new = wait_for(lambda: (v := cluster.health()["index_version"]) != first and v, 180, "the cluster's rebuild")
        activated = time.monotonic()
        for node in (a, b):
            wait_for(lambda n=node: n.search("quorumite")["total"] >= 1, 15, f"{node.url} to serve {new}", 0.2)
        lag = time.monotonic() - activated
        print(f"both web nodes served {new} {lag:.2f} s after the cluster node did")
        assert a.search("quorumite")["index_version"] == b.search("quorumite")["index_version"] == new
        assert lag < 10, f"web nodes took {lag:.1f} s to serve the new version"

        # 2. The same votes sent through both web nodes at once are stored once.
        session = requests.Session()  # one visitor (one set of cookies), whichever node answers
        body = session.get(f"{a.url}/api/search", params={"q": "proof of stake validators"}, timeout=10).json()
        hits = [hit["id"] for hit in body["hits"][:VOTES]]
        assert len(hits) == VOTES
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda job: _vote(job[0], session, body["log_id"], job[1]),
                                  [(node, hit) for hit in hits for node in (a, b, a, b)]))
        assert set(codes) == {200}
        assert row_count(site_env, "evaluation_feedback") == VOTES

        # 3. A rate limit holds across both nodes (10 suggestions an hour, counted in Redis).
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(
                lambda node: requests.get(f"{node.url}/api/suggest", params={"q": "bitc"}, timeout=10).status_code,
                [a, b] * 7))
        assert codes.count(200) == 10 and codes.count(429) == 4

        # 4. Web node B dies with its disk (a new machine takes its place): A keeps serving; the new
        #    B copies the active version from the shared folder and rejoins.
        _kill(b)
        nodes.remove(b)
        assert a.search("quorumite")["total"] >= 1
        shutil.rmtree(tmp_path / "web-b" / "index")
        b = _start("web-b", tmp_path, site_env, RUN_CLUSTER="0")
        nodes.append(b)
        assert b.search("quorumite")["index_version"] == new
        assert (tmp_path / "web-b" / "index" / new).is_dir()
        fresh = requests.Session()
        body = fresh.get(f"{b.url}/api/search", params={"q": "quorumite"}, timeout=10).json()
        assert _vote(b, fresh, body["log_id"], body["hits"][0]["id"]) == 200
        assert row_count(site_env, "evaluation_feedback") == VOTES + 1
    finally:
        for node in reversed(nodes):
            node.stop()
