"""archive.text: HTML, PDF and plain-text extraction, charsets, reasons, and the change digest."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archive.text import (
    TRAFILATURA_OPTIONS,
    ExtractedText,
    decode,
    extract,
    normalise,
    page_metadata,
    parse_html,
    text_digest,
)
from config import DEFAULTS_FILE
from tests.fakeweb.generated import PDF_SENTENCE, pdf_document, png_image

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "tests" / "data" / "articles"
NEWS = (ROOT / "tests" / "fixtures" / "text" / "news_en.html").read_text(encoding="utf-8")
NEWS_URL = "https://dailyledger.example/news/harbour"


def shipped_ignore() -> tuple[str, ...]:
    import tomllib

    return tuple(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))["change"]["ignore"])


IGNORE = shipped_ignore()


def html_text(markup: str, content_type: str = "text/html; charset=utf-8") -> ExtractedText:
    return extract(markup.encode("utf-8"), url=NEWS_URL, content_type=content_type)


# --- HTML ---------------------------------------------------------------------------------


def test_news_page_gives_main_text_and_metadata_without_boilerplate() -> None:
    result = html_text(NEWS)
    assert result.reason is None
    assert result.title == "Harbour audit finds £3.1m unaccounted for"
    assert result.author == "Sam Okafor"
    assert result.date == "2024-02-19"
    assert result.site_name == "The Daily Ledger"
    assert result.language == "en-GB"
    assert "37 of them, worth £3.1 million" in result.text
    for boilerplate in ("ADVERTISEMENT", "winter tyres", "Most read", "Privacy", "Page generated"):
        assert boilerplate not in result.text
    # One paragraph a line: the diff and the reader both rely on paragraph breaks.
    assert "delivered.\nThe authority's chair" in result.text


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("wordpress_blog.html", "Millbrook city council voted"),
        ("news_schema_org.html", "$3.1 million"),
        ("news_react.html", "Hospitals in Portugal, Spain and Greece"),
        ("blogspot_post.html", "flood marks on the old mill"),
        ("mediawiki.html", "Millbrook Dam"),
        ("table_layout.html", "The Mill Fire of 1911"),
        ("amp_page.html", "Fifth Street Bridge"),
    ],
)
def test_layouts_give_their_main_text(page: str, expected: str) -> None:
    result = extract((ARTICLES / page).read_bytes(), url="https://x.example/a", content_type=None)
    assert result.reason is None
    assert expected in result.text
    assert result.title


PAGES = sorted(ARTICLES.glob("*.html"))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_own_parsing_gives_what_trafilatura_gives_from_its_own(page: Path) -> None:
    """parse_html replaces trafilatura's parsing for speed: never for another result."""
    import trafilatura
    from trafilatura.utils import load_html

    markup = decode(page.read_bytes(), None)
    options = {"url": "https://x.example/a", **TRAFILATURA_OPTIONS}
    ours = trafilatura.bare_extraction(parse_html(markup), **options)
    theirs = trafilatura.bare_extraction(load_html(markup), **options)
    assert comparable(ours.as_dict()) == comparable(theirs.as_dict())
    assert ours.text


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_text_and_metadata_are_what_trafilatura_finds_in_one_call(page: Path) -> None:
    """extract asks trafilatura for the text alone, then page_metadata for the fields kept:
    together, what trafilatura's one call with metadata finds."""
    import trafilatura
    from trafilatura.utils import load_html

    url = "https://x.example/a"
    markup = decode(page.read_bytes(), None)
    theirs = trafilatura.bare_extraction(load_html(markup), url=url, **TRAFILATURA_OPTIONS)
    ours = page_metadata(parse_html(markup), url)
    fields = ("title", "author", "date", "sitename", "url", "description", "image")
    assert [getattr(ours, name) for name in fields] == [getattr(theirs, name) for name in fields]
    assert extract(page.read_bytes(), url=url, content_type=None).text == theirs.text.strip()


