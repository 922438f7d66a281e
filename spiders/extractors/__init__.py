"""Pure extraction functions: a response body and its URL in, raw items out. No Scrapy, no network."""
