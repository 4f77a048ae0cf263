"""What bench/crawl.py and bench/recheck.py share: running a measured subprocess, citewatch's
command and data directory, the crawl phase, and where results go."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from loopback_server import Server

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
CHILD_TIMEOUT = 3600  # seconds: a hung variant is killed, the run fails, the benchmark ends
console = Console(width=None if sys.stdout.isatty() else 140)  # no wrapping in logs


@dataclass
class Child:
    returncode: int
    stdout: str
    stderr: str
    launched: float  # time.monotonic(), comparable with the server's clock
    ended: float
    cpu: float
    rss_mib: float


def run_child(argv: list[str], env_extra: dict[str, str] | None = None) -> Child:
    """Run argv to the end; its own CPU time and peak RSS come from wait4, not from a poll."""
    # CITEWATCH_* variables of the calling shell would override the benchmark's config.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
    env.update(env_extra or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        launched = time.monotonic()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        watchdog = threading.Timer(CHILD_TIMEOUT, process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C: never leave a crawl running behind us
            process.kill()
            process.wait()
            raise
        finally:
            watchdog.cancel()
        ended = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            launched,
            ended,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,  # KiB on Linux
        )


def run_measured(server: Server, run: Callable[[], Child]) -> tuple[Child, dict[str, Any], float]:
    """The child that `run` ran, what the server counted meanwhile, and the load average when
    it started: one way to take a run, so that the benchmarks' figures compare."""
    load = os.getloadavg()[0]
    server.control("reset")
    child = run()
    return child, server.control("stats"), load


def failure(child: Child) -> dict[str, Any]:
    return {"returncode": child.returncode, "stderr": child.stderr[-2000:]}


def crawl_phase(child: Child, stats: dict[str, Any]) -> tuple[float, float]:
    """(crawl seconds, start-up seconds): the crawl runs from the first request the server saw
    to the exit of the process, so interpreter and Scrapy start-up are left out."""
    first = stats["first"] if stats["first"] is not None else child.launched
    return child.ended - first, first - child.launched


def citewatch_command() -> list[str]:
    """The console script installed beside this Python, else the same entry point via -c."""
    script = Path(sys.executable).with_name("citewatch")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from crawler.cli import main; main()"]


def write_config(data: Path, per_site: int, more: str = "") -> None:
    """citewatch.toml for a crawl of 127.0.0.1 at a fixed concurrency, plus `more` sections."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "citewatch.toml").write_text(
        f"[crawl]\nallow_private = true\nautothrottle = false\nper_site = {per_site}\n" + more
    )


def results_file(benchmark: str, no_save: bool) -> Path | None:
    """Named when the benchmark starts, so that every save of the same run overwrites it."""
    return None if no_save else RESULTS / f"{benchmark}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"


def machine() -> dict[str, Any]:
    """The result file's time and machine."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def print_loads(loads: list[float]) -> None:
    """Figures taken on a loaded machine are slower: every report says how loaded it was."""
    if loads:
        console.print(
            f"load average (1 min) at the start of runs: {min(loads):.1f}-{max(loads):.1f} "
            f"on {os.cpu_count()} cores"
        )


def code_version(code: str | None) -> dict[str, Any]:
    """Which citewatch was measured: its commit, and the files changed since (a dirty tree)."""
    where = code or str(BENCH.parent)
    git = ["git", "-C", where]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "archive", "crawler"],
                           capture_output=True, text=True).stdout  # fmt: skip
    return {"path": where, "commit": head.strip(), "uncommitted": dirty.splitlines()}


def measured_code() -> str:
    """The checkout whose ``crawler`` the installed ``citewatch`` command imports, as its children
    are run (``PYTHONPATH`` first, else the installed project)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
    where = "import crawler, pathlib; print(pathlib.Path(crawler.__file__).parent.parent)"
    found = subprocess.run(  # run from the command's folder, as the command runs: not from here
        [sys.executable, "-c", where],
        capture_output=True, text=True, env=env, check=True, cwd=Path(sys.executable).parent,
    )  # fmt: skip
    return found.stdout.strip()
