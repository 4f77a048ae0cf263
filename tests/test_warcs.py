"""The WARC writer, reader and recovery, on real files read back by warcio with digest checks."""

from __future__ import annotations

import gzip
import itertools
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.errors import ArchiveError
from archive.warc_records import request_record, response_record, sha1_digest
from archive.warc_recovery import recover_open_files, scan_members
from archive.warcs import (
    CaptureLocation,
    Exchange,
    HttpRequest,
    HttpResponse,
    OriginalCapture,
    StoredRecord,
    Truncation,
    WarcWriter,
    iter_records,
    read_record,
)

STARTED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
URL = "https://news.example/story/42?page=2&ref=rss"


def exchange(
    *,
    url: str = URL,
    method: str = "GET",
    request_headers: list[tuple[bytes, bytes]] | None = None,
    status: int = 200,
    reason: str | None = "OK",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"<html><p>Hello, world.</p></html>",
    protocol: str = "HTTP/1.1",
    truncated: Truncation | None = None,
    ip_address: str | None = "93.184.216.34",
    started: datetime = STARTED,
) -> Exchange:
    if headers is None:
        headers = [(b"Content-Type", b"text/html"), (b"Content-Length", str(len(body)).encode())]
    request = HttpRequest(url, method, request_headers or [(b"User-Agent", b"citewatch/test")])
    response = HttpResponse(status, headers, body, reason, protocol, truncated)
    return Exchange(request, response, started, ip_address)


@pytest.fixture(autouse=True)
def warcio_check_every_file(tmp_path: Path) -> Iterator[None]:
    """After each test, the real ``warcio check`` command must pass every WARC file it left.

    One run per test covers all of its files, to pay the interpreter start-up once.
    """
    yield
    paths = sorted(str(path) for path in tmp_path.rglob("*.warc.gz"))
    if not paths:
        return
    run = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "failed" not in run.stdout
    assert run.stdout.count("WARC-Record-ID") >= len(paths)


def warcio_records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    """(type, WARC headers, raw payload) per record, read by warcio with digests enforced."""
    out = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            payload = record.raw_stream.read()
            out.append((record.rec_type, dict(record.rec_headers.headers), payload))
    return out


def read_all_checked(path: Path) -> list[StoredRecord]:
    """Every record, read by warcio's iterator and by ours, digests enforced by both."""
    records = list(iter_records(path))
    assert len(warcio_records(path)) == len(records)
    return records


def written(tmp_path: Path, *exchanges: Exchange, **options: object) -> list[StoredRecord]:
    """Write the exchanges into one file and read it back, checked."""
    with WarcWriter(tmp_path, **options) as writer:  # type: ignore[arg-type]
        for item in exchanges:
            writer.write_exchange(item)
    (path,) = writer.files
    return read_all_checked(path)


Written = tuple[StoredRecord, bytes]


@pytest.fixture
def responses(tmp_path: Path) -> Callable[..., Written]:
    """Write one exchange built from keyword options into a fresh file, read it back checked;
    return the response record and its HTTP head exactly as stored (warcio parses heads)."""
    counter = itertools.count()

    def write(**options: object) -> Written:
        directory = tmp_path / str(next(counter))
        response = written(directory, exchange(**options))[2]  # type: ignore[arg-type]
        data = next(directory.glob("*.warc.gz")).read_bytes()
        raw = gzip.decompress(data[response.offset : response.offset + response.length])
        head_start = raw.index(b"\r\n\r\n") + 4
        return response, raw[head_start : raw.index(b"\r\n\r\n", head_start) + 4]

    return write


# --- response records ---------------------------------------------------------------------


def test_body_is_stored_byte_exact_with_payload_digest(tmp_path: Path) -> None:
    body = bytes(range(256)) * 40
    (info, request, response) = written(tmp_path, exchange(body=body))
    assert [info.rec_type, request.rec_type, response.rec_type] == [
        "warcinfo",
        "request",
        "response",
    ]
    assert response.payload == body
    assert response.rec_headers.get_header("WARC-Payload-Digest") == sha1_digest(body)
    (path,) = tmp_path.glob("*.warc.gz")
    assert warcio_records(path)[2][2] == body


