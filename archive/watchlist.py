"""The watch list: adding, removing and reporting watched articles and their cited sources.

Every function takes a Store and returns plain data; those dicts are what ``--json`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.errors import InvalidUrl, WatchError
from archive.schema import captures, links, pages, watches
from archive.store import Store
from archive.times import iso
from archive.units import format_duration
from archive.urls import normalize

STATES = ("pending", "ok", "changed", "moved", "blocked", "failing", "dead", "skipped")


@dataclass(frozen=True)
class WatchRequest:
    """One article to watch, already validated."""

    url: str
    every: int  # seconds
    depth: int
    tags: tuple[str, ...] = ()


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
    """Watch each URL not watched yet; returns ``{"added": [...], "already_watched": [...]}``."""
    added: list[str] = []
    already: list[str] = []
    with store.write() as conn:
        for request in requests:
            if request.url in added or request.url in already:
                continue
            page_id = _page_id(conn, request.url, now)
            exists = conn.execute(
                sa.select(watches.c.id).where(watches.c.page_id == page_id)
            ).first()
            if exists:
                already.append(request.url)
                continue
            conn.execute(
                watches.insert().values(
                    page_id=page_id,
                    every=request.every,
                    depth=request.depth,
                    tags=list(request.tags),
                    added=now,
                    next_due=now,
                )
            )
            added.append(request.url)
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
        articles = [
            {
                **_watch_summary(row),
                "reason": row["reason"],
                "sources": _sources(conn, row["article_id"]),
            }
            for row in rows
        ]
    return {"articles": articles}


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
        }
        for row in conn.execute(query).mappings()
    ]


def _page_id(conn: Connection, url: str, now: datetime) -> int:
    """The id of the page row for ``url``, created pending if citewatch has never seen it."""
    found = conn.execute(sa.select(pages.c.id).where(pages.c.url == url)).scalar_one_or_none()
    if found is not None:
        return int(found)
    insert = pages.insert().values(url=url, state="pending", first_seen=now)
    return int(conn.execute(insert.returning(pages.c.id)).scalar_one())
