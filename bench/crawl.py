"""Crawl throughput and memory: bare Scrapy vs `citewatch crawl` vs trafilatura alone.

One command, from the virtualenv citewatch is installed in: `python bench/crawl.py`
(`--quick` for a smoke run, `--help` for the rest). It generates news-like pages
(bench/fakenews.py), serves them from its own server on 127.0.0.1 (bench/loopback_server.py),
then measures, in rounds, each variant as a subprocess of its own:

  (a) a bare Scrapy spider fetching every page, no pipelines (bench/bare_spider.py);
  (b) `citewatch crawl` of the watched articles with `text.extract = false`;
  (c) `citewatch crawl` with the default config (text extraction on);
  (d) trafilatura alone over the same pages, in one process (bench/extract_only.py).

Each crawl starts from a fresh data directory (the first crawl of everything). pages/s is pages
over the crawl phase: from the first request the server sees to the exit of the process (start-
up excluded, the tail of the crawl and its shutdown included); for (d) the extraction loop.
Peak RSS is each subprocess's own (wait4). The report gives medians over the runs, the ratios
b/a and c/d against their targets, and writes the figures to bench/results/crawl-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
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
    measured_code,
    print_loads,
    results_file,
    run_child,
    run_measured,
    write_config,
)
from loopback_server import Server
from rich.table import Table

TARGETS = {"b/a": 0.8, "c/d": 1.5}
NO_TEXT = "\n[text]\nextract = false\n"  # variant (b)'s config, and the profiled crawl's
VARIANTS = {
    "a": "bare Scrapy, no pipelines",
    "b": "citewatch crawl, extract=false",
    "c": "citewatch crawl, default",
    "d": "trafilatura alone, 1 process",
}


@dataclass
class Measure:
    variant: str
    pages: int  # pages fetched (server count) or extracted
    seconds: float  # the crawl phase, or the extraction loop
    startup: float  # launch to first request (0 for d)
    wall: float  # the whole subprocess
    cpu: float  # user + system seconds of the subprocess
    rss_mib: float  # its peak resident set
    server_cpu: float | None  # the server's CPU seconds during the run
    load: float  # 1-minute load average when the run started
    ok: bool
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


@dataclass
class Workspace:
    root: Path
    pages: Path
    site: list[tuple[str, str]]  # (path, role)
    articles: int
    sources: int

    def write_url_lists(self, server: Server) -> tuple[Path, Path]:
        articles, everything = self.root / "articles.txt", self.root / "all-pages.txt"
        articles.write_text("".join(server.url(p) + "\n" for p, r in self.site if r == "article"))
        everything.write_text("".join(server.url(p) + "\n" for p, _ in self.site))
        return articles, everything


def main() -> int:
    args = parse_args()
    articles = math.ceil(args.pages / (1 + args.sources))
    with tempfile.TemporaryDirectory(prefix="citewatch-bench-") as tmp:
        work = prepare(Path(tmp), articles, args.sources, args.seed)
        console.print(
            f"[bold]{len(work.site)} pages[/]: {articles} articles x {args.sources} cited sources"
            f" each; {describe_sizes(work)}; {args.runs} run(s) of {', '.join(args.only)}"
        )
        with Server(str(work.pages), *(["--gzip"] if args.gzip else [])) as server:
            articles_file, all_file = work.write_url_lists(server)
            probe = probe_server(server, [p for p, _ in work.site], args.per_site)
            measures: list[Measure] = []
            try:
                run_rounds(args, work, server, articles_file, all_file, measures, probe)
                profile = profile_b(args, work, server, articles_file) if args.profile else None
            except KeyboardInterrupt:
                console.print("[yellow]interrupted: the report covers the runs that finished[/]")
                profile = None
    report(args, work, probe, measures, profile)
    return 0 if measures and all(m.ok for m in measures) else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    # 100 articles: at 50 (1,050 pages) a crawl's fixed start-up costs were ~15% of (b)'s phase.
    parser.add_argument("--pages", type=int, default=2100, help="pages in all (default 2100)")
    parser.add_argument("--sources", type=int, default=20, help="sources cited by each article")
    parser.add_argument("--runs", type=int, default=3, help="rounds of every variant (median)")
    parser.add_argument("--per-site", type=int, default=16, help="concurrency, as crawl.per_site")
    parser.add_argument("--only", default="abcd", help="variants to run, e.g. ab (default abcd)")
    parser.add_argument("--gzip", action="store_true", help="serve gzip to clients that ask")
    parser.add_argument("--seed", type=int, default=2016, help="page generator seed")
    parser.add_argument("--profile", action="store_true", help="then profile one (b) crawl")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--quick", action="store_true", help="smoke run: 210 pages, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.runs = min(args.pages, 210), 1
    args.only = [v for v in VARIANTS if v in args.only]
    if not args.only or args.runs < 1 or args.pages < 1 + args.sources:
        parser.error("need at least one variant of abcd, one run, and one article's pages")
    # Written after every run, so an interrupted benchmark keeps the figures it took.
    args.save_to = results_file("crawl", args.no_save)
    return args


# --- pages and server ---------------------------------------------------------------------


def prepare(root: Path, articles: int, sources: int, seed: int) -> Workspace:
    """Generate the pages, or reuse those a previous run generated with the same generator."""
    digest = hashlib.sha256((BENCH / "fakenews.py").read_bytes()).hexdigest()[:12]
    cache = (
        Path(tempfile.gettempdir()) / f"citewatch-bench-pages-{articles}x{sources}-{seed}-{digest}"
    )
    index = cache / "index.json"
    if not index.exists():
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
        # In a subprocess: this process must stay small, as Linux counts a parent's resident
        # set into the peak RSS (wait4) of every child it spawns afterwards.
        generator = [sys.executable, str(BENCH / "fakenews.py"), str(staging)]
        generator += ["--articles", str(articles), "--sources", str(sources), "--seed", str(seed)]
        subprocess.run(generator, check=True)
        shutil.rmtree(cache, ignore_errors=True)
        staging.rename(cache)
        console.print(f"generated the pages in {time.perf_counter() - started:.1f} s: {cache}")
    pairs = [(path, role) for path, role in json.loads(index.read_text())]
    return Workspace(root, cache / "pages", pairs, articles, len(pairs) - articles)


def describe_sizes(work: Workspace) -> str:
    sizes = [(work.pages / p.lstrip("/")).stat().st_size for p, _ in work.site]
    return (
        f"{sum(sizes) / 2**20:.0f} MiB, median {statistics.median(sizes) / 1000:.0f} KB"
        f" ({min(sizes) / 1000:.0f}-{max(sizes) / 1000:.0f} KB)"
    )


def probe_server(server: Server, paths: list[str], connections: int) -> dict[str, float]:
    """Every page once over `connections` keep-alive connections from a minimal client in this
    process: what the server sustains while sharing the cores with a client (a lower bound)."""

    async def fetch_all() -> None:
        queue = list(paths)

        async def worker() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            while queue:
                request = f"GET {queue.pop()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                writer.write(request.encode())
                head = await reader.readuntil(b"\r\n\r\n")
                found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                await reader.readexactly(int(found.group(1)) if found else 0)
            writer.close()

        await asyncio.gather(*(worker() for _ in range(connections)))

    server.control("reset")
    started = time.perf_counter()
    asyncio.run(fetch_all())
    seconds = time.perf_counter() - started
    stats = server.control("stats")
    return {
        "pages_per_s": stats["requests"] / seconds,
        "mib_per_s": stats["bytes"] / seconds / 2**20,
        "server_cpu_share": stats["cpu"] / seconds,
        "server_pages_per_cpu_s": stats["requests"] / max(stats["cpu"], 1e-6),
    }


# --- the variants --------------------------------------------------------------------------


def run_rounds(
    args: argparse.Namespace,
    work: Workspace,
    server: Server,
    articles: Path,
    everything: Path,
    measures: list[Measure],
    probe: dict[str, float],
) -> None:
    """Append each run's measure to ``measures`` as it finishes; stop at the first failure."""
    for round_number in range(args.runs):
        # Rotated each round, so that no variant always runs right after the same one.
        shift = round_number % len(args.only)
        for variant in args.only[shift:] + args.only[:shift]:
            if variant == "a":
                measure = run_bare(args, work, server, everything)
            elif variant == "d":
                measure = run_extract(work, everything)
            else:
                measure = run_citewatch(args, work, server, articles, extract=variant == "c")
            measures.append(measure)
            console.print(
                f"  run {round_number + 1} ({variant}): {measure.pages} pages in "
                f"{measure.seconds:.2f} s = {measure.rate:.1f} pages/s, peak RSS "
                f"{measure.rss_mib:.0f} MiB, CPU {measure.cpu:.1f} s, load {measure.load:.1f}"
                + (f", tail {measure.notes['tail']} s" if "tail" in measure.notes else "")
                + ("" if measure.ok else f"  [red]FAILED {measure.notes}[/]")
            )
            if args.save_to:
                save(args, work, probe, measures)
            if not measure.ok:
                return


