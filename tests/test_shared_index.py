"""Index versions shared between nodes: published by the builder to INDEX_SHARED_DIR, copied by a
node that lacks one, verified by the manifest's checksums before it is ever served."""

import shutil

import pytest

from search.index import shared_store
from search.index.artifact import ArtifactError, read_manifest
from search.index.engine import Index
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument
from search.serving_state import state


def _corrupt(version_dir):
    blob = version_dir / "sentences.blob.npy"
    blob.write_bytes(blob.read_bytes()[:-3] + b"xyz")  # same size, other bytes


def test_a_published_version_is_fetched_byte_for_byte_and_loads(starter_index, tmp_path):
    shared, local = tmp_path / "shared", tmp_path / "node-b"
    published = shared_store.publish(starter_index.path, shared)
    assert shared_store.publish(starter_index.path, shared) == published  # idempotent
    fetched = shared_store.fetch(starter_index.version, shared, local)
    assert fetched == local / starter_index.version
    for name in read_manifest(starter_index.path)["files"]:
        assert (fetched / name).read_bytes() == (starter_index.path / name).read_bytes()
    index = Index(fetched)
    assert index.sentence_count == starter_index.sentence_count
    assert [p.name for p in local.iterdir() if not p.name.endswith(".lock")] == [starter_index.version]


def test_a_damaged_shared_copy_is_refused_and_leaves_nothing_behind(starter_index, tmp_path):
    shared, local = tmp_path / "shared", tmp_path / "node-b"
    shared_store.publish(starter_index.path, shared)
    _corrupt(shared / starter_index.version)
    with pytest.raises(ArtifactError, match="checksum"):
        shared_store.fetch(starter_index.version, shared, local)
    assert [p.name for p in local.iterdir() if not p.name.endswith(".lock")] == []


def test_unknown_or_malformed_version_ids_are_refused(tmp_path):
    with pytest.raises(ArtifactError, match="not in the shared index folder"):
        shared_store.fetch("20990101T000000.000000-abcdef", tmp_path / "shared", tmp_path / "local")
    for bad in ("../etc", "a/b", ".hidden", ""):
        with pytest.raises(ArtifactError, match="not a version id"):
            shared_store.fetch(bad, tmp_path, tmp_path / "local")


def test_prune_keeps_the_newest_and_the_protected(tmp_path):
    for name in ("v1", "v2", "v3", "v4"):
        (tmp_path / name).mkdir()
    assert shared_store.prune(tmp_path, 2, protect={"v1"}) == ["v2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1", "v3", "v4"]


@pytest.mark.django_db
def test_a_node_serves_a_version_it_never_built_and_refuses_a_damaged_one(client, index_dir, settings, tmp_path,
                                                                          monkeypatch):
    """Node A (the cluster) builds into its INDEX_DIR and publishes; node B, with an empty INDEX_DIR
    of its own, copies the active version when it is told to serve it."""
    settings.INDEX_SHARED_DIR = tmp_path / "shared"
    documents_store([ParsedDocument(external_id="d1", title="Doc", source="t", text="Miners secure bitcoin.")])
    first = reindex()
    assert (settings.INDEX_SHARED_DIR / first.version / "manifest.json").is_file()

    node_a_dir, node_b_dir = settings.INDEX_DIR, tmp_path / "node-b-index"
    settings.INDEX_DIR = node_b_dir
    state.reset()
    assert client.get("/api/search", {"q": "miners"}).json()["index_version"] == first.version
    assert (node_b_dir / first.version).is_dir()

    # The next version reaches the shared folder damaged: node B keeps serving the first one.
    settings.INDEX_DIR = node_a_dir
    documents_store([ParsedDocument(external_id="d2", title="Doc 2", source="t", text="Stakers validate ether.")])
    second = reindex(activate=False)
    shared_store.publish(node_a_dir / second.version, settings.INDEX_SHARED_DIR)
    _corrupt(settings.INDEX_SHARED_DIR / second.version)
    from search.indexing import index_activate

    index_activate(second.version)  # node A's own copy is sound, so it activates
    settings.INDEX_DIR = node_b_dir
    body = client.get("/health").json()
    assert body["index_version"] == first.version and "checksum" in body["index_error"]
    assert not (node_b_dir / second.version).exists()

    # Repaired in the shared folder (republished): node B tries again after a while and serves it.
    shutil.rmtree(settings.INDEX_SHARED_DIR / second.version)
    shared_store.publish(node_a_dir / second.version, settings.INDEX_SHARED_DIR)
    assert client.get("/api/search", {"q": "stakers"}).json()["index_version"] == first.version  # not yet
    monkeypatch.setattr(state, "_retry_at", 0.0)  # the retry delay has passed
    assert client.get("/api/search", {"q": "stakers"}).json()["index_version"] == second.version
    assert client.get("/health").json()["index_error"] is None
