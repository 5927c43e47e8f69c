"""A database of its own for a site that a test or a script starts (`python run.py` in a subprocess).

Without DATABASE_URL, or with a SQLite one, each site's database is the file in its own DATA_DIR and
nothing is needed. With a PostgreSQL DATABASE_URL, `scratch_database` creates a fresh database
beside the one it names (same server and user) and drops it afterwards, so sites started at once
(two runs on one server, two test stacks) never share tables. `row_count` reads either kind.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def is_postgres(env: dict) -> bool:
    return urlsplit(env.get("DATABASE_URL") or "").scheme in POSTGRES_SCHEMES


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                           user=parts.username or "postgres", password=parts.password or None,
                           dbname="postgres", autocommit=True, connect_timeout=5)


@contextmanager
def scratch_database(env: dict, prefix: str = "cs"):
    """Yield `env` with DATABASE_URL naming a new empty PostgreSQL database (dropped afterwards), or
    `env` unchanged when the site uses SQLite."""
    if not is_postgres(env):
        yield env
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connection(env["DATABASE_URL"]) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**env, "DATABASE_URL": _with_database(env["DATABASE_URL"], name)}
    finally:
        with _admin_connection(env["DATABASE_URL"]) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _forget_redis_keys(env.get("REDIS_URL"), name)


def _forget_redis_keys(url: str | None, database: str) -> None:
    """The task queue and counters of a dropped site are named after its database (settings.py)."""
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        for pattern in (f"django_q:cryptosights-{database}:*", f"cryptosights-{database}:*"):
            for key in client.scan_iter(match=pattern, count=500):
                client.delete(key)
    except redis.RedisError:
        pass  # an unreachable Redis has nothing of ours to forget
    finally:
        client.close()


def row_count(env: dict, table: str) -> int:
    """Rows in `table` of the site whose environment is `env` (its DATA_DIR's SQLite file, or PostgreSQL)."""
    if is_postgres(env):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], connect_timeout=5) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    with sqlite3.connect(Path(env["DATA_DIR"]) / "db.sqlite3", timeout=30) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
