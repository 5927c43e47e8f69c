"""Specification archive sources crawled from a local server (tests/crawl_site/server.py on 127.0.0.1):
documents with metadata, an unchanged archive costs one 304, a changed file updates only its
document, bad archives are refused with a reason, and `manage.py ingest URL` takes an archive."""

import secrets
from datetime import date

import pytest
from django.core.management import call_command

from search.crawl.crawl import source_crawl
from search.models import CrawledUrl, Document, Source
from search.tasks import crawl_due_sources

from .crawl_site.server import Site
from .spec_fixtures import bip_markdown, bip_mediawiki, bolt, eip, tar_gz, zip_bytes

pytestmark = pytest.mark.django_db

ARCHIVE = "/codeload/ethereum/EIPs/tar.gz/refs/heads/master"


@pytest.fixture(scope="module")
def site():
    site = Site().start()
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def crawl_settings(settings, site):
    settings.CRAWL_ALLOW_PRIVATE = True
    settings.CRAWL_TIMEOUT_SECONDS = 2
    settings.CRAWL_RETRIES = 0
    settings.CRAWL_HOST_DELAY_SECONDS = 0
    site.requests.clear()
    site.files.clear()


@pytest.fixture
def rebuilds(monkeypatch):
    calls = []
    monkeypatch.setattr("search.tasks.index_rebuild_request", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr("search.management.commands.ingest.index_rebuild_request", lambda **kwargs: calls.append(kwargs))
    return calls


def eips_files(**changes) -> dict[str, str]:
    files = {f"EIPS/eip-{n}.md": eip(n) for n in (1559, 2718, 2930)}
    files["EIPS/eip-9999.md"] = "this file has no front matter"
    files["assets/eip-1559/chart.txt"] = "not a specification"
    files.update(changes)
    return files


def serve(site, path: str, body: bytes) -> str:
    site.files[path] = (body, "application/x-gzip")
    return site.url(path)


def archive_source(site, **fields) -> Source:
    url = serve(site, ARCHIVE, tar_gz(eips_files(), top="EIPs-master"))
    return Source.objects.create(
        name="ethereum-eips", kind=Source.Kind.ARCHIVE, location=url, globs="EIPS/eip-*.md", **fields
    )


def test_archive_source_stores_every_specification_with_metadata_and_skips_bad_files(site):
    source = archive_source(site)
    report = source_crawl(source_id=source.id)
    assert (report.created, report.fetched) == (3, 1)
    assert report.skipped == [("EIPS/eip-9999.md", "no front matter (a block between --- lines at the top)")]
    doc = Document.objects.get(external_id="eip-1559")
    assert doc.source == source and doc.url == "https://eips.ethereum.org/EIPS/eip-1559"
    assert doc.published == date(2021, 3, 4) and doc.status == "Final"
    assert doc.authors == ["Alice Example", "Bob Sample", "carol"]
    assert doc.meta["identifier"] == "EIP-1559" and doc.meta["path"] == "EIPS/eip-1559.md"
    assert "eipmarker1559" in doc.text and "Abstract\n\n" in doc.text
    source.refresh_from_db()
    assert source.last_crawl_status == Source.CrawlStatus.PARTIAL
    assert source.last_crawl_skipped == [["EIPS/eip-9999.md", "no front matter (a block between --- lines at the top)"]]


def test_unchanged_archive_costs_one_conditional_request_and_changes_nothing(site, rebuilds):
    source = archive_source(site)
    crawl_due_sources([source.id])
    assert len(rebuilds) == 1
    before = dict(Document.objects.values_list("external_id", "updated_at"))
    report = source_crawl(source_id=source.id)
    assert site.statuses(ARCHIVE) == [200, 304]
    assert "If-None-Match" in site.requests[-1][2]
    assert (report.created, report.updated, report.unchanged, report.fetched) == (0, 0, 1, 1)
    assert not report.changed and dict(Document.objects.values_list("external_id", "updated_at")) == before
    crawl_due_sources([source.id])
    assert len(rebuilds) == 1  # nothing changed, no rebuild queued
    assert CrawledUrl.objects.get(source=source).outcome == "unchanged"


def test_one_changed_file_updates_only_its_document(site, rebuilds):
    source = archive_source(site)
    source_crawl(source_id=source.id)
    before = dict(Document.objects.values_list("external_id", "updated_at"))
    changed = eip(2718, body="## Abstract\n\nTyped transactions now carry a new marker word rewrittenmarker.\n")
    serve(site, ARCHIVE, tar_gz(eips_files(**{"EIPS/eip-2718.md": changed}), top="EIPs-master"))
    crawl_due_sources([source.id])
    assert site.statuses(ARCHIVE)[-1] == 200
    after = dict(Document.objects.values_list("external_id", "updated_at"))
    assert [doc_id for doc_id in after if after[doc_id] != before[doc_id]] == ["eip-2718"]
    assert "rewrittenmarker" in Document.objects.get(external_id="eip-2718").text
    source.refresh_from_db()
    assert source.last_crawl_counts == {"fetched": 1, "new": 0, "updated": 1, "unchanged": 2, "skipped": 1}
    assert len(rebuilds) == 1


def test_a_status_change_alone_updates_the_document(site):
    source = archive_source(site)
    source_crawl(source_id=source.id)
    serve(site, ARCHIVE, tar_gz(eips_files(**{"EIPS/eip-2930.md": eip(2930, status="Stagnant")}), top="EIPs-master"))
    report = source_crawl(source_id=source.id)
    assert report.updated == 1 and Document.objects.get(external_id="eip-2930").status == "Stagnant"


def test_oversized_archive_is_refused_and_documents_stored_before_are_kept(site, settings):
    source = archive_source(site)
    source_crawl(source_id=source.id)
    serve(site, ARCHIVE, tar_gz(eips_files(**{"EIPS/eip-1559.md": eip(1559, body=secrets.token_hex(4000))}), top="EIPs-master"))
    settings.CRAWL_ARCHIVE_MAX_BYTES = 2_000
    report = source_crawl(source_id=source.id)
    assert report.error.startswith("too large") and Document.objects.count() == 3
    source.refresh_from_db()
    assert source.last_crawl_status == Source.CrawlStatus.FAILED and "too large" in source.last_crawl_error
    assert CrawledUrl.objects.get(source=source).outcome == "skipped"
    settings.CRAWL_ARCHIVE_MAX_BYTES = 10_000_000
    settings.CRAWL_ARCHIVE_MAX_UNPACKED_BYTES = 20_000  # the padding makes it larger once decompressed
    serve(site, ARCHIVE, tar_gz({**eips_files(), "padding.bin": bytes(100_000)}, top="EIPs-master"))
    report = source_crawl(source_id=source.id)
    assert "once decompressed" in report.error
    assert "If-None-Match" not in site.requests[-1][2]  # a failed read is not trusted as a validator


def test_links_and_path_traversal_in_an_archive_are_refused(site):
    body = tar_gz(eips_files(), top="EIPs-master", links={"EIPS/eip-1.md": "/etc/passwd"},
                  raw_names={"../../../tmp/EIPS/eip-2.md": eip(2).encode()})
    source = Source.objects.create(name="evil", kind=Source.Kind.ARCHIVE, location=serve(site, "/evil.tar.gz", body))
    report = source_crawl(source_id=source.id)
    reasons = dict(report.skipped)
    assert reasons["EIPS/eip-1.md"].startswith("refused: a link")
    assert "outside the archive" in reasons["../../../tmp/EIPS/eip-2.md"]
    assert not Document.objects.filter(external_id__in=["eip-1", "eip-2"]).exists()
    assert report.created == 3  # the honest files are still read


def test_a_page_that_is_not_an_archive_fails_the_source(site):
    site.files["/not-an-archive.tar.gz"] = (b"<html><body>Moved</body></html>", "text/html")
    source = Source.objects.create(name="wrong", kind=Source.Kind.ARCHIVE, location=site.url("/not-an-archive.tar.gz"))
    report = source_crawl(source_id=source.id)
    assert report.error == "not a .tar.gz or .zip archive (the server sent text/html)"


def test_ingest_command_accepts_archive_urls_of_every_format(site, rebuilds, capsys):
    bips = serve(site, "/bips-master.zip", zip_bytes({"bip-0032.mediawiki": bip_mediawiki(32), "bip-0003.md": bip_markdown(3)}))
    bolts = serve(site, "/download/bolts", tar_gz({"11-payment-encoding.md": bolt(11), "README.md": "# BOLTs"}))
    call_command("ingest", bips, bolts, "--source", "specs", verbosity=0)
    out = capsys.readouterr().out
    assert "3 new" in out and len(rebuilds) == 1
    docs = {d.external_id: d for d in Document.objects.filter(source__name="specs")}
    assert set(docs) == {"bip-0032", "bip-0003", "bolt-11"}  # /download/bolts: recognised by its content
    assert docs["bip-0032"].meta["requires"] == [32, 340] and docs["bolt-11"].title == "BOLT #11: Channel rule 11"
    call_command("ingest", bips, "--source", "specs", verbosity=0)
    assert "0 new, 0 updated, 1 unchanged" in capsys.readouterr().out  # the zip answered 304
    assert len(rebuilds) == 1


def test_crawl_full_reads_an_unchanged_archive_again(site, rebuilds, capsys):
    source = archive_source(site)
    call_command("crawl", source.name, verbosity=0)
    call_command("crawl", source.name, verbosity=0)
    call_command("crawl", source.name, "--full", verbosity=0)
    assert site.statuses(ARCHIVE) == [200, 304, 200]
    out = capsys.readouterr().out
    assert "0 new, 0 updated, 1 unchanged" in out and "0 new, 0 updated, 3 unchanged" in out
