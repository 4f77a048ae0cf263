"""Downloader middleware: write every HTTP exchange to WARC, as seen nearest the downloader.

It sits past Retry (550), HttpCompression (590) and Redirect (600), so it sees each redirect
hop and each retried response with its body still in its Content-Encoding. Each exchange's
location is appended to ``request.meta["citewatch_captures"]``, a list redirects carry along,
so the item for the final page knows every record its fetch wrote.

A recheck that finds the page unchanged (``304 Not Modified`` to the validators
``crawler.middlewares.conditional`` sent, or a body with the payload digest of the last
capture) is written as a bodiless ``revisit`` record of that capture: storage grows with
changes, not with checks.

In a crawl, records are built, digested and compressed in a worker process
(``crawler.warc_process``), so the reactor goes on downloading meanwhile and never waits for
the interpreter lock. Measured on a 1,050-page crawl: threads for it cost more CPU than writing
inline, which itself took ~20% of the reactor's time. Given a ``WarcWriter``, as in the tests,
the middleware makes the same calls on it inline.

The response goes on as soon as its write is asked for: the capture is appended as a task,
and whoever needs the record's location awaits it (``written_captures``; the spider does, before
it yields a page's result). Awaited here, each write's round trip held one of the crawl's
``CONCURRENT_REQUESTS`` slots: measured, only 4.6 of 16 requests in flight were downloading.
A page waits for its records in the scraper instead, whose own limit (bytes of responses being
processed) holds the crawl back if the writer falls behind.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import is_asyncio_available
from twisted.python.failure import Failure

from archive.checks import CapturedResponse
from archive.revisits import LastResponse
from archive.times import utcnow
from archive.warcs import (
    CaptureLocation,
    Exchange,
    HttpRequest,
    HttpResponse,
    RevisitProfile,
    Truncation,
    WarcWriter,
    mime_type,
    recover_open_files,
)
from crawler import signals as citewatch_signals
from crawler.download_handler import REASON_KEY
from crawler.failures import failure_reason
from crawler.middlewares.conditional import LAST_RESPONSE_KEY, revalidated
from crawler.warc_process import InlineWarcWriter, WarcWriterProcess

CAPTURES_KEY = "citewatch_captures"
STARTED_KEY = "citewatch_started"
# Headers a proxy middleware adds for the proxy's eyes only; never archived.
PRIVATE_HEADERS = {b"proxy-authorization"}


class WarcCaptureMiddleware:
    def __init__(
        self, writer: WarcWriter | WarcWriterProcess, crawler: Crawler | None = None
    ) -> None:
        """``writer``: a ``WarcWriter`` writes inline; a ``WarcWriterProcess`` in its worker,
        while the response goes on."""
        self.writer = InlineWarcWriter(writer) if isinstance(writer, WarcWriter) else writer
        self.in_background = isinstance(writer, WarcWriterProcess)
        self.stats = crawler.stats if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        directory = settings.get("CITEWATCH_WARC_DIR")
        if not directory:
            raise NotConfigured("CITEWATCH_WARC_DIR is not set")
        recover_open_files(directory)  # a killed crawl's files, cut back to whole records
        options = {
            "max_size": settings.getint("CITEWATCH_WARC_MAX_SIZE"),
            "compress_level": settings.getint("CITEWATCH_WARC_GZIP_LEVEL", 1),
            "info": {"http-header-user-agent": settings.get("USER_AGENT", "")},
        }
        writer: WarcWriter | WarcWriterProcess
        if settings.getbool("CITEWATCH_WARC_PROCESS", True) and is_asyncio_available():
            writer = WarcWriterProcess(directory, **options)  # type: ignore[arg-type]
        else:
            writer = WarcWriter(directory, **options)  # type: ignore[arg-type]
        middleware = cls(writer, crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        crawler.signals.connect(middleware.start_writer, signal=citewatch_signals.fetching_started)
        return middleware

    def start_writer(self) -> None:
        """The crawl's first request: start the writer, which a crawl with nothing to fetch
        never needs, so that it is ready by the first response."""
        self.writer.start()

    def process_request(self, request: Request) -> None:
        request.meta[STARTED_KEY] = utcnow()  # WARC-Date of this hop's request and response
        request.meta.setdefault(CAPTURES_KEY, [])

    async def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags:  # a cache hit was archived when it was fetched
            return response
        exchange = _exchange(request, response)
        last: LastResponse | None = request.meta.get(LAST_RESPONSE_KEY)
        not_modified = response.status == 304 and revalidated(request) is not None
        capture = self._write(response, exchange, last, not_modified)
        captures = request.meta.setdefault(CAPTURES_KEY, [])
        if self.in_background:
            captures.append(asyncio.ensure_future(capture))
        else:
            captures.append(await capture)
        return response

    async def _write(
        self,
        response: Response,
        exchange: Exchange,
        last: LastResponse | None,
        not_modified: bool,
    ) -> CapturedResponse:
        location, profile = await self.writer.write_capture(exchange, last, not_modified)
        return self._captured(response, exchange, location, profile)

    async def write_metadata(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        """``WarcWriter.write_metadata``, through this crawl's writer (for pipelines too)."""
        return await self.writer.write_metadata(*args, **kwargs)

    async def write_conversion(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        """``WarcWriter.write_conversion``, through this crawl's writer (for pipelines too)."""
        return await self.writer.write_conversion(*args, **kwargs)

    def _captured(
        self,
        response: Response,
        exchange: Exchange,
        location: CaptureLocation,
        profile: RevisitProfile | None,
    ) -> CapturedResponse:
        if profile is None:
            self._count("citewatch/warc/responses")
        else:
            self._count(f"citewatch/warc/revisits/{profile}")
        self._count("citewatch/warc/bytes", location.length)
        return CapturedResponse(
            url=response.url,
            fetched_at=exchange.started,
            http_status=response.status,
            mime=mime_type(response.headers.get(b"Content-Type")),
            warc_file=location.filename,
            warc_offset=location.offset,
            warc_length=location.length,
            record_id=location.record_id,
            payload_digest=location.payload_digest,  # a revisit's is its original's
            record_type="response" if profile is None else "revisit",
            truncated=exchange.response.truncated,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        """No response at all: a ``metadata`` record says what was tried and why it failed."""
        reason = failure_reason(Failure(exception))
        fields = [
            ("fetch-error", reason),
            ("error-detail", f"{type(exception).__name__}: {exception}"),
        ]
        self._count(f"citewatch/warc/errors/{reason}")
        await self.write_metadata(request.url, fields, date=request.meta.get(STARTED_KEY))

    async def close(self) -> None:
        await self.writer.close()  # after the records still being written

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)


async def written_captures(captures: list[Any]) -> list[CapturedResponse]:
    """A fetch's captures (``request.meta[CAPTURES_KEY]``), once every record is written."""
    return [
        capture if isinstance(capture, CapturedResponse) else await capture for capture in captures
    ]


def _exchange(request: Request, response: Response) -> Exchange:
    return Exchange(
        request=HttpRequest(
            url=request.url,
            method=request.method,
            headers=_header_pairs(request.headers, skip=PRIVATE_HEADERS),
            body=request.body,
        ),
        response=HttpResponse(
            status=response.status,
            headers=_header_pairs(response.headers),
            body=response.body,
            reason=request.meta.get(REASON_KEY),
            protocol=response.protocol or "HTTP/1.1",
            truncated=_truncation(response.flags),
        ),
        started=request.meta.get(STARTED_KEY) or utcnow(),
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _header_pairs(headers: Any, skip: set[bytes] = frozenset()) -> list[tuple[bytes, bytes]]:  # type: ignore[assignment]
    """Every value of every header, in order: ``getlist`` keeps repeated Set-Cookie and Link."""
    return [
        (name, value)
        for name in headers
        if name.lower() not in skip
        for value in headers.getlist(name)
    ]


def _truncation(flags: list[str]) -> Truncation | None:
    if "download_stopped" in flags:  # crawler.extensions.size_limit stopped it at max_size
        return "length"
    if "dataloss" in flags:  # the connection broke before the announced length arrived
        return "disconnect"
    return None
