"""Specification parsers (search.specs) and the archive reader (search.crawl.archives): no database,
no network. Files are written by the tests (tests/spec_fixtures.py); the real samples in
../shared/spec-samples are read too when present."""

import gzip
import io
import tarfile
from datetime import date
from pathlib import Path

import pytest

from search.crawl.archives import (
    ArchiveLimits,
    ArchiveRefused,
    archive_members,
    is_archive,
    looks_like_archive_url,
    path_matches,
)
from search.crawl.spec_archive import spec_documents
from search.specs import SpecError, parse_spec

from .spec_fixtures import bip_markdown, bip_mediawiki, bolt, eip, tar_gz, zip_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "spec-samples"


def test_eip_front_matter_becomes_metadata_and_the_body_keeps_its_structure():
    doc = parse_spec("EIPS/eip-3529.md", eip(3529, requires="2200, 2929", created="2021-04-22").encode())
    assert (doc.external_id, doc.identifier, doc.url) == ("eip-3529", "EIP-3529", "https://eips.ethereum.org/EIPS/eip-3529")
    assert doc.title == "Gas accounting rule number 3529" and doc.status == "Final"
    assert doc.published == date(2021, 4, 22)
    assert doc.authors == ["Alice Example", "Bob Sample", "carol"]  # e-mails and (@handles) removed
    assert doc.meta["requires"] == [2200, 2929] and doc.meta["category"] == "Core"
    assert doc.meta["description"].startswith("Changes how the gas cost")
    lines = doc.text.split("\n")
    assert lines[0] == doc.meta["description"]  # the summary in plain words opens the searchable text
    assert "eip: 3529" not in doc.text and "description:" not in doc.text  # front matter is metadata only
    assert "Abstract" in lines and "Specification" in lines  # headings on their own lines
    # hard-wrapped lines joined into one paragraph line; markup reduced to visible text
    assert any(line.startswith("Proposal 3529 changes the gas") and line.endswith("eipmarker3529.") for line in lines)
    assert "- Clients MUST cap the refund." in lines and "- Wallets SHOULD show the capped refund." in lines
    assert "Parameter | Value" in lines and "MAX_REFUND_QUOTIENT | 5" in lines  # table rows, cells joined
    assert "function refundOf(address account) external view returns (uint256);" in lines  # short code kept


def test_erc_identifier_and_long_code_blocks_dropped():
    code = "```python\n" + "\n".join(f"step_{i} = apply(state, {i})" for i in range(40)) + "\n```\n"
    doc = parse_spec("ERCS/erc-7777.md", eip(7777, kind="erc", body=f"## Reference\n\nSee below.\n\n{code}").encode())
    assert (doc.external_id, doc.identifier) == ("erc-7777", "ERC-7777")
    assert "step_3" not in doc.text and "See below." in doc.text


@pytest.mark.parametrize("content, reason", [
    ("# No front matter\n\nJust text.", "no front matter"),
    ("---\ntitle: Missing number\n---\n\nText", "no eip number"),
    ("---\neip: 12\ntitle: Wrong file\n---\n\nText", "the file name says eip-13.md"),
    ("---\neip: 13\ntitle: Moved\nstatus: Moved\n---\n\nMoved to ERCs.", "status Moved"),
    ("---\neip: 13\nstatus: Draft\n---\n\nText", "no title"),
])
def test_malformed_eips_are_refused_with_a_reason(content, reason):
    with pytest.raises(SpecError, match=reason):
        parse_spec("EIPS/eip-13.md", content.encode())


def test_front_matter_that_is_not_valid_yaml_is_read_line_by_line():
    text = "---\neip: 14\ntitle: Fees: a new market\nauthor: Zed (@zed)\nstatus: Draft\ncreated: 2022-01-02\n---\n\n## Abstract\n\nText here."
    doc = parse_spec("EIPS/eip-14.md", text.encode())
    assert doc.title == "Fees: a new market" and doc.authors == ["Zed"] and doc.published == date(2022, 1, 2)


