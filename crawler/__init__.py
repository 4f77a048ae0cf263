"""citewatch's crawling side: the Scrapy spider and its components, the scheduler and the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citewatch")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
