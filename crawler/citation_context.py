"""The text around a citation: each block is rendered once, with the offsets of its links and
text slots, then asked about the line and the sentence that hold a link or a bare URL.

Used by `crawler.citations.find()` for the `context` of each citation and to read the line a
link sits on (a row of links is navigation, "Read more: <link>" is a promo, a short header line
is a byline). Walks are iterative and answers use bisection, so a page of a few thousand links
in one block, or nested thousands deep, costs no more than reading it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from lxml import etree

from crawler import citation_rules as rules

MAX_CONTEXT = 300  # characters of sentence kept around a citation
LABEL_MAX = 40  # a line with more non-link text than this is prose, not a "Read more:" label

_START, _END = "\x02", "\x03"  # find() removes control characters, so these are free
# A sentence ends at . ! ? … (plus closing quotes and footnote marks such as "[1]") before a
# capital or a digit, or at a line break.
_SENTENCE_END = re.compile(
    r"([.!?…][\"'»”’)\]]*(?:\[[^\]\n]{1,20}\])*)\s+(?=[\"'«“‘(\[]?[A-ZÀ-ÖØ-Þ0-9])|\n"
)
# Blocks that are one entry (a reference, a caption, a table cell): when short, the whole entry
# is the context, since citation styles put ". " between an entry's fields.
_ENTRY_TAGS = frozenset({"li", "dd", "dt", "td", "th", "figcaption", "caption"})


@dataclass(frozen=True)
class Mark:
    """A link element (slot None), or a span of an element's text or tail holding a bare URL."""

    element: etree._Element
    slot: str | None = None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Line:
    """What a mark's line holds besides the mark: non-link, non-separator characters, links
    (the mark included when it is a link), and its non-link text when short enough to be a label.
    """

    prose: int
    links: int
    label: str | None


def walk(
    root: etree._Element, skip: Callable[[etree._Element], bool]
) -> Iterator[tuple[str, etree._Element]]:
    """("start" | "end" | "skip", element) in document order. A skipped element yields only
    "skip": its subtree is not visited, but its tail is still text of its parent."""
    walker = etree.iterwalk(root, events=("start", "end"))
    skipping = None
    for event, el in walker:
        if event == "start" and el is not root and skip(el):
            walker.skip_subtree()  # lxml still reports the element's "end", right after
            skipping = el
            yield "skip", el
        elif el is skipping:
            skipping = None
        else:
            yield event, el


def _never(el: etree._Element) -> bool:
    return False


def block_of(mark: Mark) -> etree._Element:
    """The nearest block-level element around the mark."""
    el = mark.element.getparent() if mark.slot != "text" else mark.element
    for candidate in (el, *el.iterancestors()):
        if candidate.tag in rules.BLOCK_TAGS:
            return candidate
    return el


