"""The test suite's fake web: a real HTTP/1.1 server on 127.0.0.1 whose behaviour is in the URL.

Start it with the session fixture `fakeweb` (in-process thread) or `python -m tests.fakeweb`
(prints `http://127.0.0.1:PORT` on its first stdout line, serves until SIGTERM/SIGINT).
Keep-alive works; every answer has a Content-Length unless it is chunked; HEAD is answered.

Behaviour URLs (wrappers take any fake-web path, even another wrapper: `/gzip/chunked/…`):

    /status/<code>               that status (200–599) with a small HTML page and the standard
                                 reason phrase: 404 Not Found, 410 Gone, 451, 429, 503…;
                                 `?reason=Gone+Fishing` sends that phrase instead
    /redirect?to=<url>&code=<c>  redirect to `to` (a URL or a path, sent as is; default `/`)
                                 with code 301, 302 (default), 303, 307 or 308
    /redirect-chain/<n>?to=…     n redirects (through /redirect-chain/n-1, …) then to `to`;
                                 `code=` as above
    /redirect-loop               redirects to itself forever
    /catch-all/<anything>        200 and the same landing page for every path, as sites do
                                 that never answer 404 (the soft-404 probe's target)
    /gzip/<path>                 <path> gzip-compressed on the wire, Content-Encoding: gzip
    /chunked/<path>              <path> with Transfer-Encoding: chunked, in 4 chunks, no length
    /drop                        reads the request, closes the connection without an answer
    /drop-mid/<path>             announces <path>'s full Content-Length, sends half, closes
    /slow/<seconds>/<path>       sleeps (capped at 30 s; other requests go on), then <path>
    /charset/<enc>/<path>        <path>'s text encoded in <enc>, declared only in Content-Type
    /charset-meta/<enc>/<path>   the same bytes, declared only in a <meta charset> tag
    /charset-none/<enc>/<path>   the same bytes, declared nowhere
                                 (characters <enc> lacks become &#NNNN; references)
    /etag/<path>                 <path> with ETag and Last-Modified; 304 without a body when
                                 If-None-Match matches or If-Modified-Since is not older
    /cookies                     two Set-Cookie and two Link headers
    /latin1-header               header `X-Note: caf\\xe9` with the raw Latin-1 byte 0xE9
    /pdf/<name>.pdf              a one-page PDF whose text layer holds `PDF_SENTENCE`
    /image.png                   a 1×1 PNG
    /plain.txt                   text/plain
    /big/<n>                     an HTML page of exactly n bytes (at most 64 MiB)
    /echo                        JSON of the request as received: method, path (query
                                 included), headers as [name, value] pairs in order, body
    /robots.txt                  allows everything
    /_control/…                  changes the server from another process (see `control`)

Static pages come from `pages/` (`/` is `index.html`): the home page, the French news article
`/articles/alep.html` and the sources it cites under `/sources/`. The literal `{{base}}` in any
text page, or in a body a test sets, becomes the base URL. Anything else is a 404 page.

Tests change pages through `FakeWeb` (or, better, the per-test `site` fixture's `Site`, whose
paths live under `/t/<test>-<id>/` and are removed after the test); a changed path wins over
everything above. Every request except `/_control/` is logged in `FakeWeb.requests`.
"""

from __future__ import annotations

import re
import uuid
from types import TracebackType

from tests.fakeweb.control import RemoteFakeWeb
from tests.fakeweb.generated import PDF_SENTENCE
from tests.fakeweb.server import LOOPBACK, FakeWebServer, serve_in_thread
from tests.fakeweb.state import HTML, HeadersArg, Seen, State, matching

__all__ = ["PDF_SENTENCE", "FakeWeb", "RemoteFakeWeb", "Seen", "Site"]


class FakeWeb:
    """The fake web server and its API; `with FakeWeb() as web:` starts and stops it."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the fake web listens on {LOOPBACK} only, not {host}")
        self._port = port
        self._state = State()
        self._server: FakeWebServer | None = None

    def start(self) -> FakeWeb:
        """Bind (port 0: a free port) and serve in a daemon thread."""
        self._server, self._thread = serve_in_thread(self._state, self._port)
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections, and wait for the serving thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeWeb:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        if not self._state.base_url:
            raise RuntimeError("the fake web is not started")
        return self._state.base_url

    def url(self, path: str = "/") -> str:
        """The absolute URL of `path`."""
        return self.base_url + _absolute(path)

    # -- changing pages --------------------------------------------------------------------

    def set(
        self,
        path: str,
        body: str | bytes = b"",
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str | None = HTML,
    ) -> None:
        """Serve `body` at `path` (creating or overriding it); `headers` may be pairs."""
        self._state.set(_absolute(path), body, status, headers, content_type)

    def delete(self, path: str) -> None:
        """Make `path` answer 404."""
        self._state.delete(_absolute(path))

    def close(self, path: str) -> None:
        """Make `path` close the connection without answering."""
        self._state.close(_absolute(path))

    def redirect(self, path: str, to: str, code: int = 301) -> None:
        """Make `path` redirect to `to` (a URL or a path, sent as is)."""
        self._state.redirect(_absolute(path), to, code)

    def reset(self, prefix: str = "") -> None:
        """Drop every change (or only those under `prefix`): the static pages are back."""
        self._state.reset(prefix)

    # -- the request log -------------------------------------------------------------------

    @property
    def requests(self) -> list[Seen]:
        """Every request received so far, oldest first."""
        return self._state.requests()

    def requests_for(self, path: str) -> list[Seen]:
        """Requests for `path`; the query string counts only when `path` has one."""
        return matching(self.requests, _absolute(path))

    def clear_requests(self) -> None:
        self._state.clear_requests()

    def site(self, name: str = "test") -> Site:
        """A view of the fake web under a fresh prefix `/t/<name>-<random>`."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60] or "test"
        return Site(self, f"/t/{slug}-{uuid.uuid4().hex[:8]}")


class Site:
    """The fake web seen under one prefix: paths given to it are relative to the prefix.

    Bodies may use `{{site}}` for the prefix's absolute URL (as well as `{{base}}`); a
    redirect target starting with `/` is inside the prefix too.
    """

    def __init__(self, web: FakeWeb, prefix: str) -> None:
        self.web = web
        self.prefix = prefix

    def path(self, path: str = "/") -> str:
        """The server path of `path`: the prefix plus `path`."""
        return self.prefix + _absolute(path)

    def url(self, path: str = "/") -> str:
        return self.web.url(self.path(path))

    def set(
        self,
        path: str,
        body: str | bytes = b"",
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str | None = HTML,
    ) -> None:
        site = b"{{base}}" + self.prefix.encode()
        data = (body.encode() if isinstance(body, str) else body).replace(b"{{site}}", site)
        self.web.set(self.path(path), data, status, headers, content_type)

    def delete(self, path: str) -> None:
        self.web.delete(self.path(path))

    def close(self, path: str) -> None:
        self.web.close(self.path(path))

    def redirect(self, path: str, to: str, code: int = 301) -> None:
        self.web.redirect(self.path(path), self.path(to) if to.startswith("/") else to, code)

    def reset(self) -> None:
        """Drop this site's changes; the `site` fixture calls it after each test."""
        self.web.reset(self.prefix + "/")

    @property
    def requests(self) -> list[Seen]:
        return [seen for seen in self.web.requests if seen.path.startswith(self.prefix + "/")]

    def requests_for(self, path: str) -> list[Seen]:
        return self.web.requests_for(self.path(path))


def _absolute(path: str) -> str:
    return path if path.startswith("/") else "/" + path
