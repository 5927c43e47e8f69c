"""The crawler tests' web site: http.server in a thread on 127.0.0.1, never the internet.

Static files in this folder are served with "{BASE}" replaced by the server's address, an ETag
and a Last-Modified header, and answer If-None-Match with 304. Dynamic paths cover what a real
site does wrong: a redirect loop, a slow answer, a server error, an oversized page (with and
without Content-Length), binary data served as HTML, a generated PDF and a page that changes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LAST_MODIFIED = "Wed, 01 May 2024 12:00:00 GMT"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(2000)
VERSION_TEXT = {
    1: "Analysts expect the supply of stablecoins to keep growing this year as payment companies adopt them.",
    2: "Update: the supply of stablecoins passed a new record this week, led by growth in USD Coin on Solana.",
}


def minimal_pdf(*, title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF with a text layer, written by hand (offsets computed for the xref table)."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /Author (Test Author) /CreationDate (D:20240115120000Z) >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


LIGHTNING_PDF = minimal_pdf(
    title="The Bitcoin Lightning Network",
    lines=[
        "The Lightning Network lets two parties open a payment channel on Bitcoin",
        "and send each other many payments off-chain, settling only the final balance.",
        "Payments can be routed across several channels with hashed timelock contracts.",
    ],
)


class Site:
    """The running server: its address, what it was asked, and the version of the changing page."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int, dict]] = []  # (path, status, request headers)
        self.version = 1
        self.huge_bytes = 300_000
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type), set by a test
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Site:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def statuses(self, path: str) -> list[int]:
        return [status for p, status, _ in self.requests if p == path]


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        path = self.path
        try:
            self._route(path)
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up (timeout, size limit)
            pass

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, *, length: bool = True) -> None:
        self.site.requests.append((self.path, status, dict(self.headers)))
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cacheable(self, body: bytes, content_type: str) -> None:
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, headers={"ETag": etag})
            return
        self._send(200, body, {"Content-Type": content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED})

    def _route(self, path: str) -> None:
        base = self.site.base.encode()
        if path == "/error":
            self._send(500, b"<h1>Internal Server Error</h1>", {"Content-Type": "text/html"})
        elif path == "/slow":
            time.sleep(2)
            self._send(200, b"<p>too late</p>", {"Content-Type": "text/html"})
        elif path.startswith("/redirect-loop/"):
            target = "/redirect-loop/b" if path.endswith("/a") else "/redirect-loop/a"
            self._send(302, headers={"Location": target})
        elif path == "/redirect/old-solana":
            self._send(301, headers={"Location": "/articles/solana-fees.html"})
        elif path == "/papers/lightning.pdf":
            self._cacheable(LIGHTNING_PDF, "application/pdf")
        elif path == "/binary.html":
            self._send(200, PNG, {"Content-Type": "text/html; charset=utf-8"})
        elif path == "/huge.html":  # no Content-Length: the crawler must stop reading by itself
            self._send(200, b"<html><body><p>" + b"bitcoin " * (self.site.huge_bytes // 8) + b"</p></body></html>",
                       {"Content-Type": "text/html", "Connection": "close"}, length=False)
        elif path == "/huge-declared.html":
            self._send(200, b"<p>" + b"x" * self.site.huge_bytes + b"</p>", {"Content-Type": "text/html"})
        elif path.split("?", 1)[0] in self.site.files:
            body, content_type = self.site.files[path.split("?", 1)[0]]
            self._cacheable(body, content_type)
        elif path == "/articles/changing.html":
            page = (ROOT / "articles" / "changing.html").read_bytes()
            self._cacheable(page.replace(b"{VERSION_TEXT}", VERSION_TEXT[self.site.version].encode()), "text/html; charset=utf-8")
        else:
            self._static(path.split("?", 1)[0], base)

    def _static(self, path: str, base: bytes) -> None:
        file = (ROOT / path.lstrip("/")).resolve()
        if ROOT not in file.parents or not file.is_file() or file.suffix == ".py":
            self._send(404, b"<h1>Not Found</h1>", {"Content-Type": "text/html"})
            return
        types = {".txt": "text/plain", ".xml": "application/xml", ".html": "text/html"}
        content_type = types.get(file.suffix, "application/octet-stream")
        if file.name == "latin1.html":  # Latin-1 bytes and no charset anywhere
            content_type = "text/html"
        elif file.name == "feed.xml":
            content_type = "application/rss+xml"
        elif file.suffix == ".html":
            content_type = "text/html; charset=utf-8"
        self._cacheable(file.read_bytes().replace(b"{BASE}", base), content_type)
