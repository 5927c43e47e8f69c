"""HTTP throughput and latency of /api/search under gunicorn, against a trivial view as the ceiling.

    DATA_DIR (temporary) ─► manage.py migrate, ingest CORPUS, reindex
    gunicorn -c gunicorn.conf.py --bind 127.0.0.1:PORT   (DJANGO_SETTINGS_MODULE=bench.bench_settings)
    wrk -c 1 / 8 / 32, a Lua script rotating over the original-app queries

Everything runs on the loopback address; every wrk run is bounded in time. Query logging is on
(every /api/search queues its QueryLog row, written in batches as in production); the benchmark
checks the rows were written. The rotation repeats each question, so most searches are answered
from the workers' answer caches; one more point runs the heaviest load with the cache off. Cold
start is the time from starting gunicorn to the first answered search (the worker that answers
loads the index on that request). Worker memory (USS) is read after the load.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

import psutil

from bench.measure import private_memory_mb

ROOT = Path(__file__).resolve().parents[1]

LUA = r"""
-- Rotates over the search paths; prints one JSON line at the end (wrk's own report has no p95).
local paths = { %(paths)s }
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests": %%d, "duration_us": %%d, "errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"latency_ms": {"p50": %%.3f, "p90": %%.3f, "p95": %%.3f, "p99": %%.3f, "max": %%.3f, "mean": %%.3f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_jsonl(docs, path: Path) -> None:
    """A DocRecord sequence in the shared corpus schema, for `manage.py ingest`."""
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
        for d in docs:
            handle.write(json.dumps({
                "id": d.slug, "source": d.source, "title": d.title, "url": d.url,
                "published": d.published.isoformat() if d.published else None,
                "authors": [], "status": None, "license": None, "text": d.text,
            }) + "\n")


def bench_env(data_dir: Path, port: int) -> dict:
    # The embedded default (SQLite in DATA_DIR, per-worker counters) is what the tables report.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATA_DIR=str(data_dir), PORT=str(port), DJANGO_SETTINGS_MODULE="bench.bench_settings",
        SECRET_KEY="bench-only-secret-key-not-used-anywhere-else-0123456789", DEBUG="0",
        LOG_LEVEL="WARNING", ACCESS_LOG="0", PYTHONPATH=str(ROOT),
        # wrk connects from loopback, which the rate limiter exempts and real visitors never are:
        # count its requests like any client's (limits too high to refuse any), so the measured
        # path is the one production requests take.
        RATE_LIMIT_EXEMPT="192.0.2.1", RATE_LIMIT_SEARCH="1000000000/60",
    )
    return env


def manage(env: dict, *args: str) -> float:
    started = time.perf_counter()
    with open(Path(env["DATA_DIR"]) / "manage.log", "ab") as log:  # (reindex draws a progress bar)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True,
                       stdout=log, stderr=log)
    return time.perf_counter() - started


def prepare(data_dir: Path, corpus_path: Path, env: dict) -> dict:
    """migrate + ingest + reindex into DATA_DIR; returns the seconds each took."""
    return {
        "migrate_s": round(manage(env, "migrate", "--noinput", "-v", "0"), 1),
        "ingest_s": round(manage(env, "ingest", str(corpus_path)), 1),
        "reindex_s": round(manage(env, "reindex"), 1),
    }