# Pages that reach the metadata steps' special cases, which the fixtures do not.
_SENTENCE = "The council met on Tuesday and voted on the budget for the coming year. "
_BODY = f"<p>{_SENTENCE * 6}</p>"
METADATA_CASES = {
    "one-word author": f'<html><head><title>A</title><meta name="author" content="admin">'
    f"</head><body><article>{_BODY}</article></body></html>",
    "twitter handle as site": '<html><head><title>B</title><meta name="twitter:site" '
    f'content="@planetnews"></head><body><article>{_BODY}</article></body></html>',
    "lower-case site name": '<html><head><title>C</title><meta property="og:site_name" '
    f'content="the ledger"></head><body><article>{_BODY}</article></body></html>',
    "JSON-LD headline and author": '<html><head><title>Site | D</title><script type="appl'
    'ication/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "headline": '
    '"The real headline", "author": {"@type": "Person", "name": "Ana Ruiz"}, "publisher": '
    '{"@type": "Organization", "name": "Ledger Daily"}, "datePublished": "2021-05-04"}'
    f"</script></head><body><article>{_BODY}</article></body></html>",
    "broken JSON-LD": '<html><head><title>E</title><script type="application/ld+json">'
    f'{{"@type": "NewsArticle", "headline": </script></head><body>{_BODY}</body></html>',
    "entities in the title": "<html><head><title>Rock &amp;amp; roll &#8211; live</title>"
    f"</head><body><article>{_BODY}</article></body></html>",
    "XML declaration and doctype": '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html '
    'PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.'
    'dtd"><html xmlns="http://www.w3.org/1999/xhtml"><head><title>F</title></head><body>'
    f"<article>{_BODY}</article></body></html>",
    "self-closing html tag": f"<!DOCTYPE html>\n<html/>\n<head><title>G</title></head><body>"
    f"{_BODY}</body>",
}


@pytest.mark.parametrize("markup", METADATA_CASES.values(), ids=METADATA_CASES.keys())
@pytest.mark.parametrize("url", ["https://news.example/2019/03/07/budget-vote", ""])
def test_metadata_special_cases_are_what_trafilatura_finds(markup: str, url: str) -> None:
    import trafilatura
    from trafilatura.utils import load_html

    theirs = trafilatura.bare_extraction(load_html(markup), url=url, **TRAFILATURA_OPTIONS)
    ours = page_metadata(parse_html(markup), url)
    fields = ("title", "author", "date", "sitename", "url", "description", "image")
    assert [getattr(ours, name) for name in fields] == [getattr(theirs, name) for name in fields]
    ours_text = extract(markup.encode("utf-8"), url=url, content_type="text/html; charset=utf-8")
    assert ours_text.text == theirs.text.strip()


def comparable(document: dict[str, object]) -> dict[str, object]:
    """A trafilatura document with its element trees as markup, so two compare by content."""
    from lxml import etree

    return {
        key: etree.tostring(value) if isinstance(value, etree._Element) else value
        for key, value in document.items()
    }


@pytest.mark.parametrize(
    "markup",
    ["<?xml version='1.0' encoding='utf-8'?><html><body><p>Texte déclaré.</p></body></html>",
     "<p>one element, no html</p>", "<html/>", "<!-- only a comment -->", "just words"],
)  # fmt: skip
def test_own_parsing_accepts_and_refuses_what_trafilatura_does(markup: str) -> None:
    from lxml import etree
    from trafilatura.utils import load_html

    ours, theirs = parse_html(markup), load_html(markup)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)


# --- Charsets -----------------------------------------------------------------------------

FRENCH_1252 = (ARTICLES / "french_alep.html").read_bytes()  # declared by <meta charset> only
ACCENTS = "Malgré la décision présidentielle russe"


def test_windows_1252_french_page_from_its_meta_tag() -> None:
    assert b"\xe9" in FRENCH_1252 and b'<meta charset="windows-1252">' in FRENCH_1252
    result = extract(FRENCH_1252, url="https://arretsurinfo.example/a", content_type="text/html")
    assert ACCENTS in result.text
    assert "l’impasse" in (result.title or "")  # 0x92, a windows-1252 quote, not latin-1
    assert result.language == "fr-FR"
    assert "\ufffd" not in result.text


def test_windows_1252_declared_nowhere_is_detected() -> None:
    bare = FRENCH_1252.replace(b'<meta charset="windows-1252">', b"")
    result = extract(bare, url="https://arretsurinfo.example/a", content_type="text/html")
    assert ACCENTS in result.text
    assert "\ufffd" not in result.text


