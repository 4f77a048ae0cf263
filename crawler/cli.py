"""The ``citewatch`` command line: thin commands over archive/ and crawler/ functions."""

from __future__ import annotations

import gc
import logging
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from archive import config as config_module
from archive import datadir, watchlist
from archive.config import Config
from archive.errors import CitewatchError, InputError, InvalidUrl
from archive.store import Store
from archive.times import utcnow
from archive.units import parse_duration
from archive.urls import normalize
from crawler import output, views

try:  # newer typer ships its own copy of click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import ClickException  # type: ignore[no-redef]

app = typer.Typer(
    name="citewatch",
    help="Preserve what articles cite: archive every cited source and watch it for changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@dataclass
class Session:
    """What every command shares: the data directory, and its config and store on demand."""

    data: datadir.DataDir
    _store: Store | None = field(default=None, repr=False)

    @cached_property
    def config(self) -> Config:
        return config_module.load(self.data.root)

    def store(self) -> Store:
        """The database, creating the data directory on first use."""
        if self._store is None:
            self.config  # noqa: B018 - a bad config must fail before anything is created
            self.data.create()
            self._store = Store.open(self.config.database.url)
        return self._store

    def close(self) -> None:
        """Close the database: the last connection to go checkpoints SQLite's WAL away."""
        if self._store is not None:
            self._store.close()
            self._store = None


@app.callback()
def options(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="DIR",
            help="Data directory (default: $CITEWATCH_DATA, else ./citewatch-data).",
        ),
    ] = None,
) -> None:
    session = Session(datadir.locate(data))
    ctx.obj = session
    ctx.call_on_close(session.close)


