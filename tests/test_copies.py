"""Archived copies of dead sources citewatch never captured: looked up once, shown by status.

The database is real; only the web archives' APIs are faked, with ``responses``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from archive.config import LookupConfig
from archive.copies import look_up_dead
from archive.schema import captures, links, pages
from archive.store import Store
from crawler.cli import main

NOW = datetime(2027, 3, 2, tzinfo=UTC)
CITED = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
ARTICLE = "https://news.example.com/2016/11/alep"
DEAD = "https://agency.example.org/2016/report.html"
CAPTURED_DEAD = "https://agency.example.org/2016/other.html"
AVAILABLE = "https://archive.org/wayback/available"
CONFIG = LookupConfig(wayback=True, availability=AVAILABLE, memento="", timeout=5)
SNAPSHOT_URL = f"http://web.archive.org/web/20161101120000/{DEAD}"
COPY_URL = SNAPSHOT_URL.replace("http://", "https://", 1)  # the archive is linked over https


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An article citing a source that died before citewatch ever captured it, and another
    that died after citewatch had archived it."""
    path = tmp_path / "data"
    with pytest.raises(SystemExit):
        main(["--data", str(path), "add", ARTICLE])
    capsys.readouterr()
    store = Store.open(f"sqlite:///{path / 'citewatch.db'}")
    with store.write() as conn:
        article_id = conn.execute(pages.select().where(pages.c.url == ARTICLE)).one().id
        for position, url in enumerate([DEAD, CAPTURED_DEAD]):
            page_id = conn.execute(
                pages.insert()
                .values(url=url, state="dead", reason="http-404", first_seen=CITED)
                .returning(pages.c.id)
            ).scalar_one()
            conn.execute(
                links.insert().values(
                    article_id=article_id, source_id=page_id, position=position,
                    first_seen=CITED, last_seen=NOW,
                )
            )  # fmt: skip
            if url == CAPTURED_DEAD:
                conn.execute(
                    captures.insert().values(
                        page_id=page_id, url=url, fetched_at=CITED, record_type="response",
                        http_status=200, warc_file="a.warc.gz", warc_offset=0, warc_length=1,
                        warc_record_id="<urn:uuid:1>",
                    )
                )  # fmt: skip
    store.close()
    return path


def store_of(data: Path) -> Store:
    return Store.open(f"sqlite:///{data / 'citewatch.db'}")


def snapshot_answer() -> dict[str, object]:
    closest = {"status": "200", "available": True, "url": SNAPSHOT_URL,
               "timestamp": "20161101120000"}  # fmt: skip
    return {"url": DEAD, "archived_snapshots": {"closest": closest}}


@responses.activate
def test_dead_never_captured_source_gets_its_public_copy(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.get(AVAILABLE, json=snapshot_answer())
    store = store_of(data)
    assert look_up_dead(store, CONFIG, NOW) == {"looked_up": 1, "found": 1}
    # Only the never-captured source was asked about, with the time it was cited.
    assert len(responses.calls) == 1
    asked = responses.calls[0].request
    assert asked.params == {"url": DEAD, "timestamp": "20261125180000"}
    # Found once, never asked again.
    assert look_up_dead(store, CONFIG, NOW + timedelta(days=90)) == {"looked_up": 0, "found": 0}
    store.close()

    with pytest.raises(SystemExit):
        main(["--data", str(data), "status", "--json"])
    sources = {s["url"]: s for s in json.loads(capsys.readouterr().out)["articles"][0]["sources"]}
    assert sources[DEAD]["archived_copy"] == COPY_URL
    assert sources[DEAD]["archived_copy_time"] == "2016-11-01T12:00:00Z"
    assert sources[CAPTURED_DEAD]["archived_copy"] is None
    with pytest.raises(SystemExit):
        main(["--data", str(data), "status"])
    assert f"copy: {COPY_URL}" in capsys.readouterr().out


@responses.activate
def test_nothing_found_is_asked_again_only_after_a_month(data: Path) -> None:
    responses.get(AVAILABLE, json={"url": DEAD, "archived_snapshots": {}})
    store = store_of(data)
    assert look_up_dead(store, CONFIG, NOW) == {"looked_up": 1, "found": 0}
    assert look_up_dead(store, CONFIG, NOW + timedelta(days=29)) == {"looked_up": 0, "found": 0}
    assert look_up_dead(store, CONFIG, NOW + timedelta(days=31)) == {"looked_up": 1, "found": 0}
    with store.read() as conn:
        row = conn.execute(pages.select().where(pages.c.url == DEAD)).mappings().one()
    assert row["lookup_reason"] == "not-archived" and row["archived_copy"] is None
    store.close()


@responses.activate
def test_lookups_off_ask_nothing(data: Path) -> None:
    store = store_of(data)
    off = LookupConfig(wayback=False, availability=AVAILABLE, memento="", timeout=5)
    assert look_up_dead(store, off, NOW) == {"looked_up": 0, "found": 0}
    assert len(responses.calls) == 0
    store.close()
