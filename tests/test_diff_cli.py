"""`citewatch diff`: two archived versions of a source, chosen by time or index, as text, JSON
or a self-contained HTML page, over real crawls of the fake web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import citewatch, make_data_dir
from tests.fakeweb import FakeWeb

SOURCE_V1 = (
    "<html><head><title>Agency report</title></head><body><article><h1>Agency report</h1>"
    "<p>The agency counted 40 dead, including 16 children, and 250 wounded in the district.</p>"
    "<p>Its observers reached the area on the morning of 30 October.</p>"
    "<script>alert('archived page script')</script></article></body></html>"
)
SOURCE_V2 = SOURCE_V1.replace("40 dead, including 16 children, and 250", "14 dead and 50")


@pytest.fixture(scope="module")
def crawled(
    fakeweb: FakeWeb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """A data directory holding two crawls of an article; its source was edited in between.

    Shared by the module's tests, which only read it: crawls are the slow part.
    """
    data = make_data_dir(tmp_path_factory.mktemp("diff") / "data")
    site = fakeweb.site("diff-cli")
    site.set("/source.html", SOURCE_V1)
    site.set(
        "/article.html",
        f'<html><body><article><p>As <a href="{site.url("/source.html")}">the agency '
        "reported</a>, the toll rose.</p></article></body></html>",
    )
    assert citewatch(data, "add", site.url("/article.html")).code == 0
    assert citewatch(data, "crawl").code == 0
    site.set("/source.html", SOURCE_V2)
    assert citewatch(data, "crawl", "--all").code == 0
    yield data, site.url("/source.html")
    site.reset()


def test_raw_diff_between_two_crawls(crawled: tuple[Path, str]) -> None:
    data, source = crawled
    run = citewatch(data, "diff", source, "--raw", "--json")
    assert run.code == 0, run.err
    result = run.json()
    assert result["url"] == source and result["raw"] is True
    assert result["old_time"] < result["new_time"] or result["old_time"] == result["new_time"]
    changed = [op for hunk in result["hunks"] for op in hunk["ops"] if op["op"] != "equal"]
    assert changed, result
    old = " ".join(" ".join(op["old_text"]) for op in changed)
    new = " ".join(" ".join(op["new_text"]) for op in changed)
    assert "40 dead" in old and "14 dead and 50" in new
    assert 0 < result["similarity"] < 1
    # --from/--to by index name the same two versions.
    same = citewatch(data, "diff", source, "--raw", "--from", "-2", "--to", "-1", "--json")
    assert same.json()["hunks"] == result["hunks"]


def test_html_page_is_self_contained_and_escaped(crawled: tuple[Path, str], tmp_path: Path) -> None:
    data, source = crawled
    page = tmp_path / "diff.html"
    run = citewatch(data, "diff", source, "--raw", "--html", str(page))
    assert run.code == 0, run.err
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "http://" not in html.split("<body>", 1)[0].replace(source, "")  # no external assets
    assert not list(tmp_path.glob(".*.partial"))


def test_terminal_output_is_plain_in_a_pipe(crawled: tuple[Path, str]) -> None:
    data, source = crawled
    run = citewatch(data, "diff", source, "--raw")
    assert run.code == 0, run.err
    assert run.out.startswith(f"--- {source}  ")
    assert "\x1b[" not in run.out  # no colour codes when stdout is not a terminal
    assert "+" in run.out and "-" in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "1999"), "no capture of {source} at 1999 (captures: "),
        (("--to", "-9"), "{source} has 2 captured version(s), so -9 does not exist"),
        (("--from", "last week"), "'last week' is not a capture time"),
    ],
)
def test_unknown_versions_are_one_line_exit_2(
    crawled: tuple[Path, str], args: tuple[str, ...], message: str
) -> None:
    data, source = crawled
    run = citewatch(data, "diff", source, "--raw", *args)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("Error: " + message.format(source=source))
    assert run.err.count("\n") == 1


def test_never_captured_and_bad_html_target(crawled: tuple[Path, str], tmp_path: Path) -> None:
    data, source = crawled
    never = citewatch(data, "diff", "https://nowhere.example/page")
    assert never.code == 2
    assert never.err == "Error: https://nowhere.example/page has never been captured\n"
    missing = tmp_path / "no-such-dir" / "diff.html"
    bad = citewatch(data, "diff", source, "--raw", "--html", str(missing))
    assert bad.code == 2
    assert bad.err == f"Error: --html: {missing.parent} is not a directory\n"
    assert not missing.parent.exists()