@app.command()
def add(
    ctx: typer.Context,
    urls: Annotated[list[str] | None, typer.Argument(metavar="URL...", show_default=False)] = None,
    every: Annotated[
        str | None, typer.Option(help="Recheck interval, e.g. 12h, 1d, 2w [default: watch.every].")
    ] = None,
    depth: Annotated[
        int | None, typer.Option(help="0 = article only, 1 = its sources, 2 = theirs too.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag the watch (repeatable).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read URLs from FILE, one a line, # comments.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Watch articles: archive them and every source they cite, and recheck them."""
    session: Session = ctx.obj
    found = _urls_from_arguments(urls or []) + (_urls_from_file(file) if file else [])
    if not urls and not file:
        raise InputError(["give at least one URL, or --file FILE"])
    interval = _interval(every) if every else session.config.watch.every
    depth = session.config.watch.depth if depth is None else _depth(depth)
    tags = _tags(tag or [])
    requests = [watchlist.WatchRequest(url, interval, depth, tags) for url in found]
    result = watchlist.add(session.store(), requests, utcnow())
    output.emit(result, as_json, views.added)


@app.command()
def remove(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Stop watching an article. Its archived copies and history are kept."""
    session: Session = ctx.obj
    result = watchlist.remove(session.store(), _normalize_argument(url))
    output.emit(result, as_json, views.removed)


@app.command("list")
def list_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the watch list."""
    session: Session = ctx.obj
    output.emit(watchlist.list_watches(session.store()), as_json, views.watch_list)


@app.command()
def status(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Show each watched article with its cited sources and their state."""
    session: Session = ctx.obj
    article = _normalize_argument(url) if url else None
    output.emit(watchlist.status(session.store(), article), as_json, views.status)


@app.command()
def crawl(
    ctx: typer.Context,
    urls: Annotated[
        list[str] | None, typer.Argument(metavar="[URL]...", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Crawl every watch, due or not.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Scrapy's log.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Archive the due articles (or the URLs named) and every source they cite to WARC."""
    session: Session = ctx.obj
    targets = _urls_from_arguments(urls or [])
    if targets:
        watchlist.require_watched(session.store(), targets)
    else:
        session.store()  # a bad config or database fails here, before Scrapy starts
    from crawler import crawl as crawl_module  # Scrapy loads only for commands that crawl

    progress = not as_json and sys.stderr.isatty()
    summary = crawl_module.run(
        session.data, session.config, targets, all_, progress=progress, verbose=verbose
    )
    output.emit(summary, as_json, views.crawl_summary)


@app.command()
def citations(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="URL|FILE", show_default=False)],
    base_url: Annotated[
        str | None, typer.Option(help="Resolve a FILE's relative links against this URL.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show what a page cites, without archiving anything (a URL is fetched once)."""
    session: Session = ctx.obj
    from crawler.preview import preview  # lxml and requests load only for this command

    output.emit(preview(target, base_url, session.config.crawl), as_json, views.citations)


@app.command()
def index(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Write CDXJ indexes of the WARC files to DATA/indexes/ so pywb can replay them."""
    session: Session = ctx.obj
    from archive import cdxj  # the indexer's imports load only for this command

    result = cdxj.index_warcs(session.data.warcs, session.data.indexes)
    output.emit(result, as_json, views.index_summary)


@app.command()
def history(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Show every check and capture of one URL, newest first, with what changed."""
    session: Session = ctx.obj
    from archive.history import history as page_history

    output.emit(page_history(session.store(), _normalize_argument(url)), as_json, views.history)


@app.command()
def events(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only events since WHEN: 7d, 12h, or 2026-11-25."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List what changed, died, recovered, moved or got blocked, newest first."""
    session: Session = ctx.obj
    from archive import events as events_module

    start = None
    if since is not None:
        try:
            start = events_module.parse_since(since, utcnow())
        except ValueError as exc:
            raise InputError([f"--since: {exc}"]) from None
    result = events_module.list_events(session.store(), start)
    output.emit(result, as_json, views.events)


@app.command()
def schedule(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Crawl what is due now, then exit.")] = False,
    tick: Annotated[
        str, typer.Option(help="How often to look for due watches, e.g. 30s, 1m, 5m.")
    ] = "1m",
) -> None:
    """Run the recheck service: crawl each watch whenever its interval comes round."""
    session: Session = ctx.obj
    tick_seconds = _interval_option("--tick", tick)
    session.store()  # a bad config or database fails here, before the service starts
    from crawler import scheduler  # APScheduler loads only for this command

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    # A tick that finds the last crawl still running is expected, not worth a warning.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    service = scheduler.Service(session.data, session.config)
    if not once:
        scheduler.serve(service, tick_seconds)
        return
    report = service.crawl_due()
    if report is None:
        scheduler.log.info("nothing is due")
    elif report.code != 0:
        raise typer.Exit(1)


@app.command()
def diff(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(show_default=False)],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="WHEN", help="Older version: a capture time, a prefix, or -2."
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Newer version: a capture time, a prefix, or -1."),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Diff the archived HTML source, not the text.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Write a side-by-side HTML page to FILE."),
    ] = None,
    live: Annotated[
        bool,
        typer.Option("--live", help="Fetch the page now (archiving it) and compare with that."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show what changed in a URL: its baseline (what was cited) against the latest copy."""
    session: Session = ctx.obj
    target = _normalize_argument(url)
    if html is not None and not html.parent.is_dir():
        raise InputError([f"--html: {html.parent} is not a directory"])
    if live and to is not None:
        raise InputError(["--live compares with the page as it is now: leave out --to"])
    from archive import comparison  # the diff and text modules load only for this command

    store = session.store()
    if live:
        comparison.choose(store, target, older=from_)  # nothing to compare: fail before fetching
        _check_live(session, store, target)
    old, new = comparison.choose(store, target, older=from_, newer=to)
    ignore = session.config.change.ignore
    result = comparison.compare(
        old, new, url=target, warcs=session.data.warcs, raw=raw, ignore=ignore
    )
    if html is not None:
        _write_html(html, result)
    from crawler import diff_view

    output.emit(result, as_json, diff_view.print_diff)


def _check_live(session: Session, store: Store, url: str) -> None:
    """Fetch ``url`` now through the crawl's capture path, so the live copy is archived too."""
    from archive.errors import VersionNotFound
    from archive.versions import latest_check
    from crawler import crawl as crawl_module

    crawl_module.run(session.data, session.config, [], False, progress=False, check=[url])
    state, reason = latest_check(store, url) or ("failing", "no-answer")
    if state not in ("ok", "changed", "moved"):
        raise VersionNotFound(
            f"{url} does not answer now ({state}: {reason}); the check is recorded in "
            "`citewatch history`",
            url=url,
            wanted="live",
        )


def _write_html(path: Path, result: dict[str, Any]) -> None:
    from archive import diff_html

    page = diff_html.render(
        result, url=result["url"], old_label=result["old_time"], new_label=result["new_time"]
    )
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)  # a reader never sees half a page


@app.command()
def demo(
    keep: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Keep the demo's data directory in DIR (new or empty)."),
    ] = None,
) -> None:
    """Watch a sample article offline, let months pass, and show what citewatch tells you."""
    from crawler.demo import story

    story.check_target(keep)
    console = output.stdout_console()
    if keep is not None:
        story.run(console, keep.resolve())
        return
    with tempfile.TemporaryDirectory(prefix="citewatch-demo-") as root:
        story.run(console, Path(root) / "data")


def _normalize_argument(url: str) -> str:
    try:
        return normalize(url)
    except InvalidUrl as exc:
        raise InputError([str(exc)]) from None


def _urls_from_arguments(urls: list[str]) -> list[str]:
    found, problems = [], []
    for url in urls:
        try:
            found.append(normalize(url))
        except InvalidUrl as exc:
            problems.append(str(exc))
    if problems:
        raise InputError(problems)
    return found


def _urls_from_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError([f"cannot read {path}: {reason}"]) from None
    found, bad = watchlist.read_url_lines(text.splitlines())
    if bad:
        raise InputError([f"{path}:{line.number}: {line.reason}" for line in bad])
    return found


def _interval(text: str) -> int:
    return _interval_option("--every", text)


def _interval_option(option: str, text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InputError([f"{option}: {exc}"]) from None


def _depth(value: int) -> int:
    if not 0 <= value <= 2:
        raise InputError([f"--depth: {value} is out of range (0, 1 or 2)"])
    return value


def _tags(values: list[str]) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(value.strip() for value in values))
    if any(not tag for tag in tags):
        raise InputError(["--tag: a tag cannot be empty"])
    return tags


def main(argv: list[str] | None = None) -> None:
    """Entry point: run a command, turn every expected failure into one ``Error:`` line.

    Without ``argv``, the command is this process's own command line, which ends with it."""
    ends_process = argv is None
    try:
        code = app(args=argv, prog_name="citewatch", standalone_mode=False)
    except ClickException as exc:
        output.error(exc.format_message())
        _exit(exc.exit_code, ends_process)
    except typer.Abort:
        output.error("aborted")
        _exit(1, ends_process)
    except CitewatchError as exc:
        output.error(str(exc))
        _exit(2 if exc.user_error else 1, ends_process)
    _exit(code if isinstance(code, int) else 0, ends_process)


def _exit(code: int, ends_process: bool) -> NoReturn:
    if ends_process:
        # Every file and database a command opens is closed by now. Frozen, the objects it
        # loaded are left out of the collections the interpreter runs as it shuts down: after a
        # 1,050-page crawl they took 2-4 s here, as long as the crawl's last 100 pages.
        gc.freeze()
    sys.exit(code)
