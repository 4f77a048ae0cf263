"""The docs tell the truth: every config key documented, every command helped and in the README."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer.main

from archive import config
from config import DEFAULTS_FILE
from crawler.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI = typer.main.get_command(app)
COMMANDS = sorted(CLI.commands)  # type: ignore[attr-defined]
BIN = Path(sys.executable).parent  # the console scripts installed beside this Python


def test_shipped_defaults_cover_every_key_with_a_comment() -> None:
    shipped = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    shipped_keys = [f"{section}.{key}" for section, values in shipped.items() for key in values]
    assert sorted(shipped_keys) == sorted(config.keys())
    lines = DEFAULTS_FILE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            assert lines[index - 1].startswith("#"), f"{line.split()[0]} has no help comment"


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick_start)
    assert len(commands) == 2
    assert commands[0].endswith(("citewatch --help", "citewatch demo"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"### `citewatch {command}" in README


def test_the_installed_command_answers() -> None:
    result = subprocess.run(
        [BIN / "citewatch", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0, capsys.readouterr().err
    assert "Usage:" in capsys.readouterr().out
    assert CLI.commands[command].help  # type: ignore[attr-defined]


def test_scrapy_finds_the_project() -> None:
    result = subprocess.run(
        [BIN / "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "citations" in result.stdout.split()