def run_bare(args: argparse.Namespace, work: Workspace, server: Server, urls: Path) -> Measure:
    argv = [sys.executable, str(BENCH / "bare_spider.py"), str(urls)]
    argv += ["--concurrency", str(args.per_site)]
    child, stats, load = run_measured(server, lambda: run_child(argv))
    result = json.loads(child.stdout.strip().splitlines()[-1]) if child.returncode == 0 else {}
    ok = child.returncode == 0 and stats["requests"] == len(work.site) and not stats["404"]
    return crawl_measure("a", child, stats, load, ok, {"spider": result} if ok else failure(child))


def run_citewatch(
    args: argparse.Namespace, work: Workspace, server: Server, articles: Path, extract: bool
) -> Measure:
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work.root))
    write_config(data, args.per_site, "" if extract else NO_TEXT)
    try:
        added = run_child(
            [*citewatch_command(), "--data", str(data), "add", "--file", str(articles)]
        )
        if added.returncode != 0:
            return failed_measure("c" if extract else "b", added)
        crawl = [*citewatch_command(), "--data", str(data), "crawl", "--json"]
        child, stats, load = run_measured(server, lambda: run_child(crawl))
        variant = "c" if extract else "b"
        if child.returncode != 0:
            return failed_measure(variant, child)
        summary = json.loads(child.stdout)
        notes = {"summary": summary, **inspect_data(data)}
        # With text on, the crawl asks the one site for a random path once: its soft-404 probe.
        probes = 1 if extract else 0
        ok = (
            stats["requests"] == len(work.site) + probes
            and stats["404"] == probes
            and summary["articles"] == work.articles
            and summary["sources"] == work.sources
            and not summary["failed"]
        )
        return crawl_measure(variant, child, stats, load, ok, notes)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run_extract(work: Workspace, urls: Path) -> Measure:
    load = os.getloadavg()[0]
    child = run_child([sys.executable, str(BENCH / "extract_only.py"), str(work.pages), str(urls)])
    if child.returncode != 0:
        return failed_measure("d", child)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return Measure(
        "d",
        result["pages"],
        result["seconds"],
        0.0,
        child.ended - child.launched,
        child.cpu,
        child.rss_mib,
        None,
        load,
        result["with_text"] == result["pages"],
        {"loop_cpu": result["cpu"], "with_text": result["with_text"]},
    )


