"""Index versions: build, activate, hot swap in a running process, rollback, locking, pruning."""

import gc
import threading
import weakref

import pytest
from django.core.management import call_command

from search.serving_state import get_index, state
from search.nlp.analyzer import ANALYZER_VERSION
from search.indexing import BuildInProgress, build_lock, index_activate, prune_versions, reindex
from search.ingest import documents_store
from search.models import Document, IndexBuild
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db


def _store(*texts):
    documents_store(
        ParsedDocument(external_id=f"doc-{i}", title=f"Doc {i}", text=text, source="tests")
        for i, text in enumerate(texts)
    )


def test_reindex_builds_and_activates_a_version(index_dir, capsys):
    _store("Bitcoin miners secure the network with proof of work.")
    call_command("reindex", verbosity=0)
    build = IndexBuild.objects.get()
    assert build.is_active and build.status == "succeeded"
    assert (build.documents, build.sentences) == (1, 1)
    assert (index_dir / build.version / "manifest.json").exists()
    assert build.artifact_bytes > 0 and build.timings["total"] > 0
    assert "Built" in capsys.readouterr().out


def test_a_running_process_swaps_to_a_new_version_without_restart(index_dir):
    _store("Bitcoin miners secure the network.")
    first = reindex()
    assert get_index().version == first.version
    _store("Bitcoin miners secure the network.", "Ethereum validators stake ether.")
    second = reindex()
    index = get_index()
    assert index.version == second.version and index.document_count == 2
    index_activate(first.version)  # rollback
    assert get_index().version == first.version
    assert IndexBuild.objects.filter(is_active=True).count() == 1


def test_a_replaced_version_is_released_even_after_its_objects_were_frozen(index_dir):
    # Building the spelling dictionary freezes long-lived objects out of the collector's reach
    # (SpellingDictionary._build); a swapped-out index must still be freed, maps and all.
    _store("Bitcoin miners secure the network.")
    reindex()
    old = get_index()
    assert old.spelling.ready(wait=True) and gc.get_freeze_count() > 0
    released = weakref.ref(old)
    del old
    _store("Bitcoin miners secure the network.", "Ethereum validators stake ether.")
    reindex()
    assert get_index().document_count == 2
    gc.collect()
    assert released() is None


def test_a_version_that_fails_to_load_is_never_activated(index_dir):
    _store("Bitcoin miners secure the network.")
    good = reindex()
    bad = reindex(activate=False)
    (index_dir / bad.version / "post_weight.npy").write_bytes(b"garbage")
    with pytest.raises(Exception, match="bytes|checksum"):
        index_activate(bad.version)
    assert IndexBuild.objects.get(is_active=True).version == good.version


def test_a_broken_active_version_keeps_the_previous_one_serving(index_dir):
    _store("Bitcoin miners secure the network.")
    good = reindex()
    assert get_index().version == good.version
    bad = reindex(activate=False)
    (index_dir / bad.version / "sentences.blob.npy").write_bytes(b"garbage")
    IndexBuild.objects.update(is_active=False)
    IndexBuild.objects.filter(pk=bad.pk).update(is_active=True)  # as if activated behind our back
    assert get_index().version == good.version
    assert bad.version in state.load_error


def test_only_one_build_at_a_time(index_dir):
    _store("Bitcoin miners secure the network.")
    entered = threading.Event()
    release = threading.Event()

    def hold_lock():
        with build_lock():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold_lock)
    thread.start()
    entered.wait(5)
    try:
        with pytest.raises(BuildInProgress):
            reindex()
    finally:
        release.set()
        thread.join()
    assert reindex().status == "succeeded"


def test_old_versions_are_pruned_but_the_active_one_is_kept(index_dir, settings):
    _store("Bitcoin miners secure the network.")
    builds = [reindex() for _ in range(3)]
    index_activate(builds[0].version)
    removed = prune_versions(keep=1)
    assert builds[1].version in removed
    assert (index_dir / builds[0].version).exists() and (index_dir / builds[2].version).exists()


def test_an_interrupted_build_is_cleaned_up_by_the_next_one(index_dir):
    _store("Bitcoin miners secure the network.")
    stale = index_dir / ".tmp-20200101T000000-dead00"
    stale.mkdir(parents=True)
    IndexBuild.objects.create(version="20200101T000000-dead00")  # status running, process gone
    build = reindex()
    assert not stale.exists()
    assert IndexBuild.objects.get(version="20200101T000000-dead00").status == "failed"
    assert build.is_active


def test_reindex_without_documents_says_so(index_dir):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no documents"):
        call_command("reindex", verbosity=0)
    assert IndexBuild.objects.get().status == "failed"


def test_bootstrap_rebuilds_when_the_active_version_cannot_be_loaded(index_dir, capsys):
    _store("Bitcoin miners secure the network.")
    old = reindex()
    manifest = index_dir / old.version / "manifest.json"
    manifest.write_text(manifest.read_text().replace(f'"analyzer_version": "{ANALYZER_VERSION}"', '"analyzer_version": "0"'))
    call_command("bootstrap")
    assert "cannot be loaded" in capsys.readouterr().out
    assert IndexBuild.objects.get(is_active=True).version != old.version


def test_bootstrap_on_a_web_node_builds_nothing_and_makes_the_staff_user_from_settings_once(index_dir, settings, tmp_path, capsys):
    from django.contrib.auth import get_user_model

    settings.RUN_CLUSTER, settings.INDEX_SHARED_DIR = False, tmp_path / "shared"
    settings.DJANGO_SUPERUSER_USERNAME, settings.DJANGO_SUPERUSER_PASSWORD = "staff", "first-password"
    call_command("bootstrap")
    assert "Web node: no index is active yet" in capsys.readouterr().out
    assert not Document.objects.exists() and not IndexBuild.objects.exists()
    settings.DJANGO_SUPERUSER_PASSWORD = "second-password"
    call_command("bootstrap")
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_superuser and staff.check_password("first-password")


def test_promoting_a_ranker_with_other_k1_or_b_queues_a_rebuild_that_stores_its_weights(index_dir, monkeypatch):
    from search.rankers import DEFAULT, ranker_promote, ranker_save

    requests = []
    monkeypatch.setattr("search.tasks.index_rebuild_request", lambda **kwargs: requests.append(kwargs))
    _store("Bitcoin miners secure the network.", "Ethereum validators stake ether.")
    ranker_save(DEFAULT.with_changes(name="same-weights"), origin="test")
    ranker_save(DEFAULT.with_changes(name="other-k1", k1=1.7), origin="test")
    ranker_promote("same-weights")
    build = reindex()
    assert (build.parameters["k1"], build.parameters["b"]) == (DEFAULT.k1, DEFAULT.b)
    ranker_promote("same-weights")
    assert requests == []
    ranker_promote("other-k1")
    assert len(requests) == 1 and requests[0]["force"] and "k1=1.7" in requests[0]["reason"]
    rebuilt = reindex()  # what the queued task runs
    assert rebuilt.parameters["k1"] == 1.7 and get_index().params["k1"] == 1.7
