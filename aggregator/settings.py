"""Scrapy settings for dramascore crawls (also the defaults the CLI starts from)."""

import os

BOT_NAME = "dramascore"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where reviews go: any SQLAlchemy URL; the default is a SQLite file in the working directory.
DRAMASCORE_DB = os.environ.get("DRAMASCORE_DB", "sqlite:///dramascore.db")
# Reviews written per database transaction; one commit per item is the main write cost.
DRAMASCORE_STORE_BATCH = 200

# Site base URLs are settings so tests and the demo can point them at 127.0.0.1.
MYDRAMALIST_BASE_URL = "https://mydramalist.com"
# Listing pages (/shows/popular?page=N) followed when no drama ids are given; 0 = no limit.
MYDRAMALIST_MAX_LISTING_PAGES = 1
# Review pages (/<id>-<slug>/reviews?page=N) followed per drama; 0 = no limit.
MYDRAMALIST_MAX_REVIEW_PAGES = 0

ITEM_PIPELINES = {
    "pipelines.stages.RequiredFieldsPipeline": 100,
    "pipelines.stages.AuthorPipeline": 200,
    "pipelines.stages.DatePipeline": 210,
    "pipelines.stages.ScorePipeline": 220,
    "pipelines.stages.SpoilerPipeline": 230,
    "pipelines.stages.TextPipeline": 240,
    "pipelines.stages.WatchStatusPipeline": 250,
    "pipelines.store.StorePipeline": 900,
}

EXTENSIONS = {
    "aggregator.progress.ProgressExtension": 500,
}
# Seconds between progress lines while a crawl runs; 0 turns them off.
DRAMASCORE_PROGRESS_INTERVAL = 5.0

# Politeness. MyDramaList answers plain scripted clients with Cloudflare 403s; to crawl it for real, install
# the optional extra (pip install 'dramascore[impersonate]') and set DOWNLOAD_HANDLERS as README.md shows.
ROBOTSTXT_OBEY = True
USER_AGENT = "dramascore/0.1 (+https://github.com/dramascore/dramascore)"
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
