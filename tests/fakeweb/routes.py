"""Routing: a request path to a reply, through overrides, behaviour URLs and static pages."""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Callable
from urllib.parse import unquote

from crawler.demo.content import SITE
from tests.fakeweb import transforms
from tests.fakeweb.generated import big_page, pdf_document, png_image, status_page
from tests.fakeweb.messages import Reply, Request
from tests.fakeweb.state import Override, State

PAGES = SITE  # the static pages are the bundled sample web's, shared with `citewatch demo`

#: `/slow/<seconds>/…` never sleeps longer than this, so a typo cannot hang the suite.
MAX_SLEEP = 30.0

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

RouteHandler = Callable[..., Reply]


def route(request: Request, state: State) -> Reply:
    """The reply for `request`: a test's override first, then behaviour URLs, then static pages."""
    override = state.find(request.path)
    if override is not None:
        return _from_override(override, request.base_url)
    for pattern, handler in _ROUTES:
        found = pattern.fullmatch(request.path)
        if found:
            return handler(request, state, *found.groups())
    return _static(request.path, request.base_url) or not_found()


def expand(body: bytes, base_url: str) -> bytes:
    """`body` with every `{{base}}` replaced by the server's base URL."""
    return body.replace(b"{{base}}", base_url.encode("ascii"))


def not_found() -> Reply:
    return Reply(404, status_page(404))


def sleep_seconds(text: str) -> float:
    """The delay a `/slow/<seconds>/` URL asks for, capped at `MAX_SLEEP`."""
    return max(0.0, min(float(text), MAX_SLEEP))


def _from_override(override: Override, base_url: str) -> Reply:
    if override.drop:
        return Reply(mode="drop")
    body = expand(override.body, base_url)
    return Reply(
        override.status, body, override.content_type, override.headers, modified=override.modified
    )


def _static(path: str, base_url: str) -> Reply | None:
    """The file under `pages/` for `path` (`/` and `…/` mean `index.html`), or None."""
    relative = unquote(path).lstrip("/")
    if "\0" in relative:
        return None  # pathlib refuses NUL bytes; it names no file anyway
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    file = (PAGES / relative).resolve()
    # resolve() folds `..`, so this keeps requests inside pages/.
    if not file.is_relative_to(PAGES) or not file.is_file():
        return None
    content_type = _TEXT_TYPES.get(file.suffix) or (
        mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )
    body = file.read_bytes()
    if content_type.startswith("text/"):
        body = expand(body, base_url)
    return Reply(200, body, content_type, modified=transforms.EPOCH_MODIFIED)


# -- behaviour URLs --------------------------------------------------------------------------


def _status(request: Request, state: State, code: str) -> Reply:
    # `?reason=…` replaces the standard phrase, to tell a real status line from a rebuilt one.
    return Reply(int(code), status_page(int(code)), reason=request.query.get("reason"))


def _redirect_to(location: str, code_text: str) -> Reply:
    code = int(code_text) if code_text.isdigit() else 0
    if code not in REDIRECT_CODES:
        return Reply(
            400, status_page(400, f"Redirect code must be one of {sorted(REDIRECT_CODES)}.")
        )
    return Reply(code, status_page(code, f"Moved to {location}"), headers=(("Location", location),))


#: What `/catch-all/…` answers for every path: a site that never says "not found".
CATCH_ALL_PAGE = (
    b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Example Daily</title>'
    b"</head>\n<body><main><h1>Welcome to Example Daily</h1>\n<p>Browse today's top stories "
    b"in politics, business and culture, and subscribe to our morning newsletter for the "
    b"headlines delivered to your inbox.</p>\n<p>Popular sections this week include world "
    b"affairs, technology, the climate desk and our long reads.</p></main></body></html>\n"
)


def _catch_all(request: Request, state: State) -> Reply:
    return Reply(200, CATCH_ALL_PAGE)


def _redirect(request: Request, state: State) -> Reply:
    return _redirect_to(request.query.get("to", "/"), request.query.get("code", "302"))


