"""Judging a check of a page: its new state and reason, the times kept, and what to tell users.

Pure functions over plain values. ``classify`` judges one answer alone (``ok``, ``blocked``,
``failing``, ``skipped``); ``judge`` folds it into the page's history: dead only after repeated
failures over days, changed against the baseline, moved, recovered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from archive.challenge import is_bot_challenge
from archive.parking import is_parked
from archive.soft404 import (
    PROBE_SIMILARITY,
    is_home,
    is_soft_404,
    looks_not_found,
    probe_path,
    redirect_to_home,
    same_page,
    similarity,
)
from archive.times import iso

if TYPE_CHECKING:
    from archive.config import DeadConfig

# The single-page rules live beside their kin; importing them from here is part of the API.
__all__ = [
    "BLOCKED_STATUSES",
    "SKIP_REASONS",
    "DeadRules",
    "Event",
    "Observation",
    "PageHistory",
    "Verdict",
    "classify",
    "is_bot_challenge",
    "is_home",
    "is_parked",
    "is_soft_404",
    "judge",
    "judge_answer",
    "judge_failure",
    "looks_not_found",
    "probe_path",
    "redirect_to_home",
    "similarity",
]

# The page may well exist: we are not allowed to see it from here. Never a sign of death.
BLOCKED_STATUSES = frozenset({401, 402, 403, 407, 429, 451})
# Reasons that mean citewatch chose not to fetch, rather than that the page failed.
SKIP_REASONS = frozenset({"private-address", "unsupported-scheme"})
PERMANENT_REDIRECTS = frozenset({301, 308})
# States a page leaves with a ``recovered`` event when it answers normally again.
TROUBLED = frozenset({"failing", "dead", "blocked"})
_DAY = 86400.0


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


@dataclass(frozen=True)
class DeadRules:
    """When a failing source is declared dead, and how alike a soft-404 must be to the probe."""

    after_failures: int = 3
    after_days: float = 3.0
    soft404_similarity: float = PROBE_SIMILARITY

    @classmethod
    def from_config(cls, dead: DeadConfig) -> DeadRules:
        return cls(dead.after_failures, dead.after_days, dead.soft404_similarity)


@dataclass(frozen=True)
class Observation:
    """One check of a cited URL, as the store pipeline knows it from the capture."""

    cited_url: str
    checked_at: datetime
    http_status: int | None = None  # of the final answer
    failure: str | None = None  # no answer: dns-error, timeout, tls-error, private-address…
    # Each redirect answer on the way, in order, starting with the cited URL: (url, status).
    redirects: tuple[tuple[str, int], ...] = ()
    final_url: str | None = None  # None: the cited URL itself answered
    headers: Mapping[str, str] = field(default_factory=dict)  # of the final answer
    title: str | None = None
    text: str | None = None  # extracted text (None: not extracted, e.g. an image)
    text_digest: str | None = None  # of the text with noise removed
    changed_from_baseline: bool | None = None  # None: no baseline or nothing to compare
    # Where the baseline was answered (after its redirects); None: no baseline yet. A page is
    # moved only when it now lives somewhere else than when the article cited it.
    baseline_url: str | None = None
    change_summary: str = ""
    # The soft-404 probe: similarity of this text to the site's answer for a random unknown
    # path, or that answer's text to compute it from; and where the probe ended.
    probe_similarity: float | None = None
    probe_text: str | None = None
    probe_url: str | None = None

    @classmethod
    def from_hops(
        cls, cited_url: str, checked_at: datetime, hops: Sequence[tuple[str, int]], **fields: Any
    ) -> Observation:
        """From every answer of one fetch in order, (url, status): the redirects, then the
        final answer (as the capture rows of a check are)."""
        if not hops:
            return cls(cited_url, checked_at, **fields)
        *redirects, (final_url, status) = hops
        return cls(
            cited_url,
            checked_at,
            http_status=status,
            redirects=tuple(redirects),
            final_url=final_url,
            **fields,
        )


@dataclass(frozen=True)
class PageHistory:
    """What the page's row says before this check (the ``pages`` table)."""

    state: str = "pending"
    reason: str | None = None
    failures: int = 0  # consecutive failed checks
    first_failure: datetime | None = None
    last_ok: datetime | None = None
    state_since: datetime | None = None
    moved_to: str | None = None
    has_baseline: bool = False
    text_digest: str | None = None  # of the last check that had text


class Event(NamedTuple):
    """What a user should be told: ``changed``, ``died``, ``recovered``, ``moved``, ``blocked``."""

    kind: str
    detail: dict[str, Any]  # JSON-ready: times are ISO strings


@dataclass(frozen=True)
class Verdict:
    """The page's row after this check, and the events it raised."""

    state: str
    reason: str | None
    failures: int
    first_failure: datetime | None
    last_ok: datetime | None
    state_since: datetime | None
    moved_to: str | None
    events: tuple[Event, ...] = ()


def classify(
    check: Observation, rules: DeadRules | None = None, *, as_cited: bool = False
) -> tuple[str, str | None]:
    """State and reason for one check alone: ``ok``, ``blocked``, ``failing`` or ``skipped``.

    ``as_cited``: the text is unchanged since the baseline, so it is what the author cited and
    the soft signals (soft-404, redirect to the home page) do not apply.
    """
    rules = rules or DeadRules()
    if check.failure is not None:
        return judge_failure(check.failure)
    if check.http_status is None:
        return "failing", "no-answer"
    # A challenge can come with any status, 200 and 503 included; it hides the page either way.
    if is_bot_challenge(check.http_status, check.headers, check.title, check.text):
        return "blocked", "bot-challenge"
    state, reason = judge_answer(check.http_status)
    if state != "ok":
        return state, reason
    final = check.final_url or check.cited_url
    if is_parked(final, check.title, check.text):
        return "failing", "parked"
    if not as_cited and redirect_to_home(check.cited_url, final):
        return "failing", "redirect-to-home"
    probe = check.probe_similarity
    if probe is None and check.probe_text is not None and check.text:
        probe = similarity(check.text, check.probe_text)
    soft = is_soft_404(
        check.cited_url,
        final,
        check.title,
        check.text,
        probe,
        probe_url=check.probe_url,
        threshold=rules.soft404_similarity,
        as_cited=as_cited,
    )
    return ("failing", "soft-404") if soft else ("ok", None)


