"""citewatch's shipped defaults: ``citewatch.toml`` documents and sets every configuration key."""

from pathlib import Path

DEFAULTS_FILE = Path(__file__).with_name("citewatch.toml")
