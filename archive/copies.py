"""Archived copies of dead sources citewatch never captured, found in public web archives.

A source cited after it died has nothing in citewatch's own WARCs; a copy in the Wayback
Machine (or another Memento archive) is then the best evidence of what was cited. Each such
page is looked up once after it is declared dead, and again after ``RETRY_AFTER`` if nothing
was found; what was found (or why not) is kept on its ``pages`` row for ``status``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa

from archive import lookup
from archive.config import LookupConfig
from archive.schema import captures, links, pages
from archive.store import Store

RETRY_AFTER = timedelta(days=30)
BATCH = 100


def look_up_dead(
    store: Store,
    config: LookupConfig,
    now: datetime,
    *,
    user_agent: str = lookup.USER_AGENT,
    session: requests.Session | None = None,
) -> dict[str, int]:
    """Ask the archives about every dead, never-captured page due a lookup; returns counts."""
    counts = {"looked_up": 0, "found": 0}
    if not config.wayback:
        return counts
    last_id = 0
    while True:
        with store.read() as conn:
            due = conn.execute(_due(now).where(pages.c.id > last_id).limit(BATCH)).all()
        for page_id, url, cited in due:
            result = lookup.find_copy(url, cited, config, user_agent=user_agent, session=session)
            copy = result.copy
            with store.write() as conn:
                conn.execute(
                    pages.update()
                    .where(pages.c.id == page_id)
                    .values(
                        archived_copy=copy.archived_url if copy else None,
                        archived_copy_time=copy.timestamp if copy else None,
                        lookup_at=now,
                        lookup_reason=result.reason,
                    )
                )
            counts["looked_up"] += 1
            counts["found"] += copy is not None
        if len(due) < BATCH:
            return counts
        last_id = due[-1][0]


def _due(now: datetime) -> Any:
    """Dead pages with no successful capture of their own and no copy found lately."""
    answered = (
        sa.select(captures.c.id)
        .where(captures.c.page_id == pages.c.id, captures.c.http_status.between(200, 299))
        .exists()
    )
    cited = (
        sa.select(sa.func.min(links.c.first_seen))
        .where(links.c.source_id == pages.c.id)
        .scalar_subquery()
    )
    return (
        sa.select(pages.c.id, pages.c.url, cited)
        .where(
            pages.c.state == "dead",
            pages.c.archived_copy.is_(None),
            sa.or_(pages.c.lookup_at.is_(None), pages.c.lookup_at < now - RETRY_AFTER),
            ~answered,
        )
        .order_by(pages.c.id)
    )
