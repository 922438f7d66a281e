"""Scrapy spiders, one module per site; site knowledge lives in ``spiders.extractors``."""
