"""Scrapy settings for dramascore crawls (also the defaults the CLI starts from)."""

import os

BOT_NAME = "dramascore"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where reviews go: any SQLAlchemy URL; the default is a SQLite file in the working directory.
DRAMASCORE_DB = os.environ.get("DRAMASCORE_DB", "sqlite:///dramascore.db")
# Reviews written per database transaction; one commit per item is the main write cost.
DRAMASCORE_STORE_BATCH = 200

# Overrides the source's base_url when set (tests and the demo point it at 127.0.0.1).
MYDRAMALIST_BASE_URL = None
# Listing pages (/shows/popular?page=N) followed when no drama ids are given; 0 = no limit.
MYDRAMALIST_MAX_LISTING_PAGES = 1
# Review pages (/<id>-<slug>/reviews?page=N) followed per drama; 0 = no limit.
MYDRAMALIST_MAX_REVIEW_PAGES = 0

# Same order as pipelines.apply.STEPS (the spoiler stage reads the cleaned body's lead paragraph).
ITEM_PIPELINES = {
    "pipelines.stages.RequiredFieldsPipeline": 100,
    "pipelines.stages.AuthorPipeline": 200,
    "pipelines.stages.TextPipeline": 210,
    "pipelines.stages.DatePipeline": 220,
    "pipelines.stages.ScorePipeline": 230,
    "pipelines.stages.SpoilerPipeline": 240,
    "pipelines.infer.InferScorePipeline": 245,
    "pipelines.stages.WatchStatusPipeline": 250,
    "pipelines.stages.CoveragePipeline": 800,
    "pipelines.store.StorePipeline": 900,
}

# Infer a 0-100 score from each review's text (kept in inferred_score, never in score); False turns it off.
# Agreement with explicit scores is poor (docs/inferred-scores.md), so scoring weighs inferred scores low.
DRAMASCORE_INFER_SCORES = True

# Per-source normalisation knowledge (sources by configuration replace these in a later issue).
DRAMASCORE_DEFAULT_SCALES = {"mydramalist": 10}
DRAMASCORE_DAY_FIRST: dict[str, bool] = {}
DRAMASCORE_DATE_LANGUAGES: dict[str, list[str]] = {}

# One drama across sites (aggregator.matching): a fuzzy title score at or above ACCEPT merges; between DOUBT
# and ACCEPT a new drama is created and flagged for an editor. 92 gave precision 1.0 / recall 0.79 on the
# labelled set in tests/data/title_pairs.csv (see bench/title_matching.py).
DRAMASCORE_MATCH_ACCEPT = 92
DRAMASCORE_MATCH_DOUBT = 80

# A crawl whose output falls below these fails loudly (non-zero exit, run marked failed, reasons logged).
DRAMASCORE_MIN_ITEMS = 1
DRAMASCORE_MIN_COVERAGE = {"drama": 0.95, "author": 0.8, "date": 0.8, "score": 0.5, "body": 0.8}
# Blogs often give no score and forum comments rarely do; Reddit keeps "[deleted]" authors as unknown.
DRAMASCORE_MIN_COVERAGE_BY_KIND = {
    "wordpress": {"score": 0.0},
    "reddit": {"score": 0.0, "author": 0.5},
}
DRAMASCORE_MIN_COVERAGE_BY_SOURCE: dict[str, dict[str, float]] = {}

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

# Scrapy 2.19's RemoteControl runs any Python code POSTed to a localhost port (and the telnet console does
# the like): nothing an unattended crawler should expose. Operators can re-enable either for debugging.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_FORMATTER = "aggregator.logformat.DramascoreLogFormatter"
LOG_LEVEL = "INFO"
