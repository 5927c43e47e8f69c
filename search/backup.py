"""Backups of a site: the SQLite database (online, consistent) plus the active index version.

A backup is a directory `backup-<time>/` with `db.sqlite3`, `index/<version>/` and
`backup.json`. Restoring into an empty DATA_DIR gives a site that answers at once (no rebuild).
With PostgreSQL (DATABASE_URL), back the database up with pg_dump; this copies the index only.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.db import connections

from .indexing import index_dir
from .models import IndexBuild

BACKUP_MANIFEST = "backup.json"


class BackupError(RuntimeError):
    pass


def _sqlite_path() -> Path | None:
    db = settings.DATABASES["default"]
    return Path(db["NAME"]) if db["ENGINE"].endswith("sqlite3") else None


def site_backup(destination: Path) -> Path:
    """Write a backup directory under `destination`; returns its path."""
    build = IndexBuild.objects.active().first()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = Path(destination) / f"backup-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    database = _sqlite_path()
    if database is not None:
        # SQLite's online backup API: a consistent copy while the site keeps running.
        with sqlite3.connect(database) as source, sqlite3.connect(target / "db.sqlite3") as copy:
            source.backup(copy)
    if build is not None:
        shutil.copytree(index_dir() / build.version, target / "index" / build.version)
    (target / BACKUP_MANIFEST).write_text(json.dumps({
        "created": datetime.now(timezone.utc).isoformat(),
        "database": "sqlite" if database else settings.DATABASES["default"]["ENGINE"],
        "index_version": build.version if build else None,
    }, indent=2))
    return target


def site_restore(source: Path, *, force: bool = False) -> dict:
    """Restore a backup into this DATA_DIR (stop the site first). Refuses to overwrite data unless forced."""
    source = Path(source)
    try:
        manifest = json.loads((source / BACKUP_MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup directory ({exc})") from exc
    database = _sqlite_path()
    if database is None:
        raise BackupError("restore only handles SQLite; restore PostgreSQL with pg_restore, then copy the index")
    if database.exists() and database.stat().st_size > 0 and not force:
        raise BackupError(f"{database} already exists; use --force to replace it")
    connections.close_all()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source / "db.sqlite3") as backup, sqlite3.connect(database) as live:
        backup.backup(live)
    version = manifest.get("index_version")
    if version:
        target = index_dir() / version
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source / "index" / version, target)
    return manifest
