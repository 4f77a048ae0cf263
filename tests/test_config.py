"""Configuration: shipped defaults, DATA/citewatch.toml, then CITEWATCH_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import config
from archive.errors import ConfigError


def load(tmp_path: Path, toml: str | None = None, **environ: str) -> config.Config:
    if toml is not None:
        (tmp_path / "citewatch.toml").write_text(toml, encoding="utf-8")
    return config.load(tmp_path, environ)


def test_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path)
    assert loaded.watch.every == 86400
    assert loaded.watch.depth == 1
    assert loaded.crawl.max_size == 50 * 1024**2
    assert loaded.crawl.allow_private is False
    assert loaded.warc.max_size == 1024**3
    assert (loaded.dead.after_failures, loaded.dead.after_days) == (3, 3.0)
    assert loaded.database.url == f"sqlite:///{tmp_path.resolve()}/citewatch.db"


def test_data_file_overrides_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path, '[watch]\nevery = "12h"\n[dead]\nafter_days = 0\n')
    assert loaded.watch.every == 12 * 3600
    assert loaded.dead.after_days == 0
    assert loaded.watch.depth == 1  # untouched keys keep their default


def test_environment_overrides_file(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        "[crawl]\ntimeout = 10\n",
        CITEWATCH_CRAWL_TIMEOUT="5",
        CITEWATCH_DEAD_AFTER_FAILURES="2",
        CITEWATCH_CRAWL_USER_AGENT="my bot (+mailto:me@example.org)",
        CITEWATCH_CHANGE_IGNORE='["\\\\d+ views"]',
        CITEWATCH_DATA="/elsewhere",  # the data directory is not a config key
    )
    assert loaded.crawl.timeout == 5
    assert loaded.dead.after_failures == 2
    assert loaded.crawl.user_agent == "my bot (+mailto:me@example.org)"
    assert loaded.change.ignore == ("\\d+ views",)


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_allow_private_alias(tmp_path: Path, value: str) -> None:
    assert load(tmp_path, CITEWATCH_ALLOW_PRIVATE=value).crawl.allow_private is True


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        ("[crawl]\ntimeot = 3\n", {}, "unknown config key crawl.timeot in "),
        ("[crowl]\ntimeout = 3\n", {}, "unknown config section [crowl] in "),
        ('[watch]\nevery = "soon"\n', {}, "config key watch.every (from "),
        ("[watch]\ndepth = 3\n", {}, "config key watch.depth (from "),
        ('[crawl]\nmax_size = "lots"\n', {}, "config key crawl.max_size"),
        ('[crawl]\ntimeout = "x"\n', {}, "config key crawl.timeout"),
        ('[change]\nignore = ["("]\n', {}, "config key change.ignore"),
        ("[change]\nsimilarity = 2\n", {}, "config key change.similarity"),
        ("[warc]\ngzip_level = 0\n", {}, "config key warc.gzip_level"),
        ("not toml at all [", {}, "is not valid TOML"),
        (
            None,
            {"CITEWATCH_CRAWL_TIMEOT": "3"},
            "unknown config key crawl.timeot in the environment",
        ),
        (None, {"CITEWATCH_NOPE": "3"}, "unknown environment variable CITEWATCH_NOPE"),
        (None, {"CITEWATCH_CRAWL_ALLOW_PRIVATE": "maybe"}, "config key crawl.allow_private"),
    ],
)
def test_bad_config_names_the_key(
    tmp_path: Path, toml: str | None, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, toml, **environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_is_frozen(tmp_path: Path) -> None:
    loaded = load(tmp_path)
    with pytest.raises(AttributeError):
        loaded.crawl.timeout = 1  # type: ignore[misc]


def test_postgres_url_untouched(tmp_path: Path) -> None:
    url = "postgresql://citewatch@127.0.0.1/DATA"
    assert load(tmp_path, f'[database]\nurl = "{url}"\n').database.url == url
