"""The short soak CI runs (the full one is `scripts/soak.py --minutes 10 --clients 32`): load with rotating
User-Agents, a password guesser, and the cluster killed during a build in the middle."""

import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.integration
def test_short_soak_has_no_server_errors_and_stores_every_vote_once(tmp_path):
    report_file = tmp_path / "soak.json"
    result = subprocess.run(
        [sys.executable, "scripts/soak.py", "--seconds", "20", "--clients", "16", "--json", str(report_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )
    report = json.loads(report_file.read_text())
    assert result.returncode == 0, result.stdout[-3000:]
    assert report["requests"] > 300 and report["server_errors_5xx"] == 0
    assert report["votes_sent"] == report["votes_stored"] > 0
    assert report["reindex_in_the_middle"] is True
    # The cluster was killed during the build in the middle: the build was found and redone.
    rebuild = report["rebuild_after_kill"]
    assert rebuild["cluster_killed_during_build"] and rebuild["completed"] and rebuild["seconds_after_kill"] < 180
    # A password guesser ran all along: locked out, and a refused attempt is cheap.
    assert report["login_answers"].get("429", 0) > 0
    assert report["login_p50_ms_locked_out"] < report["login_p50_ms_checked"]