def test_gzip_body_stays_encoded(responses: Callable[..., Written]) -> None:
    text = b"<html>" + b"compressible " * 500 + b"</html>"
    body = gzip.compress(text)
    headers = [(b"Content-Encoding", b"gzip"), (b"Content-Length", str(len(body)).encode())]
    response, _ = responses(body=body, headers=headers)
    assert response.payload == body
    assert response.http_headers is not None
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    assert response.http_headers.get_header("Content-Length") == str(len(body))
    assert response.rec_headers.get_header("WARC-Payload-Digest") == sha1_digest(body)
    assert response.content() == text


def test_chunked_source_is_stored_dechunked_with_a_true_length(
    responses: Callable[..., Written],
) -> None:
    body = b"x" * 1234
    headers = [(b"Content-Type", b"text/plain"), (b"Transfer-Encoding", b"chunked")]
    _, head = responses(body=body, headers=headers)
    assert head == (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n")


def test_wrong_content_length_is_corrected_in_place(responses: Callable[..., Written]) -> None:
    headers = [(b"Content-Length", b"999"), (b"Server", b"x")]
    _, head = responses(body=b"12345", headers=headers)
    assert head == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\n"


def test_head_and_304_keep_the_declared_length(responses: Callable[..., Written]) -> None:
    _, head = responses(method="HEAD", body=b"", headers=[(b"Content-Length", b"5000")])
    assert head == b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
    _, head = responses(status=304, reason=None, body=b"", headers=[(b"ETag", b'"a"')])
    assert head == b'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n'


def test_repeated_headers_all_survive_in_order(responses: Callable[..., Written]) -> None:
    headers = [
        (b"Set-Cookie", b"a=1; Path=/"),
        (b"Link", b"</a.css>; rel=preload"),
        (b"Set-Cookie", b"b=2; Path=/"),
        (b"Link", b"</b.js>; rel=preload"),
    ]
    response, _ = responses(body=b"", headers=headers)
    assert response.http_headers is not None
    assert response.http_headers.headers == [
        ("Set-Cookie", "a=1; Path=/"),
        ("Link", "</a.css>; rel=preload"),
        ("Set-Cookie", "b=2; Path=/"),
        ("Link", "</b.js>; rel=preload"),
        ("Content-Length", "0"),
    ]


def test_latin1_header_bytes_round_trip(responses: Callable[..., Written]) -> None:
    headers = [(b"Content-Disposition", b'inline; filename="caf\xe9.pdf"'), (b"X-Str", "né")]
    response, head = responses(body=b"%PDF", headers=headers)
    assert b'filename="caf\xe9.pdf"\r\n' in head  # the byte itself, not %C3%A9
    assert b"X-Str: n\xe9\r\n" in head
    assert response.http_headers is not None
    value = response.http_headers.get_header("Content-Disposition")
    assert value.encode("latin-1") == b'inline; filename="caf\xe9.pdf"'


def test_h2_is_written_as_http11_with_warc_protocol(tmp_path: Path) -> None:
    _, request, response = written(tmp_path, exchange(protocol="h2", reason=None))
    assert response.http_headers is not None
    assert response.http_headers.protocol == "HTTP/1.1"
    assert response.http_headers.statusline == "200 OK"
    assert response.rec_headers.get_header("WARC-Protocol") == "h2"
    assert request.rec_headers.get_header("WARC-Protocol") == "h2"


@pytest.mark.parametrize(
    ("protocol", "status", "reason", "line"),
    [
        ("HTTP/1.1", 404, None, b"HTTP/1.1 404 Not Found\r\n"),
        ("HTTP/1.0", 200, "Fine", b"HTTP/1.0 200 Fine\r\n"),
        ("HTTP/1.1", 599, None, b"HTTP/1.1 599 \r\n"),
        ("h2", 451, "ignored", b"HTTP/1.1 451 Unavailable For Legal Reasons\r\n"),
    ],
)
def test_status_line(
    responses: Callable[..., Written],
    protocol: str,
    status: int,
    reason: str | None,
    line: bytes,
) -> None:
    _, head = responses(protocol=protocol, status=status, reason=reason, body=b"")
    assert head.startswith(line)


@pytest.mark.parametrize("reason", ["length", "disconnect"])
def test_truncated_body_is_marked(responses: Callable[..., Written], reason: Truncation) -> None:
    response, _ = responses(
        body=b"partial", headers=[(b"Content-Length", b"100000")], truncated=reason
    )
    assert response.rec_headers.get_header("WARC-Truncated") == reason
    assert response.payload == b"partial"
    # The declared length is the server's claim that WARC-Truncated qualifies; it stays.
    assert response.http_headers is not None
    assert response.http_headers.get_header("Content-Length") == "100000"


# --- request records and the pair ---------------------------------------------------------


def test_request_record_as_sent(tmp_path: Path) -> None:
    headers = [
        (b"User-Agent", b"citewatch/test"),
        (b"Proxy-Authorization", b"Basic c2VjcmV0"),
        (b"Accept", b"text/html"),
    ]
    _, request, _ = written(tmp_path, exchange(request_headers=headers))
    assert request.http_headers is not None
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline == "/story/42?page=2&ref=rss HTTP/1.1"
    assert request.http_headers.headers == [
        ("Host", "news.example"),
        ("User-Agent", "citewatch/test"),
        ("Accept", "text/html"),
    ]


def test_request_keeps_its_own_host_and_drops_default_port(tmp_path: Path) -> None:
    own = exchange(request_headers=[(b"Host", b"virtual.example")])
    ported = exchange(url="http://a.example:80/")
    _, first, _, second, _ = written(tmp_path, own, ported)
    assert first.http_headers is not None and second.http_headers is not None
    assert first.http_headers.headers == [("Host", "virtual.example")]
    assert second.http_headers.get_header("Host") == "a.example"
    assert second.http_headers.statusline == "/ HTTP/1.1"


def test_request_and_response_are_linked(tmp_path: Path) -> None:
    _, request, response = written(tmp_path, exchange())
    for record in (request, response):
        assert record.rec_headers.get_header("WARC-Date") == "2024-05-06T07:08:09Z"
        assert record.rec_headers.get_header("WARC-IP-Address") == "93.184.216.34"
        assert record.target_uri == URL
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.record_id


def test_pair_layout_byte_for_byte(tmp_path: Path) -> None:
    ids = (f"<urn:uuid:00000000-0000-4000-8000-00000000000{n}>" for n in itertools.count())
    started = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    item = exchange(
        url="http://example.com/a?b=c",
        request_headers=[(b"User-Agent", b"cw")],
        headers=[(b"Content-Type", b"text/plain"), (b"Transfer-Encoding", b"chunked")],
        body=b"hi\n",
        started=started,
        ip_address="192.0.2.1",
    )
    with WarcWriter(tmp_path, record_ids=lambda: next(ids), clock=lambda: started) as writer:
        location = writer.write_exchange(item)
    expected_request = (
        b"WARC/1.1\r\n"
        b"WARC-Type: request\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        b"WARC-Date: 2024-05-06T07:08:09.123456Z\r\n"
        b"WARC-Target-URI: http://example.com/a?b=c\r\n"
        b"WARC-IP-Address: 192.0.2.1\r\n"
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\n"
        b"Content-Type: application/http; msgtype=request\r\n"
        b"Content-Length: 58\r\n"
        b"WARC-Block-Digest: sha1:T6S6XPY5YDHYSEVFROZUUTQRSJY5E3ER\r\n"
        b"WARC-Payload-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\r\n"
        b"\r\n"
        b"GET /a?b=c HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        b"User-Agent: cw\r\n"
        b"\r\n"
        b"\r\n\r\n"
    )
    expected_response = (
        b"WARC/1.1\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\n"
        b"WARC-Date: 2024-05-06T07:08:09.123456Z\r\n"
        b"WARC-Target-URI: http://example.com/a?b=c\r\n"
        b"WARC-IP-Address: 192.0.2.1\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: 67\r\n"
        b"WARC-Block-Digest: sha1:MCP4UGUPYRPY4BQI5OVYJ224WGTYN3JW\r\n"
        b"WARC-Payload-Digest: sha1:KXFGFBXD4T2PXJOQISBTH6UZ7RNEASTT\r\n"
        b"\r\n"
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Length: 3\r\n"
        b"\r\n"
        b"hi\n"
        b"\r\n\r\n"
    )
    request_id, response_id = (
        "<urn:uuid:00000000-0000-4000-8000-000000000001>",
        "<urn:uuid:00000000-0000-4000-8000-000000000000>",
    )
    assert request_record(item, request_id, response_id).to_bytes() == expected_request
    assert response_record(item, response_id).to_bytes() == expected_response
    (path,) = writer.files
    data = path.read_bytes()
    member = data[location.offset : location.offset + location.length]
    assert location.offset + location.length == len(data)
    assert gzip.decompress(member) == expected_response
    assert gzip.decompress(data).endswith(expected_request + expected_response)
    assert location == CaptureLocation(
        path.name, location.offset, location.length, response_id, sha1_digest(b"hi\n")
    )
    read_all_checked(path)


# --- files: warcinfo, naming, rotation ----------------------------------------------------


def test_every_file_starts_with_warcinfo(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, operator="Newsroom", info={"robots": "ignore"}) as writer:
        location = writer.write_exchange(exchange())
    info = read_all_checked(writer.files[0])[0]
    assert info.rec_type == "warcinfo"
    assert info.rec_headers.get_header("WARC-Filename") == location.filename
    fields = dict(line.split(": ", 1) for line in info.payload.decode().splitlines())
    assert fields["software"].startswith("citewatch/")
    assert fields["format"] == "WARC File Format 1.1"
    assert fields["operator"] == "Newsroom"
    assert fields["robots"] == "ignore"
    assert fields["hostname"]
    assert "reconstructed from the parsed response" in fields["description"]


def test_file_is_open_while_written_and_renamed_on_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing is created before the first record
    location = writer.write_exchange(exchange())
    assert location.filename.startswith("citewatch-2")
    assert location.filename.endswith(".warc.gz")
    assert [p.name for p in tmp_path.iterdir()] == [location.filename + ".open"]
    # Readers follow a capture row's file name to the .open file meanwhile.
    assert read_record(tmp_path / location.filename, location.offset).rec_type == "response"
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [location.filename]
    assert read_record(tmp_path / location.filename, location.offset).payload == (
        exchange().response.body
    )
    with pytest.raises(ArchiveError):
        writer.write_exchange(exchange())


def test_rotation_at_max_size(tmp_path: Path) -> None:
    bodies = [bytes([n]) * 500 + bytes(range(256)) * 8 for n in range(7)]
    with WarcWriter(tmp_path, max_size=5000, compress_level=0) as writer:
        locations = [writer.write_exchange(exchange(body=body)) for body in bodies]
    assert len(writer.files) >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in writer.files)
    for path in writer.files:
        records = read_all_checked(path)
        assert records[0].rec_type == "warcinfo"
        assert records[0].rec_headers.get_header("WARC-Filename") == path.name
        assert path.stat().st_size < 5000 + 2 * 4000  # closed right after crossing max_size
    for body, location in zip(bodies, locations, strict=True):
        record = read_record(tmp_path / location.filename, location.offset)
        assert (record.record_id, record.payload, record.length) == (
            location.record_id,
            body,
            location.length,
        )


