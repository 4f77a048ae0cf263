"""What changed between two texts: hunks by sentence (or line), the words changed inside each
edited sentence, a similarity ratio and a summary ("2 sentences edited, 98% same").

Fast on long texts: sentences are hashed to integers and aligned on the ones unique to both sides
(patience diff, O(n log n)); only the short gaps between those anchors go to difflib.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from archive.text import normalise_lines

Kind = Literal["equal", "insert", "delete", "replace"]
Unit = Literal["sentence", "line"]

# A sentence ends at . ! ? or … (and any closing quotes or brackets), before a capital, digit or
# opening quote. Good enough to align texts; an abbreviation it splits only makes a unit smaller.
_SENTENCE_END = re.compile(r"""[.!?…]+(?:\s?[»”’)\]]|["'])*\s+(?=[«"“'(\[]?\s*[0-9A-ZÀ-ÖØ-Þ])""")
# Initials and titles whose full stop does not end a sentence ("M. Poutine", "Dr. Smith").
_ABBREVIATIONS = frozenset(
    ("m", "mm", "mme", "mlle", "dr", "mr", "mrs", "ms", "st", "jr", "sr", "prof", "gen", "col",
     "lt", "sgt", "no", "vs", "etc", "cf", "p", "art", "ch", "fig")
)  # fmt: skip
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
# Word-level diffs of a block larger than this many tokens are not attempted: difflib's cost
# grows with the product of the two sides, and a rewrite that large reads as delete + insert.
MAX_WORD_TOKENS = 800  # about two paragraphs a side
# Gaps between anchors at most this big go to difflib without its "popular element" heuristic.
_EXACT_GAP = 200


@dataclass(frozen=True)
class Op:
    """One run of units: ``old``/``new`` are [start, end) unit indexes into each text.

    For ``replace``, ``words`` is the inline edit: ("equal"|"delete"|"insert", text) pieces whose
    equal+delete pieces spell the old units and equal+insert the new ones, units joined by "\\n".
    """

    kind: Kind
    old: tuple[int, int]
    new: tuple[int, int]
    old_text: tuple[str, ...]
    new_text: tuple[str, ...]
    words: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.kind,
            "old": list(self.old),
            "new": list(self.new),
            "old_text": list(self.old_text),
            "new_text": list(self.new_text),
            "words": [list(piece) for piece in self.words],
        }


@dataclass(frozen=True)
class Hunk:
    """Changed ops with up to ``context`` equal units around them, as in a unified diff."""

    old: tuple[int, int]
    new: tuple[int, int]
    ops: tuple[Op, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "old": list(self.old),
            "new": list(self.new),
            "ops": [op.to_json() for op in self.ops],
        }


@dataclass(frozen=True)
class ChangeSummary:
    """How big a change is: units added, removed and edited, characters, similarity (0-1)."""

    unit: Unit
    added: int
    removed: int
    edited: int
    chars_added: int
    chars_removed: int
    similarity: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.edited)

    def describe(self) -> str:
        """One line for status and history: "2 sentences edited, 1 added, 98% same"."""
        if not self.changed:
            return "no change"
        counts = [(self.edited, "edited"), (self.added, "added"), (self.removed, "removed")]
        (first, label), *rest = [(count, label) for count, label in counts if count]
        noun = self.unit if first == 1 else f"{self.unit}s"
        parts = [f"{first} {noun} {label}", *(f"{count} {label}" for count, label in rest)]
        # Floor, so any real change reads below 100%.
        return f"{', '.join(parts)}, {math.floor(self.similarity * 100)}% same"

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "added": self.added,
            "removed": self.removed,
            "edited": self.edited,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "similarity": round(self.similarity, 4),
            "description": self.describe(),
        }


@dataclass(frozen=True)
class TextDiff:
    """The whole comparison; ``to_json()`` is the ``citewatch diff --json`` contract."""

    unit: Unit
    old_units: int
    new_units: int
    hunks: tuple[Hunk, ...]
    summary: ChangeSummary
    ops: tuple[Op, ...] = field(repr=False, default=())

    @property
    def similarity(self) -> float:
        return self.summary.similarity

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "old_units": self.old_units,
            "new_units": self.new_units,
            "similarity": round(self.summary.similarity, 4),
            "summary": self.summary.to_json(),
            "hunks": [hunk.to_json() for hunk in self.hunks],
        }


def split_units(text: str, unit: Unit = "sentence") -> list[str]:
    """``text`` cut into lines, or sentences within lines; spaces collapsed, blank lines dropped."""
    units: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())  # str.split runs in C: faster than a regex on megabytes
        if not line:
            continue
        if unit == "line":
            units.append(line)
            continue
        start = 0
        for end in _SENTENCE_END.finditer(line):
            words = line[start : end.start()].rsplit(None, 1)
            if words and words[-1].lower().rstrip(".") in _ABBREVIATIONS:
                continue
            units.append(line[start : end.end()].rstrip())
            start = end.end()
        if start < len(line):
            units.append(line[start:])
    return units


