"""The fake web's mutable state: per-path overrides and the request log, shared across threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from tests.fakeweb.generated import status_page

HTML = "text/html; charset=utf-8"

#: Header pairs as given by tests: a mapping, or pairs when a name repeats (two Set-Cookie).
HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None


class Seen(NamedTuple):
    """One request as the server received it: `path` is the target as sent, query included."""

    method: str
    path: str
    headers: list[tuple[str, str]]

    @property
    def url_path(self) -> str:
        """`path` without its query string."""
        return self.path.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def matching(requests: list[Seen], path: str) -> list[Seen]:
    """The requests for `path`; the query string counts only when `path` has one."""
    if "?" in path:
        return [seen for seen in requests if seen.path == path]
    return [seen for seen in requests if seen.url_path == path]


@dataclass(frozen=True)
class Override:
    """What a test put at a path: an answer to serve, or `drop` to close the connection."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = HTML
    drop: bool = False
    modified: float = 0.0  # when it was set: `/etag/` uses it as Last-Modified


def header_pairs(headers: HeadersArg) -> tuple[tuple[str, str], ...]:
    """Normalise a headers argument to a tuple of (name, value) pairs, order kept."""
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(name), str(value)) for name, value in items)


class State:
    """Thread-safe overrides and request log; the HTTP handler threads read, tests write.

    An override path ending in `/*` matches every path under it (the longest such prefix
    wins, an exact path beats any wildcard): handy for a site-wide soft-404.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._overrides: dict[str, Override] = {}
        self._log: list[Seen] = []
        self.base_url = ""

    # -- overrides -------------------------------------------------------------------------

    def set(
        self,
        path: str,
        body: str | bytes = b"",
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str | None = HTML,
    ) -> None:
        """Serve `body` with `status`, `headers` and `content_type` at `path`."""
        data = body.encode() if isinstance(body, str) else bytes(body)
        self._put(path, Override(status, data, header_pairs(headers), content_type))

    def delete(self, path: str) -> None:
        """Answer 404 at `path`, whatever was there."""
        self._put(path, Override(404, status_page(404)))

    def close(self, path: str) -> None:
        """Close the connection without an answer at `path`."""
        self._put(path, Override(drop=True))

    def redirect(self, path: str, to: str, code: int = 301) -> None:
        """Redirect `path` to `to` (a URL or an absolute path) with `code`."""
        page = status_page(code, f"Moved to {to}")
        self._put(path, Override(code, page, (("Location", to),)))

    def reset(self, prefix: str = "") -> None:
        """Drop every override whose path starts with `prefix` (all of them by default)."""
        with self._lock:
            for path in [p for p in self._overrides if p.startswith(prefix)]:
                del self._overrides[path]

    def find(self, path: str) -> Override | None:
        """The override answering `path`, or None."""
        with self._lock:
            if path in self._overrides:
                return self._overrides[path]
            stars = [p for p in self._overrides if p.endswith("/*") and path.startswith(p[:-1])]
            return self._overrides[max(stars, key=len)] if stars else None

    def _put(self, path: str, override: Override) -> None:
        if not path.startswith("/"):
            raise ValueError(f"fake web paths start with '/': {path!r}")
        with self._lock:
            # A fresh timestamp on every change so `/etag/` sees a new Last-Modified.
            self._overrides[path] = replace(override, modified=time.time())

    # -- request log -----------------------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self._lock:
            self._log.append(seen)

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()
