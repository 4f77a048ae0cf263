"""Item pipeline: every ``PageResult`` becomes captures, a check and a page state in the store."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive import checks, watchlist
from archive.store import Store
from archive.times import utcnow
from crawler.items import PageResult


class StorePipeline:
    """Writes each result in one transaction, after its WARC records were flushed."""

    def __init__(self, store: Store, crawler: Crawler | None = None) -> None:
        self.store = store
        self.stats = crawler.stats if crawler is not None else None
        self.articles: set[str] = set()  # checked this crawl, rescheduled when it finishes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("CITEWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("CITEWATCH_DATABASE_URL is not set")
        pipeline = cls(Store.open(url), crawler)
        crawler.signals.connect(pipeline.close, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageResult):
            return item
        outcome = checks.CheckOutcome(
            url=item.url,
            checked_at=item.fetched_at,
            http_status=item.http_status,
            failure=item.failure,
            captures=item.captures,
            citations=[checks.CitedLink(c.url, c.text, c.context) for c in item.citations or ()]
            if item.citations is not None
            else None,
        )
        result = checks.record(self.store, outcome)
        if item.role == "article":
            self.articles.add(item.url)
        if self.stats is not None:
            self.stats.inc_value(f"citewatch/{item.role}/{result['state']}")
            if outcome.captures:
                fresh = "new" if result["new"] else "unchanged"
                self.stats.inc_value(f"citewatch/capture/{fresh}")
            if result["reason"]:
                self.stats.inc_value(f"citewatch/{item.role}/{result['state']}/{result['reason']}")
        return item

    def close(self, reason: str = "finished") -> None:
        # Only a crawl that finished moves its articles on; after a shutdown or a kill they
        # stay due, and the next crawl checks them and their sources again.
        if reason == "finished" and self.articles:
            watchlist.reschedule(self.store, self.articles, utcnow())
        self.store.close()
