"""Variant (a) of bench/crawl.py: a bare Scrapy spider that fetches a list of URLs, nothing more.

`python bench/bare_spider.py URLS_FILE --concurrency 16` fetches every URL in the file (one a
line) with no pipelines, no parsing and no citewatch component, with the fetch settings that
`citewatch crawl` uses, then prints one JSON line: responses, statuses, Scrapy's elapsed time.
It is the ceiling a citewatch crawl of the same pages is compared with.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class ListSpider(scrapy.Spider):
    name = "bare-list"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None


def settings(concurrency: int, user_agent: str) -> dict[str, Any]:
    """The fetch settings of `citewatch crawl` (crawler/settings.py), minus its components."""
    return {
        "LOG_LEVEL": "WARNING",
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_ITEMS": 10,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": True,
        "HTTPERROR_ALLOW_ALL": True,
        "DOWNLOAD_TIMEOUT": 30,
        "RETRY_TIMES": 1,
        "REDIRECT_MAX_TIMES": 10,
        "DOWNLOAD_MAXSIZE": 0,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        "USER_AGENT": user_agent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", type=Path, help="file of URLs, one a line")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--user-agent", default="citewatch-bench (bare Scrapy)")
    args = parser.parse_args()
    urls = [line.strip() for line in args.urls.read_text().splitlines() if line.strip()]
    process = CrawlerProcess(settings(args.concurrency, args.user_agent))
    crawler = process.create_crawler(ListSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    statuses = {
        key.rsplit("/", 1)[1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    result = {
        "responses": stats.get("response_received_count", 0),
        "statuses": statuses,
        "elapsed": stats.get("elapsed_time_seconds"),
        "errors": stats.get("downloader/exception_count", 0),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
