"""The crawler's HTTP client: one polite, bounded GET that either returns a body or says why not.

Built on requests with urllib3's Retry (a well-kept pair) and adds what a crawler needs:
- address rules (addresses.py) for the first URL and every redirect hop, and a check of the
  socket actually connected (guards against DNS answers that change between check and connect);
- redirects followed by hand (at most `max_redirects`), each hop re-checked, loops reported;
- a clear User-Agent, connect/read timeouts and a total time limit per response;
- retries with exponential back-off on connection errors, timeouts, 429 and 5xx;
- a size limit: the body is streamed and reading stops past `max_bytes` (after decompression,
  so a gzip bomb is stopped too);
- conditional requests: If-None-Match / If-Modified-Since, and 304 reported as not modified.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from ..parsing import BadInput
from .addresses import PRIVATE_HINT, ip_refusal, url_refusal
from .canonical import url_normalize
from .throttle import HostThrottle, host_of

ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,"
    "text/xml;q=0.9,application/pdf;q=0.8,text/plain;q=0.7,*/*;q=0.1"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(BadInput):
    """A URL that could not be fetched; the message says why. `status` is the HTTP status, if any."""

    def __init__(self, reason: str, *, status: int | None = None):
        super().__init__(reason)
        self.status = status


class FetchRefused(FetchError):
    """A URL the crawler will not fetch: scheme, address or robots.txt rules."""


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    timeout: float = 20.0  # seconds to connect, and between two reads
    max_bytes: int = 10 * 1024 * 1024
    retries: int = 2
    backoff: float = 0.5  # seconds before the first retry, doubling after that
    max_redirects: int = 5
    host_delay: float = 1.0  # seconds between two requests to one host
    allow_private: bool = False

    @property
    def total_timeout(self) -> float:
        """A response must arrive whole within this, so a server trickling bytes cannot hold a crawl."""
        return self.timeout * 3


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int  # 2xx, or 304 when not modified
    body: bytes = b""
    content_type: str = ""  # media type only, lower case
    charset: str | None = None  # from the Content-Type header
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- refusing private addresses on the connected socket ---------------------------------------


class AddressRefused(FetchRefused):
    pass


class _PublicOnlyMixin:
    """Refuses a connection whose peer is not a public address (checked after connect, so what
    counts is where the socket really goes, whatever DNS said earlier)."""

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        reason = ip_refusal(peer)
        if reason:
            sock.close()
            raise AddressRefused(f"refused: {self.host} connected to {peer}, {reason} ({PRIVATE_HINT})")
        return sock


class _PublicHTTPConnection(_PublicOnlyMixin, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnlyMixin, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


# --- the client ----------------------------------------------------------------------------------


def _header_charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def _why(exc: Exception) -> str:
    """The useful part of a requests error ("Connection refused"), without the wrapping layers."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    return match.group(1).strip() if match else f"{type(exc).__name__}: {text[:200]}"


def _is_timeout(exc: Exception) -> bool:
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


class Fetcher:
    """Use as a context manager (it holds a connection pool)."""

    def __init__(self, policy: FetchPolicy, *, throttle: HostThrottle | None = None):
        self.policy = policy
        self.throttle = throttle or HostThrottle(interval=policy.host_delay)
        self.session = requests.Session()
        # Proxies and .netrc credentials from the environment must not apply to crawled URLs.
        self.session.trust_env = False
        self.session.headers.update({"User-Agent": policy.user_agent, "Accept": ACCEPT})
        retry = Retry(
            total=policy.retries, connect=policy.retries, read=policy.retries, status=policy.retries, other=0,
            redirect=0, raise_on_redirect=False, raise_on_status=False, allowed_methods={"GET"},
            status_forcelist=RETRY_STATUSES, backoff_factor=policy.backoff, backoff_max=30, retry_after_max=30,
        )
        adapter_class = HTTPAdapter if policy.allow_private else _PublicOnlyAdapter
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, adapter_class(max_retries=retry))

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.close()

    def get(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        permit: Callable[[str], str | None] | None = None,
        max_bytes: int | None = None,
        max_seconds: float | None = None,
    ) -> FetchResult:
        """GET `url`, following redirects; `permit(url)` may refuse any hop (robots.txt). Raises FetchError."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        visited = set()
        current = url
        for _ in range(self.policy.max_redirects + 1):
            reason = url_refusal(current, allow_private=self.policy.allow_private) or (permit and permit(current))
            if reason:
                raise FetchRefused(reason if current == url else f"redirected to {current}: {reason}")
            visited.add(url_normalize(current))
            response = self._request(current, headers)
            with response:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    current = urljoin(current, location.strip())
                    if url_normalize(current) in visited:
                        raise FetchError(f"redirect loop (back to {current})", status=response.status_code)
                    continue
                return self._result(
                    current, response, max_bytes or self.policy.max_bytes, max_seconds or self.policy.total_timeout
                )
        raise FetchError(f"more than {self.policy.max_redirects} redirects")

    def _request(self, url: str, headers: dict) -> requests.Response:
        self.throttle.wait(host_of(url))
        timeout = self.policy.timeout
        try:
            return self.session.get(
                url, headers=headers, stream=True, allow_redirects=False, timeout=(timeout, timeout)
            )
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise FetchError(f"timed out (no answer within {timeout:g} s)") from exc
            raise FetchError(f"connection failed ({_why(exc)})") from exc

    def _result(self, url: str, response: requests.Response, max_bytes: int, max_seconds: float) -> FetchResult:
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        result = FetchResult(
            url=url, status=status, content_type=content_type.split(";")[0].strip().lower(),
            charset=_header_charset(content_type), etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
        )
        if status == 304:
            return result
        if not 200 <= status < 300:
            raise FetchError(f"HTTP {status} {response.reason or ''}".strip(), status=status)
        result.body = self._body(response, max_bytes, max_seconds)
        return result

    def _body(self, response: requests.Response, max_bytes: int, max_seconds: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"too large: {int(declared):,} bytes (the limit is {max_bytes:,})")
        deadline = time.monotonic() + max_seconds
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"too large: more than {max_bytes:,} bytes, stopped reading")
                if time.monotonic() > deadline:
                    raise FetchError(f"too slow: not complete after {max_seconds:g} s")
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise FetchError(f"timed out while reading (no data for {self.policy.timeout:g} s)") from exc
            raise FetchError(f"the response broke off ({_why(exc)})") from exc
        return b"".join(chunks)
