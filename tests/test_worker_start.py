"""A crawl's worker processes start as soon as it has something to fetch, so their start-up
overlaps the first downloads, and a crawl with nothing to fetch starts none of them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from archive.config import load as load_config
from archive.datadir import DataDir
from crawler.middlewares.warc_capture import WarcCaptureMiddleware
from crawler.pipelines.store import StorePipeline
from crawler.settings import from_config
from crawler.signals import fetching_started
from crawler.spiders.citations import CitationSpider
from crawler.warc_process import WarcWriterProcess
from crawler.worker import Worker
from tests.crawling import TEST_CONFIG, citewatch
from tests.fakeweb import Site
from tests.worker_calls import remember


def crawl_settings(data: Path) -> dict[str, Any]:
    return from_config(load_config(data), DataDir(data))


def test_a_started_writer_is_running_before_its_first_write(tmp_path: Path) -> None:
    async def crawl() -> tuple[int | None, bool]:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        try:
            writer.start()
            await asyncio.sleep(0.5)  # the crawl goes on with other things meanwhile
            pid = writer.worker.pid
            await writer.write_metadata("http://news.example.org/", [("note", "first")])
            return pid, writer.worker.pid == pid
        finally:
            await writer.close()

    pid, same_process = asyncio.run(crawl())

    assert pid is not None and same_process
    assert len(list(tmp_path.glob("*.warc.gz"))) == 1


def test_a_writer_never_started_closes_without_a_worker_or_a_file(tmp_path: Path) -> None:
    async def crawl() -> WarcWriterProcess:
        writer = WarcWriterProcess(tmp_path, max_size=10**9, compress_level=1, info={})
        await writer.close()
        return writer

    writer = asyncio.run(crawl())

    assert writer.worker.pid is None and not writer.worker.started
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("component", ["store", "warc"])
def test_components_start_their_writers_when_fetching_starts(
    tmp_path: Path, component: str
) -> None:
    data = tmp_path / "data"
    DataDir(data).create()

    async def crawl(fetching: bool) -> int | None:
        crawler = get_crawler(settings_dict=crawl_settings(data))
        if component == "store":
            store = StorePipeline.from_crawler(crawler)
            worker, close = store.writer, store.close
        else:
            capture = WarcCaptureMiddleware.from_crawler(crawler)
            assert isinstance(capture.writer, WarcWriterProcess)
            worker, close = capture.writer.worker, capture.close
        try:
            if fetching:
                crawler.signals.send_catch_log(signal=fetching_started)
                await asyncio.sleep(0.5)
            return worker.pid
        finally:
            await close()

    assert asyncio.run(crawl(fetching=True)) is not None
    assert asyncio.run(crawl(fetching=False)) is None  # nothing fetched: no worker, even to close


def test_the_spider_says_it_will_fetch_before_its_first_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    told: list[str] = []

    def fetching() -> None:  # a named function: signals hold their receivers weakly
        told.append("fetching")

    async def first_request() -> tuple[Request | None, list[str]]:
        crawler = get_crawler(CitationSpider, settings_dict=crawl_settings(data))
        crawler.signals.connect(fetching, signal=fetching_started)
        spider = CitationSpider.from_crawler(crawler)
        try:
            async for request in spider.start():
                return request, list(told)
            return None, list(told)
        finally:
            spider.closed("finished")

    DataDir(data).create()
    assert asyncio.run(first_request()) == (None, [])  # nothing due: nothing said

    assert citewatch(data, "add", "http://news.example.org/story.html").code == 0
    request, told_before = asyncio.run(first_request())

    assert request is not None and request.url == "http://news.example.org/story.html"
    assert told_before == ["fetching"]


def test_the_finder_starts_with_the_first_articles_not_parsed_before(
    tmp_path: Path, site: Site
) -> None:
    site.set("/story.html", '<html><body><article><p>See <a href="/a.html">this</a>.</p></article>'
             "</body></html>")  # fmt: skip
    site.set("/a.html", "<html><body><p>A source.</p></body></html>")
    data = tmp_path / "data"
    DataDir(data).create()
    (data / "citewatch.toml").write_text(TEST_CONFIG)
    assert citewatch(data, "add", site.url("/story.html")).code == 0

    def finder_started(**settings: Any) -> bool:
        async def first_request() -> bool:
            crawler = get_crawler(
                CitationSpider, settings_dict={**crawl_settings(data), **settings}
            )
            spider = CitationSpider.from_crawler(crawler, select="all")
            try:
                async for _ in spider.start():
                    return spider.finder_starting is not None
                raise AssertionError("no request")
            finally:
                spider.closed("finished")

        return asyncio.run(first_request())

    assert finder_started()  # the article was never parsed: its finder starts with the crawl
    assert not finder_started(CITEWATCH_FIND_PROCESSES=0)  # finding runs in the crawl itself
    assert citewatch(data, "crawl").code == 0
    # What it cites is known now: it is parsed again, and the finder started, only if it changed.
    assert not finder_started()


def test_calls_made_while_a_worker_starts_run_in_the_order_they_were_made() -> None:
    async def crawl() -> list[int]:
        worker = Worker(time.sleep, (0.3,))  # a set-up that takes a while
        worker.start()
        late: list[asyncio.Future[list[int]]] = []
        # The moment the set-up answers, one more call is made: its first step runs before the
        # calls that waited for the start are woken. It must still go after them.
        worker._waiting[0].add_done_callback(
            lambda _: late.append(asyncio.ensure_future(worker.call(remember, 5)))
        )
        early = [asyncio.ensure_future(worker.call(remember, n)) for n in range(5)]
        try:
            await asyncio.gather(*early)
            await asyncio.sleep(0.1)
            (seen,) = await asyncio.gather(*late)
            return seen
        finally:
            await worker.close()

    assert asyncio.run(asyncio.wait_for(crawl(), timeout=60)) == [0, 1, 2, 3, 4, 5]
