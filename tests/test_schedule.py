"""`citewatch schedule`: the recheck service, run for real in a subprocess against the fake web."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import BIN, citewatch, make_data_dir
from tests.fakeweb import Site

# Generous, for a loaded 2-core machine; a passing run never waits for them.
DEADLINE = 240.0


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data")


def article(site: Site, name: str, cites: str) -> str:
    site.set(
        f"/{name}.html",
        f"<html><body><article><h1>{name}</h1><p>As the agency reported "
        f'(<a href="{cites}">its report</a>), the count rose.</p></article></body></html>',
    )
    return site.url(f"/{name}.html")


def query(data: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(data / "citewatch.db", timeout=30)) as db:
        return db.execute(sql, params).fetchall()


def checks_of(data: Path, url: str) -> int:
    return query(
        data, "SELECT count(*) FROM checks JOIN pages ON pages.id = page_id WHERE url = ?", url
    )[0][0]


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the service exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_once_crawls_what_is_due_then_nothing(site: Site, data: Path) -> None:
    site.set("/report.html", "<html><body><p>The report.</p></body></html>")
    url = article(site, "once", site.url("/report.html"))
    assert citewatch(data, "add", url).code == 0

    first = citewatch(data, "schedule", "--once")
    assert first.code == 0, first.err
    assert "crawl finished: 1 article(s), 1 source(s) checked, 2 new capture(s)" in first.err
    assert checks_of(data, site.url("/report.html")) == 1

    # Rescheduled a day ahead: the next run finds nothing due and crawls nothing.
    second = citewatch(data, "schedule", "--once")
    assert second.code == 0, second.err
    assert second.err.strip() == "nothing is due"
    assert checks_of(data, url) == 1


def test_bad_tick_is_one_line_exit_2(data: Path) -> None:
    run = citewatch(data, "schedule", "--tick", "soon")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("Error: --tick: 'soon' is not a duration such as 90s, 30m, 12h, 1d or 2w\n")


def test_service_rechecks_on_interval_takes_new_watches_and_stops_on_sigterm(
    site: Site, data: Path
) -> None:
    site.set("/report.html", "<html><body><p>The report.</p></body></html>")
    first = article(site, "first", site.url("/report.html"))
    assert citewatch(data, "add", first, "--every", "2s").code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
    service = subprocess.Popen(
        [BIN / "citewatch", "--data", str(data), "schedule", "--tick", "1s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for(lambda: checks_of(data, first) >= 1, "the article's first check", service)
        # Another process adds a watch while the service runs; the service picks it up.
        second = article(site, "second", site.url("/report.html"))
        added = citewatch(data, "add", second, "--every", "1h")
        assert added.code == 0, added.err
        wait_for(lambda: checks_of(data, second) >= 1, "the new watch's first check", service)
        # Rechecked on its own 2 s interval: at least twice while the service runs.
        wait_for(lambda: checks_of(data, first) >= 2, "two checks of the article", service)
    finally:
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=DEADLINE)
    assert service.returncode == 0, err
    lines = err.splitlines()
    assert lines[0].endswith("checking for due watches every 1s (data: " + str(data) + ")")
    assert any("crawl finished: 1 article(s)" in line for line in lines)
    assert "SIGTERM: stopping after this crawl" in err and lines[-1].endswith("stopped")
    # Stopped cleanly: no WARC left open, and the database is whole.
    assert not list((data / "warcs").glob("*.open"))
    assert query(data, "PRAGMA integrity_check") == [("ok",)]
    # The job lives in the same database, so a restart finds it there.
    assert query(data, "SELECT id FROM scheduler_jobs") == [("citewatch-recheck",)]
