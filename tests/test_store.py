"""The store: SQLite in WAL mode, schema created and versioned, newer databases refused."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive import schema
from archive.errors import StoreError
from archive.store import Store


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'citewatch.db'}"


def test_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path))
    assert store.schema_version() == schema.SCHEMA_VERSION
    store.close()
    raw = sqlite3.connect(tmp_path / "citewatch.db")
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"watches", "pages", "links", "captures", "checks", "events"} <= tables
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopen_keeps_data(tmp_path: Path) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    store = Store.open(sqlite_url(tmp_path))
    with store.write() as conn:
        conn.execute(schema.pages.insert().values(url="http://a.org/", first_seen=now))
    store.close()
    again = Store.open(sqlite_url(tmp_path))
    with again.read() as conn:
        row = conn.execute(sa.select(schema.pages)).mappings().one()
    assert row["url"] == "http://a.org/"
    assert row["state"] == "pending"
    assert row["first_seen"] == now


def test_times_round_trip_as_utc(tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    store = Store.open(sqlite_url(tmp_path))
    with store.write() as conn:
        conn.execute(
            schema.pages.insert().values(
                url="http://a.org/", first_seen=datetime(2026, 11, 25, 13, 0, tzinfo=paris)
            )
        )
    with store.read() as conn:
        seen = conn.execute(sa.select(schema.pages.c.first_seen)).scalar_one()
    assert seen == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert seen.tzinfo is UTC
    with pytest.raises(sa.exc.StatementError), store.write() as conn:
        conn.execute(
            schema.pages.insert().values(url="http://b.org/", first_seen=datetime(2026, 1, 1))
        )


def test_newer_database_is_refused(tmp_path: Path) -> None:
    Store.open(sqlite_url(tmp_path)).close()
    raw = sqlite3.connect(tmp_path / "citewatch.db")
    newer = schema.SCHEMA_VERSION + 1
    raw.execute("UPDATE citewatch_meta SET value=? WHERE key='schema_version'", (str(newer),))
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match=f"schema version {newer}, newer than this citewatch"):
        Store.open(sqlite_url(tmp_path))


def test_older_database_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(sqlite_url(tmp_path)).close()
    applied: list[int] = []

    def add_column(conn: sa.Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE pages ADD COLUMN note TEXT")
        applied.append(2)

    # A future release with one more migration step.
    future = schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_column])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", future)
    store = Store.open(sqlite_url(tmp_path))
    assert applied == [2]
    assert store.schema_version() == future
    Store.open(sqlite_url(tmp_path))  # already current: nothing runs twice
    assert applied == [2]


def test_first_schema_gains_archived_copies_and_validators(tmp_path: Path) -> None:
    Store.open(sqlite_url(tmp_path)).close()
    raw = sqlite3.connect(tmp_path / "citewatch.db")
    for column in ("archived_copy", "archived_copy_time", "lookup_at", "lookup_reason"):
        raw.execute(f"ALTER TABLE pages DROP COLUMN {column}")  # back to schema version 1
    for column in ("etag", "last_modified"):
        raw.execute(f"ALTER TABLE captures DROP COLUMN {column}")
    raw.execute("UPDATE citewatch_meta SET value='1' WHERE key='schema_version'")
    raw.commit()
    raw.close()
    store = Store.open(sqlite_url(tmp_path))
    assert store.schema_version() == schema.SCHEMA_VERSION == 2
    with store.write() as conn:
        conn.execute(
            schema.pages.insert().values(
                url="http://gone.org/", first_seen=datetime(2026, 1, 1, tzinfo=UTC),
                archived_copy="https://web.archive.org/web/2016/http://gone.org/",
                archived_copy_time=datetime(2016, 11, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    with store.read() as conn:
        row = conn.execute(sa.select(schema.pages)).mappings().one()
    assert row["archived_copy_time"] == datetime(2016, 11, 1, tzinfo=UTC)


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "citewatch.db").write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(sqlite_url(tmp_path))


def test_write_waits_for_another_writer(tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path))
    other = sqlite3.connect(
        tmp_path / "citewatch.db", isolation_level=None, timeout=0, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    now = datetime.now(UTC)
    with store.write() as conn:  # blocks until the other writer commits, then succeeds
        conn.execute(schema.pages.insert().values(url="http://a.org/", first_seen=now))
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.pages)).scalar() == 1