def test_latin_1_label_reads_as_windows_1252_as_browsers_do() -> None:
    body = FRENCH_1252.replace(b'<meta charset="windows-1252">', b"")
    text = decode(body, "text/html; charset=ISO-8859-1")
    assert "l’impasse" in text


def test_header_charset_wins_over_meta() -> None:
    body = FRENCH_1252.replace(b"windows-1252", b"utf-8")  # the meta tag now lies
    result = extract(body, url="https://a.example/", content_type="text/html; charset=windows-1252")
    assert ACCENTS in result.text


def test_a_declaration_the_bytes_contradict_is_passed_over() -> None:
    # The header claims UTF-8, the bytes are windows-1252 and the meta tag says so.
    body = FRENCH_1252
    result = extract(body, url="https://a.example/", content_type="text/html; charset=utf-8")
    assert ACCENTS in result.text


def test_meta_http_equiv_and_bom() -> None:
    markup = NEWS.replace('<meta charset="utf-8">', "")
    equiv = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
    body = markup.replace("<head>", "<head>" + equiv).encode("iso-8859-15")
    assert "£3.1m" in decode(body, "text/html")
    assert decode(b"\xef\xbb\xbfcaf\xc3\xa9", "text/html; charset=cp1252") == "café"
    assert decode("café".encode("utf-16"), None) == "café"


# --- PDF, plain text, and what cannot be read ---------------------------------------------


def test_pdf_text_and_title() -> None:
    result = extract(
        pdf_document("report-2016"), url="https://a.example/r.pdf", content_type="application/pdf"
    )
    assert result.reason is None
    assert PDF_SENTENCE in result.text
    assert result.title == "report-2016"


def test_pdf_sent_as_octet_stream_is_sniffed() -> None:
    body = pdf_document("x")
    result = extract(body, url="https://a.example/x", content_type="application/octet-stream")
    assert PDF_SENTENCE in result.text


def test_pdf_switched_off_or_broken() -> None:
    body = pdf_document("x")
    off = extract(body, url="u", content_type="application/pdf", pdf=False)
    assert (off.text, off.reason) == ("", "pdf-disabled")
    broken = extract(body[: len(body) // 3], url="u", content_type="application/pdf")
    assert broken.text == ""
    assert broken.reason is not None and broken.reason.startswith("pdf-error: ")


def test_plain_text_is_taken_as_is_and_decoded_the_same_way() -> None:
    body = "Première ligne.\r\nDeuxième ligne, café.\n".encode("cp1252")
    result = extract(
        body, url="https://a.example/t.txt", content_type="text/plain; charset=windows-1252"
    )
    assert result == ExtractedText("Première ligne.\nDeuxième ligne, café.")
    undeclared = extract(body, url="https://a.example/t.txt", content_type="text/plain")
    assert "Deuxième ligne, café." in undeclared.text


GARBAGE = random.Random(7).randbytes(4000)  # noqa: S311 (the same bytes every run, not a secret)
NO_TEXT = b"<html><head><title>Nothing</title></head><body><script>x()</script></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (png_image(), "image/png", "unsupported-type:image/png"),
        (png_image(), None, "unsupported-type:image/png"),
        (b"", "text/html", "empty-body"),
        (b" \n\t ", "text/html", "empty-body"),
        (b"{}", "application/json", "unsupported-type:application/json"),
        (GARBAGE, None, "binary-content"),
        (GARBAGE, "text/html; charset=utf-8", "binary-content"),
        (NO_TEXT, "text/html", "no-main-text"),
    ],
)
def test_what_has_no_text_gets_a_reason_and_never_raises(
    body: bytes, content_type: str | None, reason: str
) -> None:
    result = extract(body, url="https://a.example/x", content_type=content_type)
    assert (result.text, result.reason) == ("", reason)


def test_a_page_without_main_text_keeps_its_title() -> None:
    assert extract(NO_TEXT, url="u", content_type="text/html").title == "Nothing"


def test_mime_wins_over_content_type() -> None:
    result = extract(png_image(), url="u", content_type="text/html", mime="image/png")
    assert result.reason == "unsupported-type:image/png"


# --- Normaliser and digest ----------------------------------------------------------------


