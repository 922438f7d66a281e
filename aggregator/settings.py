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
    "pipelines.monitors.MonitorPipeline": 800,
    "pipelines.store.StorePipeline": 900,
}

# Infer a 0-100 score from a review's text (kept in inferred_score, never in score): "unscored" (reviews with
# neither an explicit nor an episode score, the only ones scoring uses it for), "all", or False (off).
# Agreement with explicit scores is poor (docs/inferred-scores.md), so scoring weighs inferred scores low.
DRAMASCORE_INFER_SCORES = "unscored"

# State kept between crawls, relative to the working directory: cache/<source>, jobs/<source>.
DRAMASCORE_STATE_DIR = ".dramascore"
# Incremental re-crawls: each source's pages are kept and revalidated (RFC2616Policy), so an unchanged page
# costs a 304 and is parsed from the cache. The runner sets HTTPCACHE_ENABLED/POLICY/DIR per source.
DRAMASCORE_HTTPCACHE = False
# Crash-safe crawls (aggregator.jobs): a request journal per source; a killed crawl started again carries on.
# Forces DRAMASCORE_STORE_BATCH = 1 for the crawl (a page is done only once its reviews are committed).
DRAMASCORE_RESUMABLE = False
# With --cache: a review page unchanged for STALE days is fetched again only every EVERY days (aggregator.revisit);
# --full (DRAMASCORE_REVISIT_ALL) fetches everything.
DRAMASCORE_REVISIT_STALE_DAYS = 30
DRAMASCORE_REVISIT_EVERY_DAYS = 7
DRAMASCORE_REVISIT_ALL = False

# Per-source normalisation knowledge (sources by configuration replace these in a later issue).
DRAMASCORE_DEFAULT_SCALES = {"mydramalist": 10}
DRAMASCORE_DAY_FIRST: dict[str, bool] = {}
DRAMASCORE_DATE_LANGUAGES: dict[str, list[str]] = {}

# One drama across sites (aggregator.matching): a fuzzy title score at or above ACCEPT merges; between DOUBT
# and ACCEPT a new drama is created and flagged for an editor. 92 gave precision 1.0 / recall 0.79 on the
# labelled set in tests/data/title_pairs.csv (see bench/title_matching.py).
DRAMASCORE_MATCH_ACCEPT = 92
DRAMASCORE_MATCH_DOUBT = 80

# Near-duplicates (aggregator.duplicates): MinHash LSH candidates confirmed by exact Jaccard over word shingles.
DRAMASCORE_DUPLICATE_THRESHOLD = 0.8
DRAMASCORE_DUPLICATE_NUM_PERM = 128
DRAMASCORE_DUPLICATE_SHINGLE = 5
DRAMASCORE_DUPLICATE_MIN_WORDS = 30  # shorter bodies ("Loved it!") are never copies of each other
# Duplicates and the consensus of the dramas a crawl touched are refreshed when it ends.
DRAMASCORE_REFRESH_AFTER_CRAWL = True

# The consensus score (aggregator.scoring, method "bayes-v1"): WR = v/(v+m)·R + m/(v+m)·C.
DRAMASCORE_SCORE_PRIOR_WEIGHT = 5.0  # m
DRAMASCORE_SCORE_PRIOR_MEAN = None  # C; None = the global mean of all counted opinions
# Inferred scores barely agree with explicit ones (r about 0 on our data, docs/inferred-scores.md): weigh low.
DRAMASCORE_SCORE_INFERRED_WEIGHT = 0.1
DRAMASCORE_SCORE_USE_INFERRED = True
DRAMASCORE_SCORE_COMMENT_WEIGHT = 0.5  # a forum comment vs a review
DRAMASCORE_SCORE_MIN_REVIEWS = 3  # "tbd" below this many scored opinions
DRAMASCORE_SCORE_POSITIVE_CUTOFF = 60
DRAMASCORE_SCORE_BANDS = [81, 61, 40, 20]  # universal acclaim / favourable / mixed / unfavourable / dislike
DRAMASCORE_SCORE_AGREEMENT = [10, 20]  # sd < 10 strong agreement, < 20 some disagreement, else divided

