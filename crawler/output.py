"""One place that prints results: JSON for machines, rich tables for people, errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

# Pipes and files get wide, unwrapped tables; rich would otherwise wrap URLs at 80 columns.
PIPE_WIDTH = 200


def stdout_console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=PIPE_WIDTH, no_color=True)
    return console


def emit(
    data: dict[str, Any], as_json: bool, render: Callable[[Console, dict[str, Any]], None]
) -> None:
    """Print ``data`` as JSON (the ``--json`` contract) or through ``render`` for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        render(stdout_console(), data)


def error(message: str) -> None:
    """Each line of ``message`` as one plain ``Error: …`` line on stderr, never wrapped."""
    for line in message.splitlines() or [""]:
        sys.stderr.write(f"Error: {line}\n")
