"""Normalised and canonical URLs: one address per article, whatever link led to it.

A page's document id is its canonical URL: the <link rel=canonical> it declares when that stays
on the same site (a page must not be able to claim another site's article and overwrite it),
else the address it was served from; both normalised the same way.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin, urlsplit, urlunsplit

# Query parameters that only say how a reader arrived (campaign trackers, click ids).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "ref_src", "spm",
})
MAX_EXTERNAL_ID = 300  # Document.external_id


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith(("utm_", "pk_", "mtm_")) or name in TRACKING_PARAMS


def url_normalize(url: str) -> str:
    """Lower-case scheme and host, no default port, user or fragment, no tracking parameters, "/" for an empty path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port and (scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    # Pairs are kept exactly as written: re-encoding could change what the server sees.
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0]))
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def _site(host: str) -> str:
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def canonical_url(*, served_url: str, declared: str = "") -> str:
    """The page's canonical URL: its declared <link rel=canonical> on the same site, else where it was served."""
    if declared:
        candidate = urljoin(served_url, declared)
        same_site = _site(urlsplit(candidate).hostname or "") == _site(urlsplit(served_url).hostname or "")
        if urlsplit(candidate).scheme in ("http", "https") and same_site:
            return url_normalize(candidate)
    return url_normalize(served_url)


def external_id_for(url: str) -> str:
    """The Document.external_id of a web page: its canonical URL, shortened with a hash if too long."""
    if len(url) <= MAX_EXTERNAL_ID:
        return url
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return f"{url[: MAX_EXTERNAL_ID - 17]}~{digest}"