def crawl_measure(
    variant: str, child: Child, stats: dict[str, Any], load: float, ok: bool, notes: dict[str, Any]
) -> Measure:
    seconds, startup = crawl_phase(child, stats)
    if stats["last"] is not None:
        # From the last response the server sent to the exit: flushing, closing, reporting.
        notes = {**notes, "tail": round(child.ended - stats["last"], 2)}
    return Measure(
        variant,
        stats["requests"],
        seconds,
        startup,
        child.ended - child.launched,
        child.cpu,
        child.rss_mib,
        stats["cpu"],
        load,
        ok,
        notes,
    )


def failed_measure(variant: str, child: Child) -> Measure:
    return Measure(variant, 0, 0.0, 0.0, 0.0, 0.0, 0.0, None, 0.0, False, failure(child))


def inspect_data(data: Path) -> dict[str, Any]:
    """What the crawl left: captures, how many have extracted text, WARC bytes on disk."""
    with sqlite3.connect(data / "citewatch.db") as db:
        captures, with_text = db.execute(
            "SELECT count(*), count(text) FROM captures WHERE record_type = 'response'"
        ).fetchone()
    warc_bytes = sum(f.stat().st_size for f in (data / "warcs").glob("*.warc.gz*"))
    return {"captures": captures, "captures_with_text": with_text, "warc_bytes": warc_bytes}


