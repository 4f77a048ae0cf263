"""Recording one check of a page: its captures, its new state, and what it cites.

The crawler hands over plain values (``CheckOutcome``); this module writes the ``captures``,
``checks``, ``pages`` and ``links`` rows of one or many checks in one transaction, after the
WARC records they point at were flushed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive import health
from archive.assessment import ChangePolicy, assess
from archive.errors import InvalidUrl
from archive.schema import captures, checks, events, links, pages
from archive.store import Store
from archive.text import ExtractedText
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
    etag: str | None = None
    last_modified: str | None = None


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
    text: ExtractedText | None = None  # of the final answer; None: not extracted this time
    headers: Mapping[str, str] = field(default_factory=dict)  # of the final answer
    probe: Mapping[str, Any] | None = None  # the site's answer to a random path: url, text
    extra: dict[str, Any] = field(default_factory=dict)


def record(
    store: Store, outcome: CheckOutcome, policy: ChangePolicy | None = None
) -> dict[str, Any]:
    """Store ``outcome``; returns the page's new ``state`` and ``reason``, and whether its
    content is ``new`` (a payload unlike the page's previous capture)."""
    return record_many(store, [outcome], policy)[0]


def record_many(
    store: Store, outcomes: Sequence[CheckOutcome], policy: ChangePolicy | None = None
) -> list[dict[str, Any]]:
    """Store ``outcomes`` in order, in one transaction; a result per outcome, as ``record``.

    The rows are exactly those ``record`` would write one outcome at a time, ids included,
    but with a few statements for the whole batch (each with many rows) instead of several
    per outcome and per citation: per-statement overhead was most of a crawl's database time.
    """
    if not outcomes:
        return []
    with store.write() as conn:
        batch = _Batch(conn, outcomes, policy or ChangePolicy())
        results = [batch.check(outcome) for outcome in outcomes]
        batch.write()
    return results


class _Batch:
    """The rows a batch of outcomes changes, worked out in memory and written at the end."""

    def __init__(
        self, conn: Connection, outcomes: Sequence[CheckOutcome], policy: ChangePolicy
    ) -> None:
        self.conn = conn
        self.policy = policy
        self.pages = _pages(conn, outcomes)  # url -> the page's row as a dict, kept current
        page_ids = [self.pages[o.url]["id"] for o in outcomes]
        self.digests = _last_digests(conn, page_ids)  # page id -> its latest capture's digest
        articles = [self.pages[o.url]["id"] for o in outcomes if o.citations is not None]
        self.links = _links(conn, articles)  # article id -> source id -> the link row
        self.checks: list[tuple[dict[str, Any], int | None]] = []  # (row, capture index)
        self.captures: list[dict[str, Any]] = []
        self.changed_pages: dict[int, dict[str, Any]] = {}
        self.new_links: list[dict[str, Any]] = []  # in the order ``record`` would insert them
        self.events: list[dict[str, Any]] = []
        self.baselines: dict[int, int] = {}  # page id -> index of its new baseline capture

    def check(self, outcome: CheckOutcome) -> dict[str, Any]:
        page = self.pages[outcome.url]
        final = outcome.captures[-1] if outcome.captures else None
        verdict = assess(
            self.conn,
            page,
            checked_at=outcome.checked_at,
            hops=_hops(outcome),
            payload_digest=final.payload_digest if final else None,
            failure=outcome.failure,
            extracted=outcome.text,
            headers=outcome.headers,
            probe=outcome.probe,
            policy=self.policy,
        )
        state, reason = verdict.verdict.state, verdict.verdict.reason
        previous = self.digests.get(page["id"])
        for hop in outcome.captures:
            self.captures.append(_capture_row(page["id"], hop))
        if final is not None and verdict.text is not None:
            self.captures[-1].update(verdict.text.columns())
        if verdict.becomes_baseline:
            self.baselines[page["id"]] = len(self.captures) - 1
        self.events.extend(
            {"page_id": page["id"], "at": outcome.checked_at, "kind": kind, "detail": detail}
            for kind, detail in verdict.verdict.events
        )
        self.checks.append(
            (
                {
                    "page_id": page["id"],
                    "checked_at": outcome.checked_at,
                    "state": state,
                    "reason": reason,
                    "http_status": outcome.http_status,
                },
                len(self.captures) - 1 if outcome.captures else None,
            )
        )
        page.update(_page_values(verdict.verdict, outcome))
        self.changed_pages[page["id"]] = page
        if outcome.citations is not None:
            self._cite(page["id"], outcome.citations, outcome.checked_at)
        digest = final.payload_digest if final is not None else None
        if final is not None:
            self.digests[page["id"]] = digest
        return {
            "url": outcome.url,
            "state": state,
            "reason": reason,
            "new": digest is not None and digest != previous,
        }

    def _cite(self, article_id: int, cited: Sequence[CitedLink], now: datetime) -> None:
        """What the page cites now; links it no longer cites are marked dropped, not lost."""
        links_of = self.links.setdefault(article_id, {})
        seen: set[int] = set()
        for position, link in enumerate(cited):
            try:
                url = normalize(link.url)
            except InvalidUrl:
                continue
            source_id = self.pages[url]["id"]
            if source_id in seen or source_id == article_id:
                continue
            seen.add(source_id)
            row = links_of.get(source_id)
            if row is None:
                row = links_of[source_id] = {
                    "id": None,
                    "article_id": article_id,
                    "source_id": source_id,
                    "first_seen": now,
                }
                self.new_links.append(row)
            row.update(
                position=position,
                anchor_text=link.text,
                context=link.context,
                last_seen=now,
                dropped=None,
                dirty=True,
            )
        for source_id, row in links_of.items():
            if source_id not in seen and row["dropped"] is None:
                row.update(dropped=now, dirty=True)

    def write(self) -> None:
        conn = self.conn
        capture_ids: list[int] = []
        if self.captures:
            insert = captures.insert().returning(captures.c.id, sort_by_parameter_order=True)
            capture_ids = list(conn.execute(insert, self.captures).scalars())
        for page_id, index in self.baselines.items():
            self.changed_pages[page_id]["baseline_capture_id"] = capture_ids[index]
        conn.execute(
            checks.insert(),
            [
                {**row, "capture_id": None if index is None else capture_ids[index]}
                for row, index in self.checks
            ],
        )
        # Executed with many parameter sets, an UPDATE sets the columns their keys name.
        by_id = pages.update().where(pages.c.id == sa.bindparam("page_id"))
        conn.execute(
            by_id,
            [
                {"page_id": page["id"], **{name: page[name] for name in _PAGE_COLUMNS}}
                for page in self.changed_pages.values()
            ],
        )
        if self.events:
            conn.execute(events.insert(), self.events)
        if self.new_links:
            conn.execute(
                links.insert(), [{k: row[k] for k in _LINK_COLUMNS} for row in self.new_links]
            )
        changed = [
            {"link_id": row["id"], **{k: row[k] for k in _LINK_CHANGES}}
            for by_source in self.links.values()
            for row in by_source.values()
            if row["id"] is not None and row.get("dirty")
        ]
        if changed:
            conn.execute(links.update().where(links.c.id == sa.bindparam("link_id")), changed)


# What a check changes in its page's row, and in a link's.
_PAGE_COLUMNS = (
    "state",
    "reason",
    "http_status",
    "last_checked",
    "failures",
    "first_failure",
    "last_ok",
    "state_since",
    "moved_to",
    "baseline_capture_id",
)
_LINK_CHANGES = ("position", "anchor_text", "context", "last_seen", "dropped")
_LINK_COLUMNS = ("article_id", "source_id", "first_seen", *_LINK_CHANGES)
# SQLite allows 32,766 parameters a statement; other databases fewer. Well under all of them.
_CHUNK = 500


def _pages(conn: Connection, outcomes: Sequence[CheckOutcome]) -> dict[str, dict[str, Any]]:
    """The row of every page the outcomes check or cite; the missing ones are created, in the
    order ``record`` would create them one outcome at a time (so with the same ids)."""
    first_seen: dict[str, datetime] = {}
    for outcome in outcomes:
        first_seen.setdefault(outcome.url, outcome.checked_at)
        for link in outcome.citations or ():
            try:
                first_seen.setdefault(normalize(link.url), outcome.checked_at)
            except InvalidUrl:
                continue
    found = _select_pages(conn, list(first_seen))
    missing = [url for url in first_seen if url not in found]
    if missing:
        conn.execute(
            pages.insert(),
            [{"url": url, "state": "pending", "first_seen": first_seen[url]} for url in missing],
        )
        found.update(_select_pages(conn, missing))
    return found


def _select_pages(conn: Connection, urls: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for start in range(0, len(urls), _CHUNK):
        query = sa.select(pages).where(pages.c.url.in_(urls[start : start + _CHUNK]))
        found.update({row["url"]: dict(row) for row in conn.execute(query).mappings()})
    return found


def _last_digests(conn: Connection, page_ids: list[int]) -> dict[int, str | None]:
    ids = sorted(set(page_ids))
    digests = {}
    for start in range(0, len(ids), _CHUNK):
        latest = (
            sa.select(sa.func.max(captures.c.id))
            .where(captures.c.page_id.in_(ids[start : start + _CHUNK]))
            .group_by(captures.c.page_id)
        )
        query = sa.select(captures.c.page_id, captures.c.payload_digest).where(
            captures.c.id.in_(latest.scalar_subquery())
        )
        digests.update({page_id: digest for page_id, digest in conn.execute(query)})
    return digests


def _links(conn: Connection, article_ids: list[int]) -> dict[int, dict[int, dict[str, Any]]]:
    ids = sorted(set(article_ids))
    found: dict[int, dict[int, dict[str, Any]]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = sa.select(links).where(links.c.article_id.in_(ids[start : start + _CHUNK]))
        for row in conn.execute(query).mappings():
            found.setdefault(row["article_id"], {})[row["source_id"]] = dict(row)
    return found


def _hops(outcome: CheckOutcome) -> list[tuple[str, int]]:
    """Each hop's URL and status; a final ``304`` revisit counts as the answer it confirms
    (the outcome's status), so "Not Modified" is judged as the page it says is unchanged."""
    hops = [(hop.url, hop.http_status) for hop in outcome.captures]
    final = outcome.captures[-1] if outcome.captures else None
    if final is not None and final.record_type == "revisit" and final.http_status == 304:
        status = outcome.http_status
        hops[-1] = (final.url, status if status is not None and status != 304 else 200)
    return hops


def _capture_row(page_id: int, hop: CapturedResponse) -> dict[str, Any]:
    return {
        "page_id": page_id,
        "url": hop.url,
        "fetched_at": hop.fetched_at,
        "record_type": hop.record_type,
        "http_status": hop.http_status,
        "mime": hop.mime,
        "payload_digest": hop.payload_digest,
        "truncated": hop.truncated,
        "warc_file": hop.warc_file,
        "warc_offset": hop.warc_offset,
        "warc_length": hop.warc_length,
        "warc_record_id": hop.record_id,
        "etag": hop.etag,
        "last_modified": hop.last_modified,
        # Set on the final answer's row once its text is known.
        "text": None,
        "text_digest": None,
        "text_reason": None,
        "title": None,
    }


def _page_values(verdict: health.Verdict, outcome: CheckOutcome) -> dict[str, Any]:
    """The page row's new values: the verdict's, and what this check saw."""
    return {
        "state": verdict.state,
        "reason": verdict.reason,
        "http_status": outcome.http_status,
        "last_checked": outcome.checked_at,
        "failures": verdict.failures,
        "first_failure": verdict.first_failure,
        "last_ok": verdict.last_ok,
        "state_since": verdict.state_since,
        "moved_to": verdict.moved_to,
    }
