"""gunicorn settings (env-configurable; see the README's settings table)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '7860')}"
# Two cores: two processes, each with a few threads (numpy releases the GIL while scoring).
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 5  # SIGTERM must end everything within 10 s
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-" if os.environ.get("ACCESS_LOG", "0") == "1" else None
errorlog = "-"
