"""Fixtures for the demo-site tests: one running DemoSite per module and a plain urllib client for it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

import pytest

from aggregator.demo.server import DemoSite


@dataclass
class Answer:
    status: int
    headers: Message
    text: str

    def json(self):
        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, user_agent: str = "dramascore-tests") -> Answer:
    """GET over real HTTP; HTTP errors and redirects are answers too (redirects are not followed)."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with OPENER.open(request, timeout=5) as resp:
            return Answer(resp.status, resp.headers, resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        with err:
            return Answer(err.code, err.headers, err.read().decode("utf-8"))


@pytest.fixture(scope="module")
def demo():
    with DemoSite() as running:
        yield running


@pytest.fixture
def get(demo):
    """``get("/path?query")`` against the running demo site."""
    return lambda path, **kwargs: fetch(demo.url(path), **kwargs)


@pytest.fixture
def fetch_url():
    """``fetch(url)`` for a server the test starts itself."""
    return fetch