def test_writers_starting_in_the_same_second_get_distinct_files(tmp_path: Path) -> None:
    def now() -> datetime:
        return STARTED

    with WarcWriter(tmp_path, clock=now) as one, WarcWriter(tmp_path, clock=now) as two:
        first, second = one.write_exchange(exchange()), two.write_exchange(exchange())
    assert first.filename != second.filename
    assert len(list(tmp_path.glob("citewatch-20240506070809-*.warc.gz"))) == 2


def test_compression_level_is_used(tmp_path: Path) -> None:
    body = b"the same sentence again. " * 2000
    sizes = {}
    # 1-3 are compressed by ISA-L, 0 and 4-9 by zlib: every one is plain gzip to readers.
    for level in (0, 1, 3, 4, 9):
        with WarcWriter(tmp_path / str(level), compress_level=level) as writer:
            location = writer.write_exchange(exchange(body=body))
        assert read_record(writer.files[0], location.offset).payload == body
        assert len(read_all_checked(writer.files[0])) == 3  # warcinfo, request, response
        sizes[level] = writer.files[0].stat().st_size
    assert sizes[0] > sizes[1] > sizes[9]


def test_concurrent_writers_threads_keep_offsets_exact(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, max_size=20_000) as writer:

        def work(n: int) -> list[tuple[CaptureLocation, bytes]]:
            bodies = [b"thread %d item %d " % (n, i) * 50 for i in range(15)]
            return [(writer.write_exchange(exchange(body=b)), b) for b in bodies]

        with ThreadPoolExecutor(4) as pool:
            results = [pair for batch in pool.map(work, range(4)) for pair in batch]
    for location, body in results:
        assert read_record(tmp_path / location.filename, location.offset).payload == body
    assert sum(len(read_all_checked(path)) for path in writer.files) == (
        len(writer.files) + 2 * len(results)
    )


