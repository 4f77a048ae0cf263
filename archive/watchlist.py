"""The watch list: adding, removing and reporting watched articles and their cited sources.

Every function takes a Store and returns plain data; those dicts are what ``--json`` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.errors import InvalidUrl, WatchError
from archive.schema import captures, events, links, pages, watches
from archive.store import Store
from archive.times import iso
from archive.units import format_duration
from archive.urls import normalize

# URLs per statement: well under every database's limit on bound parameters.
_CHUNK = 500

STATES = ("pending", "ok", "changed", "moved", "blocked", "failing", "dead", "skipped")


@dataclass(frozen=True)
class WatchRequest:
    """One article to watch, already validated."""

    url: str
    every: int  # seconds
    depth: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DueWatch:
    url: str
    depth: int


@dataclass(frozen=True)
class BadLine:
    number: int
    text: str
    reason: str


def read_url_lines(lines: Iterable[str]) -> tuple[list[str], list[BadLine]]:
    """Normalised URLs from lines of a watch file (``#`` starts a comment), and the bad lines."""
    urls: list[str] = []
    bad: list[BadLine] = []
    for number, line in enumerate(lines, start=1):
        text = _strip_trailing_comment(line.strip())
        if not text or text.startswith("#"):
            continue
        try:
            urls.append(normalize(text))
        except InvalidUrl as exc:
            bad.append(BadLine(number, text, str(exc)))
    return urls, bad


def _strip_trailing_comment(text: str) -> str:
    # " #" starts a comment after a URL; a bare "#" inside a URL is its fragment.
    return text.split(" #", 1)[0].split("\t#", 1)[0].strip()


def add(store: Store, requests: Sequence[WatchRequest], now: datetime) -> dict[str, Any]:
    """Watch each URL not watched yet; returns ``{"added": [...], "already_watched": [...]}``.

    Written a chunk of URLs at a time with many-row statements: a watch file of 100,000 lines
    is a few hundred statements, not several per line.
    """
    unique = list({request.url: request for request in requests}.values())
    added: list[str] = []
    already: list[str] = []
    with store.write() as conn:
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            ids = _page_ids(conn, [request.url for request in chunk], now)
            watched = set(
                conn.execute(
                    sa.select(watches.c.page_id).where(watches.c.page_id.in_(ids.values()))
                ).scalars()
            )
            new = [request for request in chunk if ids[request.url] not in watched]
            already.extend(request.url for request in chunk if ids[request.url] in watched)
            if new:
                conn.execute(
                    watches.insert(),
                    [
                        {
                            "page_id": ids[request.url],
                            "every": request.every,
                            "depth": request.depth,
                            "tags": list(request.tags),
                            "added": now,
                            "next_due": now,
                        }
                        for request in new
                    ],
                )
            added.extend(request.url for request in new)
    return {"added": added, "already_watched": already}


def remove(store: Store, url: str) -> dict[str, Any]:
    """Stop watching ``url``. Its captures, WARC records and history are kept."""
    with store.write() as conn:
        watch_id = conn.execute(
            sa.select(watches.c.id)
            .join(pages, pages.c.id == watches.c.page_id)
            .where(pages.c.url == url)
        ).scalar_one_or_none()
        if watch_id is None:
            raise WatchError(f"{url} is not watched (see `citewatch list`)", url=url)
        conn.execute(watches.delete().where(watches.c.id == watch_id))
    return {"removed": url}


def reschedule(store: Store, urls: Iterable[str], now: datetime) -> int:
    """Set each watched article's next check one interval after ``now``; returns how many.

    Called when a crawl has finished, not when the article is fetched: a crawl killed half way
    leaves its articles due, so the next crawl carries on with their sources.
    """
    urls = list(urls)
    with store.write() as conn:
        page_ids = sa.select(pages.c.id).where(pages.c.url.in_(urls)).scalar_subquery()
        rows = conn.execute(
            sa.select(watches.c.id, watches.c.every).where(watches.c.page_id.in_(page_ids))
        ).all()
        for row in rows:
            conn.execute(
                watches.update()
                .where(watches.c.id == row.id)
                .values(next_due=now + timedelta(seconds=row.every))
            )
    return len(rows)


def require_watched(store: Store, urls: Sequence[str]) -> None:
    """Raise WatchError naming the first of ``urls`` that is not on the watch list."""
    with store.read() as conn:
        watched = set(
            conn.execute(
                sa.select(pages.c.url)
                .join(watches, watches.c.page_id == pages.c.id)
                .where(pages.c.url.in_(urls))
            ).scalars()
        )
    for url in urls:
        if url not in watched:
            raise WatchError(f"{url} is not watched (add it with `citewatch add`)", url=url)


def list_watches(store: Store) -> dict[str, Any]:
    query = (
        sa.select(watches, pages.c.url, pages.c.state, pages.c.last_checked)
        .join(pages, pages.c.id == watches.c.page_id)
        .order_by(watches.c.added, watches.c.id)
    )
    with store.read() as conn:
        rows = conn.execute(query).mappings().all()
    return {"watches": [_watch_summary(row) for row in rows]}


def _watch_summary(row: Any) -> dict[str, Any]:
    return {
        "url": row["url"],
        "state": row["state"],
        "every": format_duration(row["every"]),
        "depth": row["depth"],
        "tags": list(row["tags"]),
        "added": iso(row["added"]),
        "last_checked": iso(row["last_checked"]),
        "next_due": iso(row["next_due"]),
    }


def status(store: Store, url: str | None = None) -> dict[str, Any]:
    """Each watched article (or just ``url``) with its cited sources and their state."""
    query = (
        sa.select(watches, pages.c.id.label("article_id"), pages.c.url, pages.c.state,
                  pages.c.reason, pages.c.last_checked)
        .join(pages, pages.c.id == watches.c.page_id)
        .order_by(watches.c.added, watches.c.id)
    )  # fmt: skip
    if url is not None:
        query = query.where(pages.c.url == url)
    with store.read() as conn:
        rows = conn.execute(query).mappings().all()
        if url is not None and not rows:
            raise WatchError(f"{url} is not watched (see `citewatch list`)", url=url)
        articles = []
        for row in rows:
            sources = _sources(conn, row["article_id"])
            articles.append(
                {
                    **_watch_summary(row),
                    "reason": row["reason"],
                    "counts": dict(Counter(source["state"] for source in sources)),
                    "sources": sources,
                    "events": _latest_events(conn, row["article_id"]),
                }
            )
    return {"articles": articles}


def _latest_events(conn: Connection, article_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The newest events of the article itself and of the sources it cites."""
    cited = sa.select(links.c.source_id).where(links.c.article_id == article_id)
    query = (
        sa.select(events.c.at, events.c.kind, events.c.detail, pages.c.url)
        .join(pages, pages.c.id == events.c.page_id)
        .where(sa.or_(events.c.page_id == article_id, events.c.page_id.in_(cited)))
        .order_by(events.c.at.desc(), events.c.id.desc())
        .limit(limit)
    )
    return [
        {"at": iso(row.at), "kind": row.kind, "url": row.url, "detail": row.detail or {}}
        for row in conn.execute(query)
    ]


def _sources(conn: Connection, article_id: int) -> list[dict[str, Any]]:
    capture_count = (
        sa.select(sa.func.count())
        .where(captures.c.page_id == pages.c.id)
        .scalar_subquery()
        .label("captures")
    )
    query = (
        sa.select(pages, links.c.first_seen.label("cited_since"), links.c.dropped, capture_count)
        .join(links, links.c.source_id == pages.c.id)
        .where(links.c.article_id == article_id)
        .order_by(links.c.position, links.c.id)
    )
    return [
        {
            "url": row["url"],
            "state": row["state"],
            "reason": row["reason"],
            "http_status": row["http_status"],
            "first_seen": iso(row["cited_since"]),
            "last_ok": iso(row["last_ok"]),
            "last_checked": iso(row["last_checked"]),
            "captures": row["captures"],
            "dropped": iso(row["dropped"]),
            "state_since": iso(row["state_since"]),
            "moved_to": row["moved_to"],
            # Dead and never captured by citewatch: a public archive's copy, when one was found.
            "archived_copy": row["archived_copy"],
            "archived_copy_time": iso(row["archived_copy_time"]),
        }
        for row in conn.execute(query).mappings()
    ]


def due_watches(
    store: Store,
    now: datetime,
    urls: Sequence[str] | None = None,
    include_all: bool = False,
    batch: int = 500,
) -> Iterator[DueWatch]:
    """Watches to crawl: the ones due by ``now``, all of them, or just ``urls``.

    Read in short keyset-paged transactions so a crawl of 100,000 articles neither holds the
    whole list in memory nor keeps a read transaction open while it writes.
    """
    query = sa.select(watches.c.id, watches.c.depth, pages.c.url).join(
        pages, pages.c.id == watches.c.page_id
    )
    if urls is not None:
        query = query.where(pages.c.url.in_(urls))
    elif not include_all:
        query = query.where(watches.c.next_due <= now)
    last_id = 0
    while True:
        with store.read() as conn:
            rows = conn.execute(
                query.where(watches.c.id > last_id).order_by(watches.c.id).limit(batch)
            ).all()
        for row in rows:
            yield DueWatch(url=row.url, depth=row.depth)
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def _page_ids(conn: Connection, urls: list[str], now: datetime) -> dict[str, int]:
    """The page row id of each URL, creating pending rows for URLs citewatch has never seen."""
    query = sa.select(pages.c.url, pages.c.id)
    found = dict(conn.execute(query.where(pages.c.url.in_(urls))).all())
    missing = [url for url in urls if url not in found]
    if missing:
        conn.execute(
            pages.insert(), [{"url": url, "state": "pending", "first_seen": now} for url in missing]
        )
        found.update(conn.execute(query.where(pages.c.url.in_(missing))).all())
    return found
