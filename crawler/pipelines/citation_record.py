"""Item pipeline: a WARC ``metadata`` record per parsed page listing what it cites.

So the WARC files alone say what cited what: each citation's URL, anchor text and sentence,
linked to the page's response record by ``WARC-Concurrent-To``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import PageResult
from crawler.middlewares.warc_capture import WarcCaptureMiddleware


class CitationRecordPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.capture: WarcCaptureMiddleware | None = None  # writes the records

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CitationRecordPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        # Components can be looked up only once the engine exists, i.e. from here on.
        self.capture = self.crawler.get_downloader_middleware(WarcCaptureMiddleware)
        if self.capture is None:
            raise NotConfigured("no WARC capture middleware to write through")

    async def process_item(self, item: Any) -> Any:
        if self.capture is None:
            return item
        if isinstance(item, PageResult) and item.citations is not None and item.captures:
            response = item.captures[-1]
            await self.capture.write_metadata(
                response.url,
                json_data={
                    "page": item.url,
                    "citations": [
                        {"url": c.url, "text": c.text, "context": c.context} for c in item.citations
                    ],
                },
                concurrent_to=response.record_id,
                date=response.fetched_at,
            )
        return item
