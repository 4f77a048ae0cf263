"""Running one crawl in this process: Scrapy settings from the data directory, then a summary."""

from __future__ import annotations

import gc
import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive import copies
from archive.config import Config
from archive.datadir import DataDir
from archive.errors import CrawlFailed
from archive.store import Store
from archive.times import utcnow
from crawler.settings import from_config
from crawler.spiders.citations import CitationSpider


def project_settings(data: DataDir, config: Config, **overrides: Any) -> Settings:
    """citewatch's Scrapy settings, found without scrapy.cfg (the CLI runs from anywhere)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(from_config(config, data), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run(
    data: DataDir,
    config: Config,
    urls: list[str],
    include_all: bool,
    progress: bool,
    verbose: bool = False,
    check: list[str] | None = None,
) -> dict[str, Any]:
    """Crawl the due watches (or ``urls``, or all; or only fetch the pages to ``check``);
    returns the summary ``--json`` prints.

    Scrapy's reactor cannot restart: call this once per process.
    """
    settings = project_settings(
        data,
        config,
        CITEWATCH_PROGRESS=progress,
        LOG_LEVEL="INFO" if verbose else "WARNING",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(CitationSpider)
    process.crawl(crawler, urls=urls, select="all" if include_all else "due", check=check)
    # Scrapy filters by level in its handler only: its own logger stays at DEBUG, and crawl()
    # puts the root logger back to NOTSET. Every DEBUG line ("Crawled (200) …", "Scraped
    # from …") was still built, twice a page, then dropped: ~3% of the reactor's time.
    for name in ("", "scrapy"):
        logging.getLogger(name).setLevel(settings.get("LOG_LEVEL"))
    # What exists by now (modules, settings, components) lives as long as the crawl: frozen, it
    # is left out of every full collection the crawl's own garbage sets off.
    gc.freeze()
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("finish_reason") != "finished":
        reason = stats.get("finish_reason") or "it did not start; see the log above"
        raise CrawlFailed(f"the crawl stopped early: {reason}")
    result = summary(stats)
    result["copies_found"] = _look_up_dead(config, settings.get("USER_AGENT"))
    return result


def _look_up_dead(config: Config, user_agent: str) -> int:
    """Ask public web archives about the sources that died without a capture of ours."""
    if not config.lookup.wayback:
        return 0
    store = Store.open(config.database.url)
    try:
        found = copies.look_up_dead(store, config.lookup, utcnow(), user_agent=user_agent)
    finally:
        store.close()
    return found["found"]


def summary(stats: dict[str, Any]) -> dict[str, Any]:
    def count(key: str) -> int:
        return int(stats.get(key, 0))

    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and k.count("/") == 2)

    return {
        "articles": total("citewatch/article/"),
        "sources": total("citewatch/source/"),
        "new": count("citewatch/capture/new"),
        "unchanged": count("citewatch/capture/unchanged"),
        "failed": sum(
            count(f"citewatch/{role}/{state}")
            for role in ("article", "source")
            for state in ("failing", "blocked", "skipped")
        ),
        "bytes_written": count("citewatch/warc/bytes"),
        "finish_reason": stats.get("finish_reason"),
    }
