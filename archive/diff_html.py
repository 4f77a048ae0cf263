"""A text diff as one self-contained HTML page: old and new side by side, changes marked.

Built from ``TextDiff.to_json()`` data. Every archived string is escaped and the page forbids
scripts and remote loads (Content-Security-Policy), so a hostile source is safe to open.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.15em; word-break: break-all; margin: 0 0 .3em; }
p.meta { color: #555; margin: .2em 0 1em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th { text-align: left; background: #f2f2f2; padding: .4em .6em; }
td { vertical-align: top; padding: .25em .6em; border-top: 1px solid #eee; white-space: pre-wrap;
     overflow-wrap: anywhere; }
td.n { width: 3.5em; color: #888; text-align: right; font-variant-numeric: tabular-nums; }
tr.gap td { background: #fafafa; color: #888; text-align: center; font-style: italic; }
td.del { background: #fdecea; } td.ins { background: #e9f7ef; }
del { background: #f5b7b1; text-decoration: line-through; }
ins { background: #a9dfbf; text-decoration: none; }
"""
# No scripts, no remote anything: only the inline style above may apply.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def render(
    data: Mapping[str, Any],
    *,
    url: str,
    old_label: str,
    new_label: str,
) -> str:
    """The page for ``data`` (``TextDiff.to_json()``); labels name the two captures (times)."""
    esc = html.escape
    summary = data["summary"]
    rows = "\n".join(_rows(data["hunks"])) or (
        '<tr class="gap"><td colspan="4">The two texts are the same.</td></tr>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(_CSP)}">
<meta name="referrer" content="no-referrer">
<title>citewatch diff: {esc(url)}</title>
<style>{_CSS}</style></head>
<body>
<h1>{esc(url)}</h1>
<p class="meta">{esc(summary["description"])} ({esc(str(summary["unit"]))}s compared)</p>
<table>
<colgroup><col style="width:3.5em"><col><col style="width:3.5em"><col></colgroup>
<thead><tr><th colspan="2">{esc(old_label)}</th><th colspan="2">{esc(new_label)}</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def _rows(hunks: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    for number, hunk in enumerate(hunks):
        if number or hunk["old"][0] > 0:
            yield '<tr class="gap"><td colspan="4">…</td></tr>'
        for op in hunk["ops"]:
            yield from _op_rows(op)


def _op_rows(op: Mapping[str, Any]) -> Iterator[str]:
    old_start, new_start = op["old"][0] + 1, op["new"][0] + 1
    old_cells: list[str] = [html.escape(text) for text in op["old_text"]]
    new_cells: list[str] = [html.escape(text) for text in op["new_text"]]
    if op["op"] == "replace" and op["words"]:
        old_cells, new_cells = _marked(op["words"])
    left_class = {"delete": "del", "replace": "del"}.get(op["op"], "")
    right_class = {"insert": "ins", "replace": "ins"}.get(op["op"], "")
    for k in range(max(len(old_cells), len(new_cells))):
        left = _cell(old_start + k, old_cells[k], left_class) if k < len(old_cells) else _empty()
        right = _cell(new_start + k, new_cells[k], right_class) if k < len(new_cells) else _empty()
        yield f"<tr>{left}{right}</tr>"


def _marked(words: Sequence[Sequence[str]]) -> tuple[list[str], list[str]]:
    """Escaped old and new unit texts with <del>/<ins> around the changed words."""
    old, new = [""], [""]
    for kind, text in words:
        for index, part in enumerate(text.split("\n")):
            if index:  # "\n" separates units: start the next row on that side
                if kind != "insert":
                    old.append("")
                if kind != "delete":
                    new.append("")
            if not part:
                continue
            escaped = html.escape(part)
            if kind == "equal":
                old[-1] += escaped
                new[-1] += escaped
            elif kind == "delete":
                old[-1] += f"<del>{escaped}</del>"
            else:
                new[-1] += f"<ins>{escaped}</ins>"
    return old, new


def _cell(number: int, content: str, css: str) -> str:
    css_attr = f' class="{css}"' if css else ""
    return f'<td class="n">{number}</td><td{css_attr}>{content}</td>'


def _empty() -> str:
    return '<td class="n"></td><td></td>'