def diff(
    old: str,
    new: str,
    *,
    unit: Unit = "sentence",
    context: int = 3,
    ignore: Sequence[str] = (),
) -> TextDiff:
    """Compare two texts unit by unit. Units equal once ``ignore`` patterns, quote styles and
    spacing are normalised away count as equal (both spellings are kept in the ops)."""
    a, b = split_units(old, unit), split_units(new, unit)
    ids: dict[str, int] = {}
    a_ids = [ids.setdefault(key, len(ids)) for key in normalise_lines(a, ignore)]
    b_ids = [ids.setdefault(key, len(ids)) for key in normalise_lines(b, ignore)]
    ops = tuple(_ops(a, b, matching_blocks(a_ids, b_ids)))
    summary = _summarise(unit, a, b, ops)
    return TextDiff(unit, len(a), len(b), tuple(_hunks(ops, context)), summary, ops)


def matching_blocks(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int, int]]:
    """(i, j, size) runs where ``a[i:i+size] == b[j:j+size]``, in order, ending with a
    (len(a), len(b), 0) sentinel as difflib's ``get_matching_blocks`` does."""
    blocks: list[tuple[int, int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), blocks)
    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        elif size:
            merged.append((i, j, size))
    merged.append((len(a), len(b), 0))
    return merged


