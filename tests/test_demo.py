"""`citewatch demo`: the whole product, offline, on the bundled sample web."""

from __future__ import annotations

from pathlib import Path

from tests.crawling import citewatch, warcio_check


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    kept = tmp_path / "demo"
    run = citewatch(tmp_path / "unused", "demo", "--keep", str(kept))
    assert run.code == 0, run.err
    out = run.out
    for told in ("Day 0: watching", "Three months later", "Status", "What changed"):
        assert told in out
    # The edited source is changed, the moved one moved, the removed one and the dead link dead.
    status = citewatch(kept, "status", "--json").json()["articles"][0]
    states = {source["url"].split("/", 3)[3]: source["state"] for source in status["sources"]}
    assert states["sources/blog-post.html"] == "changed"
    assert states["sources/agency-story.html"] == "moved"
    assert states["status/404"] == "dead"
    assert states["redirect?to=/sources/tchurkin-onu.html&code=301"] == "dead"
    assert states["pdf/rapport-31-octobre.pdf"] == "ok"
    # The diff shown is the stealth edit of the blog post.
    assert "40 morts, dont 16 enfants, et 250" in out and "14 morts et 50" in out
    check = warcio_check(kept)
    assert check.returncode == 0, check.stdout + check.stderr


def test_demo_never_writes_into_a_directory_in_use(tmp_path: Path) -> None:
    used = tmp_path / "data"
    used.mkdir()
    (used / "citewatch.db").write_bytes(b"")
    run = citewatch(tmp_path / "unused", "demo", "--keep", str(used))
    assert (run.code, run.out) == (2, "")
    assert run.err == f"Error: --keep: {used} exists and is not an empty directory\n"
    assert [p.name for p in used.iterdir()] == ["citewatch.db"]
