"""`manage.py ingest`: formats, updates in place, and bad input reported without losing anything."""

import gzip
import json

import pytest
from django.core.management import CommandError, call_command

from search.ingest import paths_ingest
from search.models import Document

pytestmark = pytest.mark.django_db

RECORD = {
    "id": "eip-1559", "source": "ethereum-eips", "title": "Fee market change for ETH 1.0 chain",
    "url": "https://eips.ethereum.org/EIPS/eip-1559", "published": "2019-04-13", "authors": ["Vitalik Buterin"],
    "status": "Final", "license": "CC0-1.0", "text": "The base fee per gas is burned. Miners keep the tip.",
}


def _jsonl(path, records, compress=False):
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_jsonl_in_the_shared_schema(tmp_path):
    report = paths_ingest([_jsonl(tmp_path / "docs.jsonl.gz", [RECORD], compress=True)])
    assert (report.created, report.skipped) == (1, [])
    doc = Document.objects.get(external_id="eip-1559")
    assert doc.source.name == "ethereum-eips"
    assert doc.published.isoformat() == "2019-04-13" and doc.authors == ["Vitalik Buterin"]
    assert doc.url == RECORD["url"] and len(doc.content_hash) == 64


def test_reingesting_updates_instead_of_duplicating(tmp_path):
    path = _jsonl(tmp_path / "docs.jsonl", [RECORD])
    paths_ingest([path])
    assert paths_ingest([path]).unchanged == 1
    _jsonl(path, [{**RECORD, "text": RECORD["text"] + " A new sentence."}])
    report = paths_ingest([path])
    assert (report.created, report.updated) == (0, 1)
    assert Document.objects.count() == 1
    assert Document.objects.get().text.endswith("A new sentence.")


def test_bad_lines_are_skipped_and_the_rest_is_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(RECORD) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n[1, 2]\n"
        + json.dumps({**RECORD, "id": "bip-0032", "title": "HD wallets"}) + "\n"
    )
    report = paths_ingest([path])
    assert report.created == 2
    reasons = " | ".join(why for _, why in report.skipped)
    assert "malformed JSON" in reasons and "missing title, text" in reasons and "JSON object" in reasons
    assert [where for where, _ in report.skipped] == ["mixed.jsonl:2", "mixed.jsonl:3", "mixed.jsonl:4"]


def test_text_markdown_and_html_files(tmp_path):
    (tmp_path / "wrapped.txt").write_text("Bitcoin has a fixed supply\nof 21 million coins.\n\nSecond paragraph here.")
    (tmp_path / "guide.md").write_text("# Staking guide\n\nStake **32 ETH** to run a [validator](https://x.org).\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Solana fees</title><script>var tracker = 'SECRET-SCRIPT';</script></head><body>"
        "<nav>Home | Markets | Login</nav><article><h1>Solana fees</h1>"
        + "<p>Solana transaction fees are paid in SOL and stay low for most users of the network.</p>" * 5
        + "</article><footer>Cookie banner: accept all cookies</footer></body></html>"
    )
    report = paths_ingest([tmp_path], source="notes")
    assert report.created == 3, report.skipped
    wrapped = Document.objects.get(external_id="notes:wrapped.txt")
    assert wrapped.text == "Bitcoin has a fixed supply of 21 million coins.\n\nSecond paragraph here."
    guide = Document.objects.get(external_id="notes:guide")
    assert guide.title == "Staking guide" and guide.text == "Stake 32 ETH to run a validator."
    page = Document.objects.get(external_id="notes:page.html")
    assert "Solana transaction fees are paid in SOL" in page.text
    assert "SECRET-SCRIPT" not in page.text and "Login" not in page.text


def test_latin1_binary_and_unsupported_files(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 owners in Z\xfcrich accept bitcoin payments for coffee.".encode("latin-1"))
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary" * 100)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    report = paths_ingest([tmp_path / "latin.txt", tmp_path / "blob.txt", tmp_path / "image.png", tmp_path / "missing.md"])
    assert report.created == 1
    assert "Café owners in Zürich" in Document.objects.get().text
    reasons = dict(report.skipped)
    assert "binary" in reasons["blob.txt"] and "unsupported" in reasons["image.png"]
    assert "no such file" in reasons[str(tmp_path / "missing.md")]


def test_the_command_reports_and_fails_only_when_nothing_was_ingested(tmp_path, capsys):
    call_command("ingest", str(_jsonl(tmp_path / "ok.jsonl", [RECORD])))
    assert "1 new" in capsys.readouterr().out
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    with pytest.raises(CommandError):
        call_command("ingest", str(tmp_path / "bad.jsonl"))
    assert Document.objects.count() == 1
