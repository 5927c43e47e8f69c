"""HEAD for monitors, and JSON errors for what the API refuses before a view runs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.test import Client

from evaluation.models import QueryLog
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

from .conftest import ROOT
from .stack import free_port

PAGES = ["/", "/search/?q=validators", "/about/", "/faq/", "/privacy/", "/terms/", "/evaluation/",
         "/evaluation/dashboard/", "/health", "/api/search?q=validators", "/api/suggest?q=val", "/api/stats",
         "/api/openapi.json"]


@pytest.fixture
def site(index_dir, db):
    documents_store([ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                                    text="Validators stake ether to secure Ethereum. Validators who cheat are slashed.")])
    return reindex()


def test_head_answers_on_every_page_without_a_body_or_a_log(client, site):
    document = client.get("/api/search", {"q": "validators"}).json()["hits"][0]["document"]["id"]
    logged = QueryLog.objects.count()
    for url in [*PAGES, f"/doc/{document}/"]:
        response = client.head(url)
        assert response.status_code == 200 and response.content == b"", url
        assert response["Content-Type"], url
    assert QueryLog.objects.count() == logged  # a monitor's HEAD is not a search anybody saw


def test_a_body_over_the_limit_is_a_json_error(client, site, settings):
    response = client.post("/api/feedback", "x" * 200_000, content_type="application/json")
    assert response.status_code == 413 and "too large" in response.json()["error"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/feedback", {f"f{n}": "x" * 50 for n in range(40)})  # a form: Django reads it
    assert response.status_code in (400, 413) and response.json()["error"]


def test_a_failed_csrf_check_on_the_api_is_json(site):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/feedback", {"log_id": "x"}, content_type="application/json")
    assert response.status_code == 403 and "X-CSRFToken" in response.json()["error"]


def _raw_get(port: int, target: str) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_gunicorn_refuses_a_huge_question_with_json(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WEB_WORKERS": "1", "DATA_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "cryptosights_project.wsgi:application", "-c",
                               "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        status, headers, body = _raw_get(port, "/api/search?q=" + "bitcoin+" * 1250)  # 10,000 characters
        assert status == 414 and headers["Content-Type"] == "application/json"
        assert "500 characters" in json.loads(body)["error"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
