"""A fast HTTP/1.1 server on 127.0.0.1 for the benchmarks: pages served from memory.

`python bench/loopback_server.py PAGES_DIR [--gzip]` serves every .html file under PAGES_DIR by
its path (bench/crawl.py); `python bench/loopback_server.py --articles N --sources M --page-kb K
--seed S` serves bench/recheck_site.py's site instead, whose pages change between rounds
(bench/recheck.py). Either way it binds a free port on 127.0.0.1, prints the port on one line,
and serves until its standard input closes (so it never outlives the benchmark that started
it). Each answer is built before it is asked for, so a request costs one header scan and one
write: the server must not be what limits a crawl. Every page has an ETag and a Last-Modified,
and a conditional GET gets a bodiless 304 when If-None-Match matches (it wins) or else when
If-Modified-Since is not older than the page.

`GET /_bench/stats` returns the counters as JSON: requests, 200s, 304s, 404s, requests with
conditional headers, bytes sent, the monotonic times of the first request and last response, the
server's own CPU seconds (so a report can show how much of the 2 cores it took), and whether
conditional requests are honoured. `/_bench/reset` zeroes the counters, `/_bench/conditional?on`
or `?off` honours or ignores conditional headers; any other action goes to the page source.
`Server` starts this file as a subprocess and talks to it.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

HTML = ("Content-Type", "text/html; charset=utf-8")
NOT_FOUND = b"<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>\n"


@dataclass(frozen=True, slots=True)
class Page:
    """One path's answers, every byte built up front."""

    full: bytes  # 200 with the body
    not_modified: bytes  # 304: the same validators, no body
    etag: str
    modified: str  # Last-Modified, an HTTP date
    zipped: bytes | None = None  # 200 with a gzip body, for clients that accept it


def make_page(
    body: bytes, etag: str, modified: str, extra: list[tuple[str, str]], compress: bool = False
) -> Page:
    validators = [("ETag", etag), ("Last-Modified", modified), *extra]
    zipped = None
    if compress:
        squeezed = gzip.compress(body, compresslevel=6, mtime=0)
        zipped = _response("200 OK", squeezed, [HTML, *validators, ("Content-Encoding", "gzip")])
    return Page(
        _response("200 OK", body, [HTML, *validators]),
        _response("304 Not Modified", b"", validators),
        etag,
        modified,
        zipped,
    )


def _response(status: str, body: bytes, extra: list[tuple[str, str]]) -> bytes:
    headers = [("Server", "citewatch-bench"), ("Date", formatdate(usegmt=True)), *extra]
    if not status.startswith("304"):  # a 304's Content-Length would be the 200's
        headers.append(("Content-Length", str(len(body))))
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


class Pages(Protocol):
    """What the server serves: a page by path, and the source's own /_bench/ actions."""

    def get(self, path: str) -> Page | None: ...

    def control(self, action: str, query: str) -> bytes | None: ...


class Directory:
    """Every .html file under a directory, by path, unchanging."""

    def __init__(self, directory: Path, compress: bool) -> None:
        self.pages: dict[str, Page] = {}
        for file in sorted(directory.rglob("*.html")):
            body = file.read_bytes()
            path = "/" + file.relative_to(directory).as_posix()
            etag = f'"{len(body):x}-{hash(path) & 0xFFFFFF:06x}"'
            extra = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")]
            self.pages[path] = make_page(
                body, etag, "Mon, 21 Nov 2016 10:00:00 GMT", extra, compress
            )

    def get(self, path: str) -> Page | None:
        return self.pages.get(path)

    def control(self, action: str, query: str) -> bytes | None:
        return None


class Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = self.ok = self.not_modified = self.not_found = self.conditional = 0
        self.sent = 0
        self.first: float | None = None
        self.last: float | None = None
        self.cpu_at_reset = time.process_time()

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "200": self.ok,
            "304": self.not_modified,
            "404": self.not_found,
            "conditional_requests": self.conditional,
            "bytes": self.sent,
            "first": self.first,
            "last": self.last,
            "cpu": time.process_time() - self.cpu_at_reset,
        }