def _match(
    a: Sequence[int],
    b: Sequence[int],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    out: list[tuple[int, int, int]],
) -> None:
    # Common head and tail first: most rechecks change a few sentences in the middle.
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    tail = 0
    while (
        ahi - tail > alo + head
        and bhi - tail > blo + head
        and a[ahi - tail - 1] == b[bhi - tail - 1]
    ):
        tail += 1
    if head:
        out.append((alo, blo, head))
    alo, blo, ahi, bhi = alo + head, blo + head, ahi - tail, bhi - tail
    if alo < ahi and blo < bhi:
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            i0, j0 = alo, blo
            for i, j in anchors:
                _match(a, b, i0, i, j0, j, out)
                out.append((i, j, 1))
                i0, j0 = i + 1, j + 1
            _match(a, b, i0, ahi, j0, bhi, out)
        else:
            small = (ahi - alo) <= _EXACT_GAP and (bhi - blo) <= _EXACT_GAP
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=not small)
            out.extend((alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n)
    if tail:
        out.append((ahi, bhi, tail))


def _unique_anchors(
    a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Units found exactly once on each side, kept in the longest order both sides agree on."""
    counts: dict[int, list[int]] = {}  # unit -> [count in a, index in a, count in b, index in b]
    for i in range(alo, ahi):
        slot = counts.setdefault(a[i], [0, 0, 0, 0])
        slot[0] += 1
        slot[1] = i
    for j in range(blo, bhi):
        seen = counts.get(b[j])
        if seen is not None:
            seen[2] += 1
            seen[3] = j
    pairs = sorted((s[1], s[3]) for s in counts.values() if s[0] == 1 and s[2] == 1)
    # Longest increasing subsequence of the b indexes (patience sorting).
    tops: list[int] = []
    top_index: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pile = bisect_left(tops, j)
        if pile == len(tops):
            tops.append(j)
            top_index.append(k)
        else:
            tops[pile] = j
            top_index[pile] = k
        back[k] = top_index[pile - 1] if pile else -1
    chain: list[tuple[int, int]] = []
    k = top_index[-1] if top_index else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _ops(a: list[str], b: list[str], blocks: list[tuple[int, int, int]]) -> list[Op]:
    ops: list[Op] = []
    i = j = 0
    for bi, bj, size in blocks:
        if i < bi or j < bj:
            kind: Kind = "replace" if i < bi and j < bj else ("delete" if i < bi else "insert")
            old, new = tuple(a[i:bi]), tuple(b[j:bj])
            words = word_diff(old, new) if kind == "replace" else ()
            ops.append(Op(kind, (i, bi), (j, bj), old, new, words))
        if size:
            ops.append(
                Op(
                    "equal",
                    (bi, bi + size),
                    (bj, bj + size),
                    tuple(a[bi : bi + size]),
                    tuple(b[bj : bj + size]),
                )
            )
        i, j = bi + size, bj + size
    return ops


def word_diff(old: Sequence[str], new: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The inline edit turning ``old`` units into ``new`` ones (joined by "\\n"), word by word.

    Same-count blocks are compared pair by pair, so each sentence's change stays in its row.
    """
    if len(old) == len(new):
        pieces: list[tuple[str, str]] = []
        for index, (x, y) in enumerate(zip(old, new, strict=True)):
            if index:
                pieces.append(("equal", "\n"))
            pieces.extend(_word_pieces(x, y))
        return tuple(_merge(pieces))
    return tuple(_merge(_word_pieces("\n".join(old), "\n".join(new))))


def _word_pieces(old: str, new: str) -> list[tuple[str, str]]:
    x, y = _TOKENS.findall(old), _TOKENS.findall(new)
    if len(x) + len(y) > MAX_WORD_TOKENS:
        return [("delete", old), ("insert", new)]
    matcher = SequenceMatcher(None, x, y, autojunk=False)
    runs: list[tuple[str, str, str]] = []  # (tag, old text, new text)
    for opcode, i1, i2, j1, j2 in matcher.get_opcodes():
        runs.append((opcode, "".join(x[i1:i2]), "".join(y[j1:j2])))
    # A lone space or punctuation mark left equal between two changes makes a rewritten phrase
    # read as confetti; fold it into the change around it.
    for k in range(1, len(runs) - 1):
        run, text, _ = runs[k]
        lone = run == "equal" and len(text.strip()) <= 1 and "\n" not in text
        if lone and runs[k - 1][0] != "equal" and runs[k + 1][0] != "equal":
            runs[k] = ("replace", text, text)
    pieces: list[tuple[str, str]] = []
    pending_old, pending_new = "", ""
    for run, old_text, new_text in runs:
        if run == "equal":
            pieces += [("delete", pending_old), ("insert", pending_new), ("equal", old_text)]
            pending_old = pending_new = ""
        else:
            pending_old += old_text
            pending_new += new_text
    pieces += [("delete", pending_old), ("insert", pending_new)]
    return [piece for piece in pieces if piece[1]]


def _merge(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for kind, text in pieces:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def _summarise(unit: Unit, a: list[str], b: list[str], ops: Sequence[Op]) -> ChangeSummary:
    added = removed = edited = chars_added = chars_removed = 0
    same = 0  # characters common to both sides
    for op in ops:
        if op.kind == "equal":
            same += sum(len(u) for u in op.new_text)
        elif op.kind == "insert":
            added += len(op.new_text)
            chars_added += sum(len(u) for u in op.new_text)
        elif op.kind == "delete":
            removed += len(op.old_text)
            chars_removed += sum(len(u) for u in op.old_text)
        else:
            paired = min(len(op.old_text), len(op.new_text))
            edited += paired
            added += len(op.new_text) - paired
            removed += len(op.old_text) - paired
            for kind, text in op.words:
                size = len(text.replace("\n", ""))
                if kind == "equal":
                    same += size
                elif kind == "insert":
                    chars_added += size
                else:
                    chars_removed += size
    total = sum(map(len, a)) + sum(map(len, b))
    similarity = 2 * same / total if total else 1.0
    if edited == added == removed == 0:
        similarity = 1.0  # equal once normalised, even if spelled a little differently
    return ChangeSummary(unit, added, removed, edited, chars_added, chars_removed, similarity)


def _hunks(ops: Sequence[Op], context: int) -> list[Hunk]:
    """Group changes with ``context`` equal units either side, merging groups that touch."""
    groups: list[list[int]] = []
    for index, op in enumerate(ops):
        if op.kind == "equal":
            continue
        gap = index - groups[-1][-1] if groups else 0
        between = ops[index - 1]
        if groups and (gap == 1 or (gap == 2 and between.old[1] - between.old[0] <= 2 * context)):
            groups[-1].append(index)
        else:
            groups.append([index])
    hunks = []
    for group in groups:
        first, last = group[0], group[-1]
        before = _trim(ops[first - 1], context, keep="end") if first else None
        after = _trim(ops[last + 1], context, keep="start") if last + 1 < len(ops) else None
        members = [
            *([before] if before else []),
            *ops[first : last + 1],
            *([after] if after else []),
        ]
        old = (members[0].old[0], members[-1].old[1])
        hunks.append(Hunk(old, (members[0].new[0], members[-1].new[1]), tuple(members)))
    return hunks


def _trim(op: Op, context: int, *, keep: Literal["start", "end"]) -> Op | None:
    """The first or last ``context`` units of an equal op, or None when context is 0."""
    if op.kind != "equal" or context <= 0:
        return None
    size = op.old[1] - op.old[0]
    n = min(size, context)
    if keep == "start":
        old, new = (op.old[0], op.old[0] + n), (op.new[0], op.new[0] + n)
        return Op("equal", old, new, op.old_text[:n], op.new_text[:n])
    old, new = (op.old[1] - n, op.old[1]), (op.new[1] - n, op.new[1])
    return Op("equal", old, new, op.old_text[-n:], op.new_text[-n:])
