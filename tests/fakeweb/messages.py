"""The request a route sees and the reply it returns; the HTTP handler turns replies into bytes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from tests.fakeweb.state import HTML

#: How the handler puts a reply on the wire: as is, in chunks, not at all, or cut mid-body.
Mode = Literal["normal", "chunked", "drop", "drop-mid"]


@dataclass(frozen=True)
class Request:
    """A request being routed; wrapper routes (`/gzip/…`) re-route it with a shorter `path`."""

    method: str
    target: str  # as sent, with the query string, even when routing an inner path
    path: str
    query: dict[str, str]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    base_url: str

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def inner(self, path: str) -> Request:
        """The same request aimed at `path`."""
        return replace(self, path=path)


@dataclass(frozen=True)
class Reply:
    """An answer: status, body, headers, and how to send it."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = HTML
    headers: tuple[tuple[str, str], ...] = ()
    mode: Mode = "normal"
    modified: float | None = None  # Last-Modified for `/etag/`, when the content knows it
    reason: str | None = None  # the status line's phrase; None for the standard one

    def with_headers(self, *pairs: tuple[str, str]) -> Reply:
        """A copy with `pairs` replacing any headers of the same names."""
        names = {name.lower() for name, _ in pairs}
        kept = tuple(pair for pair in self.headers if pair[0].lower() not in names)
        return replace(self, headers=kept + pairs)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def has_body(status: int) -> bool:
    """Whether an answer with `status` carries a body at all (RFC 9110 §6.4.1)."""
    return status >= 200 and status not in (204, 304)
