"""Rich renderings of the plain data each command returns (its JSON is the same data)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATE_STYLES = {
    "ok": "green",
    "changed": "yellow",
    "moved": "cyan",
    "blocked": "magenta",
    "failing": "red",
    "dead": "bold red",
    "skipped": "dim",
    "pending": "dim",
}


def state(value: str | None) -> str:
    value = value or "pending"
    return f"[{STATE_STYLES.get(value, '')}]{value}[/]"


def added(console: Console, data: dict[str, Any]) -> None:
    for url in data["added"]:
        console.print(f"Watching {url}", markup=False)
    for url in data["already_watched"]:
        console.print(f"Already watched, unchanged: {url}", markup=False)


def removed(console: Console, data: dict[str, Any]) -> None:
    console.print(f"No longer watching {data['removed']} (its archive is kept)", markup=False)


def watch_list(console: Console, data: dict[str, Any]) -> None:
    if not data["watches"]:
        console.print("The watch list is empty. Add an article with: citewatch add URL")
        return
    table = Table("URL", "State", "Every", "Depth", "Tags", "Added", "Next due")
    for watch in data["watches"]:
        table.add_row(
            escape(watch["url"]),
            state(watch["state"]),
            watch["every"],
            str(watch["depth"]),
            escape(", ".join(watch["tags"])),
            watch["added"],
            watch["next_due"],
        )
    console.print(table)


def status(console: Console, data: dict[str, Any]) -> None:
    if not data["articles"]:
        console.print("The watch list is empty. Add an article with: citewatch add URL")
        return
    for article in data["articles"]:
        checked = article["last_checked"] or "never"
        counts = "  ".join(f"{n} {state(s)}" for s, n in sorted(article["counts"].items()))
        table = Table(
            "Source",
            "State",
            "Reason",
            "HTTP",
            "Captures",
            "Last OK",
            "Note",
            title=f"{escape(article['url'])}  {state(article['state'])}  (checked: {checked})"
            + (f"\nsources: {counts}" if counts else ""),
            title_justify="left",
        )
        for source in article["sources"]:
            table.add_row(
                escape(source["url"]),
                state(source["state"]),
                escape(source["reason"] or ""),
                str(source["http_status"] or ""),
                str(source["captures"]),
                source["last_ok"] or "",
                escape(_note(source)),
            )
        if not article["sources"]:
            table.add_row("(no sources found yet: run citewatch crawl)", "", "", "", "", "", "")
        console.print(table)
        for event in article["events"]:
            style = EVENT_STYLES.get(event["kind"], "")
            console.print(
                f"  {event['at']}  [{style}]{event['kind']}[/]  {escape(event['url'])}"
                f"  {escape(_detail(event['detail']))}"
            )


def _note(source: dict[str, Any]) -> str:
    """What a reader needs next to a state: where it moved, or where a copy is kept."""
    if source["state"] in ("dead", "failing", "blocked") and source["last_ok"]:
        return f"archived here when it answered (last {source['last_ok']})"
    if source["moved_to"]:
        return f"now at {source['moved_to']}"
    if source["archived_copy"]:
        return f"copy: {source['archived_copy']}"
    if source["state"] == "dead":
        return "never captured; no public copy found"
    if source["dropped"]:
        return f"no longer cited since {source['dropped']}"
    return ""


def crawl_summary(console: Console, data: dict[str, Any]) -> None:
    table = Table("Articles", "Sources", "New", "Unchanged", "Failed", "Bytes written")
    table.add_row(
        *(str(data[key]) for key in ("articles", "sources", "new", "unchanged", "failed")),
        f"{data['bytes_written']:,}",
    )
    console.print(table)


def citations(console: Console, data: dict[str, Any]) -> None:
    if not data["citations"]:
        console.print(f"{data['url']} cites nothing that citewatch recognises.", markup=False)
        return
    table = Table(
        "#", "Cited URL", "Anchor text", "Context", title=escape(data["url"]), title_justify="left"
    )
    for number, citation in enumerate(data["citations"], start=1):
        table.add_row(
            str(number),
            escape(citation["url"]),
            escape(citation["text"]),
            escape(citation["context"]),
        )
    console.print(table)


def index_summary(console: Console, data: dict[str, Any]) -> None:
    if data["index"] is None:
        why = f"{data['open']} still being written" if data["open"] else "run citewatch crawl"
        console.print(
            f"Nothing to index: no closed WARC files in {data['warcs']} ({why}).", markup=False
        )
        return
    table = Table("WARC files indexed", "Records", "Up to date", "Still open", "Index lines")
    table.add_row(
        *(str(data[key]) for key in ("files_indexed", "records", "skipped", "open")),
        str(data["index_records"]),
    )
    console.print(table)
    console.print(f"Replay index: {data['index']}", markup=False)


def history(console: Console, data: dict[str, Any]) -> None:
    since = f" since {data['state_since']}" if data["state_since"] else ""
    why = f" ({data['reason']})" if data["reason"] else ""
    console.print(f"{escape(data['url'])}  {state(data['state'])}{escape(why)}{since}")
    if data["baseline"]:
        console.print(f"Baseline (what the article cited): {data['baseline']}", markup=False)
    table = Table("Checked", "State", "HTTP", "Record", "Digest", "Text", "What changed")
    for check in data["checks"]:
        capture = check["capture"] or {}
        reason = f" {check['reason']}" if check["reason"] else ""
        table.add_row(
            check["checked_at"],
            state(check["state"]) + escape(reason),
            str(check["http_status"] or ""),
            capture.get("record_type", ""),
            (capture.get("payload_digest") or "")[:17],
            escape(_text_size(capture)),
            escape("; ".join(_told(event) for event in check["events"])),
        )
    if not data["checks"]:
        table.add_row("(never checked: run citewatch crawl)", "", "", "", "", "", "")
    console.print(table)


def _text_size(capture: dict[str, Any]) -> str:
    if not capture:
        return ""
    if capture.get("text_chars"):
        return f"{capture['text_chars']:,} chars"
    return capture.get("text_reason") or ""


def _told(event: dict[str, Any]) -> str:
    summary = event.get("summary")
    return f"{event['kind']}: {summary}" if summary else str(event["kind"])


EVENT_STYLES = {
    "changed": "yellow",
    "died": "bold red",
    "recovered": "green",
    "moved": "cyan",
    "blocked": "magenta",
}


def events(console: Console, data: dict[str, Any]) -> None:
    if not data["events"]:
        since = f" since {data['since']}" if data["since"] else ""
        console.print(f"Nothing to report{since}.", markup=False)
        return
    table = Table("When", "Event", "URL", "Detail", "Cited by")
    for event in data["events"]:
        style = EVENT_STYLES.get(event["kind"], "")
        table.add_row(
            event["at"],
            f"[{style}]{event['kind']}[/]",
            escape(event["url"]),
            escape(_detail(event["detail"])),
            escape("\n".join(event["cited_by"])),
        )
    console.print(table)


def _detail(detail: dict[str, Any]) -> str:
    if detail.get("summary"):
        return str(detail["summary"])
    return ", ".join(f"{key}: {value}" for key, value in detail.items() if value is not None)
