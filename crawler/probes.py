"""The soft-404 probe: once per site and crawl, ask for a page that cannot exist.

Many sites answer an unknown path with ``200`` and a "not found" page, or with their home page.
What a site answers for a random path is its soft-404 page; a cited source whose text looks like
that answer is not the cited page. The spider holds a site's source requests back until its
probe has answered (or failed), so each source is judged with the probe beside it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from archive import text
from archive.health import probe_path

PROBE_KEY = "citewatch_probe"  # request.meta[PROBE_KEY]: the site probed


@dataclass
class SiteProbes:
    """Probe answers by site, and the source requests waiting for one."""

    rng: random.Random = field(default_factory=random.Random)
    answers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    waiting: dict[str, list[scrapy.Request]] = field(default_factory=dict)

    def route(
        self, request: scrapy.Request, probe: Callable[[str], scrapy.Request]
    ) -> Iterator[scrapy.Request]:
        """``request`` now if its site's probe has answered; else held, and the probe sent
        (``probe(url)`` builds its request) the first time the site is seen."""
        site = _site(request.url)
        if site in self.answers:
            yield attach(request, self.answers[site])
        elif site in self.waiting:
            self.waiting[site].append(request)
        else:
            self.waiting[site] = [request]
            yield probe(urljoin(request.url, probe_path(self.rng, request.url)))

    def answered(self, site: str, answer: dict[str, Any] | None) -> Iterator[scrapy.Request]:
        """Record the site's probe answer (None: it failed) and release its held requests."""
        self.answers[site] = answer
        for request in self.waiting.pop(site, []):
            yield attach(request, answer)


def attach(request: scrapy.Request, answer: dict[str, Any] | None) -> scrapy.Request:
    if answer is not None:
        request.meta["citewatch"]["probe"] = answer
    return request


def may_be_a_page(status: int) -> bool:
    """Whether a probe's answer could pass for a page: an honest 404 (or any error) cannot."""
    return 200 <= status < 300


def answer_parts(response: Response) -> tuple[int, bytes, str, str | None]:
    """What ``answer`` needs of a probe's response, as plain values a worker process takes."""
    content_type = response.headers.get(b"Content-Type")
    decoded = content_type.decode("latin-1") if content_type else None
    return response.status, response.body, response.url, decoded


def answer(status: int, body: bytes, url: str, content_type: str | None) -> dict[str, Any] | None:
    """What the judging rules compare with: where the probe ended and its text; None when
    the answer cannot pass for a page (``may_be_a_page``).

    Run in the spider's finder process: extracting the text is the probe's costly part."""
    if not may_be_a_page(status):
        return None
    found = text.extract(body, url=url, content_type=content_type)
    return {"url": url, "text": found.text or None}


def site_of(response_or_url: Response | str) -> str:
    url = response_or_url if isinstance(response_or_url, str) else response_or_url.url
    return _site(url)


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
