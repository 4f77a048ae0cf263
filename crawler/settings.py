"""Scrapy settings for citewatch's crawl (``scrapy.cfg`` points here).

citewatch's own configuration (config/citewatch.toml, DATA/citewatch.toml, CITEWATCH_*) is laid
over these when a crawl starts, so ``scrapy crawl citations`` and ``citewatch crawl`` behave the
same.
"""

BOT_NAME = "citewatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Scrapy 2.19 opens a remote-control port for every crawl; a citewatch crawl needs none.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
