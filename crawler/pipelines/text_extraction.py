"""Item pipeline: the clean text of each new payload, extracted in worker processes.

trafilatura costs ~30 ms a page, as much as everything else a crawl does: run inline it would
halve the crawl. So pages go to a pool of processes (one per core by default) while the crawl
carries on, and a payload identical to the page's previous capture is never extracted again:
the capture middleware wrote it as a ``revisit``, and the store reuses that capture's text.
(This needs no query: one on the reactor's thread for each new payload took ~12% of the
reactor's time in a profiled recheck.)
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive import text
from crawler.items import PageResult
from crawler.middlewares.warc_capture import WarcCaptureMiddleware
from crawler.workers import preload, process_pool

logger = logging.getLogger(__name__)

# Payloads worth a worker's time; anything else gets its reason without leaving the process.
EXTRACTABLE = ("text/html", "application/xhtml+xml", "text/plain", "application/pdf")


class TextExtractionPipeline:
    def __init__(
        self,
        *,
        pdf: bool,
        workers: int,
        crawler: Crawler | None = None,
        conversion_records: bool = False,
    ) -> None:
        self.pdf = pdf
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.crawler = crawler
        self.conversion_records = conversion_records
        self.capture: WarcCaptureMiddleware | None = None  # writes conversion records

    def open_spider(self) -> None:
        # Components can be looked up only once the engine exists, i.e. from here on.
        self.capture = (
            self.crawler.get_downloader_middleware(WarcCaptureMiddleware)
            if (self.crawler is not None and self.conversion_records)
            else None
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextExtractionPipeline:
        settings = crawler.settings
        if not settings.getbool("CITEWATCH_TEXT_EXTRACT", True):
            raise NotConfigured  # text.extract = false; no message, so Scrapy does not warn
        workers = settings.getint("CITEWATCH_TEXT_WORKERS") or os.cpu_count() or 1
        pipeline = cls(
            pdf=settings.getbool("CITEWATCH_TEXT_PDF", True),
            workers=workers,
            crawler=crawler,
            conversion_records=settings.getbool("CITEWATCH_WARC_CONVERSION_RECORDS", True),
        )
        crawler.signals.connect(pipeline.close, signal=signals.spider_closed)
        return pipeline

    def _workers(self) -> ProcessPoolExecutor:
        """The pool, started on first use: a crawl with nothing to extract never pays for it."""
        if self.pool is None:
            self.pool = process_pool(self.workers, preload(text=True))
        return self.pool

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageResult) or not _wants_text(item):
            return item
        if item.captures[-1].record_type == "revisit":  # a 304, or the very same payload
            return item  # the store carries the text of the response it repeats over
        if item.captures[-1].truncated is not None:  # part of a page is not that page
            item.text = text.ExtractedText.failed(f"truncated-{item.captures[-1].truncated}")
            return item
        if not _extractable(item.mime):
            item.text = text.ExtractedText.failed(f"unsupported-type:{item.mime}")
            return item
        content_type = f"{item.mime}; charset={item.encoding}" if item.encoding else item.mime
        future = self._workers().submit(
            text.extract, item.body, url=item.final_url or item.url, content_type=content_type,
            mime=item.mime, pdf=self.pdf,
        )  # fmt: skip
        try:
            item.text = await asyncio.wrap_future(future)
        except BrokenProcessPool:  # a worker died (out of memory on a huge PDF…): carry on
            logger.warning("text extraction of %s killed its worker", item.url)
            self.pool = None  # the next page gets a fresh pool
            item.text = text.ExtractedText.failed("extract-error: the worker process died")
        if self.capture is not None and item.text.text:
            # The WARC files alone then hold the text each change was judged on.
            response = item.captures[-1]
            await self.capture.write_conversion(
                response.url, item.text.text, response.record_id, date=response.fetched_at
            )
        return item

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _wants_text(item: PageResult) -> bool:
    ok = item.http_status is not None and 200 <= item.http_status < 300
    return ok and bool(item.captures)


def _extractable(mime: str | None) -> bool:
    return mime is None or mime.startswith(EXTRACTABLE)
