"""Normalisers (pure functions in ``pipelines.normalise``) and the Scrapy pipeline stages that apply them."""
