"""Recheck throughput, storage growth and memory: `citewatch crawl --all` vs bare Scrapy.

One command, from the virtualenv citewatch is installed in: `python bench/recheck.py`
(`--quick` for a smoke run, `--help` for the rest). It serves a seeded site
(bench/recheck_site.py) from its own server on 127.0.0.1 (bench/loopback_server.py): articles
that each cite sources of their own, every page with an ETag and a Last-Modified, answering 304
to a matching If-None-Match / If-Modified-Since. citewatch watches the articles and crawls
everything once (not measured); then, in rounds, each mode is rechecked by two subprocesses in
turn:

  (a) every page unchanged, the server answers 304 to conditional requests;
  (b) every page unchanged, the server ignores conditional headers (200 with the full body);
  (c) 10% of the sources changed since the last crawl, conditional requests honoured;

by `citewatch --data DIR crawl --all --json` and by a bare Scrapy spider (`recheck.py _bare`, no
citewatch component) requesting the same URLs with the validators of the last crawl. checks/s
is requests over the crawl phase (first request the server sees to the exit of the process);
the server counts 200s and 304s per run, so the report says what each variant really got.
Bytes added to the data directory (WARCs, database, WAL) are measured around every recheck.

Then the memory part: a watch list of 100,000 articles (`add --file`) against one of 1,000,
with all but a few watches moved out of due time, and the peak RSS (wait4) of `add`, of
`crawl` with none and with a few due, and of `schedule --once`. Results go to
bench/results/recheck-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    Child,
    citewatch_command,
    code_version,
    console,
    crawl_phase,
    failure,
    machine,
    print_loads,
    results_file,
    run_child,
    run_measured,
    write_config,
)
from loopback_server import Server
from rich.table import Table

TARGETS = {"ratio_a": 0.7, "ratio_b": 0.7, "bytes_per_unchanged_check": 2048, "rss_mib": 300}
MODES = {
    "a": "unchanged, 304 to conditional requests",
    "b": "unchanged, 200 (conditional headers ignored)",
    "c": "10% of sources changed, conditional honoured",
}
VARIANTS = {"bare": "bare Scrapy", "citewatch": "citewatch crawl --all"}
NO_WAYBACK = "\n[lookup]\nwayback = false\n"  # rechecks must not look sources up outside


# --- the bare Scrapy spider (a subprocess: `recheck.py _bare`) ------------------------------


def bare_main(argv: list[str]) -> None:
    """Fetch every URL of a validators file (url, etag, last-modified a line) with those
    validators as If-None-Match / If-Modified-Since, nothing else; print one JSON line."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response

    sys.path.insert(0, str(BENCH))
    from bare_spider import settings

    parser = argparse.ArgumentParser(prog="recheck.py _bare")
    parser.add_argument("validators", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    lines = [line.split("\t") for line in args.validators.read_text().splitlines() if line]

    class RecheckSpider(scrapy.Spider):
        name = "bare-recheck"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for url, etag, modified in lines:
                headers = {"If-None-Match": etag, "If-Modified-Since": modified}
                yield scrapy.Request(url, headers=headers, callback=self.parse)

        def parse(self, response: Response, **kwargs: Any) -> None:
            return None

    process = CrawlerProcess(settings(args.concurrency, "citewatch-bench (bare Scrapy)"))
    crawler = process.create_crawler(RecheckSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    statuses = {
        key.rsplit("/", 1)[1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    print(json.dumps({"responses": stats.get("response_received_count", 0), "statuses": statuses}))


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Measure:
    mode: str
    variant: str
    checks: int  # requests for pages of the site, as the server counted them
    seconds: float  # crawl phase: first request seen to the exit of the process
    wall: float
    cpu: float
    rss_mib: float
    server: dict[str, Any]
    load: float
    ok: bool
    bytes_added: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.checks / self.seconds if self.seconds else 0.0


def data_bytes(data: Path) -> dict[str, int]:
    """Bytes on disk in the data directory: WARC files, the database with its WAL, the rest."""
    sizes = {"warcs": 0, "database": 0, "wal": 0, "other": 0}
    for path in data.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        if path.parent.name == "warcs":
            sizes["warcs"] += size
        elif path.name == "citewatch.db":
            sizes["database"] += size
        elif path.name.startswith("citewatch.db-"):  # -wal, -shm: not yet checkpointed
            sizes["wal"] += size
        else:
            sizes["other"] += size
    return sizes


def db_counts(data: Path) -> dict[str, Any]:
    """Rows by kind, after folding the WAL into the database file (a crawl's last connection
    to close does that too; done here, the bytes measured next do not depend on who was last)."""
    with closing(sqlite3.connect(data / "citewatch.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        captures = dict(
            db.execute("SELECT record_type, count(*) FROM captures GROUP BY 1").fetchall()
        )
        checks = db.execute("SELECT count(*) FROM checks").fetchone()[0]
        events = dict(db.execute("SELECT kind, count(*) FROM events GROUP BY 1").fetchall())
    return {"captures": captures, "checks": checks, "events": events}


def citewatch(data: Path, *argv: str, code: str | None) -> Child:
    env = {"PYTHONPATH": code} if code else None
    command = citewatch_command() if not code else [sys.executable, "-m", "crawler"]
    return run_child([*command, "--data", str(data), *argv], env_extra=env)


def run_citewatch(
    args: argparse.Namespace, mode: str, data: Path, server: Server, expected: int
) -> Measure:
    before, counts_before = data_bytes(data), db_counts(data)
    child, stats, load = run_measured(
        server, lambda: citewatch(data, "crawl", "--all", "--json", code=args.code)
    )
    # Counting opens and closes the database, which folds the crawl's WAL into it: the bytes
    # measured are then what the data directory keeps, not a transient log.
    counts_after = db_counts(data)
    after = data_bytes(data)
    checks = stats["200"] + stats["304"]
    notes: dict[str, Any] = {
        "bytes_before": before,
        "bytes_after": after,
        "captures_added": {
            kind: n - counts_before["captures"].get(kind, 0)
            for kind, n in counts_after["captures"].items()
        },
        "checks_added": counts_after["checks"] - counts_before["checks"],
        "events_added": {
            kind: n - counts_before["events"].get(kind, 0)
            for kind, n in counts_after["events"].items()
        },
    }
    ok = child.returncode == 0 and checks == expected
    if child.returncode == 0:
        notes["summary"] = json.loads(child.stdout)
    else:
        notes.update(failure(child))
    added = sum(after.values()) - sum(before.values())
    return _measure(mode, "citewatch", child, stats, load, ok, added, notes)


def _growth(measure: Measure) -> str:
    """Bytes per check by where they went: WARC files, the database (with its WAL), the rest."""
    before, after = measure.notes["bytes_before"], measure.notes["bytes_after"]
    checks = max(measure.checks, 1)
    return ", ".join(f"{part} {(after[part] - before[part]) / checks:.0f}" for part in after)


def run_bare(args: argparse.Namespace, mode: str, validators: Path, server: Server) -> Measure:
    argv = [sys.executable, str(Path(__file__).resolve()), "_bare", str(validators)]
    argv += ["--concurrency", str(args.per_site)]
    child, stats, load = run_measured(server, lambda: run_child(argv))
    expected = sum(1 for line in validators.read_text().splitlines() if line)
    ok = child.returncode == 0 and stats["200"] + stats["304"] == expected
    notes = {"spider": json.loads(child.stdout.strip().splitlines()[-1])} if ok else failure(child)
    return _measure(mode, "bare", child, stats, load, ok, None, notes)


def _measure(
    mode: str,
    variant: str,
    child: Child,
    stats: dict[str, Any],
    load: float,
    ok: bool,
    added: int | None,
    notes: dict[str, Any],
) -> Measure:
    seconds, notes["startup"] = crawl_phase(child, stats)
    server = {k: stats[k] for k in ("200", "304", "404", "conditional_requests", "bytes", "cpu")}
    return Measure(
        mode,
        variant,
        stats["200"] + stats["304"],
        seconds,
        child.ended - child.launched,
        child.cpu,
        child.rss_mib,
        server,
        load,
        ok,
        added,
        notes,
    )


def validators_file(server: Server, path: Path) -> Path:
    """What a client that kept the last crawl's validators sends: url, ETag, Last-Modified."""
    lines = server.get("validators").decode().splitlines()
    path.write_text("".join(server.url(line.split("\t", 1)[0]) + "\t" + line.split("\t", 1)[1]
                            + "\n" for line in lines))  # fmt: skip
    return path


def recheck_rounds(
    args: argparse.Namespace, server: Server, data: Path, root: Path, measures: list[Measure]
) -> None:
    expected = args.articles * (1 + args.sources)
    for round_number in range(args.runs):
        for mode in args.modes:
            server.get("conditional", "off" if mode == "b" else "on")
            # Validators first: in (c) they are the last crawl's, and the pages change after.
            validators = validators_file(server, root / f"validators-{mode}.tsv")
            if mode == "c":
                changed = server.control("change", "0.1")["changed"]
            pair = ["bare", "citewatch"]
            if round_number % 2:
                pair.reverse()  # neither variant always runs first
            for variant in pair:
                if variant == "bare":
                    measure = run_bare(args, mode, validators, server)
                else:
                    measure = run_citewatch(args, mode, data, server, expected)
                if mode == "c":
                    measure.notes["sources_changed"] = changed
                measures.append(measure)
                per_check = (
                    f", +{measure.bytes_added / max(measure.checks, 1):.0f} B/check "
                    f"({_growth(measure)})"
                    if measure.bytes_added is not None
                    else ""
                )
                console.print(
                    f"  run {round_number + 1} ({mode}, {variant}): {measure.checks} checks in "
                    f"{measure.seconds:.1f} s = {measure.rate:.0f}/s; server sent "
                    f"{measure.server['200']} x 200, {measure.server['304']} x 304; CPU "
                    f"{measure.cpu:.1f} s, RSS {measure.rss_mib:.0f} MiB{per_check}, load "
                    f"{measure.load:.1f}"
                    + ("" if measure.ok else f"  [red]FAILED {measure.notes}[/]")
                )
                if args.save_to:
                    save(args, measures, {})
                if not measure.ok:
                    return


# --- the watch-list memory part ------------------------------------------------------------


def watchlist_memory(args: argparse.Namespace, server: Server, root: Path) -> dict[str, Any]:
    """Peak RSS of add, crawl (none due, a few due) and schedule --once at two list sizes."""
    results: dict[str, Any] = {}
    for size in (args.small_watches, args.big_watches):
        data = root / f"watches-{size}"
        write_config(data, args.per_site, NO_WAYBACK)
        urls = root / f"watches-{size}.txt"
        urls.write_text("".join(server.url(f"/w/{n}.html") + "\n" for n in range(size)))
        row: dict[str, Any] = {}
        added = citewatch(data, "add", "--file", str(urls), "--every", "1d", code=args.code)
        row["add"] = _child_figures(added)
        if added.returncode != 0:
            results[str(size)] = row
            continue
        # Out of due time, except the first `args.due` watches: what a daily recheck service
        # meets between its rounds. The bench writes next_due itself: crawling 100,000
        # articles to make them not due would take an hour.
        with closing(sqlite3.connect(data / "citewatch.db")) as db, db:
            db.execute("UPDATE watches SET next_due = '2099-01-01 00:00:00.000000'")
        row["crawl_none_due"] = _child_figures(citewatch(data, "crawl", "--json", code=args.code))
        _make_due(data, args.due)
        server.control("reset")
        row["crawl_few_due"] = _child_figures(citewatch(data, "crawl", "--json", code=args.code))
        row["crawl_few_due"]["server_requests"] = server.control("stats")["requests"]
        _make_due(data, args.due)
        server.control("reset")
        row["schedule_once"] = _child_figures(citewatch(data, "schedule", "--once", code=args.code))
        row["schedule_once"]["server_requests"] = server.control("stats")["requests"]
        row["data_bytes"] = data_bytes(data)
        results[str(size)] = row
        console.print(
            f"  {size:,} watches: "
            + "; ".join(
                f"{name} {fig['rss_mib']:.0f} MiB / {fig['wall']:.1f} s"
                + ("" if fig["returncode"] == 0 else f" [red](exit {fig['returncode']})[/]")
                for name, fig in row.items()
                if isinstance(fig, dict) and "rss_mib" in fig
            )
        )
        shutil.rmtree(data, ignore_errors=True)
    return results


def _make_due(data: Path, count: int) -> None:
    """Make the first `count` watches due now: what a daily recheck meets between its rounds."""
    with closing(sqlite3.connect(data / "citewatch.db")) as db, db:
        db.execute(
            "UPDATE watches SET next_due = '2000-01-01 00:00:00.000000' WHERE id IN "
            "(SELECT id FROM watches ORDER BY id LIMIT ?)",
            (count,),
        )


def _child_figures(child: Child) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "returncode": child.returncode,
        "rss_mib": round(child.rss_mib, 1),
        "wall": round(child.ended - child.launched, 2),
        "cpu": round(child.cpu, 2),
    }
    if child.returncode != 0:
        figures["stderr"] = child.stderr[-1500:]
    return figures


# --- the report -------------------------------------------------------------------------------


def summarize(measures: list[Measure]) -> dict[str, Any]:
    medians: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        for variant in VARIANTS:
            good = [m for m in measures if m.mode == mode and m.variant == variant and m.ok]
            if not good:
                continue
            entry = {
                "runs": len(good),
                "checks_per_s": statistics.median(m.rate for m in good),
                "cpu_s": statistics.median(m.cpu for m in good),
                "cpu_ms_per_check": statistics.median(1000 * m.cpu / m.checks for m in good),
                "rss_mib": statistics.median(m.rss_mib for m in good),
                "server_200": statistics.median(m.server["200"] for m in good),
                "server_304": statistics.median(m.server["304"] for m in good),
                "conditional_requests": statistics.median(
                    m.server["conditional_requests"] for m in good
                ),
            }
            if variant == "citewatch":
                entry["bytes_per_check"] = statistics.median(
                    (m.bytes_added or 0) / m.checks for m in good
                )
            medians[f"{mode}/{variant}"] = entry
    ratios = {
        f"ratio_{mode}": medians[f"{mode}/citewatch"]["checks_per_s"]
        / medians[f"{mode}/bare"]["checks_per_s"]
        for mode in MODES
        if f"{mode}/citewatch" in medians and f"{mode}/bare" in medians
    }
    unchanged = [
        (m.bytes_added or 0) / m.checks
        for m in measures
        if m.variant == "citewatch" and m.mode in "ab" and m.ok
    ]
    return {
        "medians": medians,
        "ratios": ratios,
        "bytes_per_unchanged_check": statistics.median(unchanged) if unchanged else None,
    }


def report(args: argparse.Namespace, measures: list[Measure], memory: dict[str, Any]) -> None:
    figures = summarize(measures)
    table = Table(title=f"recheck: {args.articles * (1 + args.sources):,} URLs, medians")
    for name in ("mode", "variant", "runs", "checks/s", "CPU s", "ms CPU/check", "RSS MiB",
                 "200s", "304s", "B added/check"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("mode", "variant") else "right")
    for key, entry in figures["medians"].items():
        mode, variant = key.split("/")
        table.add_row(
            f"{mode}: {MODES[mode]}",
            VARIANTS[variant],
            str(entry["runs"]),
            f"{entry['checks_per_s']:.0f}",
            f"{entry['cpu_s']:.1f}",
            f"{entry['cpu_ms_per_check']:.1f}",
            f"{entry['rss_mib']:.0f}",
            f"{entry['server_200']:.0f}",
            f"{entry['server_304']:.0f}",
            f"{entry['bytes_per_check']:.0f}" if "bytes_per_check" in entry else "-",
        )
    console.print(table)
    for ratio, value in figures["ratios"].items():
        target = TARGETS.get(ratio)
        verdict = (
            "" if target is None else (" [green]PASS[/]" if value >= target else " [red]FAIL[/]")
        )
        console.print(
            f"{ratio} (citewatch / bare) = {value:.2f}"
            + (f"   target >= {target}{verdict}" if target else "   (no target)")
        )
    per_check = figures["bytes_per_unchanged_check"]
    if per_check is not None:
        target = TARGETS["bytes_per_unchanged_check"]
        verdict = "[green]PASS[/]" if per_check <= target else "[red]FAIL[/]"
        console.print(
            f"bytes added per unchanged check (a, b) = {per_check:,.0f}   target <= {target}   "
            f"{verdict}"
        )
    cw_conditional = [
        m.server["conditional_requests"] for m in measures if m.variant == "citewatch"
    ]
    if cw_conditional and not any(cw_conditional):
        console.print(
            "[yellow]note:[/] citewatch sent no conditional request (no If-None-Match or "
            "If-Modified-Since): in (a) and (c) it got full 200 answers where bare Scrapy got 304s."
        )
    for size, row in memory.items():
        console.print(
            f"{int(size):,} watches: "
            + ", ".join(
                f"{name} {fig['rss_mib']:.0f} MiB"
                for name, fig in row.items()
                if isinstance(fig, dict) and "rss_mib" in fig
            )
        )
    if len(memory) == 2:
        small, big = (memory[k] for k in sorted(memory, key=int))
        for name in ("crawl_none_due", "crawl_few_due", "schedule_once"):
            if name in small and name in big:
                growth = big[name]["rss_mib"] - small[name]["rss_mib"]
                flat = growth < 20 and big[name]["rss_mib"] < TARGETS["rss_mib"]
                console.print(
                    f"  {name}: {small[name]['rss_mib']:.0f} -> {big[name]['rss_mib']:.0f} MiB "
                    f"({growth:+.0f})   target: flat, < {TARGETS['rss_mib']} MiB   "
                    + ("[green]PASS[/]" if flat else "[red]FAIL[/]")
                )
    print_loads([m.load for m in measures])
    if args.save_to:
        save(args, measures, memory)
        console.print(f"results: {args.save_to.relative_to(BENCH.parent)}")


def save(args: argparse.Namespace, measures: list[Measure], memory: dict[str, Any]) -> None:
    args.save_to.parent.mkdir(exist_ok=True)
    result = {
        **machine(),
        "code": args.code_version,
        "options": {
            k: str(v) if k == "save_to" else v for k, v in vars(args).items() if k != "code_version"
        },
        "urls": args.articles * (1 + args.sources),
        "first_crawl": args.first_crawl,
        "targets": TARGETS,
        **summarize(measures),
        "watchlist_memory": memory,
        "runs": [{**asdict(m), "rate": m.rate} for m in measures],
    }
    args.save_to.write_text(json.dumps(result, indent=1) + "\n")


# --- main -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100, help="watched articles (100)")
    parser.add_argument("--sources", type=int, default=100, help="sources each cites (100)")
    parser.add_argument("--page-kb", type=int, default=20, help="page size in KB (20)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of every mode (median)")
    parser.add_argument("--modes", default="abc", help="modes to run, e.g. ab (abc)")
    parser.add_argument("--per-site", type=int, default=16, help="concurrency, as crawl.per_site")
    parser.add_argument("--big-watches", type=int, default=100_000, help="watch list (100000)")
    parser.add_argument("--small-watches", type=int, default=1000, help="compared with (1000)")
    parser.add_argument("--due", type=int, default=20, help="watches due in the few-due crawl")
    parser.add_argument("--no-memory", action="store_true", help="skip the watch-list part")
    parser.add_argument("--no-recheck", action="store_true", help="only the watch-list part")
    parser.add_argument("--code", help="run citewatch from this checkout (PYTHONPATH)")
    parser.add_argument("--seed", type=int, default=2016, help="page generator seed")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--quick", action="store_true", help="smoke run: 210 URLs, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.sources, args.runs = min(args.articles, 10), min(args.sources, 20), 1
        args.big_watches, args.small_watches = min(args.big_watches, 2000), 200
    args.modes = [m for m in MODES if m in args.modes]
    if not args.modes or args.runs < 1:
        parser.error("need at least one mode of abc and one run")
    args.code = str(Path(args.code).resolve()) if args.code else None
    args.code_version = code_version(args.code)
    args.first_crawl = None
    args.save_to = results_file("recheck", args.no_save)
    return args


def server_args(args: argparse.Namespace) -> list[str]:
    """bench/loopback_server.py serving bench/recheck_site.py's site, as the options ask."""
    return ["--articles", str(args.articles), "--sources", str(args.sources),
            "--page-kb", str(args.page_kb), "--seed", str(args.seed)]  # fmt: skip


def first_crawl(args: argparse.Namespace, server: Server, root: Path) -> Path | None:
    """Watch the articles and crawl everything once (not measured); the data directory."""
    urls = args.articles * (1 + args.sources)
    data = root / "data"
    write_config(data, args.per_site, NO_WAYBACK)
    articles = root / "articles.txt"
    articles.write_text("".join(server.url(f"/a/{a}.html") + "\n" for a in range(args.articles)))
    added = citewatch(data, "add", "--file", str(articles), code=args.code)
    if added.returncode != 0:
        console.print(f"[red]citewatch add failed[/]: {added.stderr[-1500:]}")
        return None
    server.control("reset")
    first = citewatch(data, "crawl", "--all", "--json", code=args.code)
    stats = server.control("stats")
    args.first_crawl = {
        **_child_figures(first),
        "server": stats,
        "summary": json.loads(first.stdout) if first.returncode == 0 else None,
        "data_bytes": data_bytes(data),
    }
    console.print(
        f"first crawl (not measured): {stats['requests']} requests in "
        f"{first.ended - first.launched:.0f} s, CPU {first.cpu:.0f} s, data "
        f"{sum(data_bytes(data).values()) / 2**20:.0f} MiB"
    )
    if first.returncode != 0 or stats["200"] != urls:
        console.print(f"[red]the first crawl failed[/]: {first.stderr[-1500:]}")
        return None
    return data


def main() -> int:
    args = parse_args()
    console.print(
        f"[bold]{args.articles * (1 + args.sources):,} URLs[/]: {args.articles} articles x "
        f"{args.sources} cited sources, ~{args.page_kb} KB pages; {args.runs} round(s) of modes "
        f"{''.join(args.modes)}; citewatch from {args.code_version['path']} "
        f"({args.code_version['commit'][:8]}, {len(args.code_version['uncommitted'])} "
        "uncommitted file(s) in archive/ crawler/)"
    )
    measures: list[Measure] = []
    memory: dict[str, Any] = {}
    failed = False
    with (
        tempfile.TemporaryDirectory(prefix="citewatch-recheck-") as tmp,
        Server(*server_args(args)) as server,
    ):
        root = Path(tmp)
        try:
            if not args.no_recheck:
                data = first_crawl(args, server, root)
                failed = data is None
                if data is not None:
                    recheck_rounds(args, server, data, root, measures)
            if not args.no_memory and not failed:
                console.print("watch-list memory:")
                memory = watchlist_memory(args, server, root)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted: the report covers the runs that finished[/]")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"(this process peaked at {own:.0f} MiB; children's peaks cannot read lower)")
    report(args, measures, memory)
    failed = failed or not all(m.ok for m in measures)
    return 1 if failed or not (measures or memory) else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        bare_main(sys.argv[2:])
    else:
        sys.exit(main())
