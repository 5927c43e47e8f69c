"""What the background cluster is doing, told by its own worker processes, for /health.

A task scheduled every minute proves that the queue moves, but it cannot run while the only worker
is busy (a build takes minutes at scale), and a heartbeat written once a minute keeps looking fresh
for a while after the cluster is killed. So each django-q2 worker process also writes a small
status file every BEAT_SECONDS from a thread of its own: its pid, when it last beat, and the task
it is running and since when (django-q2's pre_execute / post_execute_in_worker signals). The thread
dies with the process, so the beat stops at once; /health calls the cluster alive while some worker
beat less than STALE_SECONDS ago.

Files live in DATA_DIR/cluster/ (one machine: the web workers and the cluster share DATA_DIR).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from django.conf import settings

BEAT_SECONDS = 5
STALE_SECONDS = 20  # four beats missed: the process is gone or frozen
FORGET_SECONDS = 3600  # files of workers gone this long are removed

_state: dict = {"task": None, "since": None}
_lock = threading.Lock()
_beating = threading.Event()


def status_dir() -> Path:
    return Path(settings.DATA_DIR) / "cluster"


def _status_file(pid: int) -> Path:
    return status_dir() / f"worker-{pid}.json"


def beat(now: float | None = None) -> None:
    """Write this worker's status (atomically: readers never see half a file)."""
    with _lock:
        body = {"pid": os.getpid(), "beat": now or time.time(), **_state}
    target = _status_file(os.getpid())
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(body))
        temporary.replace(target)
    except OSError:  # a full disk must not kill the worker; /health will show the stale beat
        pass


def _beat_forever() -> None:
    while True:
        beat()
        time.sleep(BEAT_SECONDS)


def worker_started(**_kwargs) -> None:
    """django-q2's post_spawn, in each new worker process: start beating, forget long-dead workers."""
    if _beating.is_set():
        return
    _beating.set()
    forget_before = time.time() - FORGET_SECONDS
    for path in status_dir().glob("worker-*.json") if status_dir().is_dir() else []:
        try:
            if path.stat().st_mtime < forget_before:
                path.unlink()
        except OSError:
            pass
    threading.Thread(target=_beat_forever, name="cluster-status", daemon=True).start()


def task_started(task: dict | None = None, now: float | None = None, **_kwargs) -> None:
    """django-q2's pre_execute: record the task this worker is running."""
    task = task or {}
    name = task.get("func")
    name = name if isinstance(name, str) else getattr(name, "__qualname__", repr(name))
    with _lock:
        _state.update(task=name, since=now or time.time())
    beat(now)


def task_finished(now: float | None = None, **_kwargs) -> None:
    """django-q2's post_execute_in_worker: this worker is idle again."""
    with _lock:
        _state.update(task=None, since=None)
    beat(now)


def cluster_status(now: float | None = None) -> dict:
    """What /health reports: the workers that beat lately, what they run, and whether any is alive."""
    now = now or time.time()
    workers = []
    for path in sorted(status_dir().glob("worker-*.json")) if status_dir().is_dir() else []:
        try:
            body = json.loads(path.read_text())
            age = now - float(body["beat"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if age > FORGET_SECONDS:
            continue
        since = body.get("since")
        workers.append({
            "pid": body.get("pid"),
            "heartbeat_age_seconds": round(age, 1),
            "alive": age < STALE_SECONDS,
            "task": body.get("task"),
            "task_running_seconds": round(now - since, 1) if since else None,
        })
    alive = [w for w in workers if w["alive"]]
    return {
        "alive": bool(alive),
        "heartbeat_age_seconds": min((w["heartbeat_age_seconds"] for w in workers), default=None),
        "running": [{"task": w["task"], "pid": w["pid"], "seconds": w["task_running_seconds"]}
                    for w in alive if w["task"]],
        "workers": workers,
    }
