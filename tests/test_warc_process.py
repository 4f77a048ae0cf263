"""The crawl's WARC writer in a worker process: same records, same order, and a crawl that goes
on writing when the worker dies."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator

from archive.checks import CapturedResponse
from archive.revisits import LastResponse
from archive.warcs import Exchange, HttpRequest, HttpResponse, OriginalCapture
from crawler.middlewares.warc_capture import CAPTURES_KEY, WarcCaptureMiddleware, written_captures
from crawler.warc_process import WarcWriterProcess

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def exchange(n: int, body: bytes) -> Exchange:
    url = f"http://news.example.org/{n}"
    return Exchange(
        request=HttpRequest(url=url, method="GET", headers=[(b"Host", b"news.example.org")]),
        response=HttpResponse(
            status=200, headers=[(b"Content-Type", b"text/html")], body=body, reason="OK"
        ),
        started=START + timedelta(seconds=n),
    )


def records(directory: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                found.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
    return found


def test_records_are_written_by_the_worker_in_the_order_asked(tmp_path: Path) -> None:
    async def crawl() -> list[object]:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        try:
            written = await asyncio.gather(
                *(
                    writer.write_capture(exchange(n, b"<p>%d</p>" % n), None, False)
                    for n in range(5)
                )
            )
            await writer.write_metadata("http://news.example.org/0", [("note", "cited")])
        finally:
            await writer.close()
        assert list(tmp_path.glob("*.warc.gz")) and not list(tmp_path.glob("*.open"))
        return [location for location, _ in written]

    locations = asyncio.run(crawl())

    targets = [uri for kind, uri in records(tmp_path) if kind in ("response", "metadata")]
    assert targets == [f"http://news.example.org/{n}" for n in range(5)] + [
        "http://news.example.org/0"
    ]
    assert [location.offset for location in locations] == sorted(loc.offset for loc in locations)


def test_an_unchanged_payload_is_written_as_a_revisit(tmp_path: Path) -> None:
    async def crawl() -> tuple[object, str | None]:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        try:
            first, _ = await writer.write_capture(exchange(1, b"same"), None, False)
            last = LastResponse(
                OriginalCapture(first.record_id, "http://news.example.org/1", START,
                                first.payload_digest),
                200, None, None,
            )  # fmt: skip
            return await writer.write_capture(exchange(1, b"same"), last, False)
        finally:
            await writer.close()

    _, profile = asyncio.run(crawl())

    assert profile == "identical-payload-digest"
    assert [kind for kind, _ in records(tmp_path)][-1] == "revisit"


def test_the_crawl_writes_on_when_the_worker_dies(tmp_path: Path) -> None:
    async def crawl() -> None:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        try:
            await writer.write_capture(exchange(1, b"<p>before</p>"), None, False)
            assert writer.worker.pid is not None
            os.kill(writer.worker.pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            await writer.write_capture(exchange(2, b"<p>after</p>"), None, False)
            await writer.write_metadata("http://news.example.org/2", [("note", "after")])
        finally:
            await writer.close()

    asyncio.run(crawl())

    assert not list(tmp_path.glob("*.open"))  # the worker's file was cut back and closed
    # Two files, the dead worker's and the crawl's own; started in the same second, their names
    # need not sort in the order they were written.
    responses = [uri for kind, uri in records(tmp_path) if kind == "response"]
    assert sorted(responses) == ["http://news.example.org/1", "http://news.example.org/2"]
    assert ("metadata", "http://news.example.org/2") in records(tmp_path)


def test_a_response_goes_on_while_its_records_are_written(tmp_path: Path) -> None:
    """The download's slot is not held for the write: the capture is a task until written."""

    async def crawl() -> tuple[asyncio.Future[Any], list[CapturedResponse]]:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        capture = WarcCaptureMiddleware(writer)
        try:
            request = Request("http://news.example.org/1")
            capture.process_request(request)
            response = HtmlResponse(request.url, body=b"<p>one</p>", request=request)
            await capture.process_response(request, response)
            pending = request.meta[CAPTURES_KEY][0]
            assert not pending.done()  # the response went on before its record was written
            return pending, await written_captures(request.meta[CAPTURES_KEY])
        finally:
            await capture.close()

    pending, captures = asyncio.run(crawl())

    assert isinstance(pending, asyncio.Future)
    (written,) = captures
    assert written.record_type == "response"
    with (tmp_path / written.warc_file).open("rb") as stream:
        stream.seek(written.warc_offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.rec_type == "response"
        assert record.content_stream().read() == b"<p>one</p>"
