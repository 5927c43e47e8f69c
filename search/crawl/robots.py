"""robots.txt rules per site, read once per crawl run, with protego.

protego (Scrapy's parser) follows RFC 9309 and Google's conventions: longest match wins,
`*` and `$` wildcards, Allow and Disallow, Crawl-delay. The standard library's
urllib.robotparser applies rules first-match and knows no wildcards, so it would crawl paths
that sites mean to forbid.

What a missing or failing robots.txt means (RFC 9309, section 2.3.1): 4xx = no rules (crawl
everything); 5xx or unreachable = assume everything is disallowed until it can be read.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 asks parsers to read at least 500 KiB
MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay is honoured only up to this (the crawl has a page limit anyway)


class RobotsUnavailable(Exception):
    """robots.txt could not be read for a reason that means 'assume disallowed' (5xx, network)."""


class RobotsRules:
    def __init__(self, *, agent: str, read: Callable[[str], str | None]):
        """`read(robots_url)` returns the file's text, None when there is none (4xx), or raises
        RobotsUnavailable."""
        self.agent = agent
        self._read = read
        self._sites: dict[str, Protego | str] = {}  # site -> rules, or the reason it is off limits

    @staticmethod
    def _site(url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))

    def _rules(self, url: str) -> Protego | str:
        site = self._site(url)
        if site not in self._sites:
            try:
                text = self._read(f"{site}/robots.txt")
                self._sites[site] = Protego.parse(text or "")
            except RobotsUnavailable as exc:
                self._sites[site] = f"robots.txt unavailable ({exc}), so the site is not crawled"
        return self._sites[site]

    def refusal(self, url: str) -> str | None:
        """Why robots.txt forbids fetching this URL, or None when it allows it."""
        rules = self._rules(url)
        if isinstance(rules, str):
            return rules
        return None if rules.can_fetch(url, self.agent) else "disallowed by robots.txt"

    def crawl_delay(self, url: str) -> float | None:
        rules = self._rules(url)
        if isinstance(rules, str):
            return None
        delay = rules.crawl_delay(self.agent)
        return min(float(delay), MAX_CRAWL_DELAY) if delay else None
