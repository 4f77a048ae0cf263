"""Find what an article cites: the links and bare URLs of its main content, in page order.

`find(html, base_url)` is a pure function (lxml only, no Scrapy), so the spider, the CLI and the
quality gate in `tests/test_citations.py` all run the same code. The rules it applies (which
blocks are furniture, which links are share/tag/author machinery, how a bare URL ends) live in
`crawler/citation_rules.py`; the sentence around a citation is found by
`crawler/citation_context.py`.

Main content: an explicit body marker (`itemprop=articleBody`, `.entry-content`, `.post-body`,
MediaWiki's parser output…) widened to its enclosing `<article>` so that a standfirst or a caption
outside the body still counts; else the largest `<article>`, else `<main>`; else the block with the
most paragraph text. Furniture inside it (nav, aside, footer, share bars, related boxes, comments…)
is skipped, and an article's header keeps only its prose (a standfirst), not its byline.

On MediaWiki pages, links to other wiki articles in the body are citations: the text rests on them
as much as on the reference list. Wiki machinery (edit links, Special:/File:/Category: pages, red
links, navboxes, the table of contents, "citation needed") is not.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from crawler import citation_rules as rules
from crawler.citation_context import MAX_CONTEXT, BlockText, Mark, block_of, walk

__all__ = ["MAX_CONTEXT", "Citation", "find"]

# A header line with this many non-link letters is a standfirst, not a byline or a date.
HEADER_PROSE = 60


# Explicit body markers, most specific first: schema.org, MediaWiki, WordPress, Blogger, CMSs.
# (attribute, token): matched against whitespace-separated tokens, in one pass over the page,
# since an XPath contains(concat(...)) per marker costs more than all the rest of find().
_BODY_MARKERS = (
    ("itemprop", "articleBody"),
    ("class", "mw-parser-output"),
    ("class", "entry-content"),
    ("class", "post-body"),
    ("class", "article-body"),
    ("class", "post-content"),
    ("class", "article-content"),
    ("class", "story-body"),
    ("class", "article__body"),
    ("id", "mw-content-text"),
)
_MARKER_SET = frozenset(_BODY_MARKERS)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Control characters never belong in HTML text; removing them frees \x01-\x03 for the markers
# of citation_context.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class Citation:
    """One cited source: where it points, what the link said, and the sentence around it."""

    url: str  # absolute http(s), fragment dropped, otherwise as written
    text: str  # anchor text, whitespace-collapsed; "" for a URL written as plain text
    context: str  # the sentence that cites it, whitespace-collapsed, at most MAX_CONTEXT chars


def find(html: str | bytes, base_url: str) -> list[Citation]:
    """The citations of an article page, in page order, one per URL (first occurrence wins)."""
    doc = _parse(html)
    if doc is None:
        return []
    page = _Page(doc, base_url)
    found: dict[str, Citation] = {}
    texts: dict[etree._Element, BlockText] = {}
    for mark, in_header in _candidates(_main_content(doc)):
        if mark.slot is None:
            url, text = page.link_url(mark.element), _anchor_text(mark.element)
        else:
            raw = getattr(mark.element, mark.slot)[mark.start : mark.end]
            url, text = page.checked(rules.absolute_bare_url(raw)), ""
        if url is None or url in found:
            continue
        around = _text_around(mark, texts)
        line = around.line(mark)
        if in_header and line.prose < HEADER_PROSE:
            continue  # bylines, dates and kicker links of an article header
        if mark.slot is None and line.links >= 2 and not line.prose:
            continue  # a row of links: "Back to top | More articles | Print"
        if rules.is_promo_line(line.label) and page.own_site(url):
            continue  # "Read more: <same-site story>"
        found[url] = Citation(url, text, around.context(mark))
    return list(found.values())


def _text_around(mark: Mark, texts: dict[etree._Element, BlockText]) -> BlockText:
    """The rendered block holding the mark, rendered once per block and page."""
    block = block_of(mark)
    if block not in texts:
        texts[block] = BlockText(block)
    try:
        texts[block].span(mark)
    except KeyError:  # the mark sits in furniture that _candidates kept for holding most text
        texts[block] = BlockText(block, skip_furniture=False)
    return texts[block]


def _parse(html: str | bytes) -> etree._Element | None:
    text = _decode(html) if isinstance(html, bytes) else html
    text = _XML_DECLARATION.sub("", _CONTROL.sub("", text), count=1)
    if not text.strip():
        return None
    # Plain etree elements: lxml.html's Python-level element classes cost more than the rest of
    # find(). huge_tree: libxml2 otherwise stops reading at depth 256, dropping the rest.
    parser = etree.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        doc = etree.fromstring(text, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if doc is None:
        return None
    # Scripts and styles are not text (their tails are, and stay).
    etree.strip_elements(doc, "script", "style", "noscript", "template", with_tail=False)
    return doc


def _decode(data: bytes) -> str:
    """Decode like a browser without HTTP headers: BOM, then <meta charset>, then UTF-8."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(codec, "replace").lstrip("\ufeff")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        # WHATWG: latin-1 and ASCII labels mean windows-1252; a UTF-16 label in an ASCII-
        # compatible document cannot be true.
        if name in {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}:
            name = "cp1252"
        elif name.startswith("utf-16"):
            name = "utf-8"
        try:
            return data.decode(name, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


class _Page:
    """What a link is judged against: the page's own addresses, base and site."""

    def __init__(self, doc: etree._Element, base_url: str) -> None:
        base = doc.xpath("//base[@href]/@href")
        self.base = (_join(base_url, base[0]) if base else None) or base_url
        own = [
            base_url,
            *doc.xpath("//link[@rel='canonical']/@href"),
            *doc.xpath("//meta[@property='og:url']/@content"),
        ]
        urls = [u for u in (_join(base_url, s) for s in own) if u]
        self.selves = {_self_key(u) for u in urls}
        self.hosts = {urlsplit(u).hostname or "" for u in urls}
        self.wiki = bool(
            doc.xpath("//meta[@name='generator'][starts-with(@content, 'MediaWiki')]")
            or doc.xpath("//*[@id='mw-content-text']")
        )

    def link_url(self, a: etree._Element) -> str | None:
        href = re.sub(r"[\t\n\r]", "", a.get("href") or "").strip()
        if not href or href.startswith("#") or rules.rel_drops(a.get("rel")):
            return None
        if self.wiki and "new" in rules.tokens(a):
            return None  # a red link: the wiki page does not exist
        url = self.checked(_join(self.base, href))
        if url and not "".join(a.itertext()).strip():
            has_image = bool(a.xpath(".//img | .//picture | .//amp-img"))
            if not has_image or rules.is_image_url(url):
                return None  # icon links, and images linking to their own full-size file
        return url

    def checked(self, url: str | None) -> str | None:
        """The URL as cited (fragment dropped), or None if it is not a citation."""
        try:
            parts = urlsplit(url or "")
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None  # mailto:, javascript:, tel:, data:, whatsapp:…
        if rules.is_machinery_url(url or "", self.hosts, self.wiki):
            return None
        cited = urldefrag(url or "").url
        return None if _self_key(cited) in self.selves else cited

    def own_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(rules.same_site(host, h) for h in self.hosts)


def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # e.g. a malformed IPv6 host
        return None


def _self_key(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return rules.site_of(parts.hostname or ""), parts.path.rstrip("/"), parts.query


_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")


def _text_len(el: etree._Element) -> int:
    return int(_TEXT_LENGTH(el))


def _main_content(doc: etree._Element) -> etree._Element:
    body = doc.find("body")
    body = doc if body is None else body
    densest = _densest(body)
    floor = max(1, _text_len(densest) // 4)  # a marker holding a quarter of the text is credible
    marked: dict[tuple[str, str], list[etree._Element]] = {}
    for el in doc.iter():
        for attr in ("itemprop", "class", "id"):
            for token in (el.get(attr) or "").split():
                if (attr, token) in _MARKER_SET:
                    marked.setdefault((attr, token), []).append(el)
    for marker in _BODY_MARKERS:
        best = max(marked.get(marker, ()), key=_text_len, default=None)
        if best is not None and _text_len(best) >= floor:
            article = next(best.iterancestors("article"), None)
            if article is not None and _text_len(article) <= 2 * _text_len(best):
                return article
            return best
    for xpath in ("//article", "//main | //*[@role='main']"):
        best = max(doc.xpath(xpath), key=_text_len, default=None)
        if best is not None and _text_len(best) >= floor:
            return best
    return densest


def _densest(body: etree._Element) -> etree._Element:
    """The container with the most non-link paragraph text (Readability's scoring, simplified):
    a paragraph credits its parent in full and its grandparent by half."""
    own: dict[etree._Element, int] = {}
    total = _text_len(body)
    blocks = [body]  # the open block elements; text is credited to the innermost
    links = 0  # how many <a> are open: link text is not paragraph text

    def credit(text: str | None) -> None:
        if text and not links:
            own[blocks[-1]] = own.get(blocks[-1], 0) + len(" ".join(text.split()))

    for event, el in walk(body, lambda el: rules.is_furniture(el) and _text_len(el) < total / 2):
        if event == "start":
            blocks += [el] if el.tag in rules.BLOCK_TAGS and el is not body else []
            links += el.tag == "a"
            credit(el.text)
            continue
        if event == "end":
            links -= el.tag == "a"
            if el.tag in rules.BLOCK_TAGS and el is not body:
                blocks.pop()
        if el is not body:
            credit(el.tail)
    scores: dict[etree._Element, float] = {}
    for block, size in own.items():
        target = block.getparent() if block.tag in rules.PARAGRAPH_TAGS else block
        for weight, el in ((1.0, target), (0.5, None if target is None else target.getparent())):
            if el is not None:
                scores[el] = scores.get(el, 0.0) + weight * size
    return max(scores, key=lambda el: scores[el], default=body)


def _candidates(root: etree._Element) -> Iterator[tuple[Mark, bool]]:
    """Every link and bare URL under root in page order, furniture skipped, with whether it sits
    in an article header."""
    total = _text_len(root)

    def skipped(el: etree._Element) -> bool:
        furniture = rules.is_furniture(el) or (
            el.tag not in rules.PARAGRAPH_TAGS and rules.has_furniture_heading(el)
        )
        # A wrapper holding most of the article is never furniture, whatever its class says.
        return furniture and _text_len(el) < total / 2

    def bare_urls(owner: etree._Element, slot: str, text: str | None) -> Iterator[Mark]:
        for match in rules.BARE_URL.finditer(text or ""):
            end = match.start() + len(rules.trim_bare_url(match.group()))
            yield Mark(owner, slot, match.start(), end)

    headers = [False]  # per open element: inside an article header?
    # What precedes the headline (kicker, section label, breadcrumb) is read like a header.
    before_title = bool(root.xpath(".//h1"))
    for event, el in walk(root, lambda el: el.tag == "a" or skipped(el)):
        if event == "start":
            before_title = before_title and el.tag != "h1"
            headers.append(headers[-1] or (el is not root and rules.is_header(el)))
            yield from ((m, headers[-1] or before_title) for m in bare_urls(el, "text", el.text))
            continue
        if event == "end":
            headers.pop()
        elif el.tag == "a" and not skipped(el):
            yield Mark(el), headers[-1] or before_title
        if el is not root:
            yield from ((m, headers[-1] or before_title) for m in bare_urls(el, "tail", el.tail))


def _anchor_text(a: etree._Element) -> str:
    text = " ".join("".join(a.itertext()).split())
    if not text:  # an image link: its alt text is what a reader sees
        alts = a.xpath("(.//img | .//amp-img)/@alt")
        text = " ".join(str(alts[0]).split()) if alts else ""
    return text