class BlockText:
    """A block's text with "\\n" at line and block breaks, furniture left out, and where each
    link and each text slot sits in it."""

    def __init__(self, block: etree._Element, skip_furniture: bool = True) -> None:
        parts: list[str] = []
        size = 0
        self._slots: dict[tuple[etree._Element, str], int] = {}
        self._links: dict[etree._Element, tuple[int, int]] = {}
        opened: dict[etree._Element, int] = {}
        skip = rules.is_furniture if skip_furniture else _never  # "[citation needed]" is not text
        for event, el in walk(block, skip):
            pieces: list[tuple[str, str | None]] = []
            if event == "start":
                opened.update({el: size} if el.tag == "a" else {})
                breaks = el.tag in rules.BLOCK_TAGS or el.tag == "br"
                pieces = [("\n" if breaks else "", None), (el.text or "", "text")]
            else:
                if event == "end" and el.tag == "a":
                    self._links[el] = (opened.pop(el, size), size)
                ends_block = event == "end" and el.tag in rules.BLOCK_TAGS
                tail = "" if el is block else (el.tail or "")
                pieces = [("\n" if ends_block else "", None), (tail, "tail")]
            for text, slot in pieces:
                if slot and text:
                    self._slots[(el, slot)] = size
                parts.append(text)
                size += len(text)
        self.text = text = "".join(parts)
        self._breaks = [i for i, c in enumerate(text) if c == "\n"]
        spans = sorted(self._links.values())
        self._link_starts = [s for s, _ in spans]
        # prefix counts of characters that are neither space nor separator, in all text and in
        # links only, so that a line's prose is two subtractions whatever its length
        self._solid = list(accumulate((c not in rules.SEPARATOR_CHARS for c in text), initial=0))
        self._link_solid = list(
            accumulate((self._solid[e] - self._solid[s] for s, e in spans), initial=0)
        )
        self._spans = spans
        ends = list(_SENTENCE_END.finditer(text))
        self._sentence_starts = [m.end() for m in ends]
        self._sentence_end_keys = [m.start() for m in ends]
        self._sentence_ends = [m.end(1) if m.group(1) else m.start() for m in ends]
        self._entry = block.tag in _ENTRY_TAGS and len(" ".join(text.split())) <= MAX_CONTEXT

    def span(self, mark: Mark) -> tuple[int, int]:
        if mark.slot is None:
            return self._links[mark.element]
        base = self._slots[(mark.element, mark.slot)]
        return base + mark.start, base + mark.end

    def line(self, mark: Mark) -> Line:
        s, e = self.span(mark)
        k = bisect_left(self._breaks, s)
        low = self._breaks[k - 1] + 1 if k else 0
        k = bisect_left(self._breaks, e)
        high = self._breaks[k] if k < len(self._breaks) else len(self.text)
        first, last = bisect_left(self._link_starts, low), bisect_left(self._link_starts, high)
        in_links = self._link_solid[last] - self._link_solid[first]
        prose = self._solid[high] - self._solid[low] - in_links
        if mark.slot is not None:
            prose -= self._solid[e] - self._solid[s]  # a bare URL is not prose around itself
        label = None
        if prose <= LABEL_MAX and last - first <= LABEL_MAX:
            cuts = [(s, e), *self._spans[first:last]] if mark.slot else self._spans[first:last]
            label, at = "", low
            for start, end in sorted(cuts):
                label, at = label + self.text[at:start] + " ", max(at, end)
            label += self.text[at:high]
        return Line(prose, last - first, label)

    def context(self, mark: Mark) -> str:
        """The sentence holding the mark, whitespace-collapsed, clipped to MAX_CONTEXT."""
        s, e = self.span(mark)
        start, end = 0, len(self.text)
        if not self._entry:
            k = bisect_right(self._sentence_starts, s)
            start = self._sentence_starts[k - 1] if k else 0
            k = bisect_left(self._sentence_end_keys, e)
            end = self._sentence_ends[k] if k < len(self._sentence_ends) else end
        # Read only a window around the mark: a sentence can be a whole page of run-on text.
        low, high = max(start, s - 4 * MAX_CONTEXT), min(end, e + 4 * MAX_CONTEXT)
        raw = self.text[low:s] + _START + self.text[s:e] + _END + self.text[e:high]
        sentence = " ".join(raw.split())
        i, j = sentence.index(_START), sentence.index(_END) - 1
        sentence = sentence.replace(_START, "").replace(_END, "")
        return _clip(sentence, i, j, low > start, high < end)


def _clip(text: str, start: int, end: int, cut_left: bool, cut_right: bool) -> str:
    if len(text) <= MAX_CONTEXT and not (cut_left or cut_right):
        return text
    room = MAX_CONTEXT - 2  # one "…" on each side
    low = max(0, min((start + end) // 2 - room // 2, len(text) - room))
    high = low + room
    clipped = text[low:high]
    if (low > 0 or cut_left) and " " in clipped:  # cut at word boundaries
        clipped = "…" + clipped.split(" ", 1)[1]
    if (high < len(text) or cut_right) and " " in clipped:
        clipped = clipped.rsplit(" ", 1)[0] + "…"
    return clipped[:MAX_CONTEXT]
