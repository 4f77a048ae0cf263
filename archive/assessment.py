"""Assessing one check of a page against its history: its text, baseline, state and events.

``checks.record`` calls ``assess`` inside the check's transaction. It gathers what the judging
rules (``archive.health``) need from the database (the page row, the baseline, the previous
capture's text), decides the text this check's capture carries (extracted now, or repeated
from the previous capture when the payload is unchanged: never extracted twice), and returns
the verdict with the rows to write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive import health
from archive.diff import diff
from archive.schema import captures
from archive.text import ExtractedText, text_digest
from archive.versions import stored_text_key


@dataclass(frozen=True)
class ChangePolicy:
    """How to judge: the death rules and the noise that never counts as change."""

    rules: health.DeadRules = field(default_factory=health.DeadRules)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaptureText:
    """The text columns of a capture row."""

    text: str | None = None
    text_digest: str | None = None
    text_reason: str | None = None
    title: str | None = None
    # The payload of an earlier capture again: its row holds the text, this one only the
    # digest, so that storage grows with changes, not with checks.
    repeated: bool = False

    def columns(self) -> dict[str, Any]:
        return {
            "text": None if self.repeated else self.text,
            "text_digest": self.text_digest,
            "text_reason": self.text_reason,
            "title": self.title,
        }


@dataclass(frozen=True)
class Assessment:
    verdict: health.Verdict
    text: CaptureText | None  # for the final capture; None: nothing to record
    becomes_baseline: bool  # the final capture is the copy the citing article points at


def assess(
    conn: Connection,
    page: Mapping[str, Any],
    *,
    checked_at: datetime,
    hops: Sequence[tuple[str, int]],
    payload_digest: str | None,
    failure: str | None,
    extracted: ExtractedText | None,
    headers: Mapping[str, str] | None = None,
    probe: Mapping[str, Any] | None = None,
    policy: ChangePolicy | None = None,
) -> Assessment:
    """The verdict on this check of ``page`` (a ``pages`` row) and the text of its capture."""
    policy = policy or ChangePolicy()
    previous = _previous_text(conn, page["id"])
    answered = bool(hops) and failure is None
    text = _capture_text(extracted, payload_digest, previous, policy.ignore) if answered else None
    baseline = _capture(conn, page["baseline_capture_id"])
    changed: bool | None = None
    summary = ""
    measured: dict[str, Any] = {}
    if baseline is not None and text is not None and text.text_digest and baseline["text_digest"]:
        changed = text.text_digest != baseline["text_digest"]
        news = previous is None or text.text_digest != previous["text_digest"]
        if news and (changed or page["state"] == "changed"):
            # Diffing is the costly part: only when this text is new, to describe the change.
            compared = diff(baseline["text"] or "", text.text or "", ignore=policy.ignore)
            summary = compared.summary.describe()
            measured = compared.summary.to_json()  # sentences and characters, similarity
    seen: dict[str, Any] = {
        "headers": dict(headers or {}),
        "title": text.title if text else None,
        "text": text.text if text else None,
        "text_digest": text.text_digest if text else None,
        "changed_from_baseline": changed,
        "baseline_url": baseline["url"] if baseline is not None else None,
        "probe_text": probe.get("text") if probe else None,
        "probe_url": probe.get("url") if probe else None,
        "change_summary": summary,
    }
    if failure is not None:  # no final answer, though redirects may have come before it
        observation = health.Observation(
            page["url"], checked_at, failure=failure, redirects=tuple(hops), **seen
        )
    else:
        observation = health.Observation.from_hops(page["url"], checked_at, hops, **seen)
    history = health.PageHistory(
        state=page["state"],
        reason=page["reason"],
        failures=page["failures"],
        first_failure=page["first_failure"],
        last_ok=page["last_ok"],
        state_since=page["state_since"],
        moved_to=page["moved_to"],
        has_baseline=baseline is not None,
        text_digest=previous["text_digest"] if previous is not None else None,
    )
    verdict = health.judge(history, observation, policy.rules)
    if measured:  # a change event says how much changed, not only that it did
        events = tuple(
            health.Event(kind, {**detail, "size": measured}) if kind == "changed" else event
            for event in verdict.events
            for kind, detail in [event]
        )
        verdict = dataclasses.replace(verdict, events=events)
    becomes_baseline = (
        baseline is None
        and verdict.state == "ok"
        and text is not None
        and text.text_digest is not None
    )
    return Assessment(verdict, text, becomes_baseline)


def _capture_text(
    extracted: ExtractedText | None,
    payload_digest: str | None,
    previous: Mapping[str, Any] | None,
    ignore: Sequence[str],
) -> CaptureText | None:
    if extracted is not None:
        digest = text_digest(extracted.text, ignore) if extracted.text else None
        return CaptureText(extracted.text, digest, extracted.reason, extracted.title)
    same_payload = (
        previous is not None and payload_digest is not None
        and previous["payload_digest"] == payload_digest
    )  # fmt: skip
    if same_payload and previous is not None:
        return CaptureText(
            previous["text"],
            previous["text_digest"],
            previous["text_reason"],
            previous["title"],
            repeated=True,
        )
    return None  # not extracted (text.extract is off, or not a 2xx answer)


# Built once: every check of every page runs them, and building a statement cost more of the
# store's CPU than running it.
_PREVIOUS_TEXT = (
    sa.select(captures)
    .where(
        captures.c.page_id == sa.bindparam("page_id"),
        sa.or_(captures.c.text.is_not(None), captures.c.text_reason.is_not(None)),
    )
    .order_by(captures.c.id.desc())
    .limit(1)
)
_CAPTURE = sa.select(captures).where(captures.c.id == sa.bindparam("capture_id"))


def _previous_text(conn: Connection, page_id: int) -> Any:
    """The page's latest capture that stores its text, or a reason for having none (a capture
    that repeats an earlier payload stores neither, and has the same text)."""
    return conn.execute(_PREVIOUS_TEXT, {"page_id": page_id}).mappings().first()


def _capture(conn: Connection, capture_id: int | None) -> Any:
    """The capture row ``capture_id`` with its text, taken from the earlier capture of the same
    payload when this one repeats it."""
    if capture_id is None:
        return None
    row = conn.execute(_CAPTURE, {"capture_id": capture_id}).mappings().first()
    if row is None or row["text"] is not None or row["text_digest"] is None:
        return row
    column, value = stored_text_key(row["payload_digest"], row["text_digest"])
    stored = conn.execute(
        sa.select(captures.c.text)
        .where(
            captures.c.page_id == row["page_id"],
            captures.c.id < row["id"],
            captures.c[column] == value,
            captures.c.text.is_not(None),
        )
        .order_by(captures.c.id.desc())
        .limit(1)
    ).scalar()
    return {**row, "text": stored}
