"""What a recheck is compared with, read from the database for whole batches of pages: the
last full capture of each URL a page answered from (``archive.revisits.LastResponse``), and
what each page cited when it was last parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from archive.revisits import LastResponse
from archive.schema import captures, links, pages
from archive.store import Store
from archive.warcs import OriginalCapture


def last_response(store: Store, page_url: str, url: str) -> LastResponse | None:
    """The last full 2xx capture of ``url`` made while checking ``page_url`` (the cited URL;
    ``url`` differs from it at the end of a redirect chain)."""
    return last_responses(store, [page_url]).get(page_url, {}).get(url)


def last_responses(store: Store, page_urls: Sequence[str]) -> dict[str, dict[str, LastResponse]]:
    """For each of ``page_urls``: the last full 2xx capture of every URL its checks answered
    from (the page itself, or where its redirects ended), by that URL.

    One query for a whole batch of pages: the spider asks once per batch of articles and once
    per article for its sources, where a query per request cost the reactor more than Scrapy's
    own work on the page."""
    if not page_urls:
        return {}
    latest = (
        sa.select(sa.func.max(captures.c.id))
        .join(pages, pages.c.id == captures.c.page_id)
        .where(
            pages.c.url.in_(sorted(set(page_urls))),
            captures.c.record_type == "response",
            captures.c.http_status.between(200, 299),
            captures.c.truncated.is_(None),
        )
        .group_by(captures.c.page_id, captures.c.url)
    )
    query = (
        sa.select(pages.c.url.label("page_url"), captures)
        .join(pages, pages.c.id == captures.c.page_id)
        .where(captures.c.id.in_(latest))
    )
    found: dict[str, dict[str, LastResponse]] = {url: {} for url in page_urls}
    with store.read() as conn:
        for row in conn.execute(query).mappings():
            original = OriginalCapture(
                record_id=row["warc_record_id"],
                target_uri=row["url"],
                date=row["fetched_at"],
                payload_digest=row["payload_digest"],
            )
            found[row["page_url"]][row["url"]] = LastResponse(
                original, row["http_status"], row["etag"], row["last_modified"]
            )
    return found


def cited_urls(store: Store, page_urls: Sequence[str]) -> dict[str, list[str]]:
    """What each of ``page_urls`` cited when it was last parsed: its sources still cited, in
    page order. A page that cites nothing known is left out, and so is fetched and parsed in
    full: nothing tells "cites nothing" apart from "never parsed".

    An unchanged page (a ``304``, or the same payload) is not parsed again: these are what
    its recheck follows."""
    if not page_urls:
        return {}
    source = pages.alias("source")
    query = (
        sa.select(pages.c.url.label("page_url"), source.c.url)
        .join(links, links.c.article_id == pages.c.id)
        .join(source, source.c.id == links.c.source_id)
        .where(pages.c.url.in_(sorted(set(page_urls))), links.c.dropped.is_(None))
        .order_by(links.c.article_id, links.c.position)
    )
    found: dict[str, list[str]] = {}
    with store.read() as conn:
        for page_url, url in conn.execute(query):
            found.setdefault(page_url, []).append(url)
    return found
