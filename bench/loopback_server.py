"""A fast HTTP/1.1 server on 127.0.0.1 for the crawl benchmark: serves a directory from memory.

`python bench/loopback_server.py PAGES_DIR [--gzip]` loads every file under PAGES_DIR, binds a
free port on 127.0.0.1, prints the port on one line, and serves until its standard input closes
(so it never outlives the benchmark that started it). Each response is built once at start-up,
so a request costs one header scan and one write: the server must not be what limits a crawl.

`GET /_bench/reset` zeroes the counters; `GET /_bench/stats` returns them as JSON: requests,
404s, bytes sent, the monotonic times of the first request and last response since the reset,
and the server's own CPU seconds (so a report can show how much of the 2 cores it took).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import time
from email.utils import formatdate
from pathlib import Path

NOT_FOUND = b"<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>\n"


class Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = self.not_found = self.sent = 0
        self.first: float | None = None
        self.last: float | None = None
        self.cpu_at_reset = time.process_time()

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "requests": self.requests,
                "not_found": self.not_found,
                "bytes": self.sent,
                "first": self.first,
                "last": self.last,
                "cpu": time.process_time() - self.cpu_at_reset,
            }
        ).encode()


def _response(status: str, body: bytes, extra: list[tuple[str, str]]) -> bytes:
    headers = [
        ("Server", "citewatch-bench"),
        ("Date", formatdate(usegmt=True)),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *extra,
    ]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def load(directory: Path, compress: bool) -> dict[bytes, tuple[bytes, bytes | None]]:
    """Path → (identity response, gzip response or None), every byte built up front."""
    site: dict[bytes, tuple[bytes, bytes | None]] = {}
    for file in sorted(directory.rglob("*.html")):
        body = file.read_bytes()
        path = "/" + file.relative_to(directory).as_posix()
        common = [
            ("Cache-Control", "max-age=60"),
            ("Last-Modified", "Mon, 21 Nov 2016 10:00:00 GMT"),
            ("ETag", f'"{len(body):x}-{hash(path) & 0xFFFFFF:06x}"'),
        ]
        plain = _response("200 OK", body, [*common, ("Vary", "Accept-Encoding")])
        zipped = None
        if compress:
            squeezed = gzip.compress(body, compresslevel=6, mtime=0)
            zipped = _response(
                "200 OK",
                squeezed,
                [*common, ("Vary", "Accept-Encoding"), ("Content-Encoding", "gzip")],
            )
        site[path.encode()] = (plain, zipped)
    return site


class HttpProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1 for GET and HEAD-less crawlers: no request bodies are expected."""

    def __init__(self, site: dict[bytes, tuple[bytes, bytes | None]], counters: Counters) -> None:
        self.site = site
        self.counters = counters
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
        target = parts[1].split(b"?", 1)[0]
        lowered = fields.lower()
        if target.startswith(b"/_bench/"):
            if target == b"/_bench/reset":
                self.counters.reset()
            answer = _response("200 OK", self.counters.as_json(), [])
        else:
            counters = self.counters
            now = time.monotonic()
            if counters.first is None:
                counters.first = now
            counters.requests += 1
            found = self.site.get(target)
            if found is None:
                counters.not_found += 1
                answer = _response("404 Not Found", NOT_FOUND, [])
            else:
                plain, zipped = found
                wants_gzip = zipped is not None and b"gzip" in _field(lowered, b"accept-encoding")
                answer = zipped if wants_gzip and zipped is not None else plain
            counters.sent += len(answer)
            counters.last = now
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


async def serve(directory: Path, compress: bool) -> None:
    site = load(directory, compress)
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(site, counters), "127.0.0.1", 0, backlog=512
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Stop when the parent closes our stdin (or dies): never outlive the benchmark.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="directory of .html files, served by path")
    parser.add_argument("--gzip", action="store_true", help="answer gzip when the client asks")
    args = parser.parse_args()
    asyncio.run(serve(args.pages, args.gzip))


if __name__ == "__main__":
    main()
