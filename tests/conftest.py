import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from search.index.build import DocRecord, build_index
from search.index.engine import Index

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_CORPUS = SHARED / "corpus" / "crypto-docs.jsonl.gz"
STARTER_CORPUS = ROOT / "search" / "starter_corpus"


def starter_records() -> list[DocRecord]:
    from search.parsing import markdown_to_text

    records = []
    for i, path in enumerate(sorted(STARTER_CORPUS.glob("*.md")), start=1):
        title, text = markdown_to_text(path.read_text(encoding="utf-8"))
        records.append(DocRecord(i, path.stem, title, "", "cryptosights-guides", None, text))
    return records


def shared_records(every: int = 1) -> list[DocRecord]:
    records = []
    with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i % every:
                continue
            d = json.loads(line)
            published = date.fromisoformat(d["published"]) if d.get("published") else None
            records.append(DocRecord(i + 1, d["id"], d["title"], d["url"], d["source"], published, d["text"]))
    return records


@pytest.fixture(scope="session")
def starter_index(tmp_path_factory) -> Index:
    directory = tmp_path_factory.mktemp("starter-index")
    version, _ = build_index(starter_records(), directory, workers=1)
    return Index(directory / version)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Templates use {% static %}; tests need no collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _inline_query_logs(settings):
    # In-process tests assert a search's log row right after the response: the request writes
    # it itself. (The real stack's batching writer is covered by tests that say so.)
    from evaluation import logging as query_logging

    settings.QUERY_LOG_BATCH_MS = 0
    yield
    query_logging._pending.clear()


@pytest.fixture(scope="session")
def semantic_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("semantic-cache")


@pytest.fixture(autouse=True)
def _shared_semantic_cache(settings, semantic_cache_dir):
    # Builds in tests share one vector cache, so the starter corpus is encoded once per session
    # (when the model package is installed; without it builds skip the vectors).
    settings.SEMANTIC_CACHE_DIR = semantic_cache_dir


@pytest.fixture
def index_dir(settings, tmp_path):
    """A fresh, empty index directory for this test, and a holder that forgets older ones."""
    from search.active_index import holder

    settings.DATA_DIR = tmp_path
    settings.INDEX_DIR = tmp_path / "index"
    settings.INDEX_CHECK_SECONDS = 0
    holder.reset()
    yield settings.INDEX_DIR
    holder.reset()


@pytest.fixture
def stack(tmp_path):
    """The real stack (`python run.py`) with its own DATA_DIR; for integration tests."""
    from .stack import running_stack

    with running_stack(tmp_path) as running:
        yield running
