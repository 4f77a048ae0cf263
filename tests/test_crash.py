"""Nothing is lost on a crash: a crawl killed with SIGKILL leaves WARC files and database rows
that the next crawl repairs, trusts and completes.

One real ``citewatch crawl`` of an article citing slow sources is killed mid-way, once the
database holds some captures; the test tears the tail of a file it left open, as a kill in the
middle of a write does, and checks what the next start finds and leaves.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.warc_recovery import OPEN_SUFFIX, scan_members
from archive.warcs import iter_records, read_record
from tests.crawling import BIN, citewatch, make_data_dir, warc_records, warcio_check
from tests.fakeweb import FakeWeb, Site

SOURCES = 40
# Two connections to the fake web at a time, each source 0.3 s: the crawl goes in ~20 waves,
# several seconds to kill it in, and the next crawl still finishes in a few.
PER_SITE = 2
DELAY = 0.3
# Enough captures (the article and a few sources) to show records were written before the kill.
ROWS_BEFORE_KILL = 4
# Generous, for a loaded 2-core machine; a passing run never waits for them.
START_DEADLINE = 300.0
CRAWL_TIMEOUT = 600.0


@dataclass(frozen=True)
class Killed:
    """What a SIGKILL left in a data directory, and the sources its article cites."""

    data: Path
    cited: list[str]


@pytest.fixture(scope="module")
def killed(fakeweb: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killed]:
    data = make_data_dir(tmp_path_factory.mktemp("killed") / "data")
    config = data / "citewatch.toml"
    text = config.read_text().replace("per_site = 8", f"per_site = {PER_SITE}")
    # A loaded machine may take seconds to answer: a timeout here would be no crash test.
    config.write_text(text.replace("timeout = 5", "timeout = 60"), encoding="utf-8")
    site = fakeweb.site("crash")
    cited = cite_slow_sources(site)
    assert citewatch(data, "add", site.url("/article.html")).code == 0
    crawl_and_kill(data)
    yield Killed(data, cited)
    site.reset()


@pytest.fixture
def data(killed: Killed, tmp_path: Path) -> Path:
    """This test's own copy of the killed crawl's data directory."""
    return Path(shutil.copytree(killed.data, tmp_path / "data"))


def cite_slow_sources(site: Site) -> list[str]:
    """An article citing ``SOURCES`` distinct slow pages of some size; returns their URLs."""
    cited = [site.web.url(f"/slow/{DELAY}/big/{30_000 + 997 * i}") for i in range(SOURCES)]
    paragraphs = "".join(
        f'<p>Claim number {i} is backed by <a href="{url}">report {i}</a>, the author says.</p>'
        for i, url in enumerate(cited)
    )
    site.set(
        "/article.html",
        f"<html><body><article><h1>Many sources</h1>{paragraphs}</article></body></html>",
    )
    return cited


def query(data: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from the crawl's database, read with the stdlib driver (a separate connection)."""
    with closing(sqlite3.connect(data / "citewatch.db", timeout=30)) as conn:
        return conn.execute(sql, params).fetchall()


def open_files(data: Path) -> list[Path]:
    return sorted((data / "warcs").glob(f"*.warc.gz{OPEN_SUFFIX}"))


def captures_in(path: Path) -> int:
    """Whole records other than warcinfo at the start of ``path`` (0 if it has just gone)."""
    try:
        with path.open("rb") as stream:
            return scan_members(stream)[2]
    except FileNotFoundError:
        return 0


def crawl_and_kill(data: Path) -> None:
    """Start ``citewatch crawl``; SIGKILL it once its WARC holds captures and rows exist."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
    log_path = data.parent / "killed-crawl.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [BIN / "citewatch", "--data", str(data), "crawl"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + START_DEADLINE
            while True:
                if process.poll() is not None:
                    pytest.fail(
                        f"the crawl ended (exit {process.returncode}) before it could be "
                        f"killed mid-way:\n{log_path.read_text(errors='replace')}"
                    )
                written = any(captures_in(path) > 0 for path in open_files(data))
                rows = query(data, "SELECT count(*) FROM captures")[0][0]
                if written and rows >= ROWS_BEFORE_KILL:
                    break
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"no WARC records and {ROWS_BEFORE_KILL} captures after "
                        f"{START_DEADLINE} s:\n{log_path.read_text(errors='replace')}"
                    )
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
            # The crawl's worker processes (and their fork server) follow it out.
            deadline = time.monotonic() + 60
            while (left := processes_writing_to(log_path)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not left, f"processes outlived the killed crawl: {left}"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def processes_writing_to(log: Path) -> list[str]:
    """The command lines of live processes whose standard output is ``log``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "fd" / "1").readlink() == log:
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return found


