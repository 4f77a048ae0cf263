"""``python -m crawler``: the citewatch command line, for when the console script is not on PATH."""

from crawler.cli import main

main()
