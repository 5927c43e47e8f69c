"""The real stack for integration tests: `python run.py` on a free port with its own DATA_DIR."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests

from scripts.site_database import scratch_database

from .conftest import ROOT


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
    def __init__(self, data_dir: Path, env: dict | None = None, **extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **(os.environ if env is None else env), "DATA_DIR": str(data_dir), "PORT": str(self.port),
            "WEB_WORKERS": "2", "INDEX_CHECK_SECONDS": "1", "INDEX_REBUILD_DELAY_SECONDS": "1",
            "INDEX_BUILD_WORKERS": "1", **extra,
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(data_dir / "stack.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "run.py"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()

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
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "qcluster" in " ".join(child.cmdline()):
                    return child
            except psutil.Error:  # exited between listing and asking
                continue
        return None

    def worker_healths(self, tries: int = 30) -> dict[int, dict]:
        """/health as each gunicorn worker answers it, by pid (each request goes to a free worker)."""
        seen = {}
        for _ in range(tries):
            body = self.health()
            seen[body["worker"]["pid"]] = body
            if len(seen) == int(self.env["WEB_WORKERS"]):
                break
        return seen

    def workers_serving(self, version: str) -> bool:
        """Every gunicorn worker (seen by pid in /health) reports `version`."""
        seen = self.worker_healths()
        return len(seen) == int(self.env["WEB_WORKERS"]) and {b["index_version"] for b in seen.values()} == {version}


@contextmanager
def running_stack(data_dir: Path, *, env: dict | None = None, **extra: str):
    """A started stack (on a database of its own); stopped with SIGTERM afterwards (and killed if
    that is not enough)."""
    with scratch_database(dict(os.environ if env is None else env)) as site_env:
        stack = Stack(data_dir, site_env, **extra)
        try:
            wait_for(lambda: stack.health()["index_loaded"], 120, "the site to start")
            yield stack
        finally:
            stack.stop()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        process.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(tree, timeout=15)
        for proc in alive:
            proc.kill()