# A crawl whose output falls below these fails loudly (non-zero exit, run marked failed, reasons logged).
DRAMASCORE_MIN_ITEMS = 1
DRAMASCORE_MIN_COVERAGE = {"drama": 0.95, "author": 0.8, "date": 0.8, "score": 0.5, "body": 0.8}
# Blogs often give no score and forum comments rarely do; Reddit keeps "[deleted]" authors as unknown.
DRAMASCORE_MIN_COVERAGE_BY_KIND = {
    "wordpress": {"score": 0.0},
    "reddit": {"score": 0.0, "author": 0.5},
}
DRAMASCORE_MIN_COVERAGE_BY_SOURCE: dict[str, dict[str, float]] = {}
# More monitors (pipelines/monitors.py); fractions 0-1, a negative value turns a check off.
DRAMASCORE_MONITOR_MAX_DROP_RATE = 0.25  # items dropped / items seen
DRAMASCORE_MONITOR_MAX_ERROR_RATE = 0.1  # (ERROR lines + spider exceptions + download errors) / requests
DRAMASCORE_MONITOR_MAX_VOLUME_FALL = 0.5  # reviews kept vs the source's previous finished run (-50%)
DRAMASCORE_MONITOR_MAX_COVERAGE_FALL = 0.2  # per-field coverage fall in points (-20)

EXTENSIONS = {
    "aggregator.progress.ProgressExtension": 500,
}
# Seconds between progress lines while a crawl runs; 0 turns them off.
DRAMASCORE_PROGRESS_INTERVAL = 5.0

# Politeness. MyDramaList answers plain scripted clients with Cloudflare 403s; to crawl it for real, install
# the optional extra (pip install 'dramascore[impersonate]') and set DOWNLOAD_HANDLERS as README.md shows.
ROBOTSTXT_OBEY = True
# Sites should know who crawls them and how to reach the operator: set your own contact URL.
DRAMASCORE_CONTACT_URL = os.environ.get("DRAMASCORE_CONTACT_URL", "https://github.com/dramascore/dramascore")
USER_AGENT = f"dramascore/0.1 (+{DRAMASCORE_CONTACT_URL})"
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
AUTOTHROTTLE_MAX_DELAY = 60.0
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOADER_MIDDLEWARES = {
    # Above RetryMiddleware (550): responses pass from high to low numbers, so it sees 429/503 first.
    "aggregator.middleware.RetryAfterMiddleware": 560,
    # Early, so a skipped request never reaches the cache or the network.
    "aggregator.revisit.RevisitMiddleware": 100,
    # Scrapy's own, counting what it refuses: a gzip bomb is a counted refusal, not only a log line.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "aggregator.middleware.CountingHttpCompressionMiddleware": 590,
}
DRAMASCORE_RETRY_AFTER_MAX = 60  # seconds; a longer Retry-After gives the request up rather than retrying early

# Scrapy 2.19's RemoteControl runs any Python code POSTed to a localhost port (and the telnet console does
# the like): nothing an unattended crawler should expose. Operators can re-enable either for debugging.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_FORMATTER = "aggregator.logformat.DramascoreLogFormatter"
LOG_LEVEL = "INFO"

# The editors' web page (`dramascore serve`): the token editors sign in with (unset: the pages are read-only),
# the key that signs their cookies (unset: a random one per process, so a restart signs everyone out), and how
# long API clients may cache an answer (seconds).
DRAMASCORE_EDITOR_TOKEN = os.environ.get("DRAMASCORE_EDITOR_TOKEN") or None
DRAMASCORE_WEB_SECRET = os.environ.get("DRAMASCORE_WEB_SECRET") or None
DRAMASCORE_API_CACHE_SECONDS = 60

# Shared crawls over many machines (docs/workers.md): the Redis of the shared queue; unset, each crawl runs alone.
DRAMASCORE_REDIS_URL = os.environ.get("DRAMASCORE_REDIS_URL")
DRAMASCORE_REDIS_PREFIX = "dramascore"
DRAMASCORE_WORKER_IDLE_CLOSE = 10.0  # seconds a worker waits once the round is done everywhere; 0 = forever
DRAMASCORE_WORKER_POLL = 0.5  # seconds between an idle worker's looks at the queue (Scrapy's heartbeat: 5)
DRAMASCORE_WORKER_TTL = 30.0  # seconds without a heartbeat before a worker's claimed requests go back