def _redirect_chain(request: Request, state: State, hops: str) -> Reply:
    query = request.target.partition("?")[2]
    if int(hops) <= 1:
        location = request.query.get("to", "/")
    else:
        location = f"/redirect-chain/{int(hops) - 1}" + (f"?{query}" if query else "")
    return _redirect_to(location, request.query.get("code", "302"))


def _redirect_loop(request: Request, state: State) -> Reply:
    return _redirect_to(request.target, request.query.get("code", "302"))


def _gzip(request: Request, state: State, inner: str) -> Reply:
    return transforms.gzipped(route(request.inner(inner), state))


def _chunked(request: Request, state: State, inner: str) -> Reply:
    return transforms.chunked(route(request.inner(inner), state))


def _drop(request: Request, state: State) -> Reply:
    return Reply(mode="drop")


def _drop_mid(request: Request, state: State, inner: str) -> Reply:
    return transforms.cut_mid_body(route(request.inner(inner), state))


def _slow(request: Request, state: State, seconds: str, inner: str) -> Reply:
    # Each connection has its own thread, so sleeping here delays only this answer.
    time.sleep(sleep_seconds(seconds))
    return route(request.inner(inner), state)


def _charset(declare: str) -> RouteHandler:
    def handler(request: Request, state: State, encoding: str, inner: str) -> Reply:
        return transforms.recharset(route(request.inner(inner), state), encoding, declare)

    return handler


def _etag(request: Request, state: State, inner: str) -> Reply:
    return transforms.conditional(route(request.inner(inner), state), request)


def _cookies(request: Request, state: State) -> Reply:
    headers = (
        ("Set-Cookie", "session=fakeweb-session; Path=/; HttpOnly"),
        ("Set-Cookie", "consent=yes; Path=/; Max-Age=3600"),
        ("Link", f'<{request.base_url}/articles/alep.html>; rel="canonical"'),
        ("Link", '</static/site.css>; rel="preload"; as="style"'),
    )
    return Reply(
        200, status_page(200, "Two cookies and two links in the headers."), headers=headers
    )


def _latin1_header(request: Request, state: State) -> Reply:
    # http.server encodes header values as Latin-1, so "é" leaves as the raw byte 0xE9.
    page = status_page(200, "X-Note carries a raw Latin-1 byte.")
    return Reply(200, page, headers=(("X-Note", "caf\xe9"),))


def _pdf(request: Request, state: State, name: str) -> Reply:
    return Reply(200, pdf_document(unquote(name)), "application/pdf")


def _png(request: Request, state: State) -> Reply:
    return Reply(200, png_image(), "image/png")


def _big(request: Request, state: State, size: str) -> Reply:
    return Reply(200, big_page(int(size)))


def _echo(request: Request, state: State) -> Reply:
    seen = {
        "method": request.method,
        "path": request.target,
        "headers": [list(pair) for pair in request.headers],
        "body": request.body.decode("utf-8", errors="replace"),
    }
    return Reply(200, json.dumps(seen, indent=1).encode(), "application/json")


_ROUTES: list[tuple[re.Pattern[str], RouteHandler]] = [
    (re.compile(pattern), handler)
    for pattern, handler in [
        (r"/status/([2-5]\d\d)", _status),
        (r"/redirect", _redirect),
        (r"/catch-all/.*", _catch_all),
        (r"/redirect-chain/(\d{1,4})", _redirect_chain),
        (r"/redirect-loop", _redirect_loop),
        (r"/gzip(/.*)", _gzip),
        (r"/chunked(/.*)", _chunked),
        (r"/drop", _drop),
        (r"/drop-mid(/.*)", _drop_mid),
        (r"/slow/(\d+(?:\.\d+)?)(/.*)", _slow),
        (r"/charset/([\w.:-]+)(/.*)", _charset("header")),
        (r"/charset-meta/([\w.:-]+)(/.*)", _charset("meta")),
        (r"/charset-none/([\w.:-]+)(/.*)", _charset("none")),
        (r"/etag(/.*)", _etag),
        (r"/cookies", _cookies),
        (r"/latin1-header", _latin1_header),
        (r"/pdf/([^/]+)\.pdf", _pdf),
        (r"/image\.png", _png),
        (r"/big/(\d{1,9})", _big),
        (r"/echo", _echo),
    ]
]
