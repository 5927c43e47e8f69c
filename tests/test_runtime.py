"""The real stack, started with the documented start command (`python run.py`).

One test walks the life of a deployment: start, ingest a document with manage.py, see the
cluster rebuild and every gunicorn worker serve the new version without a restart, survive a
build killed midway, get the cluster restarted after SIGKILL, and stop everything on SIGTERM.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from .conftest import ROOT
from .stack import wait_for

pytestmark = pytest.mark.integration


def test_start_ingest_hot_swap_build_kill_cluster_restart_and_stop(stack, tmp_path):
    # The cluster proves itself (runs its heartbeat task) within seconds of the start, not a minute.
    wait_for(lambda: stack.health()["cluster"]["alive"], 20, "the cluster's first heartbeat")
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