def judge(previous: PageHistory, check: Observation, rules: DeadRules) -> Verdict:
    """The page's new state after ``check``, given its history, and the events to record."""
    as_cited = previous.has_baseline and check.changed_from_baseline is False
    state, reason = classify(check, rules, as_cited=as_cited)
    if state == "skipped":  # not fetched by our own policy: no evidence either way
        return _verdict(previous, check, state, reason, failures=previous.failures)
    if state == "blocked":
        return _blocked(previous, check, reason)
    if state == "failing":
        return _failing(previous, check, reason, rules)
    return _answered(previous, check)


def _blocked(previous: PageHistory, check: Observation, reason: str | None) -> Verdict:
    # A firewall answering proves the site is up, so a blocked check ends a run of failures.
    events = []
    if previous.state != "blocked":
        detail = {"reason": reason, "http_status": check.http_status}
        events.append(Event("blocked", detail))
    return _verdict(previous, check, "blocked", reason, events=events)


def _failing(
    previous: PageHistory, check: Observation, reason: str | None, rules: DeadRules
) -> Verdict:
    now = check.checked_at
    failures = previous.failures + 1
    first_failure = previous.first_failure or now
    span_days = (now - first_failure).total_seconds() / _DAY
    # A false death is the worst mistake: both the count and the span must be reached, and
    # once dead the page stays dead until it answers normally again.
    dead = previous.state == "dead" or (
        failures >= rules.after_failures and span_days >= rules.after_days
    )
    events = []
    if dead and previous.state != "dead":
        detail = {
            "reason": reason,
            "failures": failures,
            "first_failure": iso(first_failure),
            "last_ok": iso(previous.last_ok),
        }
        events.append(Event("died", detail))
    state = "dead" if dead else "failing"
    return _verdict(
        previous,
        check,
        state,
        reason,
        failures=failures,
        first_failure=first_failure,
        events=events,
    )


def _answered(previous: PageHistory, check: Observation) -> Verdict:
    final = check.final_url or check.cited_url
    changed = previous.has_baseline and check.changed_from_baseline is True
    moved = not changed and _moved(check, final)
    events = []
    if previous.state in TROUBLED:
        detail = {
            "from": previous.state,
            "reason": previous.reason,
            "failures": previous.failures,
            "since": iso(previous.state_since),
        }
        events.append(Event("recovered", detail))
    if moved and final != previous.moved_to:
        detail = {"from": check.cited_url, "to": final, "http_status": check.redirects[0][1]}
        events.append(Event("moved", detail))
    if changed and _changed_again(previous, check):
        detail = {
            "summary": check.change_summary,
            "text_digest": check.text_digest,
            "previous_digest": previous.text_digest,
            "reverted": False,
        }
        events.append(Event("changed", detail))
    elif previous.state == "changed" and check.changed_from_baseline is False:
        detail = {
            "summary": check.change_summary or "back to the cited version",
            "text_digest": check.text_digest,
            "previous_digest": previous.text_digest,
            "reverted": True,
        }
        events.append(Event("changed", detail))
    state = "changed" if changed else "moved" if moved else "ok"
    moved_to = final if moved else None
    return _verdict(
        previous, check, state, None, last_ok=check.checked_at, moved_to=moved_to, events=events
    )


def _moved(check: Observation, final: str) -> bool:
    """A permanent redirect, every hop of it, to another page that is not a front page, and
    not where the page already was when the article cited it (a citation of a redirecting URL
    is not news)."""
    if not check.redirects or any(s not in PERMANENT_REDIRECTS for _, s in check.redirects):
        return False
    if check.baseline_url is None or same_page(check.baseline_url, final):
        return False
    # http→https, www. and trailing-slash redirects keep the page where it was.
    return not same_page(check.cited_url, final) and not is_home(final)


def _changed_again(previous: PageHistory, check: Observation) -> bool:
    """Whether this changed text is news: the first change, or different from the last check's."""
    if check.text_digest is not None and previous.text_digest is not None:
        return check.text_digest != previous.text_digest
    return previous.state != "changed"


def _verdict(
    previous: PageHistory,
    check: Observation,
    state: str,
    reason: str | None,
    *,
    failures: int = 0,
    first_failure: datetime | None = None,
    last_ok: datetime | None = None,
    moved_to: str | None = None,
    events: list[Event] | None = None,
) -> Verdict:
    """The new row; a failure run survives only on ``failing``/``dead`` (and ``skipped``)."""
    now = check.checked_at
    since = (previous.state_since or now) if state == previous.state else now
    if state in ("skipped", "failing", "dead", "blocked"):
        moved_to = previous.moved_to  # nothing learnt about where the page lives
    if state == "skipped":
        first_failure = previous.first_failure
    return Verdict(
        state=state,
        reason=reason,
        failures=failures,
        first_failure=first_failure,
        last_ok=last_ok or previous.last_ok,
        state_since=since,
        moved_to=moved_to,
        events=tuple(events or ()),
    )
