"""`citewatch citations URL|FILE`: what a page cites, fetched once through the guard, no archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.cli import main
from tests.fakeweb import FakeWeb

ARTICLES = Path(__file__).parent / "data" / "articles"


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["--data", str(data), "citations", *args])
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CITEWATCH_ALLOW_PRIVATE", raising=False)
    path = tmp_path / "data"
    path.mkdir()
    (path / "citewatch.toml").write_text(
        "[crawl]\nallow_private = true\ntimeout = 5\n", encoding="utf-8"
    )
    return path


def test_url_lists_citations_in_page_order(
    capsys: pytest.CaptureFixture[str], fakeweb: FakeWeb, data: Path
) -> None:
    code, out, err = run(capsys, data, fakeweb.url("/articles/alep.html"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["url"] == fakeweb.url("/articles/alep.html")
    assert [c["url"] for c in result["citations"]] == [
        fakeweb.url("/pdf/rapport-31-octobre.pdf"),
        fakeweb.url("/redirect?to=/sources/tchurkin-onu.html&code=301"),
        fakeweb.url("/sources/blog-post.html"),
        fakeweb.url("/status/404"),
        fakeweb.url("/sources/agency-story.html"),
    ]
    tchurkin = result["citations"][1]
    assert tchurkin["text"] == "l’ambassadeur russe V. Tchurkin"
    assert "Conseil de sécurité" in tchurkin["context"]
    assert not (data / "citewatch.db").exists()  # nothing archived, nothing stored


def test_redirects_are_followed(
    capsys: pytest.CaptureFixture[str], fakeweb: FakeWeb, data: Path
) -> None:
    code, out, _ = run(capsys, data, fakeweb.url("/redirect?to=/articles/alep.html"), "--json")
    assert code == 0
    assert json.loads(out)["url"] == fakeweb.url("/articles/alep.html")


def test_file_with_base_url(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    expected = json.loads((ARTICLES / "base_href.expected.json").read_text(encoding="utf-8"))
    code, out, _ = run(
        capsys, data, str(ARTICLES / "base_href.html"), "--base-url", expected["base_url"], "--json"
    )
    assert code == 0
    assert [c["url"] for c in json.loads(out)["citations"]] == expected["citations"]


def test_human_output(capsys: pytest.CaptureFixture[str], fakeweb: FakeWeb, data: Path) -> None:
    code, out, _ = run(capsys, data, fakeweb.url("/articles/alep.html"))
    assert code == 0
    assert "rapport du 31 octobre" in out and "sources/agency-story.html" in out


def test_private_address_refused_by_default(
    capsys: pytest.CaptureFixture[str],
    fakeweb: FakeWeb,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CITEWATCH_ALLOW_PRIVATE", raising=False)
    url = fakeweb.url("/articles/alep.html")
    fakeweb.clear_requests()
    code, _out, err = run(capsys, tmp_path / "data", url)
    assert code == 2
    assert err == (
        f"Error: {url} resolves to loopback address 127.0.0.1; "
        "set CITEWATCH_ALLOW_PRIVATE=1 to allow it\n"
    )
    assert fakeweb.requests_for("/articles/alep.html") == []


@pytest.mark.parametrize(
    ("target", "code", "error"),
    [
        (
            "no-such-file.html",
            2,
            "Error: no-such-file.html is neither an http(s) URL nor a readable file\n",
        ),
        (
            "http://story.citewatch.invalid/a",
            2,
            "Error: story.citewatch.invalid is under a reserved TLD and never resolves\n",
        ),
    ],
)
def test_bad_targets(
    capsys: pytest.CaptureFixture[str], data: Path, target: str, code: int, error: str
) -> None:
    assert run(capsys, data, target)[0::2] == (code, error)


def test_dead_page_is_a_runtime_error(
    capsys: pytest.CaptureFixture[str], fakeweb: FakeWeb, data: Path
) -> None:
    url = fakeweb.url("/status/404")
    assert run(capsys, data, url)[0::2] == (1, f"Error: {url} answered HTTP 404\n")


def test_markup_in_a_page_is_printed_as_text(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    # Strangers write anchor text: rich markup in it must print literally, not style or crash.
    page = tmp_path / "markup.html"
    page.write_text(
        "<html><body><article><p>Read [bold]this[/bold] and [/] here: "
        '<a href="https://agency.example.org/report[1]">the [/b] report</a>.</p>'
        "</article></body></html>",
        encoding="utf-8",
    )
    code, out, err = run(capsys, data, str(page), "--base-url", "https://news.example.com/")
    assert code == 0, err
    assert "https://agency.example.org/report[1]" in out
    assert "the [/b] report" in out
