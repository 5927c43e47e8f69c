"""Settings come from the environment, are all documented, and the secret key is kept safely."""

import json
import os
import re
import stat
import subprocess
import sys

from django.conf import settings

from .conftest import ROOT

CONFIG_FILES = ["cryptosights_project/settings.py", "cryptosights_project/data_dir.py", "gunicorn.conf.py", "run.py"]


def _env_names() -> set[str]:
    pattern = re.compile(r"""(?:environ(?:\.get)?\(?\[?|env_(?:bool|int|list)\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set()
    for name in CONFIG_FILES:
        names |= set(pattern.findall((ROOT / name).read_text()))
    return names - {"DJANGO_SETTINGS_MODULE"}


def test_every_environment_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    names = _env_names()
    assert len(names) >= 15
    assert names - documented == set(), "document these in README.md"
    assert documented - names == set(), "README documents settings the code does not read"


def _settings_under(tmp_path, **variables) -> dict:
    """DATABASES, CACHES, RATELIMIT_USE_CACHE and Q_CLUSTER as a fresh process sees them with `variables`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="cryptosights_project.settings", **variables)
    code = ("import json; from django.conf import settings as s; print(json.dumps({'db': s.DATABASES['default'], "
            "'caches': s.CACHES, 'ratelimit': s.RATELIMIT_USE_CACHE, 'q': s.Q_CLUSTER}, default=str))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_sqlite_is_configured_for_several_processes(tmp_path):
    for variables in ({}, {"DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite3"}):
        options = _settings_under(tmp_path, **variables)["db"]["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"] and "busy_timeout" in options["init_command"]


def test_postgres_and_redis_get_no_sqlite_tuning_and_share_counters_and_tasks(tmp_path):
    embedded = _settings_under(tmp_path)
    assert embedded["ratelimit"] == "default" and "shared" not in embedded["caches"] and embedded["q"]["orm"]
    scaled = _settings_under(tmp_path, DATABASE_URL="postgres://site@db.internal:5432/prod",
                             REDIS_URL="redis://cache.internal:6379/2")
    db = scaled["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql" and db["CONN_HEALTH_CHECKS"]
    assert not {"transaction_mode", "init_command", "timeout"} & set(db.get("OPTIONS", {}))
    shared = scaled["caches"][scaled["ratelimit"]]
    assert shared["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["LOCATION"] == "redis://cache.internal:6379/2"
    assert scaled["caches"]["default"]["BACKEND"].endswith("LocMemCache")  # per-worker things stay local
    assert "orm" not in scaled["q"] and scaled["q"]["redis"] == "redis://cache.internal:6379/2"
    assert scaled["q"]["name"] == "cryptosights-prod"  # one queue per site database


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="cryptosights_project.settings")
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    keys = [
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert keys[0] == keys[1] and len(keys[0].strip()) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_debug_is_off_by_default():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "cryptosights_project.settings"
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert out.strip() == "False"