def digest_of(markup: str) -> str:
    return text_digest(html_text(markup).text, IGNORE)


def test_whitespace_quotes_and_dashes_never_count() -> None:
    a = "Le « premier »  paragraphe — ici.\n\nL’autre\u00a0ligne…"
    b = 'Le "premier" paragraphe - ici. L\'autre ligne...'
    assert normalise(a) == normalise(b)
    assert text_digest(a) == text_digest(b)
    assert text_digest(a).startswith("sha1:") and len(text_digest(a)) == 5 + 32


def test_nfc_and_nfd_spellings_are_the_same_text() -> None:
    assert text_digest("cafe\u0301") == text_digest("caf\u00e9")


def test_boilerplate_changes_never_count() -> None:
    changed = (
        NEWS.replace("Save 20% on winter tyres", "New phones from £9 a month")
        .replace("12°C, light rain", "9°C, sunny")
        .replace("Page generated at 12:31:07", "Page generated at 18:02:44")
        .replace("Storm closes coastal road", "Train strike called off")
        .replace("87 shares", "1,032 shares")
        .replace("Updated 12:30 GMT | 1,234 views", "Updated 17:45 GMT | 9,876 views")
    )
    assert changed != NEWS
    assert digest_of(changed) == digest_of(NEWS)


def test_configured_noise_inside_the_main_text_never_counts() -> None:
    assert "Last updated: 19 February 2024" in html_text(NEWS).text  # noise is in the text
    changed = NEWS.replace("19 February 2024, 12:30 GMT", "20 February 2024, 09:05 GMT").replace(
        "Views: 1,234 · 56 comments", "Views: 2,017 · 61 comments"
    )
    assert text_digest(html_text(changed).text) != text_digest(html_text(NEWS).text)
    assert digest_of(changed) == digest_of(NEWS)


def test_one_sentence_edit_in_the_main_text_counts() -> None:
    changed = NEWS.replace("37 of them, worth", "35 of them, worth")
    assert digest_of(changed) != digest_of(NEWS)


ENGLISH_NOISE = [
    "Updated 12:30",
    "Last updated: 3 November 2016, 12:30 GMT",
    "Updated Nov. 3, 2016 at 12:30 p.m. ET",
    "Last modified on Fri 4 Nov 2016 09.15 GMT",
    "Published 2 hours ago",
    "3 hours ago",
    "1,234 views",
    "1.2k views · 45 comments",
    "Views: 1,234",
    "By Jane Doe, updated 12:30 GMT",
]
FRENCH_NOISE = [
    "Mis à jour le 3 novembre 2016 à 12h30",
    "Publié le 03/11/2016 à 12:30",
    "Modifié le 4 novembre 2016 à 09h15",
    "Dernière mise à jour : 12h30",
    "MAJ 12h30",
    "Publié le 4 nov. 2016 à 09h15, modifié à 10h30",
    "il y a 3 heures",
    "1 234 vues",
    "12 commentaires",
    "Lu 1 234 fois",
]


@pytest.mark.parametrize("noise", ENGLISH_NOISE + FRENCH_NOISE)
def test_shipped_patterns_remove_realistic_noise(noise: str) -> None:
    remaining = normalise(noise, IGNORE)
    assert not any(ch.isdigit() for ch in remaining), remaining


@pytest.mark.parametrize(
    "sentence",
    [
        "The report was updated on 3 November 2016 to include new figures.",
        "Il y a 3 jours, le ministre a démissionné.",
        "The video had 2 million views by Friday.",
        "He made 3 comments to the press at 12:30 yesterday.",
        "Pendant 48h, ils ont pilonné les quartiers, faisant 40 morts.",
        "Deux militaires syriens ont été tués, et 37 civils ont été blessés.",
        "Published in 2016, the study found 12 cases.",
    ],
)
def test_shipped_patterns_leave_sentences_alone(sentence: str) -> None:
    assert normalise(sentence, IGNORE) == normalise(sentence)


def test_french_byline_noise_goes_but_the_author_stays() -> None:
    line = "Par Jean Dupont | Publié le 03/11/2016 à 12h30 | Mis à jour le 04/11/2016 à 09h15"
    assert normalise(line, IGNORE) == "Par Jean Dupont"
