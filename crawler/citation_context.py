"""The sentence around a citation: the text of the block that holds a link or a bare URL, split
into lines and sentences, with the citation located in it.

Used by `crawler.citations.find()` for two things: the `context` of each citation, and the line a
link sits on (a row of links is navigation; "Read more: <link>" is a promo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import html as lxml_html

from crawler import citation_rules as rules

MAX_CONTEXT = 300  # characters of sentence kept around a citation

_LINK, _START, _END = "\x01", "\x02", "\x03"
# A sentence ends at . ! ? … (plus closing quotes and footnote marks such as "[1]") before a
# capital or a digit, or at a line break.
_SENTENCE_END = re.compile(
    r"([.!?…][\"'»”’)\]]*(?:\[[^\]\n]{1,20}\])*)\s+(?=\x02?[\"'«“‘(\[]?\x02?[A-ZÀ-ÖØ-Þ0-9])|\n"
)
# Blocks that are one entry (a reference, a caption, a table cell): when short, the whole entry
# is the context, since citation styles put ". " between an entry's fields.
_ENTRY_TAGS = frozenset({"li", "dd", "dt", "td", "th", "figcaption", "caption"})


@dataclass(frozen=True)
class Mark:
    """A link element (slot None), or a span of an element's text or tail holding a bare URL."""

    element: lxml_html.HtmlElement
    slot: str | None = None
    start: int = 0
    end: int = 0


def block_of(mark: Mark) -> lxml_html.HtmlElement:
    """The nearest block-level element around the mark."""
    el = mark.element.getparent() if mark.slot != "text" else mark.element
    for candidate in (el, *el.iterancestors()):
        if candidate.tag in rules.BLOCK_TAGS:
            return candidate
    return el


def _render(block: lxml_html.HtmlElement, mark: Mark, hide_links: bool) -> str:
    """The block's text, "\\n" at line and block breaks, the mark between _START and _END; with
    hide_links, each link's text is replaced by one _LINK."""
    out: list[str] = []

    def put(owner: lxml_html.HtmlElement, slot: str, text: str | None) -> None:
        if text and mark.element is owner and mark.slot == slot:
            out.extend((text[: mark.start], _START, text[mark.start : mark.end], _END))
            out.append(text[mark.end :])
        elif text:
            out.append(text)

    def visit(el: lxml_html.HtmlElement) -> None:
        target = mark.slot is None and el is mark.element
        out.append("\n" if el.tag in rules.BLOCK_TAGS or el.tag == "br" else "")
        out.append(_START if target else "")
        if hide_links and el.tag == "a":
            out.append(_LINK)
        else:
            put(el, "text", el.text)
            for child in el:
                if isinstance(child.tag, str) and not rules.is_furniture(child):
                    visit(child)  # furniture such as "[citation needed]" is not the sentence
                put(child, "tail", child.tail)
        out.append(_END if target else "")
        out.append("\n" if el.tag in rules.BLOCK_TAGS else "")

    visit(block)
    return "".join(out)


def line_of(block: lxml_html.HtmlElement, mark: Mark) -> tuple[str, int]:
    """The non-link text of the line holding the mark, and how many links that line has."""
    rendered = _render(block, mark, hide_links=True)
    i, j = rendered.index(_START), rendered.index(_END)
    start, end = rendered.rfind("\n", 0, i) + 1, rendered.find("\n", j)
    line = rendered[start:i] + rendered[j + 1 : None if end < 0 else end]
    links = line.count(_LINK) + (mark.slot is None)
    return line.replace(_LINK, " "), links


def context_of(block: lxml_html.HtmlElement, mark: Mark) -> str:
    """The sentence of the block that holds the mark, clipped to MAX_CONTEXT around it."""
    rendered = _render(block, mark, hide_links=False)
    i, j = rendered.index(_START), rendered.index(_END)
    start, end = 0, len(rendered)
    entry = block.tag in _ENTRY_TAGS and len(" ".join(rendered.split())) <= MAX_CONTEXT + 2
    for m in () if entry else _SENTENCE_END.finditer(rendered):
        if m.end() <= i:
            start = m.end()
        elif m.start() >= j:
            end = m.end(1) if m.group(1) else m.start()
            break
    sentence = " ".join(rendered[start:end].split())
    i, j = sentence.index(_START), sentence.index(_END) - 1
    return _clip(sentence.replace(_START, "").replace(_END, ""), i, j)


def _clip(text: str, start: int, end: int) -> str:
    if len(text) <= MAX_CONTEXT:
        return text
    room = MAX_CONTEXT - 2  # one "…" on each side
    low = max(0, min((start + end) // 2 - room // 2, len(text) - room))
    high = low + room
    clipped = text[low:high]
    if low > 0 and " " in clipped:  # cut at word boundaries
        clipped = "…" + clipped.split(" ", 1)[1]
    if high < len(text) and " " in clipped:
        clipped = clipped.rsplit(" ", 1)[0] + "…"
    return clipped[:MAX_CONTEXT]
