"""HTTP messages as citewatch stores them in WARC records: plain values in, wire bytes out.

Scrapy exposes parsed headers, not the bytes on the wire, so the heads built here are
reconstructions: same names, values and order, with Transfer-Encoding dropped (bodies are
stored de-chunked) and Content-Length made true to the stored body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Literal
from urllib.parse import urlsplit

HeaderText = str | bytes
HeaderList = Sequence[tuple[HeaderText, HeaderText]]
Truncation = Literal["length", "time", "disconnect", "unspecified"]

# Statuses whose Content-Length legitimately differs from the (empty) stored body.
_NO_BODY_STATUSES = frozenset({204, 304})


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as sent: headers are ``(name, value)`` pairs in order, bytes or str."""

    url: str
    method: str = "GET"
    headers: HeaderList = ()
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response as received.

    ``body`` is the entity body as it came off the wire, de-chunked but still in its
    ``Content-Encoding``. ``protocol`` is what the client negotiated ("HTTP/1.1", "HTTP/1.0",
    "h2"); ``reason`` None means "not known" (always so for h2). ``truncated`` is a WARC
    truncation reason when the body is incomplete.
    """

    status: int
    headers: HeaderList = ()
    body: bytes = b""
    reason: str | None = None
    protocol: str = "HTTP/1.1"
    truncated: Truncation | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request/response pair, captured from ``started`` (UTC) onwards from ``ip_address``."""

    request: HttpRequest
    response: HttpResponse
    started: datetime
    ip_address: str | None = None


def header_bytes(value: HeaderText) -> bytes:
    """Header text as wire bytes: str values are Latin-1 (HTTP's historical charset)."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            raw = value.encode("utf-8")
    # A stray CR or LF would end the header block early and shift the payload boundary
    # that readers and digests rely on.
    if b"\r" in raw or b"\n" in raw:
        raw = raw.replace(b"\r", b" ").replace(b"\n", b" ")
    return raw


def mime_type(content_type: bytes | str | None) -> str | None:
    """The media type of a ``Content-Type`` value, lower-cased and without parameters."""
    if not content_type:
        return None
    raw = header_bytes(content_type)
    return raw.split(b";", 1)[0].strip().decode("latin-1").lower() or None


def wire_protocol(protocol: str | None) -> tuple[str, str | None]:
    """Map a negotiated protocol to (status-line version, ``WARC-Protocol`` value or None).

    HTTP/2 and HTTP/3 have no text status line; they are written as HTTP/1.1 messages and
    the real protocol goes into ``WARC-Protocol`` (IIPC warc-specifications proposal #42).
    """
    name = (protocol or "").strip().lower()
    if name in ("http/1.0", "http/1.1"):
        return name.upper(), None
    if name in ("", "http/0.9"):
        return "HTTP/1.1", None
    return "HTTP/1.1", {"http/2": "h2", "http/2.0": "h2", "http/3": "h3"}.get(name, name)


def response_head(response: HttpResponse, *, method: str = "GET") -> bytes:
    """The status line and headers of a stored response, ending with the blank line.

    ``Transfer-Encoding`` is dropped because the body is stored de-chunked. Every
    ``Content-Length`` is made to equal the stored body (or one is appended), except where the
    server's value is the truth and the body legitimately differs: a truncated body (the
    declared length is what WARC-Truncated is about), a HEAD answer, 1xx/204/304.
    """
    version, alt_protocol = wire_protocol(response.protocol)
    reason = response.reason
    if reason is None or alt_protocol is not None:
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
    lines = [f"{version} {response.status} ".encode("ascii") + header_bytes(reason)]

    keep_length = (
        response.truncated is not None
        or method.upper() == "HEAD"
        or response.status < 200
        or response.status in _NO_BODY_STATUSES
    )
    length = str(len(response.body)).encode("ascii")
    has_length = False
    for raw_name, raw_value in response.headers:
        name, value = header_bytes(raw_name), header_bytes(raw_value)
        lowered = name.strip().lower()
        if lowered == b"transfer-encoding":
            continue
        if lowered == b"content-length" and not keep_length:
            has_length = True
            if value.strip() != length:
                value = length
        lines.append(name + b": " + value)
    if not keep_length and not has_length:
        lines.append(b"Content-Length: " + length)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def request_head(request: HttpRequest) -> bytes:
    """The request line and headers as sent, ending with the blank line.

    A ``Host`` header is put first when the list has none (HTTP/2 sends ``:authority``, and
    Scrapy's header list omits what Twisted adds); ``Proxy-Authorization`` is never archived.
    """
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    line = f"{request.method} {target} HTTP/1.1".encode()
    headers = [(header_bytes(name), header_bytes(value)) for name, value in request.headers]
    names = {name.strip().lower() for name, _ in headers}
    lines = [line]
    if b"host" not in names:
        lines.append(b"Host: " + header_bytes(_host(parts.scheme, parts.netloc)))
    lines.extend(
        name + b": " + value
        for name, value in headers
        if name.strip().lower() != b"proxy-authorization"
    )
    if request.body and not names & {b"content-length", b"transfer-encoding"}:
        lines.append(b"Content-Length: " + str(len(request.body)).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _host(scheme: str, netloc: str) -> str:
    host = netloc.rpartition("@")[2]
    default_port = {"http": ":80", "https": ":443"}.get(scheme.lower())
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return host
