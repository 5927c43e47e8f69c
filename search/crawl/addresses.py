"""Which URLs the crawler may fetch: http(s) only, and only hosts on the public internet.

A crawler fetching staff- or feed-supplied URLs from inside a private network must not become a
way to reach that network (SSRF): every address a host name resolves to is checked, again at
every redirect hop, and once more on the socket actually connected (see fetch.py), so a host
that resolves to a public address first and a private one later is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL: what may be fetched, stored as a source's location, or shown as a link."""
    return url[:8].lower().startswith(tuple(f"{scheme}://" for scheme in ALLOWED_SCHEMES))


PRIVATE_HINT = "set CRAWL_ALLOW_PRIVATE=1 to allow"


def ip_refusal(address: str) -> str | None:
    """Why this IP address is not on the public internet ("a loopback address"), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):  # most specific first
        if getattr(ip, f"is_{kind}"):
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{article} {kind.replace('_', '-')} address"
    if not ip.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT), 192.0.0.0/24
        return "not a public address"
    return None


def scheme_refusal(url: str) -> str | None:
    """Why this URL's scheme rules it out (file:, ftp:, javascript:, none), or None for http(s)."""
    scheme = urlsplit(url).scheme
    if scheme.lower() in ALLOWED_SCHEMES:
        return None
    return f"only http and https URLs are fetched, not {f'{scheme}:' if scheme else 'relative addresses'}"


def url_refusal(url: str, *, allow_private: bool = False) -> str | None:
    """Why this URL may not be fetched, or None. Resolves the host name and checks every address."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        return f"malformed URL ({exc})"
    refusal = scheme_refusal(url)
    if refusal:
        return refusal
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot resolve {host} ({exc})"
    for *_, sockaddr in infos:
        reason = ip_refusal(sockaddr[0])
        if reason:
            where = f"{host} is" if host == sockaddr[0] else f"{host} resolves to {sockaddr[0]},"
            return f"refused: {where} {reason} ({PRIVATE_HINT})"
    return None