def profile_b(
    args: argparse.Namespace, work: Workspace, server: Server, articles: Path
) -> list[str]:
    """One more (b) crawl under cProfile; the top functions by own time and by cumulative."""
    data = Path(tempfile.mkdtemp(prefix="profile-", dir=work.root))
    write_config(data, args.per_site, NO_TEXT)
    run_child([*citewatch_command(), "--data", str(data), "add", "--file", str(articles)])
    output = data / "crawl.prof"
    script = citewatch_command()[0]
    run_child([sys.executable, "-m", "cProfile", "-o", str(output), script, "--data", str(data),
               "crawl", "--json"])  # fmt: skip
    lines = []
    for order in ("tottime", "cumulative"):
        report = subprocess.run(
            [sys.executable, "-c",
             f"import pstats; pstats.Stats({str(output)!r}).sort_stats({order!r}).print_stats(25)"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        lines.append(f"--- by {order} ---\n" + report.split("\n\n", 2)[-1])
    return lines


# --- the report ----------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    work: Workspace,
    probe: dict[str, float],
    measures: list[Measure],
    profile: list[str] | None,
) -> None:
    by_variant, medians, ratios = summarize(args, measures)
    console.print(
        f"\nserver alone (with a minimal client on the same cores): "
        f"{probe['pages_per_s']:.0f} pages/s, {probe['mib_per_s']:.0f} MiB/s, "
        f"server CPU {probe['server_cpu_share']:.0%} of one core, i.e. it could serve "
        f"~{probe['server_pages_per_cpu_s']:.0f} pages per CPU second"
    )
    table = Table(title=f"crawl benchmark: {len(work.site)} pages, medians of the runs")
    for name in ("", "variant", "runs", "pages/s", "range", "crawl s", "start-up s",
                 "peak RSS MiB", "CPU s", "server CPU"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("", "variant") else "right")
    for variant, ms in by_variant.items():
        if not ms:
            table.add_row(variant, VARIANTS[variant], "0", "[red]failed[/]", *[""] * 6)
            continue
        rates = [m.rate for m in ms]
        server_cpu = [m.server_cpu / m.seconds for m in ms if m.server_cpu is not None]
        table.add_row(
            variant,
            VARIANTS[variant],
            str(len(ms)),
            f"{medians[variant]:.1f}",
            f"{min(rates):.0f}-{max(rates):.0f}",
            f"{statistics.median(m.seconds for m in ms):.2f}",
            f"{statistics.median(m.startup for m in ms):.2f}",
            f"{statistics.median(m.rss_mib for m in ms):.0f}",
            f"{statistics.median(m.cpu for m in ms):.1f}",
            f"{statistics.median(server_cpu):.0%}" if server_cpu else "-",
        )
    console.print(table)
    for ratio, target in TARGETS.items():
        if ratio in ratios:
            verdict = "[green]PASS[/]" if ratios[ratio] >= target else "[red]FAIL[/]"
            console.print(f"{ratio} = {ratios[ratio]:.2f}   target >= {target}   {verdict}")
    extraction = [m.notes.get("captures_with_text", 0) for m in by_variant.get("c", [])]
    if by_variant.get("c") and not any(extraction):
        console.print(
            "[yellow]note:[/] (c) extracted no text (0 captures with text): text extraction is "
            "not implemented yet, so (c) is the same crawl as (b) and c/d says nothing yet "
            "about running extraction off the crawl's thread."
        )
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if any(m.rss_mib <= own_rss * 1.05 for m in measures):
        console.print(
            f"[yellow]note:[/] this process peaked at {own_rss:.0f} MiB, and a child's peak RSS "
            "cannot read lower than its parent's resident set when spawned: figures near it "
            "are upper bounds."
        )
    print_loads([m.load for m in measures])
    for lines in profile or []:
        console.print(lines, markup=False, highlight=False)
    if args.save_to and measures:
        save(args, work, probe, measures)
        console.print(f"results: {args.save_to.relative_to(BENCH.parent)}")


def summarize(
    args: argparse.Namespace, measures: list[Measure]
) -> tuple[dict[str, list[Measure]], dict[str, float], dict[str, float]]:
    """The good runs of each variant, their median pages/s, and the ratios of the targets."""
    by_variant = {v: [m for m in measures if m.variant == v and m.ok] for v in args.only}
    medians = {v: statistics.median(m.rate for m in ms) for v, ms in by_variant.items() if ms}
    ratios = {}
    for ratio in TARGETS:
        top, bottom = ratio.split("/")
        if top in medians and bottom in medians:
            ratios[ratio] = medians[top] / medians[bottom]
    return by_variant, medians, ratios


def save(
    args: argparse.Namespace, work: Workspace, probe: dict[str, float], measures: list[Measure]
) -> None:
    _, medians, ratios = summarize(args, measures)
    args.save_to.parent.mkdir(exist_ok=True)
    result = {
        **machine(),
        "code": code_version(measured_code()),
        "options": {k: str(v) if k == "save_to" else v for k, v in vars(args).items()},
        "pages": len(work.site),
        "server_probe": probe,
        "medians_pages_per_s": medians,
        "ratios": ratios,
        "targets": TARGETS,
        "runs": [{**asdict(m), "rate": m.rate} for m in measures],
    }
    args.save_to.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
