"""The HTTP/1.1 server: a stdlib ThreadingHTTPServer on 127.0.0.1 that puts replies on the wire."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakeweb import control
from tests.fakeweb.generated import status_page
from tests.fakeweb.messages import Reply, Request, has_body
from tests.fakeweb.routes import route
from tests.fakeweb.state import Seen, State

LOOPBACK = "127.0.0.1"

#: `/chunked/…` splits a body into this many chunks (fewer when it is shorter).
CHUNKS = 4


class Handler(BaseHTTPRequestHandler):
    """Reads one request, routes it, writes the reply; keep-alive is BaseHTTPRequestHandler's."""

    protocol_version = "HTTP/1.1"
    server_version = "citewatch-fakeweb/1"
    # An idle keep-alive connection is closed after this, as nginx's keepalive_timeout does.
    timeout = 120
    # Headers and body are separate writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True
    server: FakeWebServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, alive=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: one stderr line per request would drown pytest's output."""

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        state = self.server.state
        body = self._read_body()
        target = self.path
        if not target.startswith("/"):
            # An absolute-form target (as sent to a proxy) is routed by its path and query.
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        path, _, query = target.partition("?")
        headers = tuple(self.headers.items())
        try:
            if path.startswith(control.PREFIX):
                reply = control.handle(state, self.command, path, body)
            else:
                state.record(Seen(self.command, target, list(headers)))
                query_args = dict(parse_qsl(query, keep_blank_values=True))
                request = Request(
                    self.command, target, path, query_args, headers, body, state.base_url
                )
                reply = route(request, state)
        except Exception:
            # A bug in the fake web shows up in the failing test's response, not in a log.
            reply = Reply(500, status_page(500, traceback.format_exc()))
        self._send(reply)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # Request bodies are never chunked in these tests; close rather than misparse.
            self.close_connection = True
            return b""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: Reply) -> None:
        if reply.mode == "drop":
            self.close_connection = True  # nothing written: the client sees the socket close
            return
        with_body = has_body(reply.status)
        self.send_response(reply.status, reply.reason)
        if reply.content_type and with_body:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif with_body:
            # Announced in full even for drop-mid: that is what makes the cut detectable.
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.mode == "drop-mid":
            self.close_connection = True
        if self.command == "HEAD" or not with_body:
            return
        if reply.mode == "chunked":
            self._write_chunks(reply.body)
        elif reply.mode == "drop-mid":
            self.wfile.write(reply.body[: len(reply.body) // 2])
        else:
            self.wfile.write(reply.body)

    def _write_chunks(self, body: bytes) -> None:
        size = max(1, -(-len(body) // CHUNKS))
        for start in range(0, len(body), size):
            piece = body[start : start + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")


class FakeWebServer(ThreadingHTTPServer):
    """A loopback-only threading server that knows its open connections, to close them on stop."""

    daemon_threads = True  # a /slow/ or keep-alive thread never holds up the end of the tests
    request_queue_size = 128  # Scrapy opens many connections at once; 5 would drop SYNs

    def __init__(self, state: State, port: int = 0) -> None:
        self.state = state
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((LOOPBACK, port), Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS lookup: skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        assert host == LOOPBACK, f"the fake web must listen on loopback only, not {host}"
        self.server_name, self.server_port = str(host), int(port)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_port}"

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Shut every open connection, so keep-alive threads wake up and end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-answer are normal here (drop tests, size limits).
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def serve_in_thread(state: State, port: int = 0) -> tuple[FakeWebServer, threading.Thread]:
    """Bind a server for `state`, start it in a daemon thread, and set `state.base_url`."""
    server = FakeWebServer(state, port)
    state.base_url = server.base_url
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="fakeweb", daemon=True
    )
    thread.start()
    return server, thread
