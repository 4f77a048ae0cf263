"""Helpers for tests that run real crawls: the CLI in a subprocess, WARC files read back."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from crawler.launcher import Launched

BIN = Path(sys.executable).parent  # console scripts installed beside this Python
# Fast, deterministic crawls of the loopback fake web.
TEST_CONFIG = """\
[crawl]
allow_private = true
autothrottle = false
per_site = 8
timeout = 5
retries = 0

[lookup]
wayback = false
"""


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


# Commands that never start Scrapy's reactor (which runs once per process) nor a crawl: run in
# this process, they skip the seconds a new interpreter spends importing.
IN_PROCESS = frozenset({"add", "remove", "list", "status", "history", "events", "index", "diff"})


def citewatch(data: Path, *args: str, timeout: float = 300) -> CliRun:
    """Run ``citewatch`` on ``data``: a crawl in a child forked as the recheck service forks
    it, other crawling commands as the installed command in a fresh process, the rest through
    the same entry point in this one."""
    if args and args[0] in IN_PROCESS and "--live" not in args:
        return _in_this_process(data, *args)
    if args and (args[0] == "crawl" or "--live" in args):  # the commands that crawl
        return _forked(data, *args, timeout=timeout)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
    done = subprocess.run(
        [BIN / "citewatch", "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def _forked(data: Path, *args: str, timeout: float) -> CliRun:
    # The fork server starts with the first crawl and keeps the environment it started with:
    # none of the CITEWATCH_* variables a test may have set.
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CITEWATCH_")}
    try:
        launched = Launched(["--data", str(data), *args])
    finally:
        os.environ.update(saved)
    return CliRun(*launched.wait(timeout))


def _in_this_process(data: Path, *args: str) -> CliRun:
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CITEWATCH_")}
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main(["--data", str(data), *args])
    except SystemExit as exited:  # main() always exits
        code = exited.code if isinstance(exited.code, int) else int(exited.code is not None)
    finally:
        os.environ.update(saved)
    return CliRun(code, out.getvalue(), err.getvalue())


def make_data_dir(path: Path, extra_config: str = "") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "citewatch.toml").write_text(TEST_CONFIG + extra_config, encoding="utf-8")
    return path


def warc_records(data: Path) -> list[Any]:
    """Every record of every WARC file in ``data``, digests checked, in file order."""
    records = []
    for path in sorted((data / "warcs").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                record.raw_body = record.raw_stream.read()  # as stored, still encoded
                records.append(record)
    return records


def warcio_check(data: Path) -> subprocess.CompletedProcess[str]:
    files = sorted(str(p) for p in (data / "warcs").glob("*.warc.gz"))
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *files],
        capture_output=True,
        text=True,
        check=False,
    )
