"""Recording one check of a page: its captures, its new state, and what it cites.

The crawler hands over plain values (``CheckOutcome``); this module writes the ``captures``,
``checks``, ``pages`` and ``links`` rows in one transaction, after the WARC
records they point at were flushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive import health
from archive.errors import InvalidUrl
from archive.schema import captures, checks, links, pages
from archive.store import Store
from archive.urls import normalize


@dataclass(frozen=True)
class CapturedResponse:
    """One response archived as a WARC record: a redirect hop or the final answer."""

    url: str
    fetched_at: datetime
    http_status: int
    mime: str | None
    warc_file: str
    warc_offset: int
    warc_length: int
    record_id: str
    payload_digest: str | None
    record_type: str = "response"
    truncated: str | None = None


@dataclass(frozen=True)
class CitedLink:
    url: str
    text: str = ""
    context: str = ""


@dataclass
class CheckOutcome:
    """What one fetch of a watched article or cited source gave."""

    url: str
    checked_at: datetime
    http_status: int | None = None
    failure: str | None = None  # why no answer came: dns-error, timeout, private-address…
    captures: Sequence[CapturedResponse] = ()
    citations: Sequence[CitedLink] | None = None  # None: the page was not parsed
    extra: dict[str, Any] = field(default_factory=dict)


def record(store: Store, outcome: CheckOutcome) -> dict[str, Any]:
    """Store ``outcome``; returns the page's new ``state`` and ``reason``, and whether its
    content is ``new`` (a payload unlike the page's previous capture)."""
    reason: str | None
    if outcome.failure is not None:
        state, reason = health.judge_failure(outcome.failure)
    elif outcome.http_status is not None:
        state, reason = health.judge_answer(outcome.http_status)
    else:
        state, reason = "failing", "no-answer"
    with store.write() as conn:
        page = _page(conn, outcome.url, outcome.checked_at)
        previous = conn.execute(
            sa.select(captures.c.payload_digest)
            .where(captures.c.page_id == page["id"])
            .order_by(captures.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        capture_ids = [_insert_capture(conn, page["id"], hop) for hop in outcome.captures]
        conn.execute(
            checks.insert().values(
                page_id=page["id"],
                checked_at=outcome.checked_at,
                state=state,
                reason=reason,
                http_status=outcome.http_status,
                capture_id=capture_ids[-1] if capture_ids else None,
            )
        )
        _update_page(conn, page, state, reason, outcome)
        if outcome.citations is not None:
            _update_links(conn, page["id"], outcome.citations, outcome.checked_at)
    final = outcome.captures[-1].payload_digest if outcome.captures else None
    return {
        "url": outcome.url,
        "state": state,
        "reason": reason,
        "new": final is not None and final != previous,
    }


def _page(conn: Connection, url: str, now: datetime) -> Any:
    row = conn.execute(sa.select(pages).where(pages.c.url == url)).mappings().first()
    if row is None:
        conn.execute(pages.insert().values(url=url, state="pending", first_seen=now))
        row = conn.execute(sa.select(pages).where(pages.c.url == url)).mappings().one()
    return row


def _insert_capture(conn: Connection, page_id: int, hop: CapturedResponse) -> int:
    insert = captures.insert().values(
        page_id=page_id,
        url=hop.url,
        fetched_at=hop.fetched_at,
        record_type=hop.record_type,
        http_status=hop.http_status,
        mime=hop.mime,
        payload_digest=hop.payload_digest,
        truncated=hop.truncated,
        warc_file=hop.warc_file,
        warc_offset=hop.warc_offset,
        warc_length=hop.warc_length,
        warc_record_id=hop.record_id,
    )
    return int(conn.execute(insert.returning(captures.c.id)).scalar_one())


def _update_page(
    conn: Connection, page: Any, state: str, reason: str | None, outcome: CheckOutcome
) -> None:
    now = outcome.checked_at
    failed = state == "failing"
    values: dict[str, Any] = {
        "state": state,
        "reason": reason,
        "http_status": outcome.http_status,
        "last_checked": now,
        "failures": page["failures"] + 1 if failed else 0,
        "first_failure": (page["first_failure"] or now) if failed else None,
    }
    if state == "ok":
        values["last_ok"] = now
    if state != page["state"]:
        values["state_since"] = now
    conn.execute(pages.update().where(pages.c.id == page["id"]).values(**values))


def _update_links(
    conn: Connection, article_id: int, cited: Sequence[CitedLink], now: datetime
) -> None:
    """Record what the page cites now; links it no longer cites are marked dropped, not lost."""
    seen: set[int] = set()
    for position, link in enumerate(cited):
        try:
            url = normalize(link.url)
        except InvalidUrl:
            continue
        source = _page(conn, url, now)
        if source["id"] in seen or source["id"] == article_id:
            continue
        seen.add(source["id"])
        values = {
            "position": position,
            "anchor_text": link.text,
            "context": link.context,
            "last_seen": now,
            "dropped": None,
        }
        updated = conn.execute(
            links.update()
            .where(links.c.article_id == article_id, links.c.source_id == source["id"])
            .values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(
                links.insert().values(
                    article_id=article_id, source_id=source["id"], first_seen=now, **values
                )
            )
    stale = sa.and_(links.c.article_id == article_id, links.c.dropped.is_(None))
    if seen:
        stale = sa.and_(stale, links.c.source_id.not_in(seen))
    conn.execute(links.update().where(stale).values(dropped=now))
