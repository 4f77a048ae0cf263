"""Scrapy's HTTP/1.1 download handler, keeping the status line's reason phrase.

Scrapy's Response has no reason phrase, and a WARC response record should carry the real one
("404 Gone Fishing", not a rebuilt "404 Not Found"). The phrase is read from Twisted's response
as the body starts and left in ``request.meta["citewatch_reason"]`` for the WARC capture.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _ScrapyAgent,
    wrap_twisted_exceptions,
)
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

REASON_KEY = "citewatch_reason"


class _ReasonKeepingAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        phrase = getattr(txresponse, "phrase", b"") or b""
        request.meta[REASON_KEY] = phrase.decode("latin-1") if isinstance(phrase, bytes) else phrase
        return super()._cb_bodyready(txresponse, request)


class ReasonKeepingDownloadHandler(HTTP11DownloadHandler):
    async def download_request(self, request: Request) -> Response:
        # As HTTP11DownloadHandler.download_request, with the agent above.
        agent = _ReasonKeepingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        with wrap_twisted_exceptions():
            return await maybe_deferred_to_future(agent.download_request(request))
