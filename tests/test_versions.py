"""Picking an archived version by index or capture time, the baseline rule, and where a
repeated payload's text is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive.assessment import _capture
from archive.errors import VersionNotFound
from archive.schema import captures, checks, pages
from archive.store import Store
from archive.versions import Version, baseline, list_versions, pick

URL = "https://news.example.com/sources/report.html"


def version(capture_id: int, when: str, status: int = 200, **extra: object) -> Version:
    fields: dict[str, object] = {
        "capture_id": capture_id,
        "url": URL,
        "fetched_at": datetime.fromisoformat(when).replace(tzinfo=UTC),
        "record_type": "response",
        "http_status": status,
        "mime": "text/html",
        "payload_digest": f"sha1:{capture_id}",
        "text": f"text {capture_id}",
        "text_digest": None,
        "text_reason": None,
        "title": None,
        "warc_file": "a.warc.gz",
        "warc_offset": capture_id * 100,
        "payload_file": "a.warc.gz",
        "payload_offset": capture_id * 100,
    }
    fields.update(extra)
    return Version(**fields)  # type: ignore[arg-type]


VERSIONS = [
    version(1, "2026-10-30T09:00:00", status=503),
    version(2, "2026-11-01T09:00:00"),
    version(3, "2026-11-20T09:00:00"),
    version(4, "2026-12-02T18:04:05"),
]


@pytest.mark.parametrize(
    ("wanted", "last", "expected"),
    [
        ("-1", True, 4),
        ("-2", True, 3),
        ("-4", True, 1),
        ("2026-11", True, 3),
        ("2026-11", False, 2),
        ("2026-12-02T18:04", True, 4),
        ("2026-12-02T18:04:05Z", True, 4),
        ("2026-12-02 18", True, 4),
        ("20261101", True, 2),
        ("20261202180405", True, 4),
        (" 2026-10 ", True, 1),
    ],
)
def test_pick_by_index_or_time_prefix(wanted: str, last: bool, expected: int) -> None:
    assert pick(URL, VERSIONS, wanted, last=last).capture_id == expected


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ("-5", f"{URL} has 4 captured version(s), so -5 does not exist"),
        (
            "2025-01",
            f"no capture of {URL} at 2025-01 (captures: 2026-10-30T09:00:00Z … "
            "2026-12-02T18:04:05Z; see `citewatch history`)",
        ),
        (
            "yesterday",
            "'yesterday' is not a capture time (2026-11-25T18:04:00Z or a prefix such as 2026-11) "
            "or an index (-1 is the latest)",
        ),
        ("0", "'0' is not a capture time (2026-11-25T18:04:00Z or a prefix such as 2026-11) "
         "or an index (-1 is the latest)"),
    ],
)  # fmt: skip
def test_pick_explains_what_is_missing(wanted: str, message: str) -> None:
    with pytest.raises(VersionNotFound) as caught:
        pick(URL, VERSIONS, wanted)
    assert str(caught.value) == message
    assert caught.value.user_error


def test_pick_on_a_url_never_captured() -> None:
    with pytest.raises(VersionNotFound, match="has never been captured"):
        pick(URL, [], "-1")


def test_baseline_is_the_recorded_one_else_the_first_success() -> None:
    assert baseline({"baseline_capture_id": 3}, VERSIONS).capture_id == 3  # type: ignore[union-attr]
    assert baseline({"baseline_capture_id": None}, VERSIONS).capture_id == 2  # type: ignore[union-attr]
    assert baseline({"baseline_capture_id": None}, VERSIONS[:1]) is None


def test_a_repeated_payload_takes_its_text_from_the_same_payload_earlier(tmp_path: Path) -> None:
    """A capture that repeats an earlier payload stores only the text's digest. Listing versions
    (in memory) and judging a check (in SQL) find its text in the same earlier capture: the
    latest one with that payload, not the latest one with any text."""
    store = Store.open(f"sqlite:///{tmp_path / 'citewatch.db'}")
    when = datetime(2026, 11, 25, tzinfo=UTC)
    kept = [("sha1:A", "one"), ("sha1:B", "two"), ("sha1:A", None)]  # A, then B, then A again
    with store.write() as conn:
        page_id = conn.execute(
            sa.insert(pages).values(url="http://news.example.org/a", first_seen=when)
        ).inserted_primary_key[0]
        for n, (payload, text) in enumerate(kept):
            at = when.replace(hour=n)
            capture = {
                "page_id": page_id,
                "url": "http://news.example.org/a",
                "record_type": "response",
                "fetched_at": at,
                "http_status": 200,
                "payload_digest": payload,
                "text": text,
                "text_digest": f"text:{payload}",
                "warc_file": "a.warc.gz",
                "warc_offset": n * 100,
                "warc_length": 100,
                "warc_record_id": f"<urn:uuid:{n}>",
            }
            capture_id = conn.execute(sa.insert(captures).values(capture)).inserted_primary_key[0]
            check = {"page_id": page_id, "checked_at": at, "state": "ok", "capture_id": capture_id}
            conn.execute(sa.insert(checks).values(check))
    with store.read() as conn:
        versions = list_versions(conn, page_id)
        judged = _capture(conn, capture_id)
    store.close()

    assert [version.text for version in versions] == ["one", "two", "one"]
    assert judged["text"] == "one"
