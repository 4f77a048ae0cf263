"""Durations ("1d", "90s") and sizes ("50MB") as users write them in config and on the CLI."""

from __future__ import annotations

import re

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1024, "kib": 1024,
    "mb": 1024**2, "mib": 1024**2,
    "gb": 1024**3, "gib": 1024**3,
    "tb": 1024**4, "tib": 1024**4,
}  # fmt: skip

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_duration(text: str) -> int:
    """Seconds in a duration like ``"1d"``, ``"12h"``, ``"1h30m"``; raises ValueError."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 12h, 1d or 2w")
    seconds = sum(int(n) * DURATION_UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def format_duration(seconds: int) -> str:
    """The shortest spelling of a duration: 86400 → ``"1d"``, 5400 → ``"1h30m"``."""
    out = []
    for unit, size in sorted(DURATION_UNITS.items(), key=lambda item: -item[1]):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"


def parse_size(text: str | int) -> int:
    """Bytes in a size like ``"50MB"`` or ``1024``; units are powers of 1024."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"{text} is not a size")
        return text
    match = _SIZE.fullmatch(str(text).strip().lower())
    if not match or match.group(2) not in SIZE_UNITS:
        raise ValueError(f"{text!r} is not a size such as 512KB, 50MB or 1GB")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2)])
