"""``citewatch diff`` for people: a unified diff by sentence, changed words highlighted.

Renders the plain data of ``archive.diff.TextDiff.to_json()`` plus three header keys, ``url``,
``old_time`` and ``new_time``. With ``color=False`` (not a terminal) the lines carry no style
and read as an ordinary unified diff.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

STYLES = {
    "header": "bold",
    "summary": "yellow",
    "hunk": "cyan",
    "delete": "red",
    "insert": "green",
    "deleted_words": "bold reverse red",
    "inserted_words": "bold reverse green",
}


def render(data: Mapping[str, Any], *, color: bool) -> list[Text]:
    """One rich Text per output line."""
    style = STYLES if color else dict.fromkeys(STYLES, "")
    summary = data["summary"]
    lines = [
        Text(f"--- {data['url']}  {data['old_time']}", style=style["header"]),
        Text(f"+++ {data['url']}  {data['new_time']}", style=style["header"]),
        Text(
            f"{summary['description']} (similarity {data['similarity']:.4f}, by {data['unit']})",
            style=style["summary"],
        ),
    ]
    for hunk in data["hunks"]:
        lines.append(Text(_hunk_header(hunk), style=style["hunk"]))
        for op in hunk["ops"]:
            lines.extend(_op_lines(op, style))
    return lines


def print_diff(console: Console, data: Mapping[str, Any]) -> None:
    """Print ``data`` on ``console``, in colour when it is a colour terminal."""
    color = console.is_terminal and not console.no_color
    for line in render(data, color=color):
        # soft_wrap: a long sentence stays one line in a pipe instead of being cut at the width.
        console.print(line, soft_wrap=True)


def _hunk_header(hunk: Mapping[str, Any]) -> str:
    (old_start, old_end), (new_start, new_end) = hunk["old"], hunk["new"]
    old = f"{old_start + 1 if old_end > old_start else old_start},{old_end - old_start}"
    new = f"{new_start + 1 if new_end > new_start else new_start},{new_end - new_start}"
    return f"@@ -{old} +{new} @@"


def _op_lines(op: Mapping[str, Any], style: Mapping[str, str]) -> Iterator[Text]:
    kind = op["op"]
    if kind == "equal":
        for text in op["new_text"]:
            yield Text(f" {text}")
        return
    if kind == "replace" and op["words"]:
        yield from _word_lines(op["words"], "delete", "-", style)
        yield from _word_lines(op["words"], "insert", "+", style)
        return
    for text in op["old_text"]:
        yield Text(f"-{text}", style=style["delete"])
    for text in op["new_text"]:
        yield Text(f"+{text}", style=style["insert"])


def _word_lines(
    words: Sequence[Sequence[str]], side: str, prefix: str, style: Mapping[str, str]
) -> Iterator[Text]:
    """One side of an edit, one line per unit, with that side's changed words highlighted."""
    highlight = style["deleted_words" if side == "delete" else "inserted_words"]
    line = Text(prefix, style=style[side])
    for kind, text in words:
        if kind not in ("equal", side):
            continue
        for index, part in enumerate(text.split("\n")):
            if index:  # "\n" separates units
                yield line
                line = Text(prefix, style=style[side])
            line.append(part, style=highlight if kind == side else "")
    yield line
