"""gunicorn settings (env-configurable; see the README's settings table)."""

import os

# One BLAS thread per worker (read when a worker first imports numpy, after the fork): a query's
# small matrix products (the semantic encoder) only lose time to thread hand-offs on two cores
# shared by two workers, and threads would multiply with workers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

bind = f"0.0.0.0:{os.environ.get('PORT', '7860')}"
# Two cores: two processes of two threads. More threads per process only queue for the GIL
# (measured: 4 threads gave a worse p99 and no more requests per second).
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 5  # SIGTERM must end everything within 10 s
# No keep-alive: a kept-alive connection stays with the worker that accepted it, and under load
# most connections ended up on one worker while the other idled (one core, half the capacity).
# Closing after each response lets whichever worker is free take the next request.
keepalive = 0
# Workers are recycled now and then as a guard against slow leaks; not often, because a fresh
# worker starts with an empty answer cache and rebuilds its spelling dictionary.
max_requests = 200_000
max_requests_jitter = 20_000
accesslog = "-" if os.environ.get("ACCESS_LOG", "0") == "1" else None
errorlog = "-"


# Requests gunicorn refuses itself (a request line over 4,094 bytes: a question of thousands of
# characters; headers too large) get its status with a JSON body instead of an HTML page.
import gunicorn.util  # noqa: E402

from cryptosights_project.errors import gunicorn_write_error  # noqa: E402

gunicorn.util.write_error = gunicorn_write_error


def worker_exit(server, worker):
    # A worker that stops (shutdown, restart, max_requests) writes its queued query logs first.
    from evaluation import query_log

    query_log.flush(timeout=3)


def post_fork(server, worker):
    # Before the worker starts its threads: one malloc arena for them, and freed query arrays
    # kept for reuse (search/index/allocator.py; the memory it saves: docs/benchmarks.md).
    from search.index.allocator import tune_malloc

    tune_malloc()
