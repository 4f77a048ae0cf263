"""Crawler components built on their own (Scrapy's get_crawler) and fed real Response objects."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.errors import BlockedAddress
from archive.warcs import WarcWriter
from crawler.middlewares.address_guard import AddressGuardMiddleware
from crawler.middlewares.meta_refresh import HEAD_BYTES, HeadMetaRefreshMiddleware
from crawler.middlewares.warc_capture import CAPTURES_KEY, STARTED_KEY, WarcCaptureMiddleware

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
SETTINGS = {"METAREFRESH_ENABLED": True}


def records(directory: Path) -> list:
    found = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                record.raw_body = record.raw_stream.read()
                found.append(record)
    return found


@pytest.fixture
def capture(tmp_path: Path) -> WarcCaptureMiddleware:
    return WarcCaptureMiddleware(WarcWriter(tmp_path))


def test_capture_writes_each_hop_and_links_it_to_the_request(
    capture: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    first = Request(
        "http://news.example.org/a", headers={"Cookie": "s=1", "Proxy-Authorization": "Basic eA=="}
    )
    capture.process_request(first)
    first.meta[STARTED_KEY] = START
    hop = Response(
        first.url,
        status=301,
        headers={"Location": "/b"},
        request=first,
        ip_address=ipaddress.ip_address("192.0.2.7"),
    )
    asyncio.run(capture.process_response(first, hop))
    second = first.replace(url="http://news.example.org/b")  # what RedirectMiddleware does
    capture.process_request(second)
    final = HtmlResponse(
        second.url,
        body=b"<p>caf\xc3\xa9</p>",
        headers=[(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2"), (b"Content-Type", b"text/html")],
        request=second,
        flags=["dataloss"],
    )
    asyncio.run(capture.process_response(second, final))
    asyncio.run(capture.close())

    hops = second.meta[CAPTURES_KEY]
    assert [h.url for h in hops] == ["http://news.example.org/a", "http://news.example.org/b"]
    assert [h.http_status for h in hops] == [301, 200]
    written = records(tmp_path)
    assert [r.rec_type for r in written] == [
        "warcinfo",
        "request",
        "response",
        "request",
        "response",
    ]
    request, response = written[1], written[2]
    assert (
        request.rec_headers.get_header("WARC-Date")
        == response.rec_headers.get_header("WARC-Date")
        == "2026-11-25T12:00:00Z"
    )
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert response.rec_headers.get_header("WARC-IP-Address") == "192.0.2.7"
    assert (
        b"Proxy-Authorization" not in request.raw_body
        and request.http_headers.get_header("Cookie") == "s=1"
    )
    assert request.http_headers.get_header("Host") == "news.example.org"
    last = written[4]
    assert [v for k, v in last.http_headers.headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]
    assert last.rec_headers.get_header("WARC-Truncated") == "disconnect"
    assert last.raw_body == b"<p>caf\xc3\xa9</p>"


def test_cached_responses_are_not_archived_again(
    capture: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    request = Request("http://news.example.org/a")
    capture.process_request(request)
    cached = Response(request.url, body=b"x", flags=["cached"], request=request)
    assert asyncio.run(capture.process_response(request, cached)) is cached
    asyncio.run(capture.close())
    assert [r.rec_type for r in records(tmp_path)] == []  # no exchange: the file never started


def test_no_answer_becomes_a_metadata_record(
    capture: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    request = Request("http://news.example.org/a")
    capture.process_request(request)
    asyncio.run(capture.process_exception(request, TimeoutError("took too long")))
    asyncio.run(capture.close())
    metadata = [r for r in records(tmp_path) if r.rec_type == "metadata"]
    assert len(metadata) == 1
    assert b"fetch-error: timeout" in metadata[0].raw_body


def guard(allow_private: bool) -> AddressGuardMiddleware:
    return AddressGuardMiddleware(
        get_crawler(settings_dict={"CITEWATCH_ALLOW_PRIVATE": allow_private})
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_guard_refuses_private_literals_on_every_hop(url: str) -> None:
    middleware = guard(allow_private=False)
    with pytest.raises(BlockedAddress):
        asyncio.run(middleware.process_request(Request(url)))
    # A redirect hop is a new request through the same middleware: refused the same way.
    hop = Request("http://192.0.2.1/start").replace(url=url)
    with pytest.raises(BlockedAddress):
        asyncio.run(middleware.process_request(hop))


def test_guard_allows_private_when_configured() -> None:
    assert (
        asyncio.run(guard(allow_private=True).process_request(Request("http://127.0.0.1/"))) is None
    )


def _big_page(head: str, charset: str | None = "utf-8") -> HtmlResponse:
    """A page far longer than the head the meta-refresh middleware reads, accented throughout."""
    body = f"<html><head>{head}</head><body>{'<p>Café crème, déjà vu.</p>' * 4000}</body></html>"
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    encoded = body.encode(charset or "utf-8")
    return HtmlResponse("http://news.example.org/old", body=encoded, headers=headers)


@pytest.mark.parametrize(
    ("charset", "equiv"),
    [("utf-8", "refresh"), (None, "Refresh"), ("utf-16", "REFRESH"), ("utf-16-be", "refresh")],
)
def test_meta_refresh_in_the_head_of_a_big_page_redirects(charset: str | None, equiv: str) -> None:
    middleware = HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict=SETTINGS))
    request = Request("http://news.example.org/old")
    refresh = f'<meta http-equiv="{equiv}" content="0; url=/new">'
    response = _big_page(refresh, charset)
    assert len(response.body) > 5 * HEAD_BYTES

    redirected = middleware.process_response(request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://news.example.org/new"
    # Scrapy's own middleware, reading the whole page, decides the same.
    scrapy_own = MetaRefreshMiddleware.from_crawler(get_crawler(settings_dict=SETTINGS))
    assert scrapy_own.process_response(request, response).url == redirected.url


def test_big_page_without_meta_refresh_goes_on_unchanged() -> None:
    middleware = HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict=SETTINGS))
    response = _big_page("<title>No refresh</title>")
    assert middleware.process_response(Request(response.url), response) is response
    assert response._cached_ubody is None  # the page itself was never decoded
    assert response._cached_benc is None  # nor its encoding looked for


def test_the_crawl_uses_the_head_reading_meta_refresh_middleware() -> None:
    from crawler import settings

    wired = settings.DOWNLOADER_MIDDLEWARES
    assert wired["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert wired["crawler.middlewares.meta_refresh.HeadMetaRefreshMiddleware"] == 580
