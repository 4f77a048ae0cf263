"""crawler.citations.find(): one test per rule, then the quality gate over stored article pages.

The gate reads `tests/data/articles/*.html` with hand-made `<name>.expected.json` lists (what a
reader would call the article's cited sources, written before the code was tuned) and fails when
micro-averaged precision or recall drops below the pinned floors. Move a floor only on purpose.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import time
from pathlib import Path

import pytest

from crawler import citation_rules
from crawler.citations import MAX_CONTEXT, Citation, find

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "tests" / "data" / "articles"
PAGE = "https://news.example.com/2024/05/01/story"

# Pinned just under the figures measured when the gate was written: precision 113/115 = 0.983,
# recall 113/113 = 1.0 over 16 pages. The two extra URLs are honest misses (a reporting-service
# credit link and a same-site "about" link inside body text). ghost_blog, news_react and
# medium_post were written after the code and scored once before any change (precision 0.87,
# recall 0.72), then the general causes were fixed (rel="ugc" is not a reason to drop a link,
# "/@name" profile pages, kicker links above the headline).
PRECISION_FLOOR = 0.98
RECALL_FLOOR = 0.99


def urls(html: str | bytes, base_url: str = PAGE) -> list[str]:
    return [c.url for c in find(html, base_url)]


def article(body: str, head: str = "") -> str:
    """A page whose <article> holds body, between site furniture that must never be cited."""
    return (
        f"<html><head>{head}</head><body>"
        '<nav><a href="https://news.example.com/world">World</a></nav>'
        f"<article><h1>Story</h1>{body}</article>"
        '<footer><a href="https://other.example.org/partner">Partner</a></footer>'
        "</body></html>"
    )


# --- bare URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "url"),
    [
        ("Source: http://example.org/a", "http://example.org/a"),
        ("Source: http://example.org/a.", "http://example.org/a"),
        ("(voir https://x.org/p).", "https://x.org/p"),
        ("see https://x.org/p, then", "https://x.org/p"),
        ("at https://x.org/p; and", "https://x.org/p"),
        ("here: https://x.org/p: yes", "https://x.org/p"),
        ("wow https://x.org/p!", "https://x.org/p"),
        ("really https://x.org/p?", "https://x.org/p"),
        ('as "https://x.org/p" says', "https://x.org/p"),
        ("as 'https://x.org/p' says", "https://x.org/p"),
        ("«https://x.org/p»", "https://x.org/p"),
        ("&lt;https://x.org/p&gt;", "https://x.org/p"),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("see https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(https://x.org/search?q=a).", "https://x.org/search?q=a"),
        ("a friend's www.example.com/blog post", "http://www.example.com/blog"),
    ],
)
def test_bare_url_is_trimmed_of_the_sentence_punctuation(written: str, url: str) -> None:
    assert urls(article(f"<p>{written}</p>")) == [url]


def test_bare_url_needs_a_host() -> None:
    assert urls(article("<p>Nothing here: https://localhost and http:// alone.</p>")) == []


def test_bare_url_that_is_also_a_link_is_one_citation() -> None:
    body = (
        '<p>The report <a href="https://x.org/report">https://x.org/report</a> is short.</p>'
        "<p>Again: https://x.org/report.</p>"
    )
    found = find(article(body), PAGE)
    assert [(c.url, c.text) for c in found] == [("https://x.org/report", "https://x.org/report")]


def test_trim_keeps_balanced_brackets() -> None:
    assert citation_rules.trim_bare_url("https://x.org/a_(b)_c).") == "https://x.org/a_(b)_c"
    assert citation_rules.trim_bare_url("https://x.org/[1]]") == "https://x.org/[1]"


# --- URLs ------------------------------------------------------------------------------------


def test_duplicates_keep_the_first_occurrence_and_fragments_are_dropped() -> None:
    body = (
        '<p>First <a href="https://x.org/doc#page=2">the doc</a>, then the '
        '<a href="https://y.org/other">other</a>, then <a href="https://x.org/doc">again</a>.</p>'
    )
    found = find(article(body), PAGE)
    assert [(c.url, c.text) for c in found] == [
        ("https://x.org/doc", "the doc"),
        ("https://y.org/other", "other"),
    ]


def test_relative_links_resolve_against_base_href() -> None:
    page = article(
        '<p>See <a href="reports/a.pdf">A</a> and <a href="/b">B</a> and <a href="../c">C</a>.</p>',
        head='<base href="https://static.example.net/site/2021/">',
    )
    assert urls(page) == [
        "https://static.example.net/site/2021/reports/a.pdf",
        "https://static.example.net/b",
        "https://static.example.net/site/c",
    ]


def test_a_relative_base_href_resolves_against_the_page() -> None:
    page = article('<p>See <a href="a.pdf">A</a>.</p>', head='<base href="/files/">')
    assert urls(page) == ["https://news.example.com/files/a.pdf"]


def test_relative_links_resolve_against_the_page_without_base() -> None:
    assert urls(article('<p>See <a href="../annex.html">the annex</a>.</p>')) == [
        "https://news.example.com/2024/05/annex.html"
    ]


@pytest.mark.parametrize(
    "href",
    [
        "mailto:desk@news.example.com",
        "javascript:void(0)",
        "JavaScript:window.print()",
        "tel:+15555550100",
        "data:text/plain,hello",
        "#section-2",
        "#",
        PAGE + "#comments-title",
        PAGE + "/",
        "https://news.example.com/2024/05/01/story?share=twitter",
        "whatsapp://send?text=hi",
        "ftp://files.example.org/a.txt",
        "",
    ],
)
def test_non_citation_targets_are_dropped(href: str) -> None:
    assert urls(article(f'<p>A sentence with <a href="{href}">a link</a> in it.</p>')) == []


def test_link_to_the_canonical_url_is_a_self_link() -> None:
    page = article(
        '<p><a href="https://www.news.example.com/story">Full story</a></p>',
        head='<link rel="canonical" href="https://www.news.example.com/story">',
    )
    assert urls(page, "https://amp.news.example.com/story/amp") == []


# --- furniture -------------------------------------------------------------------------------


def test_nav_footer_aside_header_outside_the_article_are_dropped() -> None:
    page = (
        '<html><body><header><a href="https://other.org/h">h</a></header>'
        '<nav><a href="https://other.org/n">n</a></nav><main><article><h1>T</h1>'
        '<p>The <a href="https://x.org/cited">cited report</a> says so, in a long sentence.</p>'
        '<nav class="breadcrumbs"><a href="https://other.org/crumb">crumb</a></nav>'
        '<aside><a href="https://other.org/aside">aside</a></aside>'
        '<footer><a href="https://other.org/footer">footer</a></footer></article></main>'
        '<aside id="sidebar"><a href="https://other.org/side">side</a></aside></body></html>'
    )
    assert urls(page) == ["https://x.org/cited"]


@pytest.mark.parametrize(
    "furniture",
    [
        '<div class="sharedaddy"><a href="https://other.org/a">Share</a></div>',
        '<div class="share-tools"><a href="https://www.facebook.com/sharer/sharer.php?u=x">f</a>'
        '<a href="https://twitter.com/intent/tweet?url=x">t</a></div>',
        '<p><a href="https://www.linkedin.com/shareArticle?url=x">LinkedIn</a></p>',
        '<p><a href="https://api.whatsapp.com/send?text=x">WhatsApp</a></p>',
        '<p><a href="mailto:?subject=Look&amp;body=x">Email this</a></p>',
        '<div class="tags"><a href="https://other.org/x">x</a></div>',
        '<p>Filed under <a rel="tag" href="https://other.org/t">t</a></p>',
        '<p>Tagged <a href="/tag/politics/">politics</a></p>',
        '<p>By <a href="/author/jane/">Jane</a></p>',
        '<p>By <a rel="author" href="https://other.org/jane">Jane</a></p>',
        '<div class="author-info"><a href="https://other.org/bio">bio</a></div>',
        '<div id="comments"><p>See <a href="https://other.org/c">this</a>.</p></div>',
        '<ol class="comment-list"><li><a href="https://other.org/c">c</a></li></ol>',
        '<p><a class="comment-reply-link" href="?replytocom=31#respond">Reply</a></p>',
        '<p><a href="https://news.example.com/2024/05/01/story#comments">12 comments</a></p>',
        '<div class="related-posts"><a href="https://other.org/r">r</a></div>',
        '<div><h3>Most read</h3><ol><li><a href="https://other.org/m">m</a></li></ol></div>',
        '<div class="pagination"><a href="/page/2/">2</a></div>',
        '<p><a href="https://news.example.com/2024/05/01/story/page/2/">Next page</a></p>',
        '<div class="newsletter"><a href="https://other.org/n">Sign up</a></div>',
        '<div class="ad-slot"><a href="https://ads.example.net/c?1">Ad</a></div>',
        '<p><a href="https://news.example.com/">Home</a></p>',
    ],
)
def test_furniture_inside_the_article_is_dropped(furniture: str) -> None:
    body = (
        f'<p>The <a href="https://x.org/cited">cited report</a> says so at length.</p>{furniture}'
    )
    assert urls(article(body)) == ["https://x.org/cited"]


def test_header_keeps_its_standfirst_and_drops_its_byline() -> None:
    body = (
        "<header><h1>Audit finds gaps</h1>"
        '<p class="standfirst">A <a href="https://x.org/audit.pdf">state audit</a> released on '
        "Monday says the authority cannot document how it spent its recovery funds.</p>"
        '<div class="byline">By <a href="/by/sam">Sam</a>, 1 May</div></header>'
        '<p>Body with a <a href="https://y.org/data">data set</a> cited in it.</p>'
    )
    assert urls(article(body)) == ["https://x.org/audit.pdf", "https://y.org/data"]


def test_kicker_before_the_headline_is_dropped() -> None:
    page = (
        '<html><body><main><p><a href="/world/heatwaves">Heatwaves</a></p><h1>Hot</h1>'
        '<p>The <a href="https://x.org/advisory">advisory</a> was issued on Tuesday.</p>'
        "</main></body></html>"
    )
    assert urls(page) == ["https://x.org/advisory"]


def test_read_more_promos_to_the_same_site_are_dropped() -> None:
    body = (
        '<p><strong>Read more:</strong> <a href="https://news.example.com/other">Other</a></p>'
        '<p>READ MORE: <a href="/a">A</a> | <a href="/b">B</a></p>'
        '<p>See also: <a href="https://x.org/report">the report</a></p>'
        '<p>As <a href="https://news.example.com/earlier">we reported</a> last year, it grew.</p>'
    )
    assert urls(article(body)) == [
        "https://x.org/report",
        "https://news.example.com/earlier",
    ]


def test_rows_of_links_are_navigation() -> None:
    body = (
        '<p>Text citing <a href="https://x.org/a">a source</a> in a sentence.</p>'
        '<p><a href="#top">Back to top</a> | <a href="/archive/">More</a> | '
        '<a href="/print">Print</a></p>'
    )
    assert urls(article(body)) == ["https://x.org/a"]


def test_image_lightbox_links_are_dropped_but_captions_and_text_links_to_images_count() -> None:
    body = (
        '<figure><a href="/uploads/chart.png"><img src="/uploads/chart-small.png" alt="Chart"></a>'
        '<figcaption>Data: <a href="https://data.example.gov/set">open data</a>.</figcaption>'
        '</figure><p>The <a href="https://maps.example.org/1911.jpg">1911 map</a> shows it.</p>'
    )
    assert urls(article(body)) == [
        "https://data.example.gov/set",
        "https://maps.example.org/1911.jpg",
    ]


def test_text_density_finds_an_unmarked_article() -> None:
    prose = "A long sentence of the article that goes on for a while about the river. " * 4
    page = (
        '<html><body><div class="l"><a href="https://site.example/a">A</a> '
        '<a href="https://site.example/b">B</a></div><div class="x">'
        f'<p>{prose}</p><p>{prose} The <a href="https://x.org/src">source</a>.</p></div>'
        '<div class="r"><ul><li><a href="https://other.org/1">One</a></li></ul></div>'
        "</body></html>"
    )
    assert urls(page) == ["https://x.org/src"]


def test_mediawiki_keeps_articles_and_references_and_drops_wiki_machinery() -> None:
    page = (
        '<html><head><meta name="generator" content="MediaWiki 1.41"></head><body>'
        '<div id="mw-content-text"><div class="mw-parser-output">'
        '<div class="hatnote">See <a href="/wiki/Dam_(disambiguation)">Dam</a>.</div>'
        '<p>A <a href="/wiki/Gravity_dam">gravity dam</a> on the <a href="/wiki/Mill_River_(Ohio)">'
        'Mill River</a>.<sup class="reference"><a href="#cite_note-1">[1]</a></sup>'
        '<sup class="noprint"><a href="/wiki/Wikipedia:Citation_needed">citation needed</a></sup>'
        ' By <a class="new" href="/w/index.php?title=H_V&amp;action=edit&amp;redlink=1">H V</a>.'
        '</p><h2>History<span class="mw-editsection"><a href="/w/index.php?title=D&amp;action=edit'
        '&amp;section=1">edit</a></span></h2><p><a href="/wiki/File:Dam.jpg"><img src="d.jpg" '
        'alt="dam"></a></p><ol class="references"><li><cite><a class="external text" '
        'href="https://x.org/src">Source</a>. <a href="/wiki/Doi_(identifier)">doi</a>:'
        '<a class="external text" href="https://doi.org/10.1/x">10.1/x</a></cite></li></ol>'
        '<div class="navbox"><a href="/wiki/Other_dam">Other dam</a></div>'
        "</div></div></body></html>"
    )
    assert urls(page, "https://wiki.example.org/wiki/Dam") == [
        "https://wiki.example.org/wiki/Gravity_dam",
        "https://wiki.example.org/wiki/Mill_River_(Ohio)",
        "https://x.org/src",
        "https://doi.org/10.1/x",
    ]


# --- text and context ------------------------------------------------------------------------


def test_anchor_text_and_context_sentence_are_captured() -> None:
    body = (
        "<p>The council met on Tuesday. The <a href='https://x.org/minutes'>minutes\n of the "
        "meeting</a> record that the money comes from reserves. Nobody objected.</p>"
        "<ul><li>Dataset: https://data.example.org/a.csv (updated daily)</li></ul>"
    )
    found = find(article(body), PAGE)
    assert found == [
        Citation(
            "https://x.org/minutes",
            "minutes of the meeting",
            "The minutes of the meeting record that the money comes from reserves.",
        ),
        Citation(
            "https://data.example.org/a.csv",
            "",
            "Dataset: https://data.example.org/a.csv (updated daily)",
        ),
    ]


def test_context_is_clipped_around_the_citation() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    body = f'<p>Start {words} the <a href="https://x.org/far">far link</a> {words} end.</p>'
    (cited,) = find(article(body), PAGE)
    assert len(cited.context) <= MAX_CONTEXT
    assert "far link" in cited.context
    assert cited.context.startswith("…") and cited.context.endswith("…")


def test_citation_is_a_frozen_value() -> None:
    cited = Citation("https://x.org", "x", "x.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cited.url = "https://y.org"  # type: ignore[misc]


# --- input -----------------------------------------------------------------------------------


def test_bytes_are_decoded_with_the_declared_charset() -> None:
    page = article('<p>L’<a href="https://x.org/étude">étude</a> publiée à Paris.</p>')
    page = page.replace("<head>", '<head><meta charset="windows-1252">')
    (cited,) = find(page.encode("cp1252"), PAGE)
    assert cited.text == "étude"
    assert cited.context == "L’étude publiée à Paris."
    assert cited.url == "https://x.org/étude"


def test_bytes_with_an_http_equiv_latin1_declaration_decode_as_windows_1252() -> None:
    page = article("<p>Les « sources » <a href='https://x.org/a'>citées</a> ici.</p>").replace(
        "<head>",
        '<head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
    )
    (cited,) = find(page.encode("cp1252"), PAGE)
    assert cited.context == "Les « sources » citées ici."


def test_bytes_without_a_declaration_are_utf8() -> None:
    (cited,) = find(article("<p>Über <a href='https://x.org/a'>Straße</a>.</p>").encode(), PAGE)
    assert cited.text == "Straße"


def test_xml_declaration_and_bom_are_accepted() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?>' + article(
        '<p><a href="https://x.org/a">a</a></p>'
    )
    assert urls(page) == ["https://x.org/a"]
    assert urls(b"\xef\xbb\xbf" + page.encode()) == ["https://x.org/a"]


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        b"",
        b"\x00\x01\x02",
        "<<<>>>",
        "<html></html>",
        "not html at all",
        b"\xff\xfe\x00",
    ],
)
def test_empty_or_garbage_input_gives_no_citations(garbage: str | bytes) -> None:
    assert find(garbage, PAGE) == []


def test_deeply_nested_pages_are_read_past_depth_256() -> None:
    # libxml2 stops reading at depth 256 unless told otherwise; the walks are iterative.
    depth = 1500
    page = "<html><body>" + "<div>" * depth
    page += '<p>A long enough sentence citing <a href="https://deep.example.org/">a source</a>.</p>'
    page += "</div>" * depth + "</body></html>"
    assert urls(page) == ["https://deep.example.org/"]


def test_a_block_of_thousands_of_links_is_not_quadratic() -> None:
    # Each block is rendered once; this took minutes when every link re-rendered its block.
    rows = "".join(
        f'Line {i} cites <a href="https://x{i}.example.org/p">source {i}</a> here.<br>'
        for i in range(2000)
    )
    started = time.process_time()
    found = find(f"<html><body><div>{rows}</div></body></html>", PAGE)
    assert len(found) == 2000
    assert found[7] == Citation(
        "https://x7.example.org/p", "source 7", "Line 7 cites source 7 here."
    )
    assert time.process_time() - started < 20  # ~0.3 s of CPU on a 2-core box


def test_citations_module_is_pure() -> None:
    for name in ("citations.py", "citation_rules.py", "citation_context.py"):
        tree = ast.parse((ROOT / "crawler" / name).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
        assert not imported & {"scrapy", "twisted"}, name


# --- the quality gate ------------------------------------------------------------------------


def _pages() -> list[Path]:
    return sorted(ARTICLES.glob("*.html"))


def _expected(page: Path) -> dict[str, object]:
    expected: dict[str, object] = json.loads(
        page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8")
    )
    return expected


def test_gate_has_enough_pages() -> None:
    assert len(_pages()) >= 12
    for page in _pages():
        assert page.with_name(page.stem + ".expected.json").exists(), page.name


def test_citation_quality_gate() -> None:
    rows = []
    true_pos = false_pos = false_neg = 0
    for page in _pages():
        expected = _expected(page)
        wanted = set(expected["citations"])  # type: ignore[call-overload]
        got = set(urls(page.read_bytes(), str(expected["base_url"])))
        hits = len(got & wanted)
        true_pos, false_pos, false_neg = (
            true_pos + hits,
            false_pos + len(got - wanted),
            false_neg + len(wanted - got),
        )
        rows.append(
            f"{page.stem:24} found {len(got):3} expected {len(wanted):3} hits {hits:3}"
            f"  extra {sorted(got - wanted)}  missed {sorted(wanted - got)}"
        )
    precision = true_pos / ((true_pos + false_pos) or 1)
    recall = true_pos / ((true_pos + false_neg) or 1)
    table = "\n".join([*rows, f"precision {precision:.3f}  recall {recall:.3f}"])
    assert precision >= PRECISION_FLOOR, table
    assert recall >= RECALL_FLOOR, table


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.stem)
def test_citations_come_in_page_order(page: Path) -> None:
    expected = _expected(page)
    wanted: list[str] = list(expected["citations"])  # type: ignore[call-overload]
    got = [u for u in urls(page.read_bytes(), str(expected["base_url"])) if u in wanted]
    assert got == [u for u in wanted if u in got]