def get(url: str, timeout: float = 10.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "cryptosights_project.wsgi:application",
               "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    log = open(log_path, "ab")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def wait_for_search(base: str, query: str, timeout: float = 120.0) -> float:
    """Seconds until /api/search answers 200 (polled every 20 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if get(f"{base}/api/search?q={quote_plus(query)}") == 200:
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"/api/search did not answer within {timeout} s")


def run_wrk(port: int, script: Path, path: str, connections: int, seconds: int) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
               f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    data = json.loads(line[len("BENCH "):])
    errors = sum(data["errors"].values())
    return {
        "connections": connections,
        "requests": data["requests"],
        "rps": round(data["requests"] / (data["duration_us"] / 1e6), 1),
        "errors": errors,
        "error_detail": data["errors"],
        **{f"{k}_ms": round(v, 2) for k, v in data["latency_ms"].items()},
    }


def lua_script(paths: list[str], where: Path) -> Path:
    where.write_text(LUA % {"paths": ", ".join(f'"{p}"' for p in paths)}, encoding="utf-8")
    return where


def worker_memory(master: subprocess.Popen) -> list[dict]:
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    rows = []
    for child in psutil.Process(master.pid).children(recursive=True):
        try:
            info = child.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rows.append({"pid": child.pid, "uss_mb": mb(info.uss), "pss_mb": mb(info.pss), "rss_mb": mb(info.rss),
                     **private_memory_mb(child.pid)})
    return rows


def query_log_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM evaluation_querylog").fetchone()[0]


def _logged(log, label: str, point: dict) -> dict:
    log(f"  http: {label:8} c={point['connections']:<3} {point['rps']:8.1f} req/s  p50 {point['p50_ms']:7.2f} ms"
        f"  p99 {point['p99_ms']:7.2f} ms  errors {point['errors']}")
    return point


def median_point(runs: list[dict]) -> dict:
    """One point from several runs of it: the median of each figure, errors and requests summed."""
    if len(runs) == 1:
        return runs[0]
    point = {key: statistics.median(run[key] for run in runs) for key in runs[0] if key.endswith("_ms") or key == "rps"}
    return {**point, "connections": runs[0]["connections"], "rounds": len(runs),
            "requests": sum(run["requests"] for run in runs), "errors": sum(run["errors"] for run in runs),
            "error_detail": [run["error_detail"] for run in runs]}


def run(corpus_path: Path, queries: list[str], *, concurrencies=(1, 8, 32), seconds: int = 10, rounds: int = 3,
        keep: bool = False, log=print) -> dict:
    """The whole HTTP benchmark against one corpus file (.jsonl/.jsonl.gz in the shared schema)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install -y wrk)")
    data_dir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    port = free_port()
    env = bench_env(data_dir, port)
    result: dict = {"workers": int(env.get("WEB_WORKERS", 2)), "threads": int(env.get("WEB_THREADS", 2)),
                    "seconds_per_point": seconds, "logging": "QueryLog row per search (on)"}
    server = None
    try:
        log(f"  http: migrate + ingest + reindex into {data_dir}")
        result["prepare"] = prepare(data_dir, corpus_path, env)
        search_paths = [f"/api/search?q={quote_plus(q)}" for q in queries if q.strip()]
        script = lua_script(search_paths, data_dir / "rotate.lua")
        trivial_script = lua_script(["/bench/trivial"], data_dir / "trivial.lua")
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = start_gunicorn(env, port, data_dir / "gunicorn.log")
        result["cold_start_s"] = round(wait_for_search(base, queries[0], timeout=300), 3)
        log(f"  http: gunicorn answered its first search {result['cold_start_s']} s after start")
        # Both workers load the index before measuring: a short concurrent warm-up.
        run_wrk(port, script, "/api/search", 8, 3)
        logs_before = query_log_rows(data_dir)
        points = []
        for connections in concurrencies:
            # The ratio at the highest concurrency is the target: its two points alternate for
            # `rounds` rounds, so that the machine's drift (it is shared) hits both alike.
            measured = {"trivial": [], "search": []}
            for _ in range(rounds if connections == max(concurrencies) else 1):
                for target, lua in (("trivial", trivial_script), ("search", script)):
                    measured[target].append(_logged(log, target, run_wrk(port, lua, "/", connections, seconds)))
            points += [{"target": target, **median_point(runs)} for target, runs in measured.items()]
        result["points"] = points
        result["worker_memory"] = worker_memory(server)
        # The same load with the answer cache off (a fresh gunicorn): what questions never seen
        # before cost, since the rotation above repeats each question many times.
        stop(server)
        server = start_gunicorn({**env, "SEARCH_CACHE_ENTRIES": "0"}, port, data_dir / "gunicorn.log")
        wait_for_search(base, queries[0], timeout=300)
        warm_up = run_wrk(port, script, "/api/search", 8, 3)["requests"]
        connections = max(concurrencies)
        points.append({"target": "search, cache off", **_logged(log, "cache off", run_wrk(port, script, "/", connections, seconds))})
        stop(server)  # (its workers write their queued query logs as they exit)
        server = None
        searches = warm_up + sum(p["requests"] for p in points if p["target"].startswith("search"))
        result["query_logs_written"] = query_log_rows(data_dir) - logs_before
        result["searches_sent"] = searches
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        if server is not None:
            stop(server)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result
