"""The database schema (SQLAlchemy Core) and its migrations.

Tables: ``pages`` (every URL citewatch checks, article or source, with its current state),
``watches`` (the watch list), ``links`` (article → cited source), ``captures`` (one row per
archived response, pointing into a WARC file), ``checks`` (every check, even unchanged) and
``events`` (what a user should be told). ``citewatch_meta`` holds the schema version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

metadata = sa.MetaData()


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and gives them back aware, on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("citewatch stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


meta = sa.Table(
    "citewatch_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

pages = sa.Table(
    "pages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    # pending, ok, changed, moved, blocked, failing, dead, skipped
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text),
    sa.Column("http_status", sa.Integer),
    sa.Column("first_seen", UtcDateTime, nullable=False),
    sa.Column("last_checked", UtcDateTime),
    sa.Column("last_ok", UtcDateTime),
    sa.Column("state_since", UtcDateTime),
    # The current run of failures: how many checks in a row, and when it began.
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_failure", UtcDateTime),
    sa.Column("moved_to", sa.Text),
    # The capture that is "what the article cited"; no FK because captures point back here.
    sa.Column("baseline_capture_id", sa.Integer),
    # For a dead page citewatch never captured: a copy found in a public web archive.
    sa.Column("archived_copy", sa.Text),
    sa.Column("archived_copy_time", UtcDateTime),
    sa.Column("lookup_at", UtcDateTime),  # when the archives were last asked
    sa.Column("lookup_reason", sa.Text),  # why nothing was found: not-archived, timeout…
)

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False, unique=True),
    sa.Column("every", sa.Integer, nullable=False),  # seconds between checks
    sa.Column("depth", sa.Integer, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("added", UtcDateTime, nullable=False),
    sa.Column("next_due", UtcDateTime, nullable=False, index=True),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.ForeignKey("pages.id"), nullable=False),
    sa.Column("source_id", sa.ForeignKey("pages.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),  # order in the article
    sa.Column("anchor_text", sa.Text, nullable=False, server_default=""),
    sa.Column("context", sa.Text, nullable=False, server_default=""),
    sa.Column("first_seen", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.Column("dropped", UtcDateTime),  # when the article stopped citing it
    sa.UniqueConstraint("article_id", "source_id"),
)

captures = sa.Table(
    "captures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False),
    sa.Column("url", sa.Text, nullable=False),  # the URL fetched: a redirect hop may differ
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.Column("record_type", sa.String(16), nullable=False),  # response or revisit
    sa.Column("http_status", sa.Integer),
    sa.Column("mime", sa.Text),
    sa.Column("payload_digest", sa.Text),
    sa.Column("truncated", sa.String(16)),
    sa.Column("text_digest", sa.Text),
    sa.Column("text", sa.Text),
    sa.Column("text_reason", sa.Text),  # why the text is empty, when it is
    sa.Column("title", sa.Text),
    sa.Column("warc_file", sa.Text, nullable=False),
    sa.Column("warc_offset", sa.BigInteger, nullable=False),
    sa.Column("warc_length", sa.BigInteger, nullable=False),
    sa.Column("warc_record_id", sa.Text, nullable=False),
    # The validators of a response, sent back as If-None-Match / If-Modified-Since on recheck.
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Index("ix_captures_page_time", "page_id", "fetched_at"),
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False),
    sa.Column("checked_at", UtcDateTime, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("http_status", sa.Integer),
    sa.Column("capture_id", sa.ForeignKey("captures.id")),
    sa.Index("ix_checks_page_time", "page_id", "checked_at"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # changed, died, recovered, moved, blocked
    sa.Column("detail", sa.JSON, nullable=False),
)


# Each step upgrades the schema by one version: MIGRATIONS[n] takes version n+1 to n+2.
# A new database is created from ``metadata`` directly and stamped with the latest version.
def _add_columns(*columns: sa.Column[Any]) -> Callable[[Connection], None]:
    """A step adding ``columns`` (as declared in the tables above) to an existing database."""

    def step(conn: Connection) -> None:
        for column in columns:
            kind = column.type.compile(dialect=conn.dialect)
            table = column.table.name
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}"))

    return step


MIGRATIONS: list[Callable[[Connection], Any]] = [
    # 2: archived copies of dead pages found in public web archives; response validators
    _add_columns(
        *(pages.c[name] for name in ("archived_copy", "archived_copy_time", "lookup_at")),
        pages.c.lookup_reason,
        captures.c.etag,
        captures.c.last_modified,
    ),
]
SCHEMA_VERSION = 1 + len(MIGRATIONS)
