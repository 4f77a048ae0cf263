"""What a user should be told: sources that changed, died, recovered, moved or got blocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from archive.schema import events, links, pages
from archive.store import Store
from archive.times import iso
from archive.units import parse_duration


def parse_since(text: str, now: datetime) -> datetime:
    """``7d`` (that long ago), or a UTC date or time (``2026-11-25``, ``2026-11-25T18:00``).

    Raises ValueError with a message meant for the user.
    """
    value = text.strip()
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (7d, 12h) nor a date or time (2026-11-25, "
            "2026-11-25T18:00)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_events(store: Store, since: datetime | None = None, limit: int = 1000) -> dict[str, Any]:
    """The latest events (newest first), each with its URL and the articles citing it."""
    query = (
        sa.select(events, pages.c.url, pages.c.state.label("current_state"))
        .join(pages, pages.c.id == events.c.page_id)
        .order_by(events.c.at.desc(), events.c.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(events.c.at >= since)
    citing = pages.alias("citing")
    with store.read() as conn:
        rows = conn.execute(query).mappings().all()
        articles: dict[int, list[str]] = {}
        for page_id in {row["page_id"] for row in rows}:
            articles[page_id] = list(
                conn.execute(
                    sa.select(citing.c.url)
                    .join(links, links.c.article_id == citing.c.id)
                    .where(links.c.source_id == page_id)
                    .order_by(citing.c.url)
                ).scalars()
            )
    return {
        "since": iso(since),
        "events": [
            {
                "at": iso(row["at"]),
                "kind": row["kind"],
                "url": row["url"],
                "current_state": row["current_state"],
                "detail": row["detail"] or {},
                "cited_by": articles[row["page_id"]],
            }
            for row in rows
        ],
    }
