"""Log lines for Scrapy events: a dropped item is one line with its reason and URL, not a dump of the item."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class DramascoreLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider):
        # Drops are expected and counted under dramascore/dropped/<reason>; the item itself can be megabytes.
        return {
            "level": logging.INFO,
            "msg": "Dropped %(reason)s",
            "args": {"reason": exception},
        }
