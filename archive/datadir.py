"""Where a data directory's parts live, and creating them on first use.

DIR/citewatch.toml   optional overrides of config/citewatch.toml
DIR/citewatch.db     the SQLite database (unless database.url points elsewhere)
DIR/warcs/           the WARC files
DIR/indexes/         CDXJ indexes for replay
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from archive.config import ENV_DATA_DIR
from archive.errors import ConfigError

DEFAULT_DATA_DIR = "citewatch-data"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "citewatch.toml"

    @property
    def warcs(self) -> Path:
        return self.root / "warcs"

    @property
    def indexes(self) -> Path:
        return self.root / "indexes"

    def create(self) -> None:
        """Make the directory and its parts; raises ConfigError if that is impossible."""
        try:
            for folder in (self.root, self.warcs, self.indexes):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create data directory {self.root}: {exc.strerror}", key="data"
            ) from None


def locate(option: Path | None, environ: Mapping[str, str] | None = None) -> DataDir:
    """``--data DIR``, else ``$CITEWATCH_DATA``, else ``./citewatch-data``."""
    environ = os.environ if environ is None else environ
    chosen = option or environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR
    root = Path(chosen).expanduser()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"data directory {root} exists and is not a directory", key="data")
    return DataDir(root.absolute())
