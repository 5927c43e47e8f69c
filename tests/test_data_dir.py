"""DATA_DIR is decided once, the same for every process, and an unusable one stops the start."""

import os
import subprocess
import sys
import threading

import pytest

from cryptosights_project.data_dir import DataDirError, pin_for_children, resolve_data_dir

from .conftest import ROOT


def test_processes_checking_one_directory_at_once_all_keep_it(tmp_path):
    # gunicorn imports the settings in every worker at the same instant. A probe file shared by
    # all of them (write, then delete) made some see the other's deletion and fall back.
    data_dir = tmp_path / "data"
    environ = {"DATA_DIR": str(data_dir), "DATA_DIR_FALLBACK": str(tmp_path / "fallback")}
    results, start = [], threading.Barrier(8)

    def resolve_many():
        start.wait()
        results.extend(resolve_data_dir(environ, ROOT) for _ in range(200))

    threads = [threading.Thread(target=resolve_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1600
    assert set(results) == {(data_dir.resolve(), None)}
    assert list(data_dir.iterdir()) == []  # no probe left behind


def test_an_unusable_data_dir_is_an_error_not_a_silent_fallback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DataDirError, match="cannot be created or written"):
        resolve_data_dir({"DATA_DIR": str(blocker / "data")}, ROOT)


def test_the_fallback_is_taken_only_when_set(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    environ = {"DATA_DIR": str(blocker / "data"), "DATA_DIR_FALLBACK": str(tmp_path / "var")}
    chosen, warning = resolve_data_dir(environ, ROOT)
    assert chosen == (tmp_path / "var").resolve() and "not writable" in warning
    # Children get the decision, and no way to decide differently.
    pin_for_children(environ, chosen)
    assert environ == {"DATA_DIR": str(chosen)}


def test_settings_and_the_start_command_refuse_an_unusable_data_dir(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**os.environ, "DATA_DIR": str(blocker / "data"), "DJANGO_SETTINGS_MODULE": "cryptosights_project.settings"}
    env.pop("DATA_DIR_FALLBACK", None)
    settings = subprocess.run([sys.executable, "-c", "from django.conf import settings; settings.DATA_DIR"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert settings.returncode != 0 and "cannot be created or written" in settings.stderr
    start = subprocess.run([sys.executable, "run.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert start.returncode == 2
    assert "cannot be created or written" in start.stderr and "gunicorn started" not in start.stderr
