"""Legacy import, the evaluate command, purge, the dashboard and the admin."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from evaluation.legacy import legacy_logs_import
from evaluation.models import Click, Judgment, MetricSnapshot, QueryLog
from search.indexing import reindex
from search.ingest import documents_store
from search.models import IndexBuild
from search.parsing import ParsedDocument

from .conftest import SHARED

pytestmark = pytest.mark.django_db
LEGACY = SHARED / "legacy" / "query_logs.json"


def _legacy_file(tmp_path):
    if LEGACY.exists():
        return LEGACY, len(json.loads(LEGACY.read_text()))
    entries = [{"timestamp": f"2025-05-15T13:4{i}:16", "coin": "bitcoin", "query": f"q{i}", "sentiment": "Neutral",
                "answers": [{"excerpt": "x", "confidence": 0.4, "source_context": "Market"}]} for i in range(5)]
    path = tmp_path / "query_logs.json"
    path.write_text(json.dumps(entries))
    return path, 5


def test_legacy_logs_import_counts_and_is_idempotent(tmp_path, capsys):
    path, expected = _legacy_file(tmp_path)
    call_command("import_legacy_logs", str(path))
    assert f"Imported {expected} legacy searches" in capsys.readouterr().out
    assert QueryLog.objects.filter(interface="legacy").count() == expected
    call_command("import_legacy_logs", str(path))
    assert QueryLog.objects.count() == expected
    row = QueryLog.objects.order_by("created_at").first()
    assert row.extra["answers"] and row.normalized == row.query.lower().strip()
    assert row.created_at.tzinfo is not None


def test_legacy_import_rejects_bad_files(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CommandError, match="not a readable JSON"):
        call_command("import_legacy_logs", str(tmp_path / "bad.json"))
    (tmp_path / "obj.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="list"):
        legacy_logs_import(tmp_path / "obj.json")
    (tmp_path / "mixed.json").write_text(json.dumps([{"query": ""}, {"timestamp": "2025-01-01T00:00:00", "query": "ok"}]))
    report = legacy_logs_import(tmp_path / "mixed.json")
    assert report.imported == 1 and len(report.skipped) == 1


@pytest.fixture
def site(index_dir, settings):
    # Lexical retrieval only: these tests check the metrics' arithmetic on rankings they can predict
    # (the semantic signal would also rank documents sharing no word with the question).
    settings.SEMANTIC_VECTORS = False
    documents_store([
        ParsedDocument(external_id="eip-1559", title="Fee market change", source="specs",
                       text="The base fee is burned. A priority fee goes to the block producer."),
        ParsedDocument(external_id="bip-0032", title="Hierarchical deterministic wallets", source="specs",
                       text="Wallets derive child keys from a master seed. Extended keys can be shared."),
    ])
    return reindex()


def test_evaluate_prints_offline_metrics_and_writes_per_query_results(site, tmp_path, capsys):
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query\tdoc_id\nhow is the base fee burned\teip-1559\nderive child keys\tbip-0032\nnothing here\tbip-0032\n")
    out = tmp_path / "per-query.tsv"
    call_command("evaluate", "--qrels", str(qrels), "--out", str(out))
    printed = capsys.readouterr().out
    assert "3 queries" in printed and "MRR@10 0.6667" in printed and "hit@10 0.6667" in printed
    lines = out.read_text().splitlines()
    assert lines[0].startswith("query\trelevant\tfirst_relevant_rank") and len(lines) == 4
    snapshot = MetricSnapshot.objects.get(kind="offline")
    assert snapshot.index_version == site.version and snapshot.metrics["mrr10"] == pytest.approx(2 / 3)


def test_evaluate_scores_graded_multi_document_questions_per_split(site, tmp_path, capsys):
    questions = tmp_path / "questions.tsv"
    questions.write_text(
        "id\tsplit\tquestion\tjudgments\n"
        "a\tdev\thow is the base fee burned\teip-1559:2 bip-0032:1\n"  # answer at rank 1
        "b\tdev\tderive child keys from a master seed\teip-1559:2 bip-0032:1\n"  # only the useful one found
        "c\ttest\textended keys can be shared\tbip-0032:2\n"
    )
    out = tmp_path / "per-query.tsv"
    call_command("evaluate", "--qrels", str(questions), "--out", str(out))
    printed = capsys.readouterr().out
    assert "dev: 2 queries" in printed and "test: 1 queries" in printed
    dev = MetricSnapshot.objects.get(kind="offline", metrics__split="dev").metrics
    assert dev["mrr10"] == pytest.approx(1.0) and dev["hit10"] == pytest.approx(1.0)
    assert dev["mrr10_grade2"] == pytest.approx(0.5) and dev["hit10_grade2"] == pytest.approx(0.5)
    # gains 2^grade - 1, ideal 3 then 1: a finds only eip-1559 (3), b only bip-0032 (1), both at rank 1
    ideal = 3 + 1 / 1.5849625007211562
    assert dev["ndcg10"] == pytest.approx((3 / ideal + 1 / ideal) / 2)
    assert MetricSnapshot.objects.get(kind="offline", metrics__split="test").metrics["mrr10_grade2"] == 1.0
    rows = out.read_text().splitlines()
    assert rows[0].endswith("\tsplit") and rows[2].split("\t")[1] == "eip-1559:2 bip-0032:1"
    b = rows[2].split("\t")
    assert b[2] == "1" and b[7] == "" and float(b[3]) == pytest.approx(1 / ideal, abs=1e-4)


def test_evaluate_refuses_a_bad_qrels_file(site, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("no header here\n")
    with pytest.raises(CommandError, match="header"):
        call_command("evaluate", "--qrels", str(bad))


def _log(query, *, session, days_ago=0, results=3, interface="web"):
    return QueryLog.objects.create(
        created_at=timezone.now() - timedelta(days=days_ago), query=query, normalized=query, result_count=results,
        zero_results=results == 0, latency_ms=5.0, session_hash=session, interface=interface,
        results=[[1, 1], [2, 2]],
    )


def test_dashboard_renders_svg_charts_and_hides_rare_queries(client, site):
    for i in range(5):
        _log("popular question", session=f"s{i}")
    _log("my private question", session="lonely")
    _log("unanswerable thing", session="x", results=0)
    page = client.get("/evaluation/dashboard/").content.decode()
    assert page.count("<svg") == 5 and 'role="img"' in page and "<title id=\"volume-t\">Searches per day</title>" in page
    assert "popular question" in page
    assert "my private question" not in page and "unanswerable thing" not in page
    assert client.get("/evaluation/").status_code == 200


def test_metrics_command_and_snapshot(site, capsys):
    log = _log("btc", session="a")
    Click.objects.create(log=log, sentence_id=1, document_id=1, rank=1)
    call_command("metrics", "--hours", "1", "--save")
    out = capsys.readouterr().out
    assert "1 searches" in out and "ctr: 100.0%" in out
    assert MetricSnapshot.objects.get(kind="online").metrics["volume"] == 1


def test_purge_aggregates_old_logs_before_deleting_them(site):
    _log("old question", session="a", days_ago=100)
    _log("old question", session="b", days_ago=100)
    _log("fresh question", session="c")
    result = call_command("purge_logs", "--days", "90")
    assert list(QueryLog.objects.values_list("query", flat=True)) == ["fresh question"]
    daily = MetricSnapshot.objects.get(kind="daily")
    assert daily.metrics["volume"] == 2 and daily.metrics["top_queries"][0]["query"] == "old question"
    assert result is None


def test_admin_is_for_staff_only(client, site):
    for url in ["/admin/", "/admin/evaluation/querylog/", "/admin/search/indexbuild/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    user = get_user_model().objects.create_user("visitor", password="pw-123456789")
    client.force_login(user)
    assert client.get("/admin/evaluation/querylog/").status_code == 302


def test_admin_pages_and_actions_for_staff(admin_client, site):
    log = _log("base fee", session="a")
    for url in ["/admin/evaluation/querylog/", f"/admin/evaluation/querylog/{log.pk}/change/",
                "/admin/evaluation/feedback/", "/admin/evaluation/judgment/", "/admin/evaluation/metricsnapshot/",
                "/admin/search/indexbuild/", "/admin/search/document/", "/admin/search/source/",
                "/admin/evaluation/querylog/?zero_results__exact=1&interface__exact=web"]:
        assert admin_client.get(url).status_code == 200, url
    export = admin_client.post("/admin/evaluation/querylog/", {"action": "export_csv", "_selected_action": [log.pk]})
    assert b"base fee" in b"".join(export.streaming_content)
    Judgment.objects.create(query="base fee", document_slug="eip-1559", grade=1)
    older = IndexBuild.objects.get()
    newer = reindex()
    assert IndexBuild.objects.get(is_active=True) == newer
    admin_client.post("/admin/search/indexbuild/", {"action": "activate", "_selected_action": [older.pk]})
    assert IndexBuild.objects.get(is_active=True) == older


def test_public_figures_have_one_number_format_and_no_staff_instructions(client, site):
    for i in range(5):
        _log("popular question", session=f"s{i}", results=0 if i == 0 else 3)
    MetricSnapshot.objects.create(kind="offline", ranker="default", index_version="20261201T111707.169758-f3907f",
                                  window_start=timezone.now(), window_end=timezone.now(),
                                  metrics={"queries": 438, "ndcg10": 0.8123, "mrr10": 0.7711, "recall10": 0.93,
                                           "hit10": 0.9345})
    for url in ["/evaluation/", "/evaluation/dashboard/"]:
        page = client.get(url).content.decode()
        assert "manage.py" not in page, url
        body = page[page.index("<main"):]
        assert not re.search(r"(?<![\d.,])0\.\d{2,}(?![\d%])", body), url  # no bare fractions: shares are percentages
    dashboard = client.get("/evaluation/dashboard/").content.decode()
    assert "93.5%" in dashboard and "81.2%" in dashboard and "20.0%" in dashboard  # hit@10, nDCG@10, no result
    assert '<span class="version" title="20261201T111707.169758-f3907f">20261201T111707</span>' in dashboard
    landing = client.get("/evaluation/").content.decode()
    assert "<dd>20.0%</dd>" in landing and "<dd>5.0 ms</dd>" in landing


def test_staff_instructions_are_in_the_admin(admin_client, site):
    page = admin_client.get("/admin/evaluation/metricsnapshot/").content.decode()
    assert "manage.py evaluate" in page


def test_charts_scale_to_their_box_and_label_the_latest_day(client, site):
    _log("q", session="a")
    page = client.get("/evaluation/dashboard/").content.decode()
    svg = re.search(r'<svg class="chart" viewBox="0 0 (\d+) (\d+)".*?</svg>', page, re.S)
    assert int(svg.group(1)) <= 360  # readable when scaled down to a phone's column
    labels = re.findall(r'<text class="axis" x="[\d.]+" y="\d+" text-anchor="(\w+)">(\d\d-\d\d)</text>', svg.group(0))
    assert labels[-1] == ("end", timezone.now().strftime("%m-%d")) and labels[0][0] == "start"


def test_logged_answer_time_is_what_the_visitor_waited(client, site):
    for _ in range(2):
        client.get("/api/search", {"q": "proof of stake"})
    first, cached = QueryLog.objects.order_by("created_at")
    assert cached.timings["cached"] == 1
    for log in (first, cached):
        assert log.latency_ms > log.timings["total"]  # request in to answer ready, not the engine's share alone
