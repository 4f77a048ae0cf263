"""`citewatch add / remove / list / status` end to end through the real CLI and database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("CITEWATCH_DATA", raising=False)

    def invoke(*args: str) -> Result:
        with pytest.raises(SystemExit) as exited:
            main(["--data", str(data_dir), *args])
        captured = capsys.readouterr()
        return Result(int(exited.value.code or 0), captured.out, captured.err)

    return invoke


def row_count(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "citewatch.db") as raw:
        return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_add_list_and_status(run: Run, data_dir: Path) -> None:
    added = run("add", "HTTPS://News.Example.com:443/story#top", "--every", "12h", "--tag", "syria")
    assert added.code == 0, added.err
    assert added.out == "Watching https://news.example.com/story\n"
    assert (data_dir / "warcs").is_dir() and (data_dir / "indexes").is_dir()

    listed = run("list", "--json").json()["watches"]
    assert [(w["url"], w["every"], w["depth"], w["tags"], w["state"]) for w in listed] == [
        ("https://news.example.com/story", "12h", 1, ["syria"], "pending")
    ]
    assert listed[0]["added"].endswith("Z")

    status = run("status", "--json").json()
    article = status["articles"][0]
    assert set(article) >= {"url", "state", "added", "last_checked", "every", "sources"}
    assert article["url"] == "https://news.example.com/story"
    assert (article["state"], article["last_checked"], article["sources"]) == ("pending", None, [])

    table = run("list")
    assert "https://news.example.com/story" in table.out and "12h" in table.out


def test_add_several_and_duplicates(run: Run, data_dir: Path) -> None:
    first = run("add", "http://a.example.org/1", "http://a.example.org/1#again", "--json")
    assert first.json() == {"added": ["http://a.example.org/1"], "already_watched": []}
    again = run("add", "http://A.example.org:80/1", "--every", "1h", "--json")
    assert again.json() == {"added": [], "already_watched": ["http://a.example.org/1"]}
    assert run("list", "--json").json()["watches"][0]["every"] == "1d"  # changed nothing
    assert row_count(data_dir, "watches") == 1
    plain = run("add", "http://a.example.org/1")
    assert plain.out == "Already watched, unchanged: http://a.example.org/1\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["not-a-url"], "Error: not-a-url is not an http(s) URL\n"),
        (["ftp://x"], "Error: ftp://x is not an http(s) URL\n"),
        (["javascript:alert(1)"], "Error: javascript:alert(1) is not an http(s) URL\n"),
        (["http://"], "Error: http:// has no host\n"),
        (["http:///nohost"], "Error: http:///nohost has no host\n"),
        (
            ["http://ok.example.org/", "--every", "sometimes"],
            "Error: --every: 'sometimes' is not a duration such as 90s, 30m, 12h, 1d or 2w\n",
        ),
        (
            ["http://ok.example.org/", "--every", "0s"],
            "Error: --every: '0s' is not a positive duration\n",
        ),
        (
            ["http://ok.example.org/", "--depth", "3"],
            "Error: --depth: 3 is out of range (0, 1 or 2)\n",
        ),
        (["http://ok.example.org/", "--tag", " "], "Error: --tag: a tag cannot be empty\n"),
        ([], "Error: give at least one URL, or --file FILE\n"),
        (
            ["http://ok.example.org/", "not-a-url", "ftp://x"],
            "Error: not-a-url is not an http(s) URL\nError: ftp://x is not an http(s) URL\n",
        ),
    ],
)
def test_add_bad_input_writes_nothing(
    run: Run, data_dir: Path, args: list[str], error: str
) -> None:
    result = run("add", *args)
    assert (result.code, result.out, result.err) == (2, "", error)
    assert not data_dir.exists()  # validated before the data directory is even created


def test_add_bad_input_leaves_existing_list_alone(run: Run, data_dir: Path) -> None:
    run("add", "http://kept.example.org/")
    result = run("add", "http://new.example.org/", "ftp://x")
    assert result.code == 2
    assert [w["url"] for w in run("list", "--json").json()["watches"]] == [
        "http://kept.example.org/"
    ]


def test_add_file(run: Run, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# my reading list\n\nhttp://one.example.org/a  # the first\n"
        "https://two.example.org/b#frag\n  http://one.example.org/a\n",
        encoding="utf-8",
    )
    result = run("add", "--file", str(urls), "--tag", "list", "--json")
    assert result.json() == {
        "added": ["http://one.example.org/a", "https://two.example.org/b"],
        "already_watched": [],
    }


def test_add_file_with_bad_lines_adds_none(run: Run, data_dir: Path, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("http://good.example.org/\nnot-a-url\n# fine\nftp://x\n", encoding="utf-8")
    result = run("add", "--file", str(urls))
    assert result.code == 2
    assert result.err == (
        f"Error: {urls}:2: not-a-url is not an http(s) URL\n"
        f"Error: {urls}:4: ftp://x is not an http(s) URL\n"
    )
    assert not data_dir.exists()


def test_add_missing_file(run: Run, tmp_path: Path) -> None:
    result = run("add", "--file", str(tmp_path / "nope.txt"))
    assert (result.code, result.err) == (
        2,
        f"Error: cannot read {tmp_path / 'nope.txt'}: No such file or directory\n",
    )


def test_remove(run: Run) -> None:
    run("add", "http://a.example.org/", "http://b.example.org/")
    removed = run("remove", "HTTP://A.example.org", "--json")
    assert removed.json() == {"removed": "http://a.example.org/"}
    assert [w["url"] for w in run("list", "--json").json()["watches"]] == ["http://b.example.org/"]
    missing = run("remove", "http://a.example.org/")
    assert (missing.code, missing.err) == (
        2,
        "Error: http://a.example.org/ is not watched (see `citewatch list`)\n",
    )
    bad = run("remove", "not-a-url")
    assert (bad.code, bad.err) == (2, "Error: not-a-url is not an http(s) URL\n")


def test_status_of_one_article(run: Run) -> None:
    run("add", "http://a.example.org/", "http://b.example.org/")
    one = run("status", "http://b.example.org", "--json").json()
    assert [a["url"] for a in one["articles"]] == ["http://b.example.org/"]
    unknown = run("status", "http://c.example.org/")
    assert (unknown.code, unknown.err) == (
        2,
        "Error: http://c.example.org/ is not watched (see `citewatch list`)\n",
    )
    human = run("status")
    assert "http://a.example.org/" in human.out and "pending" in human.out


def test_empty_list_speaks(run: Run) -> None:
    assert "watch list is empty" in run("list").out
    assert run("list", "--json").json() == {"watches": []}
    assert run("status", "--json").json() == {"articles": []}


def test_bad_config_is_one_line(run: Run, data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "citewatch.toml").write_text("[crawl]\ntimeot = 3\n", encoding="utf-8")
    result = run("add", "http://a.example.org/")
    assert result.code == 2
    assert (
        result.err == f"Error: unknown config key crawl.timeot in {data_dir / 'citewatch.toml'}\n"
    )
    assert not (data_dir / "citewatch.db").exists()


def test_usage_errors_are_one_line(run: Run) -> None:
    result = run("frobnicate")
    assert (result.code, result.err) == (2, "Error: No such command 'frobnicate'.\n")
    result = run("add", "--depth", "deep", "http://a.example.org/")
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("Error: ")


def test_newer_database_refused_cleanly(run: Run, data_dir: Path) -> None:
    run("add", "http://a.example.org/")
    with sqlite3.connect(data_dir / "citewatch.db") as raw:
        raw.execute("UPDATE citewatch_meta SET value='99' WHERE key='schema_version'")
    result = run("list")
    assert result.code == 1
    assert result.err.startswith("Error: the database has schema version 99, newer than this")
    assert result.err.count("\n") == 1


def test_data_dir_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITEWATCH_DATA", str(tmp_path / "from-env"))
    with pytest.raises(SystemExit):
        main(["add", "http://a.example.org/"])
    assert (tmp_path / "from-env" / "citewatch.db").is_file()


def test_default_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CITEWATCH_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["add", "http://a.example.org/"])
    assert (tmp_path / "citewatch-data" / "citewatch.db").is_file()
