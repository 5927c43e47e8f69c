"""manage.py backup and restore: restoring into an empty DATA_DIR gives a site that answers."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT


def _manage(data_dir, *args):
    # Backup and restore are the embedded site's (SQLite); PostgreSQL has pg_dump for that.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "cryptosights_project.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


SEARCH = (
    "from django.test import Client; c = Client(SERVER_NAME='localhost'); "
    "r = c.get('/api/search', {'q': 'zephyrium coin'}).json(); print(r['total'], r['hits'][0]['document']['title'])"
)


@pytest.mark.integration
def test_backup_then_restore_into_an_empty_data_dir(tmp_path):
    live, fresh, backups = tmp_path / "live", tmp_path / "fresh", tmp_path / "backups"
    doc = tmp_path / "zephyrium.md"
    doc.write_text("# Zephyrium\n\nZephyrium is an imaginary coin used to test backups and restores.\n")
    assert _manage(live, "migrate", "-v", "0").returncode == 0
    assert _manage(live, "ingest", str(doc), "--source", "tests").returncode == 0
    assert _manage(live, "reindex", "--verbosity", "0").returncode == 0
    backup = _manage(live, "backup", "--to", str(backups))
    assert backup.returncode == 0, backup.stderr
    backup_dir = next(backups.iterdir())
    assert (backup_dir / "db.sqlite3").exists() and any((backup_dir / "index").iterdir())

    restored = _manage(fresh, "restore", str(backup_dir))
    assert restored.returncode == 0, restored.stderr
    answer = _manage(fresh, "shell", "-v", "0", "-c", SEARCH)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split(maxsplit=1) == ["1", "Zephyrium\n"]
    # A second restore over existing data is refused unless forced.
    again = _manage(fresh, "restore", str(backup_dir))
    assert again.returncode != 0 and "already exists" in again.stderr
