"""A Reddit-shaped JSON API under ``/reddit``: subreddit listings, search, threads and /api/morechildren.

    /r/{sub}/new.json?limit=&after=            Listing of t3 things, newest first (also hot.json, about.json)
    /r/{sub}/search.json?q=&restrict_sr=1&sort=new&limit=&after=
    /comments/{id}.json?limit=&sort=            [Listing(t3), Listing(t1 tree)]
                                                (also /r/{sub}/comments/{id}/{slug}/.json)
    /api/morechildren.json?api_type=json&link_id=t3_x&children=a,b

Without ``raw_json=1`` every string is HTML-escaped (``&amp; &lt; &gt;``), as Reddit does for legacy clients.
Every answer carries Reddit's ``x-ratelimit-*`` headers; an unknown path is ``{"message": "Not Found", "error": 404}``.
"""

from __future__ import annotations

import itertools
import re
import time
from html import escape

from aggregator.demo.reddit_things import (
    Comment,
    Post,
    RedditData,
    listing,
    load_reddit,
    more,
)
from aggregator.demo.reply import Reply, canonical_key, json_reply

PREFIX = "/reddit"
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
# Parameters that change an answer, for hit counting; raw_json and api_type only change the encoding.
KEY_PARAMS = {"q", "restrict_sr", "sort", "limit", "after", "before", "t", "link_id", "children", "depth"}
RATE_WINDOW = 600


def route_key(path: str, params: dict[str, str]) -> str:
    return canonical_key(path, params, KEY_PARAMS)


def escape_strings(value):
    """Reddit's legacy encoding: every string HTML-escaped unless the client asked for raw_json=1."""
    if isinstance(value, str):
        return escape(value, quote=False)
    if isinstance(value, list):
        return [escape_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_strings(v) for k, v in value.items()}
    return value


def limit_of(params: dict[str, str]) -> int:
    raw = params.get("limit", "")
    return min(MAX_LIMIT, max(1, int(raw))) if raw.isdigit() else DEFAULT_LIMIT


