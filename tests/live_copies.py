"""Local copies of what the default source set fetches from the internet (search/default_sources.json),
served by the tests' web site (tests/crawl_site/server.py) at the paths DEFAULT_SOURCES_BASE maps
them to (BASE/host/path): the four specification repositories as GitHub-shaped .tar.gz archives and
every news feed with its articles. Used by the first-start test and bench/first_start.py.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from search.default_sources import default_sources
from search.specs import SpecError, parse_spec

from .spec_fixtures import bip_markdown, bip_mediawiki, bolt, eip, tar_gz

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "crypto-docs.jsonl.gz"
REPOSITORY_TOPS = {"ethereum/EIPs": "EIPs-master", "ethereum/ERCs": "ERCs-master", "bitcoin/bips": "bips-master",
                   "lightning/bolts": "bolts-master"}
SENTENCES = [
    "Bitcoin miners sold part of their reserves after the difficulty adjustment raised costs.",
    "Ethereum validators earned more priority fees during the week of heavy NFT minting.",
    "A stablecoin issuer published its monthly attestation of reserves held in treasury bills.",
    "Layer two rollups posted their batches as blobs, cutting the data cost for users.",
    "The Lightning Network capacity grew as exchanges opened larger channels to routing nodes.",
    "Regulators asked custodians to keep client assets apart from their own balance sheets.",
    "A decentralized exchange paused a pool after an oracle reported a stale price.",
    "Core developers scheduled the next network upgrade for the first quarter.",
    "Staking providers changed their fee structure to attract smaller depositors.",
    "A bridge exploit drained wrapped tokens, and the team promised to repay affected users.",
    "Hardware wallet makers shipped firmware that supports taproot descriptors.",
    "Analysts tracked long-term holders moving coins that had not moved since 2017.",
    "The mempool emptied over the weekend and fees fell to a single satoshi per virtual byte.",
    "A proposal to raise the gas limit drew objections from operators of small nodes.",
    "Tokenized treasury funds passed one billion dollars in assets on public chains.",
    "Researchers described an attack on light clients that trust a single relay.",
    "A new zero-knowledge prover cut the time to verify a block from minutes to seconds.",
    "Exchange outflows hit a yearly high as users moved coins into self-custody.",
    "Developers released a client update that fixes a bug in peer discovery.",
    "A court ruling clarified how token sales to retail buyers are treated.",
    "Liquid staking tokens became accepted as collateral on two lending markets.",
    "Payment companies tested stablecoin settlement between merchants in three countries.",
    "Miners in Texas curtailed their operations during the heat wave to support the grid.",
    "An audit found that a wallet library generated weak randomness on some devices.",
]


@dataclass
class LiveCopies:
    """What was put on the site: archive paths, and the documents expected from each source."""

    archive_paths: list[str] = field(default_factory=list)
    spec_ids: dict[str, str] = field(default_factory=dict)  # external id -> a word only it contains
    article_urls: dict[str, str] = field(default_factory=dict)  # article URL -> a word only it contains
    unreadable: dict[str, str] = field(default_factory=dict)  # file -> why the parser refuses it


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def _repository(url: str) -> str:
    return "/".join(urlsplit(url).path.strip("/").split("/")[:2])


def generated_specs(counts: dict[str, int]) -> dict[str, dict[str, str]]:
    """Small specification files per repository, each with a marker word of its own."""
    files: dict[str, dict[str, str]] = {}
    files["ethereum/EIPs"] = {f"EIPS/eip-{1000 + n}.md": eip(1000 + n) for n in range(counts["eips"])}
    files["ethereum/ERCs"] = {f"ERCS/erc-{7000 + n}.md": eip(7000 + n, kind="erc") for n in range(counts["ercs"])}
    bips = {}
    for n in range(counts["bips"]):
        number = 300 + n
        bips[f"bip-{number:04d}.{'md' if n % 2 else 'mediawiki'}"] = bip_markdown(number) if n % 2 else bip_mediawiki(number)
    files["bitcoin/bips"] = bips
    files["lightning/bolts"] = {f"{n:02d}-rule-{n}.md": bolt(n) for n in range(1, counts["bolts"] + 1)}
    return files


def corpus_specs() -> dict[str, dict[str, str]]:
    """The shared corpus's specifications written back into their repositories' formats: realistic
    counts and sizes (about 584 EIPs, 611 ERCs, 210 BIPs, 12 BOLTs) for the first-start benchmark."""
    files: dict[str, dict[str, str]] = {repo: {} for repo in REPOSITORY_TOPS}
    with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            d = json.loads(line)
            kind, _, number_text = d["id"].partition("-")
            if not number_text.isdigit():
                continue
            number = int(number_text)
            authors = ", ".join(d["authors"]) or "Unknown"
            title = d["title"].replace("\n", " ")
            if d["source"] in ("ethereum-eips", "ethereum-ercs"):
                repo, folder = ("ethereum/EIPs", "EIPS") if kind == "eip" else ("ethereum/ERCs", "ERCS")
                head = (f"---\neip: {number}\ntitle: {json.dumps(title)}\nauthor: {authors}\n"
                        f"status: {d['status'] or 'Draft'}\ntype: Standards Track\ncreated: {d['published'] or '2020-01-01'}\n---\n\n")
                files[repo][f"{folder}/{kind}-{number}.md"] = head + d["text"]
            elif d["source"] == "bitcoin-bips":
                head = (f"<pre>\n  BIP: {number}\n  Title: {title}\n  Authors: {authors}\n  Status: {d['status'] or 'Draft'}\n"
                        f"  Assigned: {d['published'] or '2015-01-01'}\n</pre>\n\n")
                files["bitcoin/bips"][f"bip-{number:04d}.mediawiki"] = head + d["text"].replace("\n", "\n\n")
            elif d["source"] == "lightning-bolts":
                files["lightning/bolts"][f"{number:02d}-spec.md"] = f"# {title}\n\n{d['text']}"
    return files


def _article(feed: str, number: int, rng: random.Random) -> tuple[str, str, str]:
    marker = f"{feed.replace('-', '')}story{number}"
    body = " ".join(rng.sample(SENTENCES, 6))
    title = f"{feed.replace('-', ' ').title()} report {number}: {body.split(' ', 6)[-1][:40]}"
    paragraphs = "".join(f"<p>{escape(sentence)}</p>" for sentence in body.split(". "))
    html = (f"<html><head><title>{escape(title)}</title><meta name=\"author\" content=\"Staff Writer\">"
            f"<meta property=\"article:published_time\" content=\"2026-11-{10 + number:02d}\"></head><body>"
            f"<nav>Home | Markets | Login</nav><article><h1>{escape(title)}</h1>{paragraphs}"
            f"<p>The desk filed this under the code word {marker} for readers who follow the series.</p>"
            f"</article><footer>Subscribe to our newsletter</footer></body></html>")
    return title, html, marker


def serve_live_copies(site, *, specs: dict[str, dict[str, str]], articles_per_feed: int = 3) -> LiveCopies:
    """Put the default set's archives and feeds on the site; returns what each should yield."""
    copies = LiveCopies()
    rng = random.Random(7)
    for source in default_sources():
        path = _path(source.location)
        if source.kind == "archive":
            repo = _repository(source.location)
            files = dict(specs.get(repo, {}))
            files["README.md"] = f"# {repo}\n\nNot a specification: the globs leave it out."
            site.files[path] = (tar_gz(files, top=REPOSITORY_TOPS[repo]), "application/x-gzip")
            copies.archive_paths.append(path)
            for name, text in specs.get(repo, {}).items():
                try:
                    doc = parse_spec(name, text.encode())
                except SpecError as exc:
                    copies.unreadable[name] = str(exc)
                    continue
                marker = next((word.rstrip(".") for word in text.split() if "marker" in word), "")
                copies.spec_ids[doc.external_id] = marker
        elif source.kind == "feed":
            items = []
            for number in range(1, articles_per_feed + 1):
                title, html, marker = _article(source.name, number, rng)
                page = f"/news/{source.name}/{number}.html"
                site.files[page] = (html.encode(), "text/html; charset=utf-8")
                copies.article_urls[site.url(page)] = marker
                items.append(f"<item><title>{escape(title)}</title><link>{site.url(page)}</link>"
                             f"<pubDate>Mon, {10 + number:02d} Nov 2026 09:00:00 GMT</pubDate></item>")
            feed = (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{source.label}</title>"
                    f"<link>{site.base}</link><description>news</description>{''.join(items)}</channel></rss>")
            site.files[path] = (feed.encode(), "application/rss+xml")
    return copies

