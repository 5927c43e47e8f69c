"""Hostile input that used to get through: deep JSON, decompression bombs, fractional ids."""

import gzip
import json
import tracemalloc

import pytest
from django.core.cache import cache
from django.core.management import call_command

from evaluation.models import Feedback
from search import safe_json
from search.indexing import reindex
from search.ingest import documents_store, paths_ingest
from search.models import Document
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


def _record(n: int, text: str = "Staking rewards are paid to validators who keep their node online.") -> dict:
    return {"id": f"doc-{n}", "title": f"Document {n}", "text": text, "source": "tests"}


@pytest.fixture
def site(index_dir):
    cache.clear()
    documents_store([ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                                    text="Validators stake ether to secure Ethereum. Validators who cheat are slashed.")])
    yield reindex()
    cache.clear()


def test_deeply_nested_json_to_the_api_is_a_json_400(client, site):
    for body in (DEEP, '{"log_id": ' + DEEP + "}", "{" * 3000):
        response = client.post("/api/feedback", body, content_type="application/json")
        assert response.status_code == 400 and "JSON object" in response.json()["error"], body[:20]
    assert "nested" in client.post("/api/feedback", DEEP, content_type="application/json").json()["error"]


def test_the_depth_check_ignores_brackets_inside_strings():
    assert safe_json.loads('{"text": "[[[[[[[[[[ {{{{ \\" ]]"}', max_depth=1) == {"text": '[[[[[[[[[[ {{{{ " ]]'}
    assert safe_json.nesting_depth(b'[{"a": [1, [2]]}]') == 4
    with pytest.raises(ValueError, match="nested more than 3"):
        safe_json.loads("[[[[1]]]]", max_depth=3)


def test_jsonl_with_a_deeply_nested_line_keeps_every_good_line(tmp_path):
    lines = [json.dumps(_record(1)), DEEP, json.dumps({**_record(2), "authors": json.loads("[" * 50 + "]" * 50)}),
             json.dumps(_record(3))]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = paths_ingest([path])
    assert report.created == 2 and set(Document.objects.values_list("external_id", flat=True)) == {"doc-1", "doc-3"}
    assert [where for where, _ in report.skipped] == ["hostile.jsonl:2", "hostile.jsonl:3"]
    assert all("nested more than" in why for _, why in report.skipped)


def test_legacy_log_import_refuses_deep_json(tmp_path):
    path = tmp_path / "query_logs.json"
    path.write_text(DEEP)
    with pytest.raises(ValueError, match="nested more than"):
        from evaluation.legacy import legacy_logs_import
        legacy_logs_import(path)


