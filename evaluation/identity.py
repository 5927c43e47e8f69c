"""Anonymous visitor identity: who is the same visitor, without storing who they are.

A visitor gets a random cookie (`cs_visitor`); logs store only a salted hash of it (the session).
The network client is its address (IPv4) or the /64 network its IPv6 address is in (one
customer's allocation), hashed with a salt that changes every day: it groups one client's
requests within a day (abuse limits, one voice per client) but cannot be turned back into an
address or followed across days. The User-Agent is not part of it: a client changes it for free,
so five User-Agents on one machine were five voters.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import date

from django.conf import settings

COOKIE = "cs_visitor"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join((settings.SECRET_KEY, *parts)).encode("utf-8")).hexdigest()[:32]


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUST_X_FORWARDED_FOR = N proxies the N-th
    X-Forwarded-For entry from the right. Proxies append what they saw, so the entries left of
    those are whatever the client chose to send and identify no one."""
    hops = int(settings.TRUST_X_FORWARDED_FOR)
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-min(hops, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


def client_address(request) -> str:
    """Who a client is, for limits and for counting distinct voters: its IPv4 address, or the first
    address of its IPv6 /64 (a home or a server gets a whole /64; its 2^64 addresses are one client).
    A valid address string either way (django-axes stores it in an IP address field)."""
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw.split("%")[0])
    except ValueError:
        return raw[:64]
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def visitor_token(request) -> str:
    """The visitor's cookie value, minting one (set on the response by the middleware)."""
    token = getattr(request, "_cs_visitor", None)
    if token is None:
        token = request.COOKIES.get(COOKIE, "")
        if not (16 <= len(token) <= 64 and token.isalnum()):
            token = secrets.token_hex(16)
            request._cs_visitor_new = True
        request._cs_visitor = token
    return token


def client_pseudonym(request) -> str:
    """The client (client_address) as a salted digest shaped like an IPv6 address in fd00::/8, for
    django-axes, which keeps failed logins in an IP address column: it counts a guesser's attempts
    without storing the address (the salt does not change daily: a lockout outlives midnight)."""
    digest = _digest("login-client", client_address(request))[:30]
    return str(ipaddress.IPv6Address(int("fd" + digest, 16)))


def session_hash(request) -> str:
    return _digest("session", visitor_token(request))


def client_hash(request) -> str:
    return _digest("client", date.today().isoformat(), client_address(request))


class VisitorCookieMiddleware:
    """Sets the visitor cookie when a view minted one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_cs_visitor_new", False):
            response.set_cookie(
                COOKIE, request._cs_visitor, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                secure=request.is_secure(),
            )
        return response
