#!/usr/bin/env python
"""Soak test: the real stack under a mixed load and abuse, with a cluster killed mid-build.

    .venv/bin/python scripts/soak.py --minutes 10 --clients 32        # the full run (report)
    .venv/bin/python scripts/soak.py --seconds 25 --clients 16         # the short run CI makes

Starts `python run.py` on a free loopback port with a fresh DATA_DIR (starter corpus), then
`clients` threads loop over: searches (70%), suggestions (15%) and votes (15%, each vote sent
twice, as a flaky network would), each request with a User-Agent drawn from a rotating list (one
machine posing as many browsers). A guesser posts wrong admin passwords all along (it must be
locked out, cheaply). Halfway, a new document is ingested and, as soon as the cluster's build
starts, the cluster is killed (SIGKILL; run.py restarts it): the build must be found interrupted
and redone, and the document served. `--no-kill` ingests and waits for the rebuild instead.
Reports requests, errors, 5xx, votes sent/stored, login attempts and how they were answered,
whether and how fast the rebuild completed after the kill, latency percentiles and the memory
(RSS) of every process after warm-up and at the end; exits 1 if any 5xx, a vote was not stored
exactly once, the guesser was never locked out, or the rebuild did not complete.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.site_database import row_count, scratch_database  # noqa: E402
QUERIES = [
    "what is proof of stake", "how does EIP-1559 burn fees", "bitcoin halving", "ERC-20 approve allowance",
    "stablecoin depeg", "lightning network channels", "Hamster Kombat airdrop", "solana validators",
    "seed phrase backup", "layer 2 rollups", "dogecoin origin", "smart contract reentrancy",
]


USER_AGENTS = [
    f"Mozilla/5.0 ({system}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version}.0 Safari/537.36"
    for system in ("X11; Linux x86_64", "Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 14_5")
    for version in (128, 129, 130, 131)
] + ["curl/8.9.1", "python-requests/2.34", "Soak-Bot/1.0"]
REBUILD_WAIT_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else None


class Soak:
    def __init__(self, args, env: dict):
        self.args = args
        self.data_dir = Path(tempfile.mkdtemp(prefix="soak-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "DATA_DIR": str(self.data_dir), "PORT": str(self.port),
                    "INDEX_REBUILD_DELAY_SECONDS": "2", "INDEX_CHECK_SECONDS": "2"}
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.server_errors = 0
        self.requests = 0
        self.votes_sent: set[tuple[str, int]] = set()
        self.logins: list[tuple[int, float]] = []  # (status, ms)
        self.stop = threading.Event()

    def start(self):
        self.log = open(self.data_dir / "stack.log", "wb")
        self.stack = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=self.env, stdout=self.log,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=2).json().get("index_loaded"):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise SystemExit("the stack did not start")

    def memory(self) -> dict[str, float]:
        result = {}
        root = psutil.Process(self.stack.pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                cmd = " ".join(proc.cmdline())
                role = "gunicorn" if "gunicorn" in cmd else "cluster" if "qcluster" in cmd else "run.py" \
                    if "run.py" in cmd else "other"
                result[f"{role}:{proc.pid}"] = round(proc.memory_info().rss / 1e6, 1)
            except psutil.Error:
                pass
        return result

    def record(self, started: float, response: requests.Response | None, error: str | None = None):
        with self.lock:
            self.requests += 1
            if error:
                self.errors.append(error)
                return
            self.latencies.append((time.monotonic() - started) * 1000)
            if response.status_code >= 500:
                self.server_errors += 1
                self.errors.append(f"{response.status_code} {response.request.path_url}")

    def client(self, seed: int):
        rng = random.Random(seed)
        session = requests.Session()
        last = None
        while not self.stop.is_set():
            session.headers["User-Agent"] = rng.choice(USER_AGENTS)
            roll = rng.random()
            started = time.monotonic()
            try:
                if roll < 0.15 and last and last.get("hits"):
                    hit = rng.choice(last["hits"])
                    key = (last["log_id"], hit["id"])
                    payload = {"log_id": key[0], "hit_id": key[1], "action": "vote", "vote": rng.choice([1, -1])}
                    headers = {"X-CSRFToken": session.cookies.get("csrftoken", "")}
                    for _ in range(2):  # the same vote twice: it must be stored once
                        r = session.post(f"{self.url}/api/feedback", json=payload, headers=headers, timeout=10)
                        self.record(started, r)
                    if r.status_code == 200:
                        with self.lock:
                            self.votes_sent.add(key)
                    last = None
                elif roll < 0.30:
                    q = rng.choice(QUERIES)[: rng.randint(2, 8)]
                    self.record(started, session.get(f"{self.url}/api/suggest", params={"q": q}, timeout=10))
                else:
                    r = session.get(f"{self.url}/api/search", params={"q": rng.choice(QUERIES)}, timeout=10)
                    self.record(started, r)
                    if r.status_code == 200:
                        last = r.json()
            except requests.RequestException as exc:
                self.record(started, None, type(exc).__name__)

    def guess_passwords(self):
        """Wrong admin passwords, one every 0.3 s, as a password guesser would send them."""
        session = requests.Session()
        session.get(f"{self.url}/admin/login/", timeout=10)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                r = session.post(f"{self.url}/admin/login/?next=/admin/", timeout=10, allow_redirects=False, data={
                    "username": "admin", "password": f"guess-{len(self.logins)}",
                    "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
                    headers={"Referer": f"{self.url}/admin/login/"})
                with self.lock:
                    self.logins.append((r.status_code, (time.monotonic() - started) * 1000))
            except requests.RequestException as exc:
                self.record(started, None, f"login {type(exc).__name__}")
            self.stop.wait(0.3)

    def _health(self) -> dict:
        try:
            return requests.get(f"{self.url}/health", timeout=5).json()
        except (requests.RequestException, ValueError):
            return {}

    def _served(self, word: str) -> bool:
        try:
            return requests.get(f"{self.url}/api/search", params={"q": word}, timeout=5).json().get("total", 0) > 0
        except (requests.RequestException, ValueError):
            return False

    def cluster_main(self) -> psutil.Process | None:
        for child in psutil.Process(self.stack.pid).children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "qcluster" in " ".join(child.cmdline()):
                    return child
            except psutil.Error:
                continue
        return None

    def ingest_and_rebuild(self, kill: bool) -> dict:
        """Ingest a document; with `kill`, SIGKILL the cluster as soon as its build starts. Then wait
        for the document to be served (the build redone by the restarted cluster)."""
        doc = self.data_dir / "soak-doc.md"
        doc.write_text("# Soakium\n\nSoakium is an imaginary coin added in the middle of a soak test.\n")
        before = self._health().get("index_version")
        subprocess.run([sys.executable, "manage.py", "ingest", str(doc), "--source", "soak"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)
        result = {"cluster_killed_during_build": False, "completed": False, "seconds_after_kill": None}
        index_dir = self.data_dir / "index"
        if kill:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(p.name.startswith(".tmp-") for p in index_dir.iterdir()):
                    cluster = self.cluster_main()
                    if cluster is not None:
                        cluster.send_signal(signal.SIGKILL)
                        result["cluster_killed_during_build"] = True
                    break
                time.sleep(0.02)
        killed_at = time.monotonic()
        deadline = killed_at + REBUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            health = self._health()
            if health.get("index_version") not in (None, before) and self._served("soakium"):
                result.update(completed=True, seconds_after_kill=round(time.monotonic() - killed_at, 1),
                              last_build=health.get("last_build"), cluster=health.get("cluster"))
                break
            time.sleep(1)
        return result

    def stored_votes(self) -> int:
        return row_count(self.env, "evaluation_feedback")

    def run(self) -> dict:
        duration = self.args.seconds or self.args.minutes * 60
        self.start()
        self.started_at = time.monotonic()
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.args.clients)]
        threads.append(threading.Thread(target=self.guess_passwords, daemon=True))
        for thread in threads:
            thread.start()
        warmup = min(60, duration * 0.2)
        time.sleep(warmup)
        memory_start = self.memory()
        time.sleep(max(0, duration / 2 - warmup))
        rebuild = self.ingest_and_rebuild(kill=self.args.kill)
        remaining = duration - (time.monotonic() - self.started_at)
        time.sleep(max(0, remaining))
        memory_end = self.memory()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=15)
        time.sleep(3)  # deferred logs and votes settle
        stored = self.stored_votes()
        login_codes: dict[str, int] = {}
        for status, _ in self.logins:
            login_codes[str(status)] = login_codes.get(str(status), 0) + 1
        locked_ms = [ms for status, ms in self.logins if status == 429]
        checked_ms = [ms for status, ms in self.logins if status != 429]
        growth = {
            name: round((memory_end[name] - mb) / mb * 100, 1)
            for name, mb in memory_start.items() if name in memory_end and not name.startswith("other")
        }
        return {
            "duration_s": duration, "clients": self.args.clients, "requests": self.requests,
            "errors": len(self.errors), "server_errors_5xx": self.server_errors, "error_kinds": sorted(set(self.errors))[:10],
            "votes_sent": len(self.votes_sent), "votes_stored": stored, "user_agents_rotated": len(USER_AGENTS),
            "login_attempts": len(self.logins), "login_answers": login_codes,
            "login_p50_ms_checked": round(percentile(checked_ms, 50) or 0, 1),
            "login_p50_ms_locked_out": round(percentile(locked_ms, 50) or 0, 1),
            "p50_ms": round(percentile(self.latencies, 50) or 0, 1), "p99_ms": round(percentile(self.latencies, 99) or 0, 1),
            "reindex_in_the_middle": rebuild["completed"], "rebuild_after_kill": rebuild,
            "total_s": round(time.monotonic() - self.started_at, 1), "memory_mb_after_warmup": memory_start, "memory_mb_end": memory_end,
            "memory_growth_pct": growth,
        }

    def shutdown(self):
        if self.stack.poll() is None:
            self.stack.send_signal(signal.SIGTERM)
            try:
                self.stack.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.stack.kill()
        self.log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--no-kill", dest="kill", action="store_false",
                        help="ingest in the middle without killing the cluster during the build")
    args = parser.parse_args()
    # With a PostgreSQL DATABASE_URL the soak's site gets a fresh database of its own (dropped after).
    with scratch_database(dict(os.environ), prefix="soak") as env:
        soak = Soak(args, env)
        try:
            report = soak.run()
            report["database"] = "postgresql" if "postgres" in env.get("DATABASE_URL", "") else "sqlite"
            report["redis"] = bool(env.get("REDIS_URL"))
        finally:
            soak.shutdown()
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    ok = (report["server_errors_5xx"] == 0 and report["votes_sent"] == report["votes_stored"]
          and report["login_answers"].get("429", 0) > 0 and report["reindex_in_the_middle"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