def source_states(data: Path) -> dict[str, str]:
    rows = query(
        data, "SELECT p.url, p.state FROM links AS l JOIN pages AS p ON p.id = l.source_id"
    )
    return dict(rows)


def assert_database_is_sound(data: Path) -> None:
    assert query(data, "PRAGMA integrity_check") == [("ok",)]
    assert query(data, "PRAGMA foreign_key_check") == []


def assert_rows_point_at_records(data: Path) -> None:
    """Every ``captures`` row names an existing file (or, before recovery, its ``.open``) and
    the offset and length of a whole record there, with the row's record id; digests checked."""
    rows = query(
        data, "SELECT url, warc_file, warc_offset, warc_length, warc_record_id FROM captures"
    )
    assert rows
    for url, warc_file, offset, length, record_id in rows:
        path = data / "warcs" / warc_file
        assert path.exists() or path.with_name(path.name + OPEN_SUFFIX).exists(), url
        record = read_record(path, offset)  # finds the .open file too
        assert (record.record_id, record.length) == (record_id, length), url
        assert record.rec_type in ("response", "revisit"), url
        assert record.target_uri == url


def assert_archive_is_whole(data: Path) -> None:
    """No ``.open`` file, every file passes warcio, every capture row points at its record."""
    assert open_files(data) == []
    check = warcio_check(data)
    assert check.returncode == 0, check.stdout + check.stderr
    warc_records(data)  # warcio, every digest checked
    for path in sorted((data / "warcs").glob("*.warc.gz")):
        assert all(record.rec_type for record in iter_records(path))  # our reader, digests too
    assert_rows_point_at_records(data)
    for (warc_file,) in query(data, "SELECT DISTINCT warc_file FROM captures"):
        assert (data / "warcs" / warc_file).is_file(), warc_file


def test_a_killed_crawl_loses_nothing(killed: Killed, data: Path) -> None:
    cited = killed.cited
    # (1) The crash left its file open; nothing has repaired it yet.
    left_open = open_files(data)
    assert left_open
    kept = {}
    for path in left_open:
        with path.open("rb") as stream:
            good_end, _, captures = scan_members(stream)
        assert captures > 0
        kept[path.name.removesuffix(OPEN_SUFFIX)] = good_end
    # (2) The database survived the kill, points only at whole records, and the crawl really
    # was cut short.
    assert_database_is_sound(data)
    assert_rows_point_at_records(data)
    before = source_states(data)
    unfinished = {url for url, state in before.items() if state == "pending"}
    assert set(before) == set(cited)
    assert unfinished, "the crawl finished before it was killed"
    assert len(unfinished) < SOURCES, "no source was recorded before the kill"
    # (3) A kill in the middle of a write, made deterministic: half a record's gzip member is
    # appended to a file the crawl left open.
    torn = left_open[0]
    name = torn.name.removesuffix(OPEN_SUFFIX)
    records = tear_the_tail(data, torn, kept[name])

    # (4) The next crawl repairs the files, completes, and every row points at its record.
    run = citewatch(data, "crawl", "--json", timeout=CRAWL_TIMEOUT)
    assert run.code == 0, run.err
    assert run.json()["sources"] == SOURCES
    assert_archive_is_whole(data)
    for file_name, good_end in kept.items():
        # Cut back to the last whole record, exactly: nothing a row points at is lost.
        assert (data / "warcs" / file_name).stat().st_size == good_end
    assert sum(1 for _ in iter_records(data / "warcs" / name)) == records
    assert_database_is_sound(data)

    # (5) What the killed crawl never finished is recorded now.
    after = source_states(data)
    assert set(after) == set(cited)
    assert {url: state for url, state in after.items() if state == "pending"} == {}
    assert {after[url] for url in unfinished} == {"ok"}


def tear_the_tail(data: Path, torn: Path, good_end: int) -> int:
    """Append half of the last captured record to ``torn`` after its last whole record, at
    ``good_end``; returns how many whole records it holds."""
    offset, length = query(
        data,
        "SELECT warc_offset, warc_length FROM captures WHERE warc_file = ? "
        "ORDER BY warc_offset DESC LIMIT 1",
        torn.name.removesuffix(OPEN_SUFFIX),
    )[0]
    with torn.open("r+b") as file:
        file.truncate(good_end)  # should the kill itself have torn one, ours replaces it
        file.seek(offset)
        member = file.read(length)
        file.seek(good_end)
        file.write(member[: length // 2])
    with torn.open("rb") as stream:
        found_end, records, _ = scan_members(stream)
    assert found_end == good_end
    assert torn.stat().st_size == good_end + length // 2
    return records
