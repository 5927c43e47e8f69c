"""The start command in production shape: `python run.py`, four workers, a DATA_DIR outside the
checkout, started several times. Every worker must use the one database the start command chose
(a worker that decided on its own once fell back to an empty ./var and lost its visitors' data)."""

import os
import sqlite3

import pytest
import requests

from .stack import running_stack

pytestmark = pytest.mark.integration

STARTS = 3
WORKERS = 4
SEARCHES_PER_START = 40


QUESTIONS = ["proof of stake", "bitcoin halving", "ethereum gas fees", "lightning network channels", "what is a wallet"]


def _search_click_vote(stack, n: int) -> tuple[int, int]:
    """n searches, each followed by a click and a vote on its first hit; each request goes to
    whichever worker is free (no keep-alive), so all four take part. Returns (clicks, votes)."""
    session = requests.Session()
    session.get(f"{stack.url}/", timeout=10)  # the CSRF cookie the vote needs
    clicks = votes = 0
    for i in range(n):
        body = session.get(f"{stack.url}/api/search", params={"q": QUESTIONS[i % len(QUESTIONS)]}, timeout=10).json()
        hit = body["hits"][0]["id"]
        headers = {"X-CSRFToken": session.cookies["csrftoken"]}
        for payload in ({"action": "click"}, {"action": "vote", "vote": 1}):
            response = session.post(f"{stack.url}/api/feedback", json={"log_id": body["log_id"], "hit_id": hit, **payload},
                                    headers=headers, timeout=10)
            assert response.status_code == 200, response.text
        clicks, votes = clicks + 1, votes + 1
    return clicks, votes


def test_every_worker_of_every_start_uses_the_one_database(tmp_path):
    data_dir = tmp_path / "site-data"  # fresh, and outside the checkout
    # The embedded production shape (the Space): SQLite in DATA_DIR, each worker's own counters.
    embedded = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    database_ids, sent_clicks, sent_votes = set(), 0, 0
    for start in range(STARTS):
        with running_stack(data_dir, env=embedded, WEB_WORKERS=str(WORKERS)) as stack:
            seen = stack.worker_healths(tries=200)
            assert len(seen) == WORKERS, f"start {start}: only workers {sorted(seen)} answered"
            ids = {body["database"]["id"] for body in seen.values()}
            versions = {body["index_version"] for body in seen.values()}
            assert len(ids) == 1 and None not in ids, f"start {start}: workers use databases {ids}"
            assert len(versions) == 1 and None not in versions, f"start {start}: workers serve {versions}"
            database_ids |= ids
            clicks, votes = _search_click_vote(stack, SEARCHES_PER_START)
            sent_clicks, sent_votes = sent_clicks + clicks, sent_votes + votes
        assert stack.process.poll() is not None, "the stack must stop"
    assert len(database_ids) == 1, "each start must find the database the previous one used"

    # Everything every worker recorded is in the one database under DATA_DIR (queued query logs
    # are written when a worker stops).
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        assert db.execute("select token from search_databaseidentity").fetchall() == [(database_ids.pop(),)]
        assert db.execute("select count(*) from evaluation_querylog").fetchone()[0] == STARTS * SEARCHES_PER_START
        assert db.execute("select count(*) from evaluation_click").fetchone()[0] == sent_clicks
        assert db.execute("select count(*) from evaluation_feedback").fetchone()[0] == sent_votes
