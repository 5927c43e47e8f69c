"""Anonymous visitor identity: who is the same visitor, without storing who they are.

A visitor gets a random cookie (`cs_visitor`); logs store only a salted hash of it (the session).
The network client (IP address + user agent) is hashed with a salt that changes every day, so
it can group one client's requests within a day (abuse limits, one voice per client) but cannot
be turned back into an address or followed across days.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.conf import settings

COOKIE = "cs_visitor"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join((settings.SECRET_KEY, *parts)).encode("utf-8")).hexdigest()[:32]


def client_ip(request) -> str:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


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


def session_hash(request) -> str:
    return _digest("session", visitor_token(request))


def client_hash(request) -> str:
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return _digest("client", date.today().isoformat(), client_ip(request), agent)


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
