"""``crawler.launcher``: a command forked from the fork server behaves as the command does."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.launcher import Launched


def test_output_and_exit_code_come_back_as_from_a_subprocess(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out, err = Launched(["--data", data, "list", "--json"]).wait()
    assert (code, json.loads(out), err) == (0, {"watches": []}, "")

    code, out, err = Launched(["--data", data, "crawl", "http://not-watched.example/"]).wait()
    assert (code, out) == (2, "")
    assert err == (
        "Error: http://not-watched.example/ is not watched (add it with `citewatch add`)\n"
    )
