"""The one typed configuration object: shipped defaults, then DATA/citewatch.toml, then CITEWATCH_*.

``config/citewatch.toml`` is the single place that names every key, its default and its help
(the comment above it); this module only says what type each key has. Unknown keys and bad
values are a ``ConfigError`` naming the key and where it was set.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import ConfigError
from archive.units import parse_duration, parse_size
from config import DEFAULTS_FILE

ENV_PREFIX = "CITEWATCH_"
# Environment variables that are not CITEWATCH_<SECTION>_<KEY>: the data directory itself, and
# a short spelling of crawl.allow_private that test and intranet setups use.
ENV_DATA_DIR = "CITEWATCH_DATA"
ENV_ALIASES = {"CITEWATCH_ALLOW_PRIVATE": ("crawl", "allow_private")}

Parser = Callable[[Any], Any]


def _integer(low: int, high: int | None = None) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not a whole number")
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{value} is out of range ({limit})")
        return value

    return parse


def _number(low: float, high: float | None = None) -> Parser:
    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{value} is out of range ({limit})")
        return float(value)

    return parse


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):  # CITEWATCH_ALLOW_PRIVATE=1 arrives as the integer 1
        return bool(value)
    if isinstance(value, str) and value.lower() in ("yes", "on", "no", "off"):
        return value.lower() in ("yes", "on")
    raise ValueError(f"{value!r} is not true or false")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a non-empty string")
    return value


def _endpoint(value: Any) -> str:
    """An http(s) URL, or "" for a service switched off."""
    if value == "":
        return value
    if not isinstance(value, str) or not re.match(r"https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _duration(value: Any) -> int:
    return parse_duration(str(value))


def _size(value: Any) -> int:
    return parse_size(value)


def _regex_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{value!r} is not a list of regular expressions")
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None
    return tuple(value)


def _key(parse: Parser) -> Any:
    return field(metadata={"parse": parse})


@dataclass(frozen=True)
class WatchConfig:
    every: int = _key(_duration)  # seconds
    depth: int = _key(_integer(0, 2))


@dataclass(frozen=True)
class CrawlConfig:
    timeout: float = _key(_number(1))
    max_size: int = _key(_size)
    per_site: int = _key(_integer(1, 64))
    max_redirects: int = _key(_integer(0, 50))
    retries: int = _key(_integer(0, 10))
    autothrottle: bool = _key(_boolean)
    allow_private: bool = _key(_boolean)
    user_agent: str = _key(_text)
    obey_robots: bool = _key(_boolean)


@dataclass(frozen=True)
class WarcConfig:
    max_size: int = _key(_size)
    gzip_level: int = _key(_integer(1, 9))
    conversion_records: bool = _key(_boolean)


@dataclass(frozen=True)
class DeadConfig:
    after_failures: int = _key(_integer(1))
    after_days: float = _key(_number(0))
    soft404_similarity: float = _key(_number(0, 1))


@dataclass(frozen=True)
class TextConfig:
    extract: bool = _key(_boolean)
    pdf: bool = _key(_boolean)


@dataclass(frozen=True)
class ChangeConfig:
    ignore: tuple[str, ...] = _key(_regex_list)
    similarity: float = _key(_number(0, 1))


@dataclass(frozen=True)
class LookupConfig:
    wayback: bool = _key(_boolean)
    availability: str = _key(_endpoint)
    memento: str = _key(_endpoint)
    timeout: float = _key(_number(1))


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = _key(_text)


@dataclass(frozen=True)
class Config:
    watch: WatchConfig
    crawl: CrawlConfig
    warc: WarcConfig
    dead: DeadConfig
    text: TextConfig
    change: ChangeConfig
    lookup: LookupConfig
    database: DatabaseConfig


SECTIONS: dict[str, type] = {
    "watch": WatchConfig,
    "crawl": CrawlConfig,
    "warc": WarcConfig,
    "dead": DeadConfig,
    "text": TextConfig,
    "change": ChangeConfig,
    "lookup": LookupConfig,
    "database": DatabaseConfig,
}


def keys() -> list[str]:
    """Every configuration key as ``section.key``, in declaration order."""
    return [f"{s}.{f.name}" for s, kind in SECTIONS.items() for f in dataclasses.fields(kind)]


def load(data_dir: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration for ``data_dir``; raises ConfigError on any bad key or value."""
    environ = os.environ if environ is None else environ
    raw: dict[str, dict[str, tuple[Any, str]]] = {}
    _merge(raw, _read_toml(DEFAULTS_FILE), str(DEFAULTS_FILE))
    user_file = data_dir / "citewatch.toml"
    if user_file.is_file():
        _merge(raw, _read_toml(user_file), str(user_file))
    _merge(raw, _from_environ(environ), "the environment")
    sections = {}
    for name, kind in SECTIONS.items():
        values = {}
        for f in dataclasses.fields(kind):
            if f.name not in raw.get(name, {}):
                raise ConfigError(
                    f"config key {name}.{f.name} has no value", key=f"{name}.{f.name}"
                )
            value, origin = raw[name][f.name]
            values[f.name] = _parse(f"{name}.{f.name}", f.metadata["parse"], value, origin)
        sections[name] = kind(**values)
    config = Config(**sections)
    url = config.database.url.replace("sqlite:///DATA/", f"sqlite:///{data_dir.resolve()}/", 1)
    return dataclasses.replace(config, database=DatabaseConfig(url=url))


def _parse(key: str, parse: Parser, value: Any, origin: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise ConfigError(
            f"config key {key} (from {origin}): {exc}", key=key, value=value
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _merge(raw: dict[str, dict[str, tuple[Any, str]]], table: dict[str, Any], origin: str) -> None:
    """Layer ``table`` over ``raw``, refusing any section or key citewatch does not know."""
    for section, values in table.items():
        if section not in SECTIONS or not isinstance(values, dict):
            raise ConfigError(f"unknown config section [{section}] in {origin}", key=section)
        known = {f.name for f in dataclasses.fields(SECTIONS[section])}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(
                    f"unknown config key {section}.{key} in {origin}", key=f"{section}.{key}"
                )
            raw.setdefault(section, {})[key] = (value, origin)


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """CITEWATCH_<SECTION>_<KEY> variables as a TOML-shaped table (section names have no ``_``)."""
    table: dict[str, dict[str, Any]] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_DATA_DIR:
            continue
        if name in ENV_ALIASES:
            section, key = ENV_ALIASES[name]
        else:
            section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
            if section not in SECTIONS or not key:
                raise ConfigError(f"unknown environment variable {name}", key=name)
        table.setdefault(section, {})[key] = _env_value(text)
    return table


def _env_value(text: str) -> Any:
    """Read an environment value as TOML would (``30``, ``true``, ``["a"]``), else as a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