def test_bip_mediawiki_preamble_footnotes_lists_and_tables():
    doc = parse_spec("bip-0389.mediawiki", bip_mediawiki(389).encode())
    assert (doc.external_id, doc.identifier) == ("bip-0389", "BIP-389")
    assert doc.url == "https://github.com/bitcoin/bips/blob/master/bip-0389.mediawiki"
    assert doc.title == "Wallet descriptor rule 389" and doc.status == "Draft"
    assert doc.authors == ["Dana Example", "Erin Sample"]  # one per continuation line
    assert doc.published == date(2019, 7, 1) and doc.license == "BSD-2-Clause"
    assert doc.meta["requires"] == [32, 340] and doc.meta["layer"] == "Applications"
    lines = doc.text.split("\n")
    assert "BIP: 389" not in doc.text
    assert lines[0] == "Abstract" and "Derivation" in lines
    assert "- Wallets derive keys with hardened steps." in lines
    assert "Purpose | Meaning" in lines and "84 | native segwit" in lines
    assert "Hardened steps stop a leaked child key from exposing its parent." in lines  # the <ref> note, at <references/>
    assert doc.text.index("Footnotes") < doc.text.index("Hardened steps stop")


def test_bip_markdown_preamble():
    doc = parse_spec("bip-0777.md", bip_markdown(777).encode())
    assert (doc.external_id, doc.title, doc.status, doc.license) == ("bip-0777", "Process rule 777", "Complete", "BSD-3-Clause")
    assert doc.published == date(2024, 11, 2)
    assert doc.meta["discussion"] == "https://example.org/list/1 https://example.org/list/2"
    assert "BIP: 777" not in doc.text and doc.text.startswith("Abstract\n\nThis process rule 777")


def test_bolt_title_number_and_table_of_contents_dropped():
    doc = parse_spec("07-routing-gossip.md", bolt(7).encode())
    assert (doc.external_id, doc.identifier, doc.title) == ("bolt-07", "BOLT 7", "BOLT #7: Channel rule 7")
    assert doc.url == "https://github.com/lightning/bolts/blob/master/07-routing-gossip.md"
    assert "Table of Contents" not in doc.text and "(#requirements)" not in doc.text
    assert doc.text.startswith("This BOLT describes rule 7")
    assert "- MUST set channel_id." in doc.text.split("\n") and "- MUST check the balance." in doc.text.split("\n")


@pytest.mark.parametrize("path, data, reason", [
    ("README.md", b"# Readme", "not a specification file name"),
    ("bip-0001.mediawiki", b"==Abstract==\nNo preamble here.", "no preamble"),
    ("EIPS/eip-1.md", b"\xff\xfe\x00binary", "not UTF-8"),
    ("01-messaging.md", b"No heading at all.", "no title heading"),
])
def test_unreadable_files_are_refused_with_a_reason(path, data, reason):
    with pytest.raises(SpecError, match=reason):
        parse_spec(path, data)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/spec-samples not present")
def test_real_samples_parse_with_their_metadata():
    expected = {
        "eip-1559.md": ("eip-1559", "Fee market change for ETH 1.0 chain", date(2019, 4, 13)),
        "erc-20.md": ("erc-20", "Token Standard", date(2015, 11, 19)),
        "bip-0032.mediawiki": ("bip-0032", "Hierarchical Deterministic Wallets", date(2012, 2, 11)),
        "bip-0003.md": ("bip-0003", "Updated BIP Process", date(2025, 1, 9)),
        "bolt-11-payment-encoding.md": ("bolt-11", "BOLT #11: Invoice Protocol for Lightning Payments", None),
    }
    for name, (external_id, title, published) in expected.items():
        path = name.removeprefix("bolt-")  # the repository's own file name
        doc = parse_spec(path, (SAMPLES / name).read_bytes())
        assert (doc.external_id, doc.title, doc.published) == (external_id, title, published)
        assert len(doc.text) > 1000 and "\n\n" in doc.text


# --- archives ---------------------------------------------------------------------------------------

LIMITS = ArchiveLimits(max_unpacked_bytes=10_000_000, max_file_bytes=1_000_000)


def test_globs_stay_within_folders_unless_double_star():
    assert path_matches("EIPS/eip-1.md", ["EIPS/eip-*.md"])
    assert not path_matches("EIPS/old/eip-1.md", ["EIPS/eip-*.md"])
    assert path_matches("EIPS/old/eip-1.md", ["**/eip-*.md"]) and path_matches("eip-1.md", ["**/eip-*.md"])
    assert path_matches("11-payment-encoding.md", ["[0-9][0-9]-*.md"])
    assert not path_matches("bip-0032/test.md", ["bip-*.md"])


