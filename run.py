#!/usr/bin/env python
"""The one start command: `python run.py` (README, Dockerfile CMD and integration tests).

    migrate ─► collectstatic ─► bootstrap (starter corpus, first index) ─┬─► gunicorn 0.0.0.0:PORT
                                                                        └─► django-q2 cluster (supervised)

DATA_DIR is resolved here, once, and handed to every child as an absolute path with no fallback
(cryptosights_project/data_dir.py). The cluster is restarted with exponential back-off when it dies. SIGTERM or SIGINT stops both
children: each runs in its own process group, gets SIGTERM, and whatever is left after
STOP_GRACE_SECONDS is SIGKILLed (django-q2 clusters have been seen to hang on SIGTERM), so the
whole tree is gone within 10 s and leaves no orphans.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptosights_project.data_dir import DataDirError, pin_for_children, resolve_data_dir

ROOT = Path(__file__).resolve().parent
STOP_GRACE_SECONDS = 7
BACKOFF_START, BACKOFF_MAX = 1.0, 60.0

logging.basicConfig(level=logging.INFO, format="%(asctime)s run.py %(levelname)s %(message)s")
log = logging.getLogger("run")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def spawn(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, start_new_session=True)


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "cryptosights_project.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py")]


def cluster_command() -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "qcluster"]


def stop_group(process: subprocess.Popen | None, sig: int) -> None:
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


class Supervisor:
    def __init__(self):
        self.stopping = False
        self.web: subprocess.Popen | None = None
        self.cluster: subprocess.Popen | None = None
        self.cluster_backoff = BACKOFF_START
        self.cluster_restart_at = 0.0
        self.cluster_started_at = 0.0

    def request_stop(self, signum, _frame) -> None:
        if not self.stopping:
            log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping = True

    def start_cluster(self) -> None:
        self.cluster = spawn(cluster_command())
        self.cluster_started_at = time.monotonic()
        log.info("cluster started (pid %s)", self.cluster.pid)

    def watch_cluster(self) -> None:
        now = time.monotonic()
        if self.cluster is not None and self.cluster.poll() is not None:
            code = self.cluster.returncode
            # Its workers may outlive a killed parent: end the whole group before starting anew.
            try:
                os.killpg(self.cluster.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if now - self.cluster_started_at > 60:
                self.cluster_backoff = BACKOFF_START  # it ran a good while: start back-off afresh
            log.warning("cluster exited with %s; restarting in %.0f s", code, self.cluster_backoff)
            self.cluster = None
            self.cluster_restart_at = now + self.cluster_backoff
            self.cluster_backoff = min(BACKOFF_MAX, self.cluster_backoff * 2)
        if self.cluster is None and now >= self.cluster_restart_at:
            self.start_cluster()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        # Decided here, once, for every process started below (they inherit os.environ).
        try:
            data_dir, warning = resolve_data_dir(os.environ, ROOT)
        except DataDirError as error:
            log.error("%s", error)
            return 2
        if warning:
            log.warning("%s", warning)
        pin_for_children(os.environ, data_dir)
        log.info("DATA_DIR %s", data_dir)
        manage("migrate", "--noinput", "-v", "0")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("bootstrap")
        if self.stopping:
            return 0
        self.web = spawn(gunicorn_command())
        log.info("gunicorn started (pid %s)", self.web.pid)
        # Read as settings.RUN_CLUSTER reads it: this process does not load the Django settings.
        run_cluster = os.environ.get("RUN_CLUSTER", "1") != "0"
        if run_cluster:
            self.start_cluster()
        exit_code = 0
        while not self.stopping:
            time.sleep(0.2)
            if self.web.poll() is not None:
                log.error("gunicorn exited with %s; stopping", self.web.returncode)
                exit_code = self.web.returncode or 1
                break
            if run_cluster:
                self.watch_cluster()
        self.shutdown()
        return exit_code

    def shutdown(self) -> None:
        children = [p for p in (self.web, self.cluster) if p is not None]
        for process in children:
            stop_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(p.poll() is None for p in children):
            time.sleep(0.1)
        for process in children:
            if process.poll() is None:
                log.warning("pid %s did not stop in %s s; killing it", process.pid, STOP_GRACE_SECONDS)
            # SIGKILL the group even when the leader exited: it may have left workers behind.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        log.info("stopped")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptosights_project.settings")
    sys.exit(Supervisor().run())
