"""The citations spider: fetch each due article, then every source it cites (depth ≤ N).

The spider only parses: it asks ``crawler.citations.find`` what a page cites and yields
requests and ``PageResult`` items. Capturing to WARC, guarding addresses and storing results
are the jobs of the middlewares and pipelines enabled in ``crawler.settings``.

``find`` runs in a worker process: at ~30 ms a page it was the biggest share of the reactor's
own time in a crawl, and the reactor fetches meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.asyncio import is_asyncio_available
from twisted.python.failure import Failure

from archive import datadir, watchlist
from archive.errors import InvalidUrl
from archive.last_captures import cited_urls, last_responses
from archive.revisits import LastResponse
from archive.store import Store
from archive.times import utcnow
from archive.urls import normalize
from archive.warcs import mime_type
from crawler import citations, probes
from crawler import signals as citewatch_signals
from crawler.failures import failure_reason
from crawler.items import PageResult
from crawler.middlewares.conditional import KNOWN_KEY
from crawler.middlewares.warc_capture import CAPTURES_KEY, written_captures
from crawler.workers import preload, process_pool

META_KEY = "citewatch"  # request.meta[META_KEY]: url, role, depth, max_depth
# request.meta[CITES_KEY]: what a page to be parsed cited when last parsed, followed if unchanged
CITES_KEY = "citewatch_cites"
# Due articles read, and their last captures looked up, this many at a time.
START_BATCH = 500

_T = TypeVar("_T")


class CitationSpider(scrapy.Spider):
    name = "citations"

    def __init__(
        self,
        urls: str | list[str] | None = None,
        select: str = "due",
        check: str | list[str] | None = None,
        **kwargs: Any,
    ):
        """``urls``: crawl just these watched articles; ``select="all"``: every watch, due or not;
        ``check``: just fetch these pages now (articles or sources), following nothing.

        From the command line: ``scrapy crawl citations -a urls=URL1,URL2`` or ``-a select=all``.
        """
        super().__init__(**kwargs)
        self.only_urls = [normalize(url) for url in _url_list(urls)]
        self.include_all = select == "all"
        self.check_urls = [normalize(url) for url in _url_list(check)]
        self.probes: probes.SiteProbes | None = None
        # Where find() and probe texts run: started with the spider when its first articles
        # were never parsed, else on first use, so a recheck that finds every page unchanged
        # parses nothing and never pays for it.
        self.finder_processes = 0
        self.finder_starting: Future[Executor] | None = None
        self.finder: Executor | None = None
        self.store: Store | None = None  # open while the crawl runs

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CitationSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before the pipelines and middlewares open the database and WARC directory in it.
        datadir.DataDir(Path(crawler.settings["CITEWATCH_DATA"])).create()
        if not spider.check_urls and _asyncio_reactor(crawler.settings):
            spider.finder_processes = crawler.settings.getint("CITEWATCH_FIND_PROCESSES", 1)
            spider.store = Store.open(crawler.settings["CITEWATCH_DATABASE_URL"])
            if spider.finder_processes > 0 and spider._first_articles_need_parsing():
                # Their sources wait for it: the finder's imports overlap Scrapy's start-up.
                spider._start_finder()
        return spider

    def _first_articles_need_parsing(self) -> bool:
        """Whether an article of the crawl's first batch has no citations known from a last
        parse (``start`` reads the same batch again, a few milliseconds)."""
        assert self.store is not None
        first = next(_batches(self._due_watches(), START_BATCH), [])
        known = cited_urls(self.store, [watch.url for watch in first])
        return any(not known.get(watch.url) for watch in first)

    def _due_watches(self) -> Iterator[watchlist.DueWatch]:
        assert self.store is not None
        return watchlist.due_watches(
            self.store,
            utcnow(),
            urls=self.only_urls or None,
            include_all=self.include_all,
            batch=START_BATCH,
        )

    def closed(self, reason: str) -> None:
        if self.finder is None and self.finder_processes and self.finder_starting is not None:
            # Still starting: shut it down too, or its worker outlives the crawl.
            with contextlib.suppress(Exception):  # one that failed to start left nothing
                self.finder = self.finder_starting.result()  # it takes seconds at most
        if self.finder is not None:
            self.finder.shutdown(wait=False, cancel_futures=True)
        if self.store is not None:
            self.store.close()

    async def start(self) -> AsyncIterator[Any]:
        if self.store is None:
            self.store = Store.open(self.settings["CITEWATCH_DATABASE_URL"])
        if self.check_urls:  # a live check: these pages alone, nothing they cite
            known = await self._last_captures(self.check_urls)
            self._fetching_started()
            for url in self.check_urls:
                yield self.page_request(url, "source", 0, 0, known[url])
            return
        # Soft-404 probes compare texts: only when text is extracted.
        if self.settings.getbool("CITEWATCH_TEXT_EXTRACT", True):
            self.probes = probes.SiteProbes()
        for number, batch in enumerate(_batches(self._due_watches(), START_BATCH)):
            urls = [watch.url for watch in batch]
            known = await self._last_captures(urls)
            cites = await self._off_reactor(cited_urls, urls)
            if number == 0:
                self._fetching_started()
            for watch in batch:
                yield self.page_request(
                    watch.url, "article", 0, watch.depth, known[watch.url], cites.get(watch.url)
                )

    def _fetching_started(self) -> None:
        """Tell the components the crawl has something to fetch (``crawler.signals``)."""
        self.crawler.signals.send_catch_log(signal=citewatch_signals.fetching_started)

    def page_request(
        self,
        url: str,
        role: str,
        depth: int,
        max_depth: int,
        known: dict[str, LastResponse] | None = None,
        cites: list[str] | None = None,
    ) -> scrapy.Request:
        """``known``: the page's last captures by URL (``archive.last_captures.last_responses``),
        for the conditional middleware; without them it looks them up itself. ``cites``: what
        the page cited when last parsed (``archive.last_captures.cited_urls``)."""
        # Every status reaches the callback (HTTPERROR_ALLOW_ALL), redirects are still followed.
        meta: dict[str, Any] = {
            META_KEY: {"url": url, "role": role, "depth": depth, "max_depth": max_depth}
        }
        if known is not None:
            meta[KNOWN_KEY] = known
        # Articles are always parsed (status lists what they cite, even at depth 0); a source
        # only when its own citations will be followed: parsing is most of a page's CPU.
        callback = self.parse_citing if role == "article" or depth < max_depth else self.parse
        # A page is revalidated unless it must be parsed and what it cites is not known: a
        # "304 Not Modified" carries no body to parse.
        meta["citewatch_revalidate"] = callback == self.parse or bool(cites)
        if cites and callback != self.parse:
            meta[CITES_KEY] = cites
        # Articles are always fetched; a source cited by several articles only once per crawl.
        return scrapy.Request(
            url, callback=callback, errback=self.failed, meta=meta, dont_filter=role == "article"
        )

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """A page whose own citations are not wanted: its result alone."""
        yield await self._result(response)

    async def parse_citing(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """An article, or a source whose citations are followed: what it cites too."""
        info = response.meta[META_KEY]
        fetched_at = utcnow()
        cited_before: list[str] | None = response.meta.get(CITES_KEY)
        html = (
            response.text
            if isinstance(response, TextResponse) and 200 <= response.status < 300
            else None
        )
        found: list[citations.Citation] | None = None
        if html is not None and cited_before is None:
            # Parsed at once: its sources are asked for while its own records are written.
            found = await self._find(html, response.url)
            for request in await self._citing(_citation_urls(found), info):
                yield request
        result = await self._result(response, fetched_at)
        if found is None:
            if cited_before is not None and _unchanged(result):
                # Not parsed again: the citations stored with the capture it repeats still hold.
                urls = cited_before
            elif html is not None:  # known citations, but the page changed: parsed again
                found = await self._find(html, response.url)
                urls = _citation_urls(found)
            else:
                urls = []
            for request in await self._citing(urls, info):
                yield request
        result.citations = found
        yield result

    async def _citing(self, urls: list[str], info: dict[str, Any]) -> list[Any]:
        """The requests for what a page cites, unless the crawl goes no deeper."""
        if not urls or info["depth"] >= info["max_depth"]:
            return []
        known = await self._last_captures(urls)
        cites = (
            await self._off_reactor(cited_urls, urls)
            if info["depth"] + 1 < info["max_depth"]
            else {}
        )
        return list(self._follow(urls, known, cites, info))

    async def _result(self, response: Response, fetched_at: datetime | None = None) -> PageResult:
        """The page's result, once the records of its fetch are written; ``fetched_at``: when
        the answer came (now, by default), not when its records were written."""
        info = response.meta[META_KEY]
        fetched_at = fetched_at or utcnow()
        captures = await written_captures(response.meta.get(CAPTURES_KEY, []))
        return PageResult(
            url=info["url"],
            role=info["role"],
            depth=info["depth"],
            fetched_at=fetched_at,
            final_url=response.url,
            http_status=_status(response),
            mime=mime_type(response.headers.get(b"Content-Type")),
            captures=captures,
            body=response.body,
            encoding=response.encoding if isinstance(response, TextResponse) else None,
            headers=_header_values(response),
            probe=info.get("probe"),
        )

    async def _find(self, html: str, url: str) -> list[citations.Citation]:
        return await self._in_finder(citations.find, html, url)

    async def _in_finder(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` in the finder's worker process, or here when there is none."""
        if self.finder is None and self.finder_processes > 0:
            self._start_finder()
            assert self.finder_starting is not None
            try:
                self.finder = await asyncio.wrap_future(self.finder_starting)
            except Exception as error:  # e.g. no process could start: carry on here
                if self.finder_processes:
                    self.logger.warning("the finder did not start (%s); working in-process", error)
                self.finder_processes = 0
        if self.finder is not None:
            try:
                return await asyncio.wrap_future(self.finder.submit(function, *args))
            except BrokenProcessPool:  # the worker died (killed, out of memory): carry on here
                self.logger.warning("the finder process died; working in-process")
                self.finder, self.finder_processes = None, 0
        return function(*args)

    def _start_finder(self) -> None:
        """Start the finder's processes, off the reactor's thread: the fork server's imports
        take a while, and the crawl goes on meanwhile."""
        if self.finder_starting is None and self.finder_processes > 0:
            starter = ThreadPoolExecutor(1, thread_name_prefix="citewatch-start-finder")
            text = self.settings.getbool("CITEWATCH_TEXT_EXTRACT", True)
            self.finder_starting = starter.submit(_finder, self.finder_processes, text)
            starter.shutdown(wait=False)

    async def _last_captures(self, urls: list[str]) -> dict[str, dict[str, LastResponse]]:
        """The last captures of a batch of pages."""
        return await self._off_reactor(last_responses, urls)

    async def _off_reactor(self, look_up: Callable[[Store, list[str]], _T], urls: list[str]) -> _T:
        """``look_up(store, urls)``, a query about a batch of pages, off the reactor's thread."""
        assert self.store is not None
        if is_asyncio_available():
            return await asyncio.to_thread(look_up, self.store, urls)
        return look_up(self.store, urls)

    def _follow(
        self,
        urls: list[str],
        known: dict[str, dict[str, LastResponse]],
        cites: dict[str, list[str]],
        info: dict[str, Any],
    ) -> Iterator[Any]:
        for url in urls:
            depth = info["depth"] + 1
            request = self.page_request(
                url, "source", depth, info["max_depth"], known[url], cites.get(url)
            )
            if self.probes is None:
                yield request
            else:  # held until its site's soft-404 probe has answered
                yield from self.probes.route(request, self.probe_request)

    def probe_request(self, url: str) -> scrapy.Request:
        site = probes.site_of(url)
        return scrapy.Request(
            url,
            callback=self.probe_done,
            errback=self.probe_failed,
            meta={probes.PROBE_KEY: site},
            dont_filter=True,
            priority=10,  # the site's sources wait for it
        )

    async def probe_done(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        assert self.probes is not None
        answer = None
        # An error page has no text to compare: no waiting for the finder for it.
        if probes.may_be_a_page(response.status):
            answer = await self._in_finder(probes.answer, *probes.answer_parts(response))
        for request in self.probes.answered(response.meta[probes.PROBE_KEY], answer):
            yield request

    def probe_failed(self, failure: Failure) -> Iterator[Any]:
        assert self.probes is not None
        site = failure.request.meta[probes.PROBE_KEY]  # type: ignore[attr-defined]
        yield from self.probes.answered(site, None)

    async def failed(self, failure: Failure) -> AsyncIterator[PageResult]:
        request = failure.request  # type: ignore[attr-defined]
        info = request.meta[META_KEY]
        failed_at = utcnow()
        captures = await written_captures(request.meta.get(CAPTURES_KEY, []))  # earlier hops
        yield PageResult(
            url=info["url"],
            role=info["role"],
            depth=info["depth"],
            fetched_at=failed_at,
            failure=failure_reason(failure),
            captures=captures,
        )


def _asyncio_reactor(settings: Any) -> bool:
    """Whether the crawl will run on the asyncio reactor (not installed yet when the spider is
    made), which the finder's futures are awaited on."""
    return bool(settings.get("TWISTED_REACTOR", "").endswith(".AsyncioSelectorReactor"))


def _finder(processes: int, text: bool) -> Executor:
    """A pool of ``processes`` processes for ``citations.find`` (and, when the crawl extracts
    ``text``, the soft-404 probes' texts), its workers started."""
    pool = process_pool(processes, preload(text=text))
    for _ in range(processes):
        pool.submit(int)  # starts a worker
    return pool


def _citation_urls(found: list[citations.Citation]) -> list[str]:
    """The cited URLs, normalised, in page order; a URL that cannot be fetched is left out."""
    urls = []
    for citation in found:
        try:
            urls.append(normalize(citation.url))
        except InvalidUrl:
            continue
    return urls


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _unchanged(result: PageResult) -> bool:
    """Whether the page answered as its last capture did: a 304, or the very same payload."""
    return bool(result.captures) and result.captures[-1].record_type == "revisit"


def _status(response: Response) -> int:
    """The answer's status; for a 304 to our validators, that of the capture it confirms."""
    last = response.meta.get("citewatch_last_response")  # crawler.middlewares.conditional
    if response.status == 304 and last is not None and response.meta.get("citewatch_validators"):
        return int(last.http_status)
    return response.status


def _header_values(response: Response) -> dict[str, str]:
    """The final answer's headers, lower-cased, first value each: what the judging rules read
    (a bot challenge announces itself in them)."""
    return {
        name.decode("latin-1").lower(): values[0].decode("latin-1")
        for name, values in response.headers.items()
        if values
    }


def _url_list(urls: str | list[str] | None) -> list[str]:
    if isinstance(urls, str):  # from the command line: -a urls=URL1,URL2
        return [url for url in urls.split(",") if url]
    return list(urls or [])