def test_archive_detection_by_content_and_address():
    assert is_archive(tar_gz({"a.md": "x"})) and is_archive(zip_bytes({"a.md": "x"}))
    assert not is_archive(gzip.compress(b"<urlset></urlset>"))  # a gzipped sitemap is not an archive
    assert looks_like_archive_url("https://codeload.github.com/ethereum/EIPs/tar.gz/refs/heads/master")
    assert looks_like_archive_url("https://example.org/specs.zip?x=1") and not looks_like_archive_url("https://example.org/feed.xml")


def test_only_matching_regular_files_are_read_and_links_and_traversal_are_refused():
    body = tar_gz(
        {"EIPS/eip-1.md": "one", "EIPS/notes.txt": "not wanted", "assets/eip-1/x.png": b"\x89PNG"},
        links={"EIPS/eip-2.md": "/etc/passwd"},
        raw_names={"../../EIPS/eip-3.md": b"escape", "/etc/cron.d/eip-4.md": b"absolute"},
    )
    skipped = []
    members = list(archive_members(body, globs=["EIPS/eip-*.md"], limits=LIMITS, skipped=skipped))
    assert [(m.path, m.data) for m in members] == [("EIPS/eip-1.md", b"one")]  # top folder stripped
    reasons = dict(skipped)
    assert reasons["EIPS/eip-2.md"].startswith("refused: a link")
    assert "outside the archive" in reasons["../../EIPS/eip-3.md"]
    assert reasons["/etc/cron.d/eip-4.md"] == "refused: an absolute path"


def test_zip_archives_read_the_same_way_and_refuse_links():
    body = zip_bytes({"ERCS/erc-20.md": eip(20, kind="erc")}, links={"ERCS/erc-21.md": "../../secret"})
    skipped = []
    docs = list(spec_documents(body, globs=["ERCS/erc-*.md"], limits=LIMITS, source="ercs", skipped=skipped))
    assert [d.external_id for d in docs] == ["erc-20"] and docs[0].meta["path"] == "ERCS/erc-20.md"
    assert dict(skipped)["ERCS/erc-21.md"].startswith("refused: a link")


def test_decompression_bombs_stop_at_the_unpacked_limit():
    huge = tar_gz({"EIPS/eip-1.md": eip(1), "padding.bin": bytes(3_000_000)})
    assert len(huge) < 50_000  # zeros compress well: a small download, a large archive
    with pytest.raises(ArchiveRefused, match="once decompressed"):
        list(archive_members(huge, globs=["EIPS/*.md"], limits=ArchiveLimits(max_unpacked_bytes=1_000_000), skipped=[]))
    zipped = zip_bytes({"ERCS/erc-1.md": "x", "padding.bin": bytes(3_000_000)})
    with pytest.raises(ArchiveRefused, match="once decompressed"):
        list(archive_members(zipped, globs=["**"], limits=ArchiveLimits(max_unpacked_bytes=1_000_000), skipped=[]))


def test_oversized_files_and_broken_archives():
    skipped = []
    body = tar_gz({"EIPS/eip-1.md": "x" * 2000})
    assert list(archive_members(body, globs=["**"], limits=ArchiveLimits(max_file_bytes=1000), skipped=skipped)) == []
    assert skipped == [("EIPS/eip-1.md", "larger than 1,000 bytes")]
    with pytest.raises(ArchiveRefused, match="broken"):
        list(archive_members(body[: len(body) // 2], globs=["**"], limits=LIMITS, skipped=[]))
    with pytest.raises(ArchiveRefused, match="not a .tar.gz or .zip"):
        list(archive_members(b"<html>not an archive</html>", globs=["**"], limits=LIMITS, skipped=[]))


def test_spec_documents_skip_malformed_files_with_reasons_and_keep_the_rest():
    body = tar_gz({
        "EIPS/eip-1.md": eip(1), "EIPS/eip-2.md": "no front matter at all",
        "bip-0009.mediawiki": bip_mediawiki(9), "02-peer-protocol.md": bolt(2),
    })
    skipped = []
    docs = list(spec_documents(body, globs=[], limits=LIMITS, source="specs", skipped=skipped))
    assert sorted(d.external_id for d in docs) == ["bip-0009", "bolt-02", "eip-1"]
    assert all(d.source == "specs" for d in docs)
    assert skipped == [("EIPS/eip-2.md", "no front matter (a block between --- lines at the top)")]


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = tar_gz({"EIPS/eip-1.md": eip(1)}, raw_names={"../escape.md": b"x"})
    list(spec_documents(body, globs=[], limits=LIMITS, source="s", skipped=[]))
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "escape.md").exists()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:  # the fixture really holds the escaping name
        assert "../escape.md" in archive.getnames()
