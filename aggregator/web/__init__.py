"""The read-only JSON API (`aggregator.web.api`) and the editors' web page (`aggregator.web.editor`), one app."""
