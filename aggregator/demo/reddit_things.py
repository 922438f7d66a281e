"""Reddit things for the demo API: posts (t3), comments (t1), ``more`` stubs, Listings, shaped like Reddit's JSON.

Field names and nesting follow what Reddit serves (see the real samples the tests read); the content comes
from ``reddit.json``. Markdown is rendered the way Reddit renders the little it uses here: paragraphs, ``*``
lists, ``>`` quotes, ``**bold**`` and ``>!spoilers!<`` (``<span class="md-spoiler-text">``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from aggregator.demo.reply import load_json

REDDIT_FILE = "reddit.json"
DELETED = "[deleted]"


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def slugify(title: str) -> str:
    """Reddit's permalink slug: lowercase words joined by ``_``, cut to about 50 characters."""
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return slug[:50].rstrip("_")


def _inline(text: str) -> str:
    out = escape(text, quote=True).replace("&#x27;", "&#39;")
    out = re.sub(r"&gt;!(.+?)!&lt;", r'<span class="md-spoiler-text">\1</span>', out)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)


def markdown_html(text: str) -> str:
    """Reddit's ``*_html`` rendering of the markdown the demo uses, inside ``<div class="md">``."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        if all(line.startswith("* ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>\n" for line in lines)
            blocks.append(f"<ul>\n{items}</ul>")
        elif all(line.startswith("> ") for line in lines):
            blocks.append(f"<blockquote>\n<p>{_inline(' '.join(line[2:] for line in lines))}</p>\n</blockquote>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return '<div class="md">' + "\n\n".join(blocks) + "\n</div>"


def fullname_of_user(name: str) -> str:
    return "t2_" + hashlib.md5(name.encode()).hexdigest()[:8]


@dataclass
class Comment:
    raw: dict
    post: Post
    parent_id: str
    depth: int
    replies: list[Comment] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id: str = self.raw["id"]
        self.name = f"t1_{self.id}"
        self.author: str = self.raw["author"]
        self.body: str = self.raw["body"]
        self.score: int = self.raw["score"]
        self.created = epoch(self.raw["created"])
        self.hidden: bool = self.raw.get("hidden", False)
        self.replies = [Comment(r, self.post, self.name, self.depth + 1) for r in self.raw.get("replies", [])]

    def walk(self):
        yield self
        for reply in self.replies:
            yield from reply.walk()

    def data(self, replies: dict | str) -> dict:
        """The t1 ``data`` object; `replies` is a Listing, or ``""`` when there are none."""
        post, sub = self.post, self.post.subreddit
        edited = epoch(self.raw["edited"]) if self.raw.get("edited") else False
        removed = self.body == "[removed]"
        data = {
            "subreddit_id": post.subreddit_id, "approved_at_utc": None, "author_is_blocked": False,
            "comment_type": None, "awarders": [], "mod_reason_by": None, "banned_by": None,
            "author_flair_type": "text", "total_awards_received": 0, "subreddit": sub,
            "author_flair_template_id": None, "likes": None, "replies": replies, "user_reports": [],
            "saved": False, "id": self.id, "banned_at_utc": None, "mod_reason_title": None, "gilded": 0,
            "archived": False, "collapsed_reason_code": "DELETED" if removed else None, "no_follow": self.score < 2,
            "author": self.author, "can_mod_post": False, "created_utc": self.created, "send_replies": True,
            "parent_id": self.parent_id, "score": self.score,
        }
        if self.author != DELETED:
            data["author_fullname"] = fullname_of_user(self.author)
        data.update({
            "approved_by": None, "mod_note": None, "all_awardings": [], "collapsed": removed, "body": self.body,
            "edited": edited, "top_awarded_type": None, "author_flair_css_class": None, "name": self.name,
            "is_submitter": self.author == post.author, "downs": 0, "author_flair_richtext": [],
            "author_patreon_flair": False, "body_html": markdown_html(self.body), "removal_reason": None,
            "collapsed_reason": None, "distinguished": None, "associated_award": None, "stickied": False,
            "author_premium": False, "can_gild": True, "gildings": {}, "unrepliable_reason": None,
            "author_flair_text_color": None, "score_hidden": False,
            "permalink": f"{post.permalink}{self.id}/", "subreddit_type": "public", "locked": False,
            "report_reasons": None, "created": self.created, "author_flair_text": None, "treatment_tags": [],
            "link_id": post.name, "subreddit_name_prefixed": f"r/{sub}", "controversiality": 0,
            "depth": self.depth, "author_flair_background_color": None,
            "collapsed_because_crowd_control": None, "mod_reports": [], "num_reports": None, "ups": self.score,
        })
        return data


@dataclass
class Post:
    raw: dict
    subreddit_id: str
    subscribers: int

    def __post_init__(self) -> None:
        raw = self.raw
        self.id: str = raw["id"]
        self.name = f"t3_{self.id}"
        self.subreddit: str = raw["subreddit"]
        self.title: str = raw["title"]
        self.author: str = raw["author"]
        self.selftext: str = raw["selftext"]
        self.score: int = raw["score"]
        self.spoiler: bool = raw["spoiler"]
        self.created = epoch(raw["created"])
        self.permalink = f"/r/{self.subreddit}/comments/{self.id}/{slugify(self.title)}/"
        self.comments = [Comment(c, self, self.name, 0) for c in raw["comments"]]

    def all_comments(self) -> list[Comment]:
        return [c for top in self.comments for c in top.walk()]

    def data(self, base_url: str) -> dict:
        """The t3 ``data`` object; `base_url` is where this Reddit lives (the demo's ``/reddit``)."""
        raw, sub = self.raw, self.subreddit
        flair = raw.get("flair")
        return {
            "approved_at_utc": None, "subreddit": sub, "selftext": self.selftext,
            "author_fullname": fullname_of_user(self.author), "saved": False, "mod_reason_title": None,
            "gilded": 0, "clicked": False, "title": self.title,
            "link_flair_richtext": [{"e": "text", "t": flair}] if flair else [],
            "subreddit_name_prefixed": f"r/{sub}", "hidden": False, "pwls": 6,
            "link_flair_css_class": re.sub(r"\W+", "", flair.lower()) if flair else None, "downs": 0,
            "thumbnail_height": None, "parent_whitelist_status": "all_ads", "top_awarded_type": None,
            "hide_score": False, "name": self.name,
            "quarantine": False, "link_flair_text_color": "dark", "upvote_ratio": raw["upvote_ratio"],
            "author_flair_background_color": None, "subreddit_type": "public", "ups": self.score,
            "total_awards_received": 0, "media_embed": {}, "thumbnail_width": None,
            "author_flair_template_id": None, "is_original_content": False, "user_reports": [],
            "secure_media": None, "is_reddit_media_domain": False, "is_meta": False, "category": None,
            "secure_media_embed": {}, "link_flair_text": flair, "can_mod_post": False, "score": self.score,
            "approved_by": None, "is_created_from_ads_ui": False, "author_premium": False,
            "thumbnail": "spoiler" if self.spoiler else "self", "edited": False, "author_flair_css_class": None,
            "author_flair_richtext": [], "gildings": {}, "content_categories": None, "is_self": True,
            "mod_note": None, "created": self.created, "link_flair_type": "richtext" if flair else "text",
            "wls": 6, "removed_by_category": None, "banned_by": None, "author_flair_type": "text",
            "domain": f"self.{sub}", "allow_live_comments": False,
            "selftext_html": f"<!-- SC_OFF -->{markdown_html(self.selftext)}<!-- SC_ON -->" if self.selftext else None,
            "likes": None, "suggested_sort": None, "banned_at_utc": None, "view_count": None, "archived": False,
            "no_follow": False, "is_crosspostable": True, "pinned": False, "over_18": False, "all_awardings": [],
            "awarders": [], "media_only": False, "can_gild": False, "spoiler": self.spoiler, "locked": False,
            "author_flair_text": None, "treatment_tags": [], "visited": False, "removed_by": None,
            "num_reports": None, "distinguished": "moderator" if self.author == "AutoModerator" else None,
            "subreddit_id": self.subreddit_id, "author_is_blocked": False, "mod_reason_by": None,
            "removal_reason": None, "link_flair_background_color": "", "id": self.id,
            "is_robot_indexable": True, "report_reasons": None, "author": self.author,
            "discussion_type": None, "num_comments": len(self.all_comments()), "send_replies": True,
            "contest_mode": False, "mod_reports": [], "author_patreon_flair": False,
            "author_flair_text_color": None, "whitelist_status": "all_ads", "permalink": self.permalink,
            "stickied": raw.get("stickied", False), "url": base_url + self.permalink,
            "subreddit_subscribers": self.subscribers, "created_utc": self.created, "num_crossposts": 0,
            "media": None, "is_video": False,
        }


def more(ids: list[str], count: int, parent_id: str, depth: int) -> dict:
    """A ``more`` stub: comments left out of a listing, fetched with /api/morechildren."""
    return {"kind": "more", "data": {"count": count, "name": f"t1_{ids[0]}", "id": ids[0], "parent_id": parent_id,
                                     "depth": depth, "children": ids}}


def listing(children: list[dict], after: str | None = None, dist: int | None = None, **extra) -> dict:
    return {"kind": "Listing", "data": {"after": after, "dist": dist, **extra, "modhash": "", "geo_filter": "",
                                        "children": children, "before": None}}


@dataclass
class RedditData:
    """reddit.json loaded: subreddits by lower-cased name, posts newest first, by id."""

    subreddits: dict[str, str]
    posts: list[Post]

    @property
    def by_id(self) -> dict[str, Post]:
        return {p.id: p for p in self.posts}


def load_reddit() -> RedditData:
    raw = load_json(REDDIT_FILE)
    subs = raw["subreddits"]
    posts = [Post(p, f"t5_{subs[p['subreddit']]['id']}", subs[p["subreddit"]]["subscribers"]) for p in raw["posts"]]
    posts.sort(key=lambda p: p.created, reverse=True)
    return RedditData({name.lower(): name for name in subs}, posts)
