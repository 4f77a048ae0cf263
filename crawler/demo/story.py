"""``citewatch demo``: the whole product in one offline run, on the bundled sample web.

It watches a French news article that cites five sources, archives them, lets three months
pass on the sample web (one source is silently edited, one moves, one disappears), rechecks,
and prints the status and the diff of the edited source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from archive import comparison, config, watchlist
from archive.datadir import DataDir
from archive.errors import CitewatchError, InputError
from archive.store import Store
from archive.times import utcnow
from archive.urls import normalize
from crawler import diff_view, views
from crawler.demo.server import SampleWeb, serving
from crawler.launcher import Launched

ARTICLE = "/articles/alep.html"
EDITED = "/sources/blog-post.html"
EDIT = ("faisant 40 morts, dont 16 enfants, et 250 blessés", "faisant 14 morts et 50 blessés")
MOVED = ("/sources/agency-story.html", "/2017/02/agency-story.html")
REMOVED = "/sources/tchurkin-onu.html"

# The sample web is on loopback, which the address guard refuses by default; the story
# compresses months into minutes, so a source is dead after two failed checks, whatever the span.
DEMO_CONFIG = """\
# Written by `citewatch demo`.
[crawl]
allow_private = true
autothrottle = false
retries = 0
timeout = 10

[dead]
after_failures = 2
after_days = 0

[lookup]
wayback = false
"""


def check_target(keep: Path | None) -> None:
    """``--keep DIR`` must be a new or empty directory: the demo never mixes into real data."""
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise InputError([f"--keep: {keep} exists and is not an empty directory"])


def run(console: Console, root: Path) -> dict[str, Any]:
    """Play the story in the data directory ``root``; returns the final status."""
    data = DataDir(root)
    data.create()
    data.config_file.write_text(DEMO_CONFIG, encoding="utf-8")
    settings = config.load(root)
    with serving(SampleWeb()) as web:
        article = web.base_url + ARTICLE
        store = Store.open(settings.database.url)
        try:
            _say(console, f"Day 0: watching {article}")
            watch = watchlist.WatchRequest(
                normalize(article), settings.watch.every, settings.watch.depth
            )
            watchlist.add(store, [watch], utcnow())
            _crawl(console, root)
            _say(console, "Three months later, on the sample web:")
            web.edit(EDITED, *EDIT)
            console.print(f"  {EDITED}: one sentence silently edited", markup=False)
            web.move(*MOVED)
            console.print(f"  {MOVED[0]}: moved to {MOVED[1]} (301)", markup=False)
            web.remove(REMOVED)
            console.print(f"  {REMOVED}: removed (404)", markup=False)
            for day in ("Day 90", "Day 91"):
                _say(console, f"{day}: rechecking")
                _crawl(console, root)
            status = watchlist.status(store, article)
            _say(console, "Status")
            views.status(console, status)
            _say(console, "What changed in the edited source")
            source = web.base_url + EDITED
            old, new = comparison.choose(store, source)
            diff = comparison.compare(
                old, new, url=source, warcs=data.warcs, ignore=settings.change.ignore
            )
            diff_view.print_diff(console, diff)
        finally:
            store.close()
    _say(console, "Explore it yourself")
    console.print(
        f"  citewatch --data {root} status\n  citewatch --data {root} events\n"
        f"  citewatch --data {root} history {source}",
        markup=False,
    )
    return status


def _say(console: Console, text: str) -> None:
    console.print()
    console.rule(text, align="left")


def _crawl(console: Console, root: Path) -> None:
    summary = json.loads(_cli(root, "crawl", "--all", "--json"))
    console.print(
        f"  crawled {summary['articles']} article and {summary['sources']} sources: "
        f"{summary['new']} new captures, {summary['unchanged']} unchanged, "
        f"{summary['failed']} failed; {summary['bytes_written']:,} WARC bytes",
        markup=False,
    )


def _cli(root: Path, *args: str) -> str:
    # Each crawl needs a process of its own: Scrapy's reactor cannot restart.
    code, out, err = Launched(["--data", str(root), *args]).wait()
    if code != 0:
        raise CitewatchError(f"the demo's `citewatch {args[0]}` failed: {err.strip()}")
    return out
