"""Every internal link reachable from the home page works, and so does every asset pages use.

A plain HTTP client against the real server (`python run.py`, DEBUG off, so static files are the
collected, hashed ones that whitenoise serves).
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import requests

from .test_browser import real_server  # noqa: F401  (the shared server fixture)

pytestmark = pytest.mark.integration

MAX_PAGES = 200
SKIP_PREFIXES = ("/admin/",)


class _Links(HTMLParser):
    """Links and assets of a page, as a browser sees them: <template> content is inert."""

    def __init__(self):
        super().__init__()
        self.pages: list[str] = []
        self.assets: list[str] = []
        self.in_template = 0

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "a" and attrs.get("href"):
            self.pages.append(attrs["href"])
        elif tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.assets.append(attrs["src"])


def test_every_internal_link_and_asset_answers(real_server):  # noqa: F811
    host = urlsplit(real_server.url).netloc
    session = requests.Session()
    queue, seen, assets, failures = deque([real_server.url + "/"]), set(), {}, []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = session.get(url, timeout=15, allow_redirects=True)
        if response.status_code >= 400:
            failures.append(f"{response.status_code} {url} (page)")
            continue
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        links = _Links()
        links.feed(response.text)
        for href in links.pages:
            target = urldefrag(urljoin(url, href))[0]
            parts = urlsplit(target)
            if parts.scheme in ("http", "https") and parts.netloc == host and not parts.path.startswith(SKIP_PREFIXES):
                if target not in seen:
                    queue.append(target)
        for src in links.assets:
            assets.setdefault(urljoin(url, src), url)
    for asset, page in assets.items():
        response = session.get(asset, timeout=15)
        if response.status_code != 200 or not response.content:
            failures.append(f"{response.status_code} {asset} (used by {page})")
    assert not failures, "\n".join(failures)
    assert len(seen) >= 20, f"only {len(seen)} pages were reachable"
    kinds = {urlsplit(u).path.split("/")[1] for u in seen}
    assert {"search", "doc", "about", "faq", "privacy", "terms", "evaluation"} <= kinds
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
