"""The image's install, alone, runs the whole product: a virtualenv made only from what the
Dockerfile installs (the lock, replayed by scripts/replay_dockerfile.py without Docker) imports
every module, crawls an HTML page, a feed and a PDF from a local server, reindexes, starts with
the production start command and finds the crawled text. The dev requirements once hid a
dependency the image lacked (lxml's html_clean, needed to extract web pages)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import ROOT
from .crawl_site.server import Site
from .stack import free_port, wait_for

pytestmark = pytest.mark.integration

IMPORT_EVERY_MODULE = """
import importlib, pathlib, django
django.setup()
names = []
for package in ("cryptosights_project", "search", "evaluation"):
    for path in sorted(pathlib.Path(package).rglob("*.py")):
        name = ".".join(path.with_suffix("").parts).removesuffix(".__init__")
        importlib.import_module(name)
        names.append(name)
print(len(names), "modules imported")
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> tuple[Path, Path]:
    """(python, app directory) of the replayed image."""
    into = tmp_path_factory.mktemp("image")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "replay_dockerfile.py"), "--into", str(into)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0 and "none failed" in result.stdout, result.stdout[-4000:] + result.stderr[-4000:]
    return into / "venv" / "bin" / "python", into / "root" / "home" / "user" / "app"


def image_env(python: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    # Only the image's interpreter and packages: nothing from this venv or the checkout.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE"}}
    env.update(PATH=f"{python.parent}:{env['PATH']}", DATA_DIR=str(data_dir), CRAWL_ALLOW_PRIVATE="1",
               DJANGO_SETTINGS_MODULE="cryptosights_project.settings", **extra)
    env.pop("DATA_DIR_FALLBACK", None)
    return env


def test_the_image_alone_crawls_indexes_serves_and_finds(image, tmp_path):
    python, app = image
    env = image_env(python, tmp_path / "data")

    def manage(*args: str) -> str:
        result = subprocess.run([str(python), "manage.py", *args], cwd=app, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        return result.stdout + result.stderr

    imported = subprocess.run([str(python), "-c", IMPORT_EVERY_MODULE], cwd=app, env=env, capture_output=True,
                              text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-4000:]
    assert int(imported.stdout.split()[0]) > 50

    site = Site().start()
    try:
        manage("migrate", "--noinput", "-v", "0")
        for path in ("/articles/ethereum-staking.html", "/feed.xml", "/papers/lightning.pdf"):
            output = manage("ingest", site.url(path))
            assert "internal error" not in output and "ImportError" not in output, output
        manage("reindex")
    finally:
        site.stop()

    port = free_port()
    env.update(PORT=str(port))
    server = subprocess.Popen([str(python), "run.py"], cwd=app, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/health", timeout=5).json()["index_loaded"], 120, "the image's site")

        def top_text(q: str) -> str:
            hits = requests.get(f"{base}/api/search", params={"q": q}, timeout=10).json()["hits"]
            return " ".join(hit["text"] for hit in hits[:3]).lower()

        assert "withdraw" in top_text("Shanghai upgrade validators withdraw ether")  # the HTML page
        assert "210,000 blocks" in top_text("reward paid to miners cut in half every 210,000 blocks")  # the feed's article
        assert "payment channel" in top_text("Lightning Network payment channel off-chain")  # the PDF
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
