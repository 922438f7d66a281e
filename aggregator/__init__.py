"""dramascore: crawl drama reviews, normalise them and aggregate a consensus score per drama."""

__version__ = "0.1.0"
