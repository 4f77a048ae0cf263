"""citewatch's storage side: WARC files, the database, text, diffs and health rules.

Nothing here imports Scrapy or Twisted; every module works on bytes, files and rows.
"""
