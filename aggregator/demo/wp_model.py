"""The demo's WordPress blogs as objects: posts, authors, terms, comments, and WordPress's text handling.

``blogs.json`` stores text as an author types it; :func:`texturize` turns it into what WordPress serves
(``"`` -> ``&#8220;``/``&#8221;``, ``'`` -> ``&#8217;``, `` - `` -> `` &#8211; ``, ``&`` -> ``&#038;``), and every
value is HTML-escaped before that. Dates are the site's local time; ``*_gmt`` values are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape, unescape

from aggregator.demo.reply import load_json

BLOGS_FILE = "blogs.json"
# WordPress trims excerpts to 55 words and appends " [&hellip;]".
EXCERPT_WORDS = 55


def texturize(text: str) -> str:
    """HTML of a plain string as WordPress's wptexturize renders it (escaped first, then curly entities)."""
    out = escape(text, quote=False).replace("&amp;", "&#038;")
    out = re.sub(r'(^|[\s(\[{])"', r"\1&#8220;", out)
    out = out.replace('"', "&#8221;")
    out = re.sub(r"(^|[\s(\[{])'", r"\1&#8216;", out)
    out = out.replace("'", "&#8217;")
    out = out.replace(" -- ", " &#8212; ").replace(" - ", " &#8211; ").replace("...", "&#8230;")
    return out


def plain(text: str) -> str:
    """The texturized string as a reader sees it (curly quotes, dashes), for JSON-LD and meta tags."""
    return unescape(texturize(text))


def wp_date(value: datetime) -> str:
    """WordPress REST dates: ISO 8601 without an offset."""
    return value.strftime("%Y-%m-%dT%H:%M:%S")


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def display_date(value: datetime, fmt: str) -> str:
    """The two date formats the demo themes use: ``F j, Y`` and ``j F Y``."""
    month = MONTHS[value.month - 1]
    if fmt == "j F Y":
        return f"{value.day} {month} {value.year}"
    return f"{month} {value.day}, {value.year}"


def display_time(value: datetime) -> str:
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"


def _parse_offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


@dataclass
class Comment:
    id: int
    post: Post
    author_name: str
    date: datetime
    content: str
    author: int = 0
    author_url: str = ""
    parent: int = 0

    @property
    def date_gmt(self) -> datetime:
        return self.date - self.post.blog.offset

    def content_html(self) -> str:
        return f"<p>{texturize(self.content)}</p>\n"


@dataclass
class Post:
    blog: Blog
    raw: dict
    comments: list[Comment] = field(default_factory=list)

    def __post_init__(self) -> None:
        raw = self.raw
        self.id: int = raw["id"]
        self.slug: str = raw["slug"]
        self.title: str = raw["title"]
        self.date = datetime.fromisoformat(raw["date"])
        self.modified = datetime.fromisoformat(raw["modified"])
        self.author: int = raw["author"]
        self.categories: list[int] = raw["categories"]
        self.tags: list[int] = raw["tags"]
        self.blocks: list = raw["content"]
        self.lang: str = raw.get("lang", self.blog.language)
        self.comments = [
            Comment(
                id=c["id"], post=self, author_name=c["author_name"], date=datetime.fromisoformat(c["date"]),
                content=c["content"], author=c.get("author", 0), author_url=c.get("author_url", ""),
                parent=c.get("parent", 0),
            )
            for c in raw.get("comments", [])
        ]

    @property
    def date_gmt(self) -> datetime:
        return self.date - self.blog.offset

    @property
    def modified_gmt(self) -> datetime:
        return self.modified - self.blog.offset

    @property
    def path(self) -> str:
        """Permalink path under the blog root: /%year%/%monthnum%/(%day%/)%postname%/."""
        d = self.date
        if self.blog.permalink == "day":
            return f"/{d.year}/{d.month:02d}/{d.day:02d}/{self.slug}/"
        return f"/{d.year}/{d.month:02d}/{self.slug}/"

    def iso(self, value: datetime) -> str:
        """A local date with the site's offset, as themes and Yoast print it."""
        return wp_date(value) + self.blog.offset_text

    def title_html(self) -> str:
        return texturize(self.title)

    def title_plain(self) -> str:
        return plain(self.title)

    def content_html(self) -> str:
        return "\n\n".join(block_html(b) for b in self.blocks) + "\n"

    def text(self) -> str:
        """Plain text of the body, for search and excerpts."""
        return " ".join(" ".join(block_text(b) for b in self.blocks).split())

    def excerpt_html(self) -> str:
        words = self.text().split()
        more = " [&hellip;]" if len(words) > EXCERPT_WORDS else ""
        return f"<p>{texturize(' '.join(words[:EXCERPT_WORDS]))}{more}</p>\n"

    def visible_date(self) -> str | None:
        """The date the byline shows: a per-post override, none at all, or the site's format."""
        if self.raw.get("show_date") is False:
            return None
        return self.raw.get("visible_date") or display_date(self.date, self.blog.date_format)


