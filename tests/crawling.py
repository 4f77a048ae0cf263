"""Helpers for tests that run real crawls: the CLI in a subprocess, WARC files read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

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


def citewatch(data: Path, *args: str, timeout: float = 300) -> CliRun:
    """Run the installed ``citewatch`` command on ``data`` in a fresh process."""
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
