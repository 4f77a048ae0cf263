"""Build WARC/1.1 records from plain values: WARC headers, digests and gzip members.

The framing is written here rather than by warcio's ``WARCWriter`` because, in warcio 1.8.1,
that writer percent-encodes every non-ASCII HTTP header value (a Latin-1 ``caf\\xe9`` is
stored as ``caf%C3%A9``), always gzips at level 9, and writes any digest it is handed (with a
length) without checking it. The format is small: WARC headers, a blank line, the content
block, two CRLFs; warcio reads back and digest-checks every record in the tests.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from base64 import b32encode
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from isal import isal_zlib

from archive.warc_http import Exchange, request_head, response_head, wire_protocol

WARC_VERSION = b"WARC/1.1"
REVISIT_PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}
HTTP_REQUEST_TYPE = "application/http; msgtype=request"
HTTP_RESPONSE_TYPE = "application/http; msgtype=response"
WARC_FIELDS_TYPE = "application/warc-fields"

RevisitProfile = Literal["identical-payload-digest", "server-not-modified"]
FieldList = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class OriginalCapture:
    """The earlier response a revisit record refers to."""

    record_id: str
    target_uri: str
    date: datetime
    payload_digest: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """One WARC record, ready to serialise: WARC headers and the content block in parts.

    The block is kept in parts (HTTP head, body) so a body is hashed and compressed in place,
    never concatenated into a second copy.
    """

    record_id: str
    rec_type: str
    headers: tuple[tuple[str, str], ...]
    block: tuple[bytes, ...]
    payload_digest: str | None

    def head_bytes(self) -> bytes:
        """The WARC header block, with its terminating blank line."""
        lines = [WARC_VERSION]
        lines.extend(f"{name}: {value}".encode() for name, value in self.headers)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def to_bytes(self) -> bytes:
        """The whole uncompressed record (tests and debugging; writers use ``gzip_member``)."""
        return b"".join((self.head_bytes(), *self.block, b"\r\n\r\n"))

    def gzip_member(self, level: int) -> bytes:
        """The record as one complete gzip member, so each record can be seeked to alone."""
        compressor = gzip_compressor(level)
        parts = [compressor.compress(self.head_bytes())]
        parts.extend(compressor.compress(part) for part in self.block)
        parts.append(compressor.compress(b"\r\n\r\n"))
        parts.append(compressor.flush())
        return b"".join(parts)


def gzip_compressor(level: int) -> Any:
    """A compressor writing one gzip member at ``level`` (1 fast … 9 small, as gzip's).

    Levels 1-3 go to ISA-L (python-isal), whose level 1 compresses web pages two to three
    times faster than zlib's level 1, and a little smaller: compression is most of a WARC
    writer's CPU. Levels 4-9 go to zlib, which ISA-L does not reach.
    """
    if 1 <= level <= isal_zlib.ISAL_BEST_COMPRESSION:
        return isal_zlib.compressobj(level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS | 16)
    return zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)


def new_record_id() -> str:
    """A fresh ``<urn:uuid:…>`` WARC-Record-ID."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already, never local time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def warc_date(moment: datetime) -> str:
    """WARC-Date text: UTC, with microseconds only when there are some (as warcio writes it)."""
    moment = as_utc(moment)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def sha1_digest(*parts: bytes) -> str:
    """``sha1:`` + base32, the digest form WARC tools (warcio, pywb, Heritrix) expect."""
    hasher = hashlib.sha1(usedforsecurity=False)  # the WARC convention, not a security use
    for part in parts:
        hasher.update(part)
    return "sha1:" + b32encode(hasher.digest()).decode("ascii")


def _field_text(value: str) -> str:
    """A WARC header or warc-fields value on one line."""
    return " ".join(value.splitlines()) if ("\r" in value or "\n" in value) else value


def make_record(
    rec_type: str,
    record_id: str,
    date: datetime,
    *,
    content_type: str,
    target_uri: str | None = None,
    fields: Sequence[tuple[str, str]] = (),
    head: bytes = b"",
    payload: bytes = b"",
    payload_digest: str | None = None,
    digest_payload: bool = True,
) -> Record:
    """Assemble a record whose block is ``head`` + ``payload``, with both digests computed.

    ``payload_digest`` is written as given when set (revisits carry the original's);
    otherwise it is computed over ``payload`` when ``digest_payload``.
    """
    headers = [
        ("WARC-Type", rec_type),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", warc_date(date)),
    ]
    if target_uri is not None:
        headers.append(("WARC-Target-URI", target_uri))
    headers.extend(fields)
    if payload_digest is None and digest_payload:
        payload_digest = sha1_digest(payload)
    headers.append(("Content-Type", content_type))
    headers.append(("Content-Length", str(len(head) + len(payload))))
    headers.append(("WARC-Block-Digest", sha1_digest(head, payload)))
    if payload_digest is not None:
        headers.append(("WARC-Payload-Digest", payload_digest))
    for name, value in headers:
        if "\r" in value or "\n" in value:
            raise ValueError(f"WARC header {name} must be one line: {value!r}")
    block = tuple(part for part in (head, payload) if part)
    return Record(record_id, rec_type, tuple(headers), block, payload_digest)


def _exchange_fields(exchange: Exchange) -> list[tuple[str, str]]:
    fields = []
    if exchange.ip_address:
        fields.append(("WARC-IP-Address", exchange.ip_address))
    alt_protocol = wire_protocol(exchange.response.protocol)[1]
    if alt_protocol:
        fields.append(("WARC-Protocol", alt_protocol))
    return fields


def request_record(exchange: Exchange, record_id: str, concurrent_to: str) -> Record:
    """The ``request`` record of an exchange, linked to its response by WARC-Concurrent-To."""
    request = exchange.request
    fields = [*_exchange_fields(exchange), ("WARC-Concurrent-To", concurrent_to)]
    return make_record(
        "request",
        record_id,
        exchange.started,
        content_type=HTTP_REQUEST_TYPE,
        target_uri=request.url,
        fields=fields,
        head=request_head(request),
        payload=request.body,
    )


def response_record(exchange: Exchange, record_id: str) -> Record:
    """The ``response`` record: status line, headers and the body exactly as received."""
    response = exchange.response
    fields = _exchange_fields(exchange)
    if response.truncated:
        fields.append(("WARC-Truncated", response.truncated))
    head = response_head(response, method=exchange.request.method)
    return make_record(
        "response",
        record_id,
        exchange.started,
        content_type=HTTP_RESPONSE_TYPE,
        target_uri=exchange.request.url,
        fields=fields,
        head=head,
        payload=response.body,
    )


def revisit_record(
    exchange: Exchange, record_id: str, original: OriginalCapture, profile: RevisitProfile
) -> Record:
    """A ``revisit`` record: the new status line and headers, no body, pointing at ``original``.

    For ``identical-payload-digest`` the new body must hash to the original's digest: the
    record claims exactly that, so a mismatch is a caller bug and raises ValueError.
    """
    response = exchange.response
    if profile == "identical-payload-digest" and (
        original.payload_digest is None or sha1_digest(response.body) != original.payload_digest
    ):
        raise ValueError("identical-payload-digest revisit of a payload that differs")
    fields = [
        *_exchange_fields(exchange),
        ("WARC-Profile", REVISIT_PROFILES[profile]),
        ("WARC-Refers-To", original.record_id),
        ("WARC-Refers-To-Target-URI", original.target_uri),
        ("WARC-Refers-To-Date", warc_date(original.date)),
    ]
    # The head is built as for a stored body, so its Content-Length matches the original
    # payload that replay tools pair it with.
    head = response_head(response, method=exchange.request.method)
    return make_record(
        "revisit",
        record_id,
        exchange.started,
        content_type=HTTP_RESPONSE_TYPE,
        target_uri=exchange.request.url,
        fields=fields,
        head=head,
        payload_digest=original.payload_digest,
        digest_payload=False,
    )


def warc_fields(fields: FieldList) -> bytes:
    """``application/warc-fields`` text: one ``name: value`` line each, UTF-8."""
    items = fields.items() if isinstance(fields, Mapping) else fields
    return "".join(f"{name}: {_field_text(str(value))}\r\n" for name, value in items).encode()


def metadata_record(
    target_uri: str,
    record_id: str,
    date: datetime,
    *,
    fields: FieldList | None = None,
    json_data: object = None,
    concurrent_to: str | None = None,
    refers_to: str | None = None,
) -> Record:
    """A ``metadata`` record carrying warc-fields or, when ``json_data`` is given, JSON."""
    if (fields is None) == (json_data is None):
        raise ValueError("give exactly one of fields or json_data")
    if fields is not None:
        content_type, payload = WARC_FIELDS_TYPE, warc_fields(fields)
    else:
        content_type = "application/json"
        payload = json.dumps(json_data, ensure_ascii=False, sort_keys=True).encode()
    links = []
    if concurrent_to:
        links.append(("WARC-Concurrent-To", concurrent_to))
    if refers_to:
        links.append(("WARC-Refers-To", refers_to))
    return make_record(
        "metadata",
        record_id,
        date,
        content_type=content_type,
        target_uri=target_uri,
        fields=links,
        payload=payload,
    )


def conversion_record(
    target_uri: str,
    record_id: str,
    date: datetime,
    text: str,
    refers_to: str,
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> Record:
    """A ``conversion`` record: text extracted from the response ``refers_to``."""
    return make_record(
        "conversion",
        record_id,
        date,
        content_type=content_type,
        target_uri=target_uri,
        fields=[("WARC-Refers-To", refers_to)],
        payload=text.encode(),
    )


def warcinfo_record(filename: str, record_id: str, date: datetime, fields: FieldList) -> Record:
    """The ``warcinfo`` record that opens every file."""
    return make_record(
        "warcinfo",
        record_id,
        date,
        content_type=WARC_FIELDS_TYPE,
        fields=[("WARC-Filename", filename)],
        payload=warc_fields(fields),
        digest_payload=False,
    )
