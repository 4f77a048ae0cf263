"""Opening the database: engine, SQLite pragmas, schema creation and migration.

SQLAlchemy Core over SQLite in WAL mode by default; any SQLAlchemy URL works
(``database.url = "postgresql://…"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import schema
from archive.errors import StoreError

BUSY_TIMEOUT_SECONDS = 30


class Store:
    """The database: ``write()`` for a transaction that changes rows, ``read()`` for a snapshot."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url``, create or migrate the schema; raises StoreError."""
        try:
            engine = _create_engine(url)
            store = cls(engine)
            store.migrate()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open database {url}: {exc.__class__.__name__}: {exc}"
            ) from None
        return store

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that takes the write lock at once (``BEGIN IMMEDIATE`` on SQLite).

        Taking it up front makes a second writer wait for the busy timeout instead of failing
        when a read transaction tries to upgrade to a write.
        """
        with self.engine.connect().execution_options(citewatch_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def schema_version(self) -> int | None:
        with self.read() as conn:
            return _stored_version(conn)

    def migrate(self) -> None:
        """Create a new database, or bring an older one up to ``SCHEMA_VERSION``."""
        with self.write() as conn:
            version = _stored_version(conn)
            if version is None:
                schema.metadata.create_all(conn)
                _stamp(conn, schema.SCHEMA_VERSION, insert=True)
                return
            if version > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {version}, newer than this citewatch "
                    f"understands ({schema.SCHEMA_VERSION}); upgrade citewatch to use it"
                )
            for step in schema.MIGRATIONS[version - 1 :]:
                step(conn)
            if version != schema.SCHEMA_VERSION:
                _stamp(conn, schema.SCHEMA_VERSION, insert=False)


def _create_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see write()).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL keeps this crash-safe
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("citewatch_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _stored_version(conn: Connection) -> int | None:
    if not sa.inspect(conn).has_table(schema.meta.name):
        return None
    value = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _stamp(conn: Connection, version: int, *, insert: bool) -> None:
    table = schema.meta
    if insert:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))
    else:
        conn.execute(
            table.update().where(table.c.key == "schema_version").values(value=str(version))
        )
