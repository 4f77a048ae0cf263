"""citewatch's own Scrapy signals (``crawler.signals.connect(handler, signal=...)``)."""

# Sent once by the spider, just before its first request: the crawl has something to fetch.
# Components with a worker process start it then, so that it is ready by the first response,
# and a crawl with nothing due never starts one.
fetching_started = object()