def _gzip_with_a_huge_line(path, huge_bytes: int):
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write((json.dumps(_record(1)) + "\n").encode())
        handle.write(b'{"id": "huge", "title": "Huge", "text": "')
        chunk = b"a" * (1024 * 1024)
        for _ in range(huge_bytes // len(chunk)):
            handle.write(chunk)
        handle.write(b'"}\n')
        handle.write((json.dumps(_record(2)) + "\n").encode())
    return path


def test_a_huge_gzipped_line_is_skipped_without_reading_it_into_memory(tmp_path, settings):
    settings.INGEST_MAX_LINE_BYTES = 1024 * 1024
    path = _gzip_with_a_huge_line(tmp_path / "bomb.jsonl.gz", 64 * 1024 * 1024)  # 64 MB of text, ~300 KB on disk
    tracemalloc.start()
    try:
        report = paths_ingest([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"{peak / 1e6:.0f} MB held"
    assert report.created == 2 and report.skipped == [("bomb.jsonl.gz:2", "line longer than 1,048,576 bytes")]


def test_decompression_stops_at_the_cap_and_says_so(tmp_path, settings):
    settings.INGEST_MAX_DECOMPRESSED_BYTES = 2000
    line = json.dumps(_record(0)) + "\n"
    path = tmp_path / "many.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(_record(n)) + "\n" for n in range(100)).encode()))
    report = paths_ingest([path])
    kept = 2000 // len(line)
    assert report.created == kept and Document.objects.count() == kept
    (where, why), = report.skipped
    assert where == f"many.jsonl.gz:{kept + 1}" and "more than 2,000 bytes decompressed" in why


def test_the_ingest_command_reports_the_skipped_lines(tmp_path, settings, capsys):
    settings.INGEST_MAX_LINE_BYTES = 1024 * 1024
    call_command("ingest", str(_gzip_with_a_huge_line(tmp_path / "bomb.jsonl.gz", 2 * 1024 * 1024)))
    printed = capsys.readouterr()
    assert "skipped bomb.jsonl.gz:2: line longer than 1,048,576 bytes" in printed.err
    assert "2 new, 0 updated, 0 unchanged, 1 skipped" in printed.out


@pytest.mark.parametrize("field, value", [("hit_id", 1.9), ("hit_id", 1786.5), ("hit_id", "1786.5"), ("vote", 1.9), ("vote", "1.0"),
                                          ("hit_id", True), ("vote", [1])])
def test_fractional_hit_ids_and_votes_are_refused(client, site, field, value):
    body = client.get("/api/search", {"q": "validators"}).json()
    payload = {"log_id": body["log_id"], "hit_id": body["hits"][0]["id"], "action": "vote", "vote": 1, field: value}
    response = client.post("/api/feedback", payload, content_type="application/json")
    assert response.status_code == 400 and "whole numbers" in response.json()["error"]
    assert not Feedback.objects.exists()


# --- ids unique per path ----------------------------------------------------------------------

TEXT = "Validators stake ether and earn rewards for proposing blocks on time. "


def test_files_with_the_same_name_are_different_documents(tmp_path):
    (tmp_path / "notes.txt").write_text("Plain notes. " + TEXT)
    (tmp_path / "notes.md").write_text("# Markdown notes\n\n" + TEXT)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(f"Notes of folder {folder}. " + TEXT)
    report = paths_ingest([tmp_path], source="notes")
    assert (report.created, report.updated, report.skipped, report.conflicts) == (4, 0, [], [])
    assert set(Document.objects.values_list("external_id", flat=True)) == {
        "notes:notes.txt", "notes:notes", "notes:a/notes.txt", "notes:b/notes.txt"}
    assert paths_ingest([tmp_path], source="notes").unchanged == 4


def test_one_file_then_another_with_the_same_stem_adds_a_document(tmp_path):
    (tmp_path / "notes.txt").write_text("Plain notes. " + TEXT)
    (tmp_path / "notes.md").write_text("# Markdown notes\n\n" + TEXT)
    assert paths_ingest([tmp_path / "notes.txt"], source="notes").created == 1
    report = paths_ingest([tmp_path / "notes.md"], source="notes")
    assert (report.created, report.updated) == (1, 0) and Document.objects.count() == 2


def test_a_true_conflict_is_reported(tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(f"Notes of folder {folder}. " + TEXT)
    report = paths_ingest([tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"], source="notes")
    assert report.conflicts == [("notes:notes.txt", "notes.txt and notes.txt have this id; the later one was kept")]
    assert "1 id conflicts" in report.summary()
    lines = tmp_path / "dup.jsonl"
    lines.write_text(json.dumps(_record(7)) + "\n" + json.dumps(_record(7, text="Another text. " + TEXT)) + "\n")
    call_command("ingest", str(lines))
    assert "id conflict doc-7: dup.jsonl:1 and dup.jsonl:2 have this id; the later one was kept" in capsys.readouterr().err
    assert Document.objects.get(external_id="doc-7").text.startswith("Another text.")


def test_documents_stored_under_the_old_ids_are_renamed_not_duplicated(tmp_path):
    from evaluation.models import Judgment

    (tmp_path / "staking.txt").write_text("Staking. " + TEXT)
    (tmp_path / "guide.md").write_text("# Guide\n\n" + TEXT)  # Markdown at the top keeps its old id
    old = Document.objects.create(external_id="notes:staking", title="Staking", text=TEXT, source=_source("notes"))
    guide = Document.objects.create(external_id="notes:guide", title="Guide", text=TEXT, source=_source("notes"))
    Judgment.objects.create(query="staking rewards", document_slug="notes:staking", grade=2, origin="staff")
    report = paths_ingest([tmp_path], source="notes")
    assert (report.created, report.updated) == (0, 2)
    assert Document.objects.get(pk=old.pk).external_id == "notes:staking.txt"
    assert Document.objects.get(pk=guide.pk).external_id == "notes:guide"
    assert Judgment.objects.get().document_slug == "notes:staking.txt"


def _source(name):
    from search.models import Source

    return Source.objects.get_or_create(name=name, defaults={"label": name})[0]