class RedditApi:
    """Answers ``/reddit/...`` requests from reddit.json (read once; requests only read it)."""

    prefix = PREFIX

    def __init__(self, data: RedditData | None = None):
        self.data = data or load_reddit()
        self.by_id = self.data.by_id
        self._calls = itertools.count(1)

    def handle(self, path: str, params: dict[str, str], origin: str) -> Reply:
        sub = path[len(PREFIX):] or "/"
        base = origin + PREFIX
        answer = self.route(sub, params, base)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        if params.get("raw_json") != "1":
            body = escape_strings(body)
        used = next(self._calls)
        headers = (
            ("x-ratelimit-used", str(used)),
            ("x-ratelimit-remaining", f"{max(0.0, 1000.0 - used):.1f}"),
            ("x-ratelimit-reset", str(RATE_WINDOW - int(time.time()) % RATE_WINDOW)),
        )
        return json_reply(body, status, headers)

    def route(self, sub: str, params: dict[str, str], base: str):
        if sub in ("/api/morechildren", "/api/morechildren.json"):
            return self.morechildren(params)
        if sub == "/search.json":
            return self.search(None, params, base)
        match = re.fullmatch(r"/r/([A-Za-z0-9_]+)/(new|hot|search|about)\.json", sub)
        if match:
            name = self.data.subreddits.get(match.group(1).lower())
            if name is None:
                return not_found()
            kind = match.group(2)
            if kind == "about":
                return self.about(name)
            if kind == "search":
                return self.search(name, params, base)
            return self.listing_of(name, params, base, hot=kind == "hot")
        match = re.fullmatch(r"(?:/r/([A-Za-z0-9_]+))?/comments/([a-z0-9]+)(?:/[^/]*)?(?:/\.json|\.json)", sub)
        if match:
            post = self.by_id.get(match.group(2))
            if post is None or (match.group(1) and match.group(1).lower() != post.subreddit.lower()):
                return not_found()
            return self.thread(post, params, base)
        return not_found()

    # --- listings --------------------------------------------------------------------------------------

    def page(self, posts: list[Post], params: dict[str, str], base: str, **extra) -> dict:
        """One page of a post Listing: ``after`` is a fullname cursor; an unknown cursor gives an empty page."""
        start = 0
        if params.get("after"):
            names = [p.name for p in posts]
            start = names.index(params["after"]) + 1 if params["after"] in names else len(posts)
        limit = limit_of(params)
        chunk = posts[start : start + limit]
        after = chunk[-1].name if chunk and start + limit < len(posts) else None
        return listing([{"kind": "t3", "data": p.data(base)} for p in chunk], after, len(chunk), **extra)

    def listing_of(self, name: str, params: dict[str, str], base: str, hot: bool) -> dict:
        posts = [p for p in self.data.posts if p.subreddit == name]
        if hot:
            posts.sort(key=lambda p: (not p.raw.get("stickied", False), -p.score))
        return self.page(posts, params, base)

    def search(self, name: str | None, params: dict[str, str], base: str) -> dict:
        """Words (``title:word`` for the title only, ``"a phrase"``) must all match, case-insensitive."""
        restrict = params.get("restrict_sr", "").lower() in ("1", "true", "on")
        posts = [p for p in self.data.posts if not (restrict and name) or p.subreddit == name]
        terms = re.findall(r'(title:)?(?:"([^"]+)"|(\S+))', params.get("q", ""))
        if not terms:
            return listing([], None, 0, facets={})

        def hits(post: Post) -> int:
            total = 0
            for title_only, phrase, word in terms:
                haystack = post.title.lower() if title_only else f"{post.title} {post.selftext}".lower()
                count = haystack.count((phrase or word).lower())
                if not count:
                    return 0
                total += count
            return total

        scored = [(hits(p), p) for p in posts]
        found = [p for n, p in sorted(scored, key=lambda s: -s[0]) if n]
        sort = params.get("sort", "relevance")
        if sort == "new":
            found.sort(key=lambda p: p.created, reverse=True)
        elif sort == "top":
            found.sort(key=lambda p: p.score, reverse=True)
        elif sort == "comments":
            found.sort(key=lambda p: len(p.all_comments()), reverse=True)
        return self.page(found, params, base, facets={})

    def about(self, name: str) -> dict:
        post = next(p for p in self.data.posts if p.subreddit == name)
        return {"kind": "t5", "data": {"display_name": name, "name": post.subreddit_id, "id": post.subreddit_id[3:],
                                       "title": name, "display_name_prefixed": f"r/{name}", "url": f"/r/{name}/",
                                       "subscribers": post.subscribers, "over18": False, "subreddit_type": "public",
                                       "public_description": "Invented subreddit of the dramascore demo."}}

    # --- threads ---------------------------------------------------------------------------------------

    @staticmethod
    def ordered(comments: list[Comment], sort: str) -> list[Comment]:
        keys = {"new": lambda c: -c.created, "old": lambda c: c.created, "top": lambda c: -c.score}
        return sorted(comments, key=keys[sort]) if sort in keys else list(comments)

    def tree(self, comments: list[Comment], parent_id: str, depth: int, sort: str, limit: int | None = None) -> list:
        """Things for one level: visible comments with their replies, then a ``more`` stub for the rest."""
        shown = self.ordered([c for c in comments if not c.hidden], sort)
        left = [c for c in comments if c.hidden]
        if limit is not None and len(shown) > limit:
            shown, left = shown[:limit], shown[limit:] + left
        things = []
        for comment in shown:
            replies = self.tree(comment.replies, comment.name, depth + 1, sort)
            things.append({"kind": "t1", "data": comment.data(listing(replies) if replies else "")})
        if left:
            count = sum(len(list(c.walk())) for c in left)
            things.append(more([c.id for c in left], count, parent_id, depth))
        return things

    def thread(self, post: Post, params: dict[str, str], base: str) -> list:
        limit = int(params["limit"]) if params.get("limit", "").isdigit() and int(params["limit"]) > 0 else None
        sort = params.get("sort", "confidence")
        first = listing([{"kind": "t3", "data": post.data(base)}], None, 1)
        return [first, listing(self.tree(post.comments, post.name, 0, sort, limit))]

    def morechildren(self, params: dict[str, str]) -> dict:
        """The requested comments and everything under them, flat (``replies: ""``), in thread order."""
        post = self.by_id.get(params.get("link_id", "").removeprefix("t3_"))
        wanted = {c for c in params.get("children", "").split(",") if c}
        things, seen = [], set()
        for comment in post.all_comments() if post is not None else []:
            if comment.id in wanted:
                for c in comment.walk():
                    if c.id not in seen:
                        seen.add(c.id)
                        things.append({"kind": "t1", "data": c.data("")})
        return {"json": {"errors": [], "data": {"things": things}}}


def not_found() -> tuple[int, dict]:
    return 404, {"message": "Not Found", "error": 404}
