"""What a fetched response is (HTML, PDF, text, feed, sitemap) and what it holds: an article, or
links to articles. Plain Python; the article extractors are the ones file ingestion uses.

- HTML: trafilatura (search.parsing.html_to_document) keeps the main text and drops navigation,
  cookie banners, scripts, styles and footers; title, author and date come from its metadata.
- PDF: pypdf (search.parsing.pdf_to_document).
- Feeds: feedparser, given bytes only (given a URL it would fetch it itself, bypassing every rule
  in fetch.py). It copes with broken XML and odd dates; dates that are missing, unparseable or
  implausible become None.
- Sitemaps (and sitemap indexes, gzipped or not): defusedxml, which refuses DTDs and entities,
  so an XML bomb or an external entity cannot make the crawler expand or fetch anything.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.etree.ElementTree import ParseError

from ..parsing import (
    BadInput,
    decode_bytes,
    html_decode,
    html_to_document,
    join_wrapped_lines,
    parse_date,
    pdf_to_document,
)
from .fetch import FetchResult

HTML, PDF, TEXT, FEED, SITEMAP = "html", "pdf", "text", "feed", "sitemap"
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
HTML_TYPES = {"text/html", "application/xhtml+xml", ""}  # "" = no Content-Type: let the HTML reader decide
OLDEST_DATE = date(1990, 1, 1)
_ROOT_TAG = re.compile(rb"<(?![?!])([A-Za-z][\w:.-]*)")


@dataclass
class Article:
    title: str
    text: str
    published: date | None = None
    authors: list[str] = field(default_factory=list)
    canonical: str = ""  # <link rel=canonical> as declared, maybe relative


@dataclass
class Link:
    """A page a feed or sitemap points to, with what the listing says about it."""

    url: str
    title: str = ""
    published: date | None = None
    authors: list[str] = field(default_factory=list)
    is_listing: bool = False  # a nested sitemap, not a page

    def as_json(self) -> dict:
        return {**self.__dict__, "published": self.published.isoformat() if self.published else None}

    @classmethod
    def from_json(cls, data: dict) -> Link:
        return cls(**{**data, "published": parse_date(data.get("published"))})


def plausible_date(value: date | None) -> date | None:
    """The date, unless it is before 1990 or in the future (feeds and pages get these wrong)."""
    if value is None or not OLDEST_DATE <= value <= date.today() + timedelta(days=1):
        return None
    return value


def response_kind(result: FetchResult) -> str:
    """Decided by the content first (magic bytes, XML root element), the Content-Type header second:
    servers often label feeds text/xml or PDFs application/octet-stream."""
    body = result.body
    if body.startswith(b"%PDF-"):
        return PDF
    if body.startswith(b"\x1f\x8b"):  # a gzip file, e.g. sitemap.xml.gz
        return SITEMAP
    root = _ROOT_TAG.search(body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n"))
    tag = root.group(1).decode("ascii").lower() if root else ""
    if tag in ("rss", "feed", "rdf:rdf"):
        return FEED
    if tag in ("urlset", "sitemapindex"):
        return SITEMAP
    media = result.content_type
    if media == "application/pdf":
        return PDF
    if media in FEED_TYPES:
        return FEED
    if media in HTML_TYPES or tag == "html":
        return HTML
    if media == "text/plain":
        return TEXT
    raise BadInput(f"unsupported content type {media}")


def article_extract(result: FetchResult) -> Article:
    """The article in an HTML, PDF or text response; raises BadInput saying why there is none."""
    kind, where = response_kind(result), result.url
    if kind == HTML:
        html = html_decode(result.body, where, header_charset=result.charset)
        title, text, meta = html_to_document(html, where, url=result.url)
        authors = [a.strip() for a in (meta.get("author") or "").split(";") if a.strip()]
        return Article(title, text, plausible_date(parse_date(meta.get("date"))), authors, meta.get("canonical") or "")
    if kind == PDF:
        title, text, meta = pdf_to_document(result.body, where)
        return Article(title, text, plausible_date(meta["date"]), [meta["author"]] if meta["author"] else [])
    if kind == TEXT:
        declared = (result.charset,) if result.charset else ()
        return Article("", join_wrapped_lines(decode_bytes(result.body, where, declared=declared)))
    raise BadInput(f"{where}: a {kind}, not an article")


# --- feeds ---------------------------------------------------------------------------------------


def _struct_date(value: time.struct_time | None) -> date | None:
    try:
        return plausible_date(date(*value[:3])) if value else None
    except (TypeError, ValueError):
        return None


def feed_links(result: FetchResult) -> list[Link]:
    """The entries of an RSS or Atom feed, as links to their pages."""
    import feedparser

    headers = {"content-location": result.url, "content-type": result.content_type or "application/xml"}
    parsed = feedparser.parse(result.body, response_headers=headers)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        problem = getattr(parsed, "bozo_exception", None)
        raise BadInput(f"{result.url}: not a readable RSS or Atom feed" + (f" ({problem})" if problem else ""))
    links = []
    for entry in parsed.entries:
        url = (entry.get("link") or "").strip()
        if not url:
            continue
        authors = [a.get("name", "").strip() for a in entry.get("authors", []) if a.get("name", "").strip()]
        links.append(Link(
            url=url, title=(entry.get("title") or "").strip(), authors=authors,
            # dict.get: FeedParserDict maps a missing published_parsed to updated_parsed with a warning.
            published=_struct_date(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")),
        ))
    return links


# --- sitemaps ------------------------------------------------------------------------------------


def _gunzip(data: bytes, *, max_bytes: int, where: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise BadInput(f"{where}: broken gzip data ({exc})") from exc
    if len(out) > max_bytes:
        raise BadInput(f"{where}: more than {max_bytes:,} bytes once decompressed")
    return out


def sitemap_links(result: FetchResult, *, max_bytes: int) -> list[Link]:
    """The pages a sitemap lists, or the sitemaps a sitemap index lists (as links with is_listing)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    body = result.body
    if body.startswith(b"\x1f\x8b"):
        body = _gunzip(body, max_bytes=max_bytes, where=result.url)
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise BadInput(f"{result.url}: not a readable sitemap ({type(exc).__name__}: {exc})") from exc
    local = root.tag.rsplit("}", 1)[-1]
    if local not in ("urlset", "sitemapindex"):
        raise BadInput(f"{result.url}: not a sitemap (root element <{local}>)")
    entry = "sitemap" if local == "sitemapindex" else "url"
    locs = []  # only <url><loc> / <sitemap><loc>: image and video extensions have <…:loc> elements of their own
    for element in root:
        if element.tag.rsplit("}", 1)[-1] == entry:
            loc = next((c for c in element if c.tag.rsplit("}", 1)[-1] == "loc"), None)
            if loc is not None and (loc.text or "").strip():
                locs.append(loc.text.strip())
    return [Link(url=loc, is_listing=entry == "sitemap") for loc in locs]
