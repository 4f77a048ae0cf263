"""`citewatch events`: what a user should be told, newest first, filtered by --since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.events import parse_since
from archive.schema import events, links, pages
from archive.store import Store
from crawler.cli import main

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
ARTICLE = "https://news.example.com/2016/11/alep"
SOURCE = "https://agency.example.org/report[1]"


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["--data", str(data), *args])
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data directory whose article cites one source that changed, then died."""
    path = tmp_path / "data"
    assert run(capsys, path, "add", ARTICLE)[0] == 0
    store = Store.open(f"sqlite:///{path / 'citewatch.db'}")
    with store.write() as conn:
        article_id = conn.execute(pages.select().where(pages.c.url == ARTICLE)).one().id
        source_id = conn.execute(
            pages.insert().values(url=SOURCE, state="dead", first_seen=NOW).returning(pages.c.id)
        ).scalar_one()
        conn.execute(
            links.insert().values(
                article_id=article_id, source_id=source_id, position=0, first_seen=NOW,
                last_seen=NOW,
            )
        )  # fmt: skip
        conn.execute(
            events.insert(),
            [
                {"page_id": source_id, "at": NOW - timedelta(days=10), "kind": "changed",
                 "detail": {"summary": "1 sentence edited, 98% same"}},
                {"page_id": source_id, "at": NOW - timedelta(days=1), "kind": "died",
                 "detail": {"reason": "http-404"}},
            ],
        )  # fmt: skip
    store.close()
    return path


def test_events_newest_first_with_the_articles_citing_them(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    code, out, err = run(capsys, data, "events", "--json")
    assert code == 0, err
    listed = json.loads(out)["events"]
    assert [(e["kind"], e["url"], e["cited_by"]) for e in listed] == [
        ("died", SOURCE, [ARTICLE]),
        ("changed", SOURCE, [ARTICLE]),
    ]
    assert listed[0]["detail"] == {"reason": "http-404"}
    assert listed[0]["current_state"] == "dead"


def test_since_a_date_filters(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = run(capsys, data, "events", "--since", "2026-11-20", "--json")
    assert code == 0
    assert [e["kind"] for e in json.loads(out)["events"]] == ["died"]


def test_human_output_prints_urls_literally(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = run(capsys, data, "events")
    assert code == 0
    assert SOURCE in out and "1 sentence edited, 98% same" in out and "reason: http-404" in out


def test_bad_since_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, err = run(capsys, data, "events", "--since", "last tuesday")
    assert (code, out) == (2, "")
    assert err == (
        "Error: --since: 'last tuesday' is neither a duration (7d, 12h) nor a date or time "
        "(2026-11-25, 2026-11-25T18:00)\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T06:30Z", datetime(2026, 11, 20, 6, 30, tzinfo=UTC)),
        ("2026-11-20T07:30+01:00", datetime(2026, 11, 20, 6, 30, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected
