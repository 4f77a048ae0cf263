"""The sample web ``citewatch demo`` runs: the bundled article and sources on 127.0.0.1.

A small standard-library server in a thread. Besides the static pages it answers the few
behaviour URLs the article cites (``/status/404``, ``/redirect?to=…``, ``/pdf/….pdf``) and lets
the demo rewrite history: ``edit`` a page, ``remove`` it (404) or ``move`` it (301).
"""

from __future__ import annotations

import mimetypes
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from crawler.demo.content import SITE, pdf_document, png_image, status_page

LOOPBACK = "127.0.0.1"
_TEXT_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
_STATUS = re.compile(r"/status/([1-5]\d\d)")
_PDF = re.compile(r"/pdf/([\w.-]+)\.pdf")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None


class SampleWeb:
    """The routes and the rewrites; thread-safe enough for one writer (the demo) and readers."""

    def __init__(self) -> None:
        self.base_url = ""
        self._rewrites: dict[str, Answer] = {}

    def edit(self, path: str, old: str, new: str) -> None:
        """Serve ``path`` with ``old`` replaced by ``new``: a silent edit of one passage."""
        page = self.answer(path)
        text = page.body.decode("utf-8")
        if old not in text:
            raise ValueError(f"{path} does not contain {old!r}")
        body = text.replace(old, new).encode("utf-8")
        self._rewrites[path] = Answer(200, body, page.content_type)

    def remove(self, path: str) -> None:
        self._rewrites[path] = Answer(404, status_page(404))

    def move(self, path: str, to: str) -> None:
        """``path`` now answers 301 to ``to``, which serves what ``path`` served."""
        self._rewrites[to] = self.answer(path)
        self._rewrites[path] = Answer(301, status_page(301), location=self.base_url + to)

    def answer(self, target: str) -> Answer:
        parts = urlsplit(target)
        path = unquote(parts.path)
        if path in self._rewrites:
            return self._rewrites[path]
        if path == "/redirect":
            query = parse_qs(parts.query)
            code = int(query.get("code", ["302"])[0])
            return Answer(code, status_page(code), location=query.get("to", ["/"])[0])
        if found := _STATUS.fullmatch(path):
            return Answer(int(found.group(1)), status_page(int(found.group(1))))
        if found := _PDF.fullmatch(path):
            return Answer(200, pdf_document(found.group(1)), "application/pdf")
        if path == "/image.png":
            return Answer(200, png_image(), "image/png")
        return self._static(path)

    def _static(self, path: str) -> Answer:
        relative = path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        file = (SITE / relative).resolve()
        if "\0" in relative or not file.is_relative_to(SITE) or not file.is_file():
            return Answer(404, status_page(404))
        kind = _TEXT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
        body = file.read_bytes()
        if kind and kind.startswith("text/"):
            body = body.replace(b"{{base}}", self.base_url.encode("ascii"))
        return Answer(200, body, kind or "application/octet-stream")


@contextmanager
def serving(web: SampleWeb) -> Iterator[SampleWeb]:
    """Serve ``web`` on a free loopback port for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._reply(head=False)

        def do_HEAD(self) -> None:
            self._reply(head=True)

        def _reply(self, head: bool) -> None:
            answer = web.answer(self.path)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            if not head:
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the demo prints its own story

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    web.base_url = f"http://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="citewatch-sample-web")
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
