"""The real stack, started with the documented start command (`python run.py`).

One test walks the life of a deployment: start, ingest a document with manage.py, see the
cluster rebuild and every gunicorn worker serve the new version without a restart, survive a
build killed midway, get the cluster restarted after SIGKILL, and stop everything on SIGTERM.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from .conftest import ROOT

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except (requests.RequestException, ValueError) as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} ({last_error})")


class Stack:
    def __init__(self, data_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "DATA_DIR": str(data_dir), "PORT": str(self.port), "WEB_WORKERS": "2",
            "INDEX_CHECK_SECONDS": "1", "INDEX_REBUILD_DELAY_SECONDS": "1", "INDEX_BUILD_WORKERS": "1",
        }
        self.log = open(data_dir / "stack.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "run.py"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def manage(self, *args, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, **kwargs)

    def health(self) -> dict:
        return requests.get(f"{self.url}/health", timeout=5).json()

    def search(self, q: str) -> dict:
        response = requests.get(f"{self.url}/api/search", params={"q": q}, timeout=5)
        response.raise_for_status()
        return response.json()

    def tree(self) -> list[psutil.Process]:
        return [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]

    def cluster_main(self) -> psutil.Process | None:
        for child in psutil.Process(self.process.pid).children():
            if "qcluster" in " ".join(child.cmdline()):
                return child
        return None

    def workers_serving(self, version: str) -> bool:
        """Every gunicorn worker (seen by pid in /health) reports `version`."""
        seen = {}
        for _ in range(30):
            body = self.health()
            seen[body["worker"]["pid"]] = body["index_version"]
        return len(seen) == 2 and set(seen.values()) == {version}


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path)
    try:
        wait_for(lambda: stack.health()["index_loaded"], 120, "the site to start")
        yield stack
    finally:
        if stack.process.poll() is None:
            for proc in stack.tree():
                proc.kill()
        stack.log.close()


def test_start_ingest_hot_swap_build_kill_cluster_restart_and_stop(stack, tmp_path):
    first_version = stack.health()["index_version"]
    assert stack.search("proof of stake")["total"] > 0

    # A new document, ingested by hand, is rebuilt by the cluster and served by every worker,
    # while searches keep being answered (none may fail during the swap).
    failures, answered, stop = [], [0], threading.Event()

    def keep_searching():
        while not stop.is_set():
            try:
                if requests.get(f"{stack.url}/api/search", params={"q": "bitcoin"}, timeout=5).status_code != 200:
                    failures.append("non-200")
                answered[0] += 1
            except requests.RequestException as exc:
                failures.append(str(exc))

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    doc = tmp_path / "zephyrium.md"
    doc.write_text("# Zephyrium\n\nZephyrium is an imaginary coin used to test hot index swaps.\n")
    assert stack.manage("ingest", str(doc), "--source", "tests").returncode == 0
    new_version = wait_for(
        lambda: (v := stack.health()["index_version"]) != first_version and v, 120, "the cluster to rebuild"
    )
    wait_for(lambda: stack.workers_serving(new_version), 30, "every worker to swap")
    stop.set()
    searcher.join()
    assert failures == [] and answered[0] > 20
    for _ in range(10):
        hits = stack.search("zephyrium imaginary coin")["hits"]
        assert hits and hits[0]["document"]["title"] == "Zephyrium"

    # A build killed midway never becomes active; the next one succeeds and cleans up.
    builder = subprocess.Popen([sys.executable, "manage.py", "reindex", "--verbosity", "0"], cwd=ROOT, env=stack.env,
                               start_new_session=True)
    index_dir = Path(stack.env["DATA_DIR"]) / "index"
    wait_for(lambda: any(p.name.startswith(".tmp-") for p in index_dir.iterdir()), 30, "the build to start",
             interval=0.05)
    time.sleep(0.3)
    os.killpg(builder.pid, signal.SIGKILL)
    builder.wait()
    assert stack.health()["index_version"] == new_version
    assert stack.search("zephyrium")["total"] > 0
    rebuilt = stack.manage("reindex", "--verbosity", "0")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not any(p.name.startswith(".tmp-") for p in index_dir.iterdir())
    wait_for(lambda: stack.health()["index_version"] not in (new_version, first_version), 10, "the next build")

    # The cluster, killed, is restarted by the supervisor.
    cluster = stack.cluster_main()
    assert cluster is not None
    cluster.send_signal(signal.SIGKILL)
    restarted = wait_for(lambda: (c := stack.cluster_main()) and c.pid != cluster.pid and c, 30, "a new cluster")
    assert restarted.is_running()

    # SIGTERM stops every process within 10 s.
    tree = stack.tree()
    started = time.monotonic()
    stack.process.send_signal(signal.SIGTERM)
    stack.process.wait(timeout=10)
    gone, alive = psutil.wait_procs(tree, timeout=max(0.1, 10 - (time.monotonic() - started)))
    assert alive == [], [p.info for p in alive]
    assert time.monotonic() - started < 10