def inline_html(part: str | list) -> str:
    if isinstance(part, str):
        return texturize(part)
    return "".join(texturize(p) if isinstance(p, str) else f"<strong>{texturize(p['b'])}</strong>" for p in part)


def block_html(block: str | list | dict) -> str:
    """One content block as the block editor saves it."""
    if isinstance(block, (str, list)):
        return f"<p>{inline_html(block)}</p>"
    if "h2" in block:
        return f'<h2 class="wp-block-heading">{texturize(block["h2"])}</h2>'
    if "ul" in block:
        return "<ul>" + "".join(f"<li>{texturize(item)}</li>" for item in block["ul"]) + "</ul>"
    if "warning" in block:
        return (
            '<div class="wp-block-group spoiler-warning"><p><strong>Warning: Spoilers</strong> '
            f"{texturize(block['warning'])}</p></div>"
        )
    raise ValueError(f"unknown content block {block!r}")


def block_text(block: str | list | dict) -> str:
    if isinstance(block, str):
        return block
    if isinstance(block, list):
        return "".join(p if isinstance(p, str) else p["b"] for p in block)
    if "ul" in block:
        return " ".join(block["ul"])
    if "warning" in block:
        return "Warning: Spoilers " + block["warning"]
    return block["h2"]


@dataclass
class Blog:
    """One blog of blogs.json: settings, authors, terms and posts (newest first)."""

    key: str
    raw: dict

    def __post_init__(self) -> None:
        raw = self.raw
        self.prefix = f"/blogs/{self.key}"
        self.name: str = raw["name"]
        self.description: str = raw["description"]
        self.api: bool = raw["api"]
        self.offset_text: str = raw["utc_offset"]
        self.offset = _parse_offset(self.offset_text)
        self.language: str = raw["language"]
        self.per_page: int = raw["per_page"]
        self.permalink: str = raw["permalink"]
        self.date_format: str = raw["date_format"]
        self.generator: str = raw["generator"]
        self.authors: dict[int, dict] = {a["id"]: a for a in raw["authors"]}
        self.categories: dict[int, dict] = {c["id"]: c for c in raw["categories"]}
        self.tags: dict[int, dict] = {t["id"]: t for t in raw["tags"]}
        self.posts = sorted((Post(self, p) for p in raw["posts"]), key=lambda p: p.date, reverse=True)
        self.by_path = {p.path: p for p in self.posts}
        self.by_id = {p.id: p for p in self.posts}

    def comments(self) -> list[Comment]:
        return [c for p in self.posts for c in p.comments]

    def term_count(self, taxonomy: str, term_id: int) -> int:
        return sum(term_id in (p.categories if taxonomy == "category" else p.tags) for p in self.posts)

    def term_path(self, taxonomy: str, term: dict) -> str:
        return f"/{'category' if taxonomy == 'category' else 'tag'}/{term['slug']}/"

    def author_path(self, author_id: int) -> str:
        return f"/author/{self.authors[author_id]['slug']}/"


def load_blogs() -> dict[str, Blog]:
    """Every demo blog by key (``kdramadiary``, ``seoulscreen``)."""
    return {key: Blog(key, raw) for key, raw in load_json(BLOGS_FILE)["blogs"].items()}