class Loopback:
    """The answer to each request: shared by every connection, so the counters see them all."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.counters = Counters()
        self.honour_conditional = True

    def page(self, target: str, lowered: bytes) -> bytes:
        counters = self.counters
        now = time.monotonic()
        if counters.first is None:
            counters.first = now
        counters.requests += 1
        found = self.pages.get(target)
        if found is None:
            counters.not_found += 1
            answer = _response("404 Not Found", NOT_FOUND, [HTML])
        elif self._fresh(found, lowered):
            counters.not_modified += 1
            answer = found.not_modified
        else:
            counters.ok += 1
            wants_gzip = found.zipped is not None and b"gzip" in _field(lowered, b"accept-encoding")
            answer = found.zipped if wants_gzip and found.zipped is not None else found.full
        counters.sent += len(answer)
        counters.last = now
        return answer

    def _fresh(self, page: Page, lowered: bytes) -> bool:
        """Whether a conditional request's copy is current (counted even when ignored)."""
        if b"if-" not in lowered:  # most requests: skip the two header scans
            return False
        none_match = _field(lowered, b"if-none-match").strip()
        since = _field(lowered, b"if-modified-since").strip()
        if not (none_match or since):
            return False
        self.counters.conditional += 1
        if not self.honour_conditional:
            return False
        if none_match:  # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
            return page.etag.lower().encode() in none_match.split(b", ") or none_match == b"*"
        return _not_after(since, page.modified)

    def control(self, action: str, query: str) -> bytes:
        if action == "reset":
            self.counters.reset()
        elif action == "conditional":
            self.honour_conditional = query == "on"
        elif (answer := self.pages.control(action, query)) is not None:
            return _response("200 OK", answer, [])
        stats = {**self.counters.as_dict(), "conditional_on": self.honour_conditional}
        return _response("200 OK", json.dumps(stats).encode(), [])


def _not_after(since: bytes, modified: str) -> bool:
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since.decode())
    except (TypeError, ValueError):
        return False


class HttpProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1 for GET and HEAD-less crawlers: no request bodies are expected."""

    def __init__(self, loopback: Loopback) -> None:
        self.loopback = loopback
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._answer(head):
                return

    def _answer(self, head: bytes) -> bool:
        assert self.transport is not None
        line, _, fields = head.partition(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3:
            self.transport.close()
            return False
        target, _, query = parts[1].decode("latin-1").partition("?")
        lowered = fields.lower()
        if target.startswith("/_bench/"):
            answer = self.loopback.control(target.removeprefix("/_bench/"), query)
        else:
            answer = self.loopback.page(target, lowered)
        self.transport.write(answer)
        closing = parts[2] == b"HTTP/1.0" or b"close" in _field(lowered, b"connection")
        if closing:
            self.transport.close()
        return not closing


def _field(lowered_fields: bytes, name: bytes) -> bytes:
    """The value of header ``name`` in the lower-cased header lines, or b""."""
    text = b"\r\n" + lowered_fields
    key = b"\r\n" + name + b":"
    at = text.find(key)
    if at < 0:
        return b""
    end = text.find(b"\r\n", at + len(key))
    return text[at + len(key) : end if end >= 0 else None]


async def serve(pages: Pages) -> None:
    loopback = Loopback(pages)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpProtocol(loopback), "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Stop when the parent closes our stdin (or dies): never outlive the benchmark.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class Server:
    """This file as a subprocess, started with `argv` (see main); it exits when its stdin
    closes, so a benchmark that dies leaves no server behind."""

    def __init__(self, *argv: str) -> None:
        self.argv = [sys.executable, str(Path(__file__).resolve()), *argv]

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def get(self, action: str, query: str = "") -> bytes:
        url = f"http://127.0.0.1:{self.port}/_bench/{action}" + (f"?{query}" if query else "")
        with urllib.request.urlopen(url, timeout=30) as answer:
            return bytes(answer.read())

    def control(self, action: str, query: str = "") -> dict[str, Any]:
        return dict(json.loads(self.get(action, query)))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, nargs="?", help="directory of .html files, by path")
    parser.add_argument("--gzip", action="store_true", help="answer gzip when the client asks")
    site = parser.add_argument_group("instead of a directory, bench/recheck_site.py's site")
    for name in ("--articles", "--sources", "--page-kb", "--seed"):
        site.add_argument(name, type=int)
    args = parser.parse_args()
    site_args = (args.articles, args.sources, args.page_kb, args.seed)
    if args.pages is not None:
        pages: Pages = Directory(args.pages, args.gzip)
    elif None not in site_args:
        from recheck_site import Site  # it builds its pages with make_page, from this file

        pages = Site(*site_args)
    else:
        parser.error("give PAGES_DIR, or all of --articles --sources --page-kb --seed")
    asyncio.run(serve(pages))


if __name__ == "__main__":
    main()