# --- revisit, metadata, conversion --------------------------------------------------------


def test_identical_payload_revisit_refers_to_the_original(tmp_path: Path) -> None:
    first = exchange()
    later = exchange(started=datetime(2024, 6, 1, tzinfo=UTC), headers=[(b"Age", b"3")])
    with WarcWriter(tmp_path) as writer:
        original = writer.write_exchange(first)
        refers = OriginalCapture(original.record_id, URL, STARTED, original.payload_digest)
        revisit = writer.write_revisit(later, refers)
        with pytest.raises(ValueError, match="differs"):
            writer.write_revisit(exchange(body=b"changed"), refers)
    records = read_all_checked(writer.files[0])
    request, record = records[-2:]
    assert record.rec_type == "revisit"
    assert record.record_id == revisit.record_id
    headers = record.rec_headers
    assert headers.get_header("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert headers.get_header("WARC-Refers-To") == original.record_id
    assert headers.get_header("WARC-Refers-To-Target-URI") == URL
    assert headers.get_header("WARC-Refers-To-Date") == "2024-05-06T07:08:09Z"
    assert headers.get_header("WARC-Payload-Digest") == original.payload_digest
    assert headers.get_header("WARC-Date") == "2024-06-01T00:00:00Z"
    assert record.payload == b""
    assert record.http_headers is not None
    assert record.http_headers.headers == [("Age", "3"), ("Content-Length", "33")]
    assert request.rec_headers.get_header("WARC-Concurrent-To") == record.record_id


def test_server_not_modified_revisit(tmp_path: Path) -> None:
    answer = exchange(
        request_headers=[(b"If-None-Match", b'"v1"')],
        status=304,
        reason="Not Modified",
        headers=[(b"ETag", b'"v1"')],
        body=b"",
    )
    original = OriginalCapture("<urn:uuid:orig>", URL, STARTED, "sha1:ORIGINAL")
    with WarcWriter(tmp_path) as writer:
        writer.write_revisit(answer, original, "server-not-modified")
    request, record = read_all_checked(writer.files[0])[1:]
    assert record.rec_headers.get_header("WARC-Profile").endswith("/server-not-modified")
    assert record.rec_headers.get_header("WARC-Payload-Digest") == "sha1:ORIGINAL"
    assert record.http_headers is not None
    assert str(record.http_headers) == 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n'
    assert request.http_headers is not None
    assert request.http_headers.get_header("If-None-Match") == '"v1"'


def test_metadata_and_conversion_records(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        response = writer.write_exchange(exchange())
        why = writer.write_metadata(
            "https://gone.example/", {"error": "DNS lookup failed:\nno such host"}
        )
        citations_list = {"citations": ["https://a.example/", "https://b.example/é"]}
        cited = writer.write_metadata(
            URL, json_data=citations_list, concurrent_to=response.record_id
        )
        text = writer.write_conversion(URL, "Hello, world. Café.", response.record_id)
    records = {r.record_id: r for r in read_all_checked(writer.files[0])}
    assert records[why.record_id].payload == b"error: DNS lookup failed: no such host\r\n"
    assert records[why.record_id].rec_headers.get_header("Content-Type") == (
        "application/warc-fields"
    )
    citations = records[cited.record_id]
    assert citations.rec_headers.get_header("Content-Type") == "application/json"
    assert citations.rec_headers.get_header("WARC-Concurrent-To") == response.record_id
    assert "https://b.example/é".encode() in citations.payload
    conversion = records[text.record_id]
    assert conversion.rec_type == "conversion"
    assert conversion.payload == "Hello, world. Café.".encode()
    assert conversion.rec_headers.get_header("WARC-Refers-To") == response.record_id
    assert conversion.rec_headers.get_header("Content-Type") == "text/plain; charset=utf-8"


# --- reading ------------------------------------------------------------------------------


def test_read_record_at_a_wrong_offset_is_an_archive_error(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        location = writer.write_exchange(exchange())
    with pytest.raises(ArchiveError) as raised:
        read_record(tmp_path / location.filename, location.offset + 3)
    assert raised.value.path == str(tmp_path / location.filename)
    with pytest.raises(ArchiveError):
        read_record(tmp_path / "missing.warc.gz", 0)


def test_damaged_payload_fails_the_digest_check(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, compress_level=0) as writer:
        location = writer.write_exchange(exchange(body=b"A" * 100))
    path = writer.files[0]
    data = path.read_bytes()
    # Rebuild the last member with one payload byte changed, as bit rot would.
    member = gzip.decompress(data[location.offset :]).replace(b"A" * 100, b"A" * 99 + b"B")
    path.write_bytes(data[: location.offset] + gzip.compress(member))
    with pytest.raises(ArchiveError, match="digest"):
        read_record(path, location.offset)
    path.rename(path.with_suffix(".damaged"))  # keep it from the end-of-test warcio check


# --- recovery -----------------------------------------------------------------------------


def _write_crash_source(directory: Path, count: int) -> tuple[bytes, list[StoredRecord]]:
    """The bytes of a complete file of ``count`` exchanges, and its records."""
    with WarcWriter(directory) as writer:
        for n in range(count):
            writer.write_exchange(exchange(body=b"page %d " % n * 300))
    (path,) = writer.files
    records = list(iter_records(path))
    data = path.read_bytes()
    path.unlink()
    return data, records


def _cuts(records: list[StoredRecord], data: bytes) -> dict[str, tuple[bytes, int]]:
    """Files a killed writer could leave, each with how many records should survive."""
    last = records[-1]
    return {
        "clean-end": (data, len(records)),
        "mid-member": (data[: last.offset + last.length // 2], len(records) - 1),
        "mid-gzip-header": (data[: last.offset + 5], len(records) - 1),
        "mid-warc-header": (data[: last.offset + 40], len(records) - 1),
        "one-byte-short": (data[:-1], len(records) - 1),
        "garbage-after": (data + b"\x00garbage\xff" * 10, len(records)),
        "zeros-after": (data + bytes(4096), len(records)),
        "gzip-not-warc": (data + gzip.compress(b"not a WARC record"), len(records)),
        "member-in-middle-cut": (
            data[: records[3].offset + 30] + data[records[4].offset :],
            3,
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "clean-end",
        "mid-member",
        "mid-gzip-header",
        "mid-warc-header",
        "one-byte-short",
        "garbage-after",
        "zeros-after",
        "gzip-not-warc",
        "member-in-middle-cut",
    ],
)
def test_recovery_keeps_every_whole_record(tmp_path: Path, case: str) -> None:
    data, records = _write_crash_source(tmp_path / "source", 4)
    damaged, survivors = _cuts(records, data)[case]
    crashed = tmp_path / "warcs"
    crashed.mkdir()
    open_path = crashed / "citewatch-20240506070809-00000-abcdef.warc.gz.open"
    open_path.write_bytes(damaged)

    (result,) = recover_open_files(crashed)

    final = crashed / "citewatch-20240506070809-00000-abcdef.warc.gz"
    assert result.path == final
    assert not open_path.exists()
    assert result.records_kept == survivors
    kept = read_all_checked(final)
    assert [r.record_id for r in kept] == [r.record_id for r in records[:survivors]]
    assert [r.payload for r in kept] == [r.payload for r in records[:survivors]]
    assert result.bytes_cut == len(damaged) - final.stat().st_size
    assert final.stat().st_size == kept[-1].offset + kept[-1].length


@pytest.mark.parametrize("keep", [0, 30, 1])
def test_recovery_deletes_a_file_without_captures(tmp_path: Path, keep: int) -> None:
    data, records = _write_crash_source(tmp_path / "source", 1)
    # 0 bytes, a cut warcinfo, or the warcinfo alone (keep=1 means "one whole record").
    damaged = data[: records[1].offset] if keep == 1 else data[:keep]
    open_path = tmp_path / "citewatch-20240506070809-00000-abcdef.warc.gz.open"
    open_path.write_bytes(damaged)
    (result,) = recover_open_files(tmp_path)
    assert result == (open_path, 0, len(damaged))
    assert not open_path.exists()
    assert list(tmp_path.glob("*.warc.gz")) == []


def test_recovery_leaves_a_live_writers_file_alone(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        location = writer.write_exchange(exchange())
        assert recover_open_files(tmp_path) == []
        assert (tmp_path / (location.filename + ".open")).exists()
    assert recover_open_files(tmp_path) == []
    assert (tmp_path / location.filename).exists()


def test_scan_counts_members(tmp_path: Path) -> None:
    data, records = _write_crash_source(tmp_path, 3)
    path = tmp_path / "scan.warc.gz"
    path.write_bytes(data)
    with path.open("rb") as stream:
        assert scan_members(stream) == (len(data), len(records), len(records) - 1)
