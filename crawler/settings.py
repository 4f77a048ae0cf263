"""Scrapy settings for citewatch's crawl (``scrapy.cfg`` points here).

The upper-case names are the fixed wiring. ``from_config`` maps citewatch's own configuration
(config/citewatch.toml, DATA/citewatch.toml, CITEWATCH_*) onto Scrapy settings: applied at the
end of this module for ``scrapy crawl citations`` (data directory from ``$CITEWATCH_DATA``), and
by ``citewatch crawl`` for its ``--data``, so both crawl the same way.
"""

from __future__ import annotations

from typing import Any

from archive import datadir
from archive.config import Config
from archive.config import load as load_config

BOT_NAME = "citewatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Scrapy 2.19 opens a remote-control port for every crawl; a citewatch crawl needs none.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# Measured: the default of 100 items in flight per response slows crawls by ~1.35x.
CONCURRENT_ITEMS = 10
# Scrapy re-reads the source of a generator callback for every response to warn about a
# `return value` in it (its cache holds bound methods weakly, and each request has its own):
# ~4% of the reactor's time in a profiled crawl. The spider's callbacks return nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy's downloader/* byte and status counts, which citewatch reports none of (it counts
# citewatch/warc/* itself): rebuilding each request's HTTP text for them was ~7% of the
# reactor's time in a profiled crawl.
DOWNLOADER_STATS = False
# Every status is recorded; the spider asks for them all (handle_httpstatus_all).
HTTPERROR_ALLOW_ALL = True
# Cookies set by a site during a crawl are sent back, as a browser would.
COOKIES_ENABLED = True


def from_config(config: Config, data: datadir.DataDir) -> dict[str, Any]:
    """Scrapy settings for a crawl of ``data`` under ``config``."""
    from crawler import __version__

    crawl = config.crawl
    return {
        "CITEWATCH_DATA": str(data.root),
        "CITEWATCH_DATABASE_URL": config.database.url,
        "CITEWATCH_WARC_DIR": str(data.warcs),
        "CITEWATCH_WARC_MAX_SIZE": config.warc.max_size,
        "CITEWATCH_WARC_GZIP_LEVEL": config.warc.gzip_level,
        "CITEWATCH_ALLOW_PRIVATE": crawl.allow_private,
        "CITEWATCH_MAX_SIZE": crawl.max_size,
        "CITEWATCH_TEXT_EXTRACT": config.text.extract,
        "CITEWATCH_TEXT_PDF": config.text.pdf,
        "CITEWATCH_WARC_CONVERSION_RECORDS": config.warc.conversion_records,
        "CITEWATCH_CHANGE_IGNORE": list(config.change.ignore),
        "CITEWATCH_DEAD_AFTER_FAILURES": config.dead.after_failures,
        "CITEWATCH_DEAD_AFTER_DAYS": config.dead.after_days,
        "CITEWATCH_SOFT404_SIMILARITY": config.dead.soft404_similarity,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_site,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "RETRY_TIMES": crawl.retries,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        # Scrapy's default 5 s first delay per site is too slow for one article's sources; the
        # throttle still backs off from sites that answer slowly.
        "AUTOTHROTTLE_START_DELAY": 0.5,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.per_site),
        "USER_AGENT": crawl.user_agent.replace("{version}", __version__),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
    }


# Components, in Scrapy's priority dicts. Downloader middlewares: a lower number is nearer the
# engine, a higher one nearer the downloader (Scrapy's own: Retry 550, HttpCompression 590,
# Redirect 600, Cookies 700, HttpProxy 750, DownloaderStats 850).
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's meta-refresh redirects, looked for in the page's head without decoding the rest.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.HeadMetaRefreshMiddleware": 580,
    # Past DefaultHeaders (400), so a conditional header a request already has is kept; just
    # before the capture, so the request record archives the validators it adds.
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 940,
    # Past Cookies and HttpProxy, so the request headers it archives are the ones sent; past
    # Retry, HttpCompression and Redirect, so it sees every hop and raw encoded bodies.
    "crawler.middlewares.warc_capture.WarcCaptureMiddleware": 950,
    # Nearest the downloader: checked last for every request, redirect hops included.
    "crawler.middlewares.address_guard.AddressGuardMiddleware": 990,
}
EXTENSIONS = {
    "crawler.extensions.size_limit.SizeLimit": 100,
    "crawler.extensions.progress.CrawlProgress": 200,  # only when CITEWATCH_PROGRESS is set
}
ITEM_PIPELINES = {
    # WARC records first: the database only ever points at bytes already written.
    "crawler.pipelines.citation_record.CitationRecordPipeline": 100,
    # Text extracted in worker processes; the store needs it to judge a change.
    "crawler.pipelines.text_extraction.TextExtractionPipeline": 200,
    "crawler.pipelines.store.StorePipeline": 300,
}
# Scrapy's HTTP/1.1 handler, keeping each answer's reason phrase for the WARC status line.
DOWNLOAD_HANDLERS = {
    "http": "crawler.download_handler.ReasonKeepingDownloadHandler",
    "https": "crawler.download_handler.ReasonKeepingDownloadHandler",
}
# Every connection resolves through the address guard.
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
# A body cut by a broken connection is archived, marked WARC-Truncated: disconnect.
DOWNLOAD_FAIL_ON_DATALOSS = False
# crawl.max_size truncates (crawler.extensions.size_limit) instead of discarding.
DOWNLOAD_MAXSIZE = 0
DOWNLOAD_WARNSIZE = 0


def _from_environment() -> dict[str, Any]:
    data = datadir.locate(None)
    return from_config(load_config(data.root), data)


globals().update(_from_environment())
