"""Headers, HTTPS settings, rate limits, inert hostile input, and property-based checks."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from search.indexing import reindex
from search.ingest import documents_store
from search.nlp.analyzer import analyze
from search.parsing import ParsedDocument
from search.search_request import InvalidQuery, parse_request

from .conftest import ROOT

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">j</a>"


@pytest.fixture
def site(index_dir, db):
    documents_store([
        ParsedDocument(external_id="evil", title=f"Staking {EVIL}", source="guides", url="javascript:alert(3)",
                       text=f"Staking rewards {EVIL} are paid in ether to validators. Validators stake ether."),
    ])
    return reindex()


def test_security_headers_on_every_page(client, site):
    for url in ["/", "/search/?q=staking", "/api/search?q=staking", "/health", "/evaluation/"]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", policy).group(1)
        assert "'unsafe-inline'" not in script_src and "'self'" in script_src, url
        assert "frame-ancestors 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


class _InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, handlers, style attributes and blocks."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on") or name == "style"]


def test_pages_have_no_inline_scripts_styles_or_handlers(client, site):
    for url in ["/", "/search/?q=staking", "/evaluation/", "/evaluation/dashboard/", "/about/", "/faq/"]:
        parser = _InlineCode()
        parser.feed(client.get(url).content.decode())
        assert parser.found == [], url


def _active_content(html: str) -> list[str]:
    """Tags a hostile text could have smuggled in: inline scripts, handlers, javascript: links."""
    parser = _InlineCode()
    parser.feed(html)
    links = re.findall(r"""<a\s[^>]*href\s*=\s*["']?\s*javascript:""", html, re.I)
    return parser.found + links


def test_hostile_corpus_and_query_text_is_inert(client, site):
    page = client.get("/search/", {"q": f"staking {EVIL}"}).content.decode()
    assert _active_content(page) == [] and "&lt;script&gt;" in page
    body = client.get("/api/search", {"q": "staking"}).json()
    assert all("<script" not in h["html"] and "<img" not in h["html"] for h in body["hits"])
    assert all(h["document"]["url"] == "" for h in body["hits"])
    doc = client.get(f"/doc/{body['hits'][0]['document']['id']}/").content.decode()
    assert _active_content(doc) == []


def test_admin_shows_hostile_text_inert(admin_client, site):
    html = admin_client.get("/admin/search/document/").content.decode()
    assert "<script>alert('x')" not in html and "&lt;script&gt;" in html


def test_rate_limits_answer_429_with_retry_after(site, settings):
    settings.RATE_LIMIT_SEARCH = "3/60"
    settings.RATE_LIMIT_EXEMPT = []
    cache.clear()
    visitor = Client(REMOTE_ADDR="198.51.100.7")
    codes = [visitor.get("/api/search", {"q": "staking"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = visitor.get("/api/search", {"q": "staking"})
    assert 1 <= int(limited["Retry-After"]) <= 60 and "Too many requests" in limited.json()["error"]
    assert visitor.get("/search/", {"q": "staking"}).status_code == 429  # the page shares the budget
    assert Client(REMOTE_ADDR="198.51.100.8").get("/api/search", {"q": "staking"}).status_code == 200
    assert visitor.get("/health").status_code == 200  # not a limited endpoint
    cache.clear()


def test_loopback_is_exempt_by_default(site, settings):
    settings.RATE_LIMIT_SEARCH = "1/60"
    cache.clear()
    local = Client(REMOTE_ADDR="127.0.0.1")
    assert [local.get("/api/search", {"q": "staking"}).status_code for _ in range(3)] == [200, 200, 200]
    cache.clear()


def test_oversized_bodies_are_refused(site, client):
    response = client.post("/api/feedback", "x" * 200_000, content_type="application/json")
    assert response.status_code in (400, 413)


def test_deploy_checks_are_clean_with_production_settings(tmp_path):
    env = {**os.environ, "DEBUG": "0", "HTTPS": "1", "DATA_DIR": str(tmp_path),
           "SECRET_KEY": "k" * 20 + "Q7-zp$W" * 8, "DJANGO_SETTINGS_MODULE": "cryptosights_project.settings"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_debug_page_for_errors(client, site):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"Traceback" not in response.content and b"URLconf" not in response.content


# --- property-based -------------------------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(text)
@hsettings(max_examples=300, deadline=None)
def test_the_analyzer_takes_any_text(value):
    terms = analyze(value)
    assert isinstance(terms, list) and all(isinstance(t, str) and t for t in terms)
    assert analyze(value) == terms


params = st.dictionaries(
    st.sampled_from(["q", "coin", "source", "from", "to", "sort", "page", "zzz"]),
    st.one_of(text, st.integers(-10**9, 10**9).map(str), st.sampled_from(["bitcoin", "2024-01-01", "date", "2"])),
)


@given(params)
@hsettings(max_examples=300, deadline=None)
def test_the_query_parser_accepts_or_explains(values):
    try:
        request = parse_request(values)
    except InvalidQuery as exc:
        assert str(exc) and exc.field in {"q", "coin", "source", "from", "to", "sort", "page"}
    else:
        assert 1 <= request.page <= 100 and len(request.q) <= 500


@pytest.mark.django_db
@given(params)
@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_api_parameter_answers_200_or_a_clear_4xx(site, values):
    client = Client(REMOTE_ADDR="127.0.0.1")
    for path in ("/api/search", "/search/", "/api/suggest"):
        response = client.get(path, values)
        if path == "/search/" and response.status_code == 302:
            # Empty or default fields are dropped from the page's URL (a no-JavaScript form submits them all).
            location = response["Location"]
            assert not re.search(r"[?&][a-z]+=(&|$)", location), location
            response = client.get(location)
        assert response.status_code in (200, 400, 404), (path, values, response.status_code)
        if path.startswith("/api/") and response.status_code == 400:
            assert response.json()["error"]


def test_huge_queries_and_control_characters(client, site):
    assert client.get("/api/search", {"q": "bitcoin " * 15000}).status_code == 400
    assert client.get("/api/search", {"q": "\x00\x01\x1b[31mstaking"}).status_code == 200
    assert client.get("/api/search", {"q": "' OR 1=1; DROP TABLE search_document; --"}).status_code == 200
