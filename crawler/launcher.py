"""Run ``citewatch`` commands, crawls above all, in child processes that start in a moment.

A crawl needs a process of its own: Scrapy's reactor cannot restart inside one. A fresh
interpreter spent 10-15 s of a small machine's CPU importing Scrapy, Twisted and SQLAlchemy
before fetching anything, and the recheck service and the demo start crawl after crawl. So
each child is forked from a fork server that has imported the command line and the crawl once
(it is started on first use and leaves with this process). The child runs the same entry point
as ``python -m crawler``, with its output captured, so it behaves exactly as the command does.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

# What the fork server imports once, so that no child imports it again.
PRELOAD = ["crawler.cli", "crawler.crawl"]


class Launched:
    """One ``citewatch ARGS`` running in a forked child; ``wait`` gives its exit code and
    output, as ``subprocess.run`` would."""

    def __init__(self, args: list[str]) -> None:
        self._args = args
        self._ended = False  # joined: its pid may belong to another process by now
        self._output = tempfile.TemporaryDirectory(prefix="citewatch-run-")
        self._out = Path(self._output.name) / "stdout"
        self._err = Path(self._output.name) / "stderr"
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self.process = context.Process(
            target=_run, args=(args, str(self._out), str(self._err)), name="citewatch-command"
        )
        self.process.start()

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the command, unless it has ended."""
        # Not through ``Process.is_alive``: polling from two threads at once may lose the
        # exit code to the other thread.
        if self._ended or self.process.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            os.kill(self.process.pid, signum)

    def wait(self, timeout: float | None = None) -> tuple[int, str, str]:
        """Wait for the command to end: its exit code (minus the signal that killed it, as
        ``subprocess`` has it), its standard output and its standard error. After ``timeout``
        seconds it is killed and ``TimeoutError`` raised."""
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            self._output.cleanup()
            raise TimeoutError(f"citewatch {' '.join(self._args)} ran over {timeout} s")
        self._ended = True
        code = self.process.exitcode
        try:
            out, err = (_read(path) for path in (self._out, self._err))
        finally:
            self._output.cleanup()
        return (1 if code is None else code), out, err


def _run(args: list[str], out: str, err: str) -> None:
    """In the child: run ``citewatch ARGS`` with its output in the files ``out`` and ``err``."""
    # A session of its own: a Ctrl-C at the terminal reaches the parent alone, which decides
    # what to pass on.
    os.setsid()
    for descriptor, path in ((1, out), (2, err)):
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(file, descriptor)
        os.close(file)
    from crawler.cli import main

    try:
        main(args)
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        # The crawl shuts its worker pools down; any left would be joined here for ever.
        for child in multiprocessing.active_children():
            child.terminate()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:  # the child died before it opened its output
        return ""
