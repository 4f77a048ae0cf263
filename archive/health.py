"""Judging one check of a page: its state (``ok``, ``blocked``, ``failing``…) and reason.

Pure functions over plain values. This first set of rules judges a single answer; the rules
over a page's history (dead after repeated failures, changed, moved, recovered) build on it.
"""

from __future__ import annotations

# The page may well exist: we are not allowed to see it from here. Never a sign of death.
BLOCKED_STATUSES = frozenset({401, 402, 403, 407, 429, 451})
# Reasons that mean citewatch chose not to fetch, rather than that the page failed.
SKIP_REASONS = frozenset({"private-address", "unsupported-scheme"})


def judge_answer(status: int) -> tuple[str, str | None]:
    """State and reason for the final HTTP status of a fetch (redirects already followed)."""
    if 200 <= status < 300:
        return "ok", None
    if status in BLOCKED_STATUSES:
        return "blocked", f"http-{status}"
    if 300 <= status < 400:  # still a redirect after the redirect limit
        return "failing", "redirect-loop"
    return "failing", f"http-{status}"


def judge_failure(reason: str) -> tuple[str, str]:
    """State and reason for a fetch that got no answer at all."""
    return ("skipped" if reason in SKIP_REASONS else "failing"), reason
