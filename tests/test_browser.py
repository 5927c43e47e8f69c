"""The site in a real browser: headless Chromium (Debian's package) driven by Playwright, against
the real start command (`python run.py`: migrate, collectstatic, bootstrap, gunicorn) on a free
port with a temporary DATA_DIR. Every page is served with a strict Content-Security-Policy, so
an inline script, style or event handler would break these tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"
START_TIMEOUT = 240


class RealServer:
    """`python run.py` on a free port against a fresh DATA_DIR (shared by this session's tests)."""

    WORKERS = 2

    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="cs-browser-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / "server.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
        env.update(DATA_DIR=str(self.data_dir), PORT=str(self.port), RUN_CLUSTER="0", DEBUG="0",
                   WEB_WORKERS=str(self.WORKERS), INDEX_BUILD_WORKERS="1")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "run.py")], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_serving()

    def _wait_until_serving(self):
        """Until /health is 200 from every worker: each loads the index on its first request.

        (The index holder answers "no index" to requests that arrive while its first load is
        under way, so a page's first parallel requests to a cold worker could get a 503.)
        """
        deadline = time.monotonic() + START_TIMEOUT
        warm, answered = set(), 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_tail()
                self.stop()
                pytest.fail(f"run.py exited with {self.process.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    body = json.loads(response.read())
                    answered += 1
                    warm.add((body.get("worker") or {}).get("pid"))
                    if len(warm) >= self.WORKERS or answered >= 50:
                        return
                    continue
            except OSError:  # not listening yet, or 503 while the index loads
                pass
            time.sleep(0.5)
        tail = self.log_tail()
        self.stop()
        pytest.fail(f"the server did not become healthy within {START_TIMEOUT} s:\n{tail}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "db.sqlite3", timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # run.py stops gunicorn and its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


_shared = {"server": None, "users": 0}


@pytest.fixture(scope="session")
def real_server():
    """One server for test_browser and test_site_links (which imports this fixture)."""
    if _shared["server"] is None:
        _shared["server"] = RealServer()
    _shared["users"] += 1
    yield _shared["server"]
    _shared["users"] -= 1
    if _shared["users"] == 0:
        _shared["server"].stop()
        _shared["server"] = None


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, real_server):
    """A fresh visitor (no cookies) whose pages carry a strict CSP; fails on script errors."""
    context = browser.new_context(base_url=real_server.url, viewport={"width": 1280, "height": 900})

    def with_csp(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    context.route("**/*", with_csp)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not problems, problems


def hits(page):
    return page.locator("#hits > .hit")


def test_search_as_you_type_updates_results_and_the_url_without_reloading(page):
    page.goto("/search/")
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator("#q").press_sequentially("proof of stake validators", delay=40)
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length > 0")
    page.wait_for_url("**/search/?q=proof+of+stake+validators")
    assert page.evaluate("() => window.notReloaded") is True
    assert "with every word of “proof of stake validators”" in page.locator("#summary").inner_text()
    assert hits(page).first.locator("mark").count() > 0
    assert page.locator("#insight").is_visible()
    assert page.locator('[data-state="empty"]').is_hidden()
    # Clearing the box brings back the suggestions of what to ask.
    page.locator("#q").fill("")
    page.locator("#q").dispatch_event("input")
    page.wait_for_function("() => document.querySelectorAll('#hits > .hit').length === 0")
    assert page.locator('[data-state="empty"]').is_visible()


def test_suggestions_fill_the_datalist(page):
    page.goto("/search/")
    page.locator("#q").press_sequentially("how does bit", delay=30)
    page.wait_for_function("() => document.querySelectorAll('#q-suggestions option').length > 0")
    values = page.eval_on_selector_all("#q-suggestions option", "options => options.map(o => o.value)")
    # Completions of the question, or whole document titles with a word that starts with "bit".
    assert all(v.lower().startswith("how does bit") or re.search(r"\bbit", v.lower()) for v in values), values
    assert any(v.lower().startswith("how does bit") for v in values), values


def test_filter_by_coin_from_the_chip_and_the_select(page):
    page.goto("/search/?q=bitcoin+mining+rewards")
    chip = page.locator('#query-coins a[data-coin="bitcoin"]')
    chip.click()
    page.wait_for_url("**coin=bitcoin**")
    assert page.locator("#f-coin").input_value() == "bitcoin"
    assert hits(page).count() > 0
    for i in range(hits(page).count()):
        assert hits(page).nth(i).locator('.badge.coin[data-coin="bitcoin"]').count() == 1
    # With JavaScript, changing a filter updates the results in place.
    page.select_option("#f-coin", "ethereum")
    page.wait_for_url("**coin=ethereum**")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#hits > .hit')].every(h => h.querySelector('[data-coin=ethereum]'))"
        " || document.querySelector('[data-state=zero]:not([hidden])')")


def test_paginate_keeps_the_question_and_filters(page):
    page.goto("/search/?q=bitcoin&sort=date")
    assert page.locator(".pager-previous").is_hidden()
    page.locator(".pager-next").click()
    page.wait_for_url("**/search/?q=bitcoin&sort=date&page=2")
    assert "page 2 of" in page.locator("#summary").inner_text()
    assert page.locator("#hits").get_attribute("start") == "11"
    assert page.locator("#f-sort").input_value() == "date"
    page.locator(".pager-previous").click()
    page.wait_for_url("**/search/?q=bitcoin&sort=date")


def test_votes_and_clicks_are_recorded(page, real_server):
    page.goto("/search/?q=lightning+payment+channel")
    log_id = page.locator("#results").get_attribute("data-log-id")
    first = hits(page).first
    hit_id = int(first.get_attribute("data-hit-id"))
    up, down = first.locator('.vote-button[data-vote="1"]'), first.locator('.vote-button[data-vote="-1"]')
    up.click()
    page.wait_for_function("el => el.getAttribute('aria-pressed') === 'true'", arg=up.element_handle())
    assert down.get_attribute("aria-pressed") == "false"
    down.click()
    page.wait_for_function("el => el.getAttribute('aria-pressed') === 'true'", arg=down.element_handle())
    assert up.get_attribute("aria-pressed") == "false"
    with real_server.db() as db:
        votes = db.execute(
            "SELECT f.vote, f.rank FROM evaluation_feedback f JOIN evaluation_querylog l ON l.id = f.log_id "
            "WHERE l.public_id = ? AND f.sentence_id = ?", (log_id.replace("-", ""), hit_id)).fetchall()
    assert votes == [(-1, 1)]
    # A click on the card's head (the document page here) is sent even though the page navigates away.
    first.locator(".hit-title a.doc-link").click()
    page.wait_for_url(f"**/doc/*/?hit={hit_id}&back=*#s{hit_id}")
    assert page.locator(f"#s{hit_id}.hit-sentence").is_visible()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with real_server.db() as db:
            clicks = db.execute("SELECT rank FROM evaluation_click WHERE sentence_id = ?", (hit_id,)).fetchall()
        if clicks:
            break
        time.sleep(0.2)
    assert clicks == [(1,)]


def test_keyboard_only_search_and_result_navigation(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    else:
        pytest.fail("the search box cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.type("what is a payment channel")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=what+is+a+payment+channel")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.hitId") == hits(page).nth(0).get_attribute("data-hit-id")
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.hitId") == hits(page).nth(2).get_attribute("data-hit-id")
    page.keyboard.press("k")
    second = hits(page).nth(1).get_attribute("data-hit-id")
    assert page.evaluate("document.activeElement.dataset.hitId") == second
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")  # opens the focused result's page on this site, never the original
    page.wait_for_url(f"**/doc/*/?hit={second}&back=*#s{second}")
    assert page.locator(".back-link a").get_attribute("href") == "/search/?q=what+is+a+payment+channel"
    page.keyboard.press("/")  # back to a search box from anywhere
    assert page.evaluate("document.activeElement.id") == "header-q"


def test_phone_width_has_no_horizontal_scroll(browser, real_server):
    context = browser.new_context(base_url=real_server.url, viewport={"width": 360, "height": 740},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto("/search/?q=bitcoin+fees")
    doc_url = page.locator("#hits > .hit a.doc-link").first.get_attribute("href")
    for url in ["/", "/search/", "/search/?q=bitcoin+fees", "/search/?q=zzzzqqq", "/search/?q=x&page=0", doc_url,
                "/about/", "/faq/", "/privacy/", "/terms/", "/evaluation/", "/evaluation/dashboard/"]:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{url} is {width}px wide at a 360px viewport"
    context.close()
