"""The WordPress REST API (``/wp-json/wp/v2/...``) of a demo blog, answering as WordPress 6.x does.

Collections page with ``per_page`` (1-100, default 10) and ``page``; answers carry ``X-WP-Total``,
``X-WP-TotalPages`` and ``Link`` headers; a page past the last one is a 400 ``rest_*_invalid_page_number``;
a bad parameter is a 400 ``rest_invalid_param`` naming it. ``_embed`` adds ``_embedded`` (author, terms,
replies) to posts. Only the routes a crawler reads exist; any other is a 404 ``rest_no_route``.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from urllib.parse import urlencode

from aggregator.demo.reply import Reply, json_reply
from aggregator.demo.wp_model import Blog, Comment, Post, texturize, wp_date

MAX_PER_PAGE = 100
PAGE_ERROR = "The page number requested is larger than the number of pages available."


class RestError(Exception):
    def __init__(self, status: int, code: str, message: str, **data):
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def reply(self) -> Reply:
        return json_reply({"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}},
                          self.status)


def invalid_param(name: str, message: str, code: str = "rest_out_of_bounds") -> RestError:
    return RestError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: message},
                     details={name: {"code": code, "message": message, "data": None}})


def int_param(params: dict, name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?\d+", raw):
        raise invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
    value = int(raw)
    if maximum is not None and not 1 <= value <= maximum:
        raise invalid_param(name, f"{name} must be between 1 (inclusive) and {maximum} (inclusive)")
    if value < 1:
        raise invalid_param(name, f"{name} must be greater than or equal to 1")
    return value


def id_list(params: dict, name: str) -> list[int] | None:
    """A comma-separated list of ids (``categories=3,7``), or None when absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    values = [v.strip() for v in raw.split(",")]
    for i, value in enumerate(values):
        if not value.isdigit():
            raise invalid_param(name, f"{name}[{i}] is not of type integer.", "rest_invalid_type")
    return [int(v) for v in values]


def date_param(params: dict, name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=None)
    except ValueError:
        raise invalid_param(name, "Invalid date.", "rest_invalid_date") from None


class RestRequest:
    """One request to the REST routes of a blog (one object per request: the server is threaded).

    ``origin`` (``http://127.0.0.1:port``) makes every URL absolute, as WordPress's are.
    """

    def __init__(self, blog: Blog, params: dict[str, str], origin: str):
        self.blog = blog
        self.params = params
        self.root = origin + blog.prefix

    def handle(self, route: str) -> Reply:
        route = "/" + route.strip("/")
        routes = {
            "/": self.index,
            "/wp/v2/posts": self.posts,
            "/wp/v2/categories": lambda: self.terms("category"),
            "/wp/v2/tags": lambda: self.terms("post_tag"),
            "/wp/v2/comments": self.comments,
            "/wp/v2/users": self.users,
        }
        try:
            if route in routes:
                return routes[route]()
            match = re.fullmatch(r"/wp/v2/(posts|users)/(\d+)", route)
            if match:
                return self.single(match.group(1), int(match.group(2)))
            raise RestError(404, "rest_no_route", "No route was found matching the URL and request method.")
        except RestError as error:
            return error.reply()

    # --- helpers ---------------------------------------------------------------------------------------

    def url(self, route: str, **query) -> str:
        return f"{self.root}/wp-json{route}" + (f"?{urlencode(query)}" if query else "")

    def paged(self, route: str, items: list, code: str) -> tuple[list, tuple[tuple[str, str], ...]]:
        """One page of `items` and the paging headers, or the 400 WordPress gives past the last page."""
        per_page = int_param(self.params, "per_page", 10, MAX_PER_PAGE)
        page = int_param(self.params, "page", 1)
        total, pages = len(items), math.ceil(len(items) / per_page)
        if page > pages and total > 0:
            raise RestError(400, code, PAGE_ERROR)
        headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        base = {k: v for k, v in self.params.items() if k != "page"}
        if page > 1:
            headers.append(("Link", f'<{self.url(route, **base, page=page - 1)}>; rel="prev"'))
        if page < pages:
            headers.append(("Link", f'<{self.url(route, **base, page=page + 1)}>; rel="next"'))
        return items[(page - 1) * per_page : page * per_page], tuple(headers)

    def ordered(self, items: list, key) -> list:
        order = self.params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of desc and asc.", "rest_not_in_enum")
        return sorted(items, key=key, reverse=order == "desc")

    @staticmethod
    def avatars(name: str) -> dict[str, str]:
        digest = hashlib.md5(name.lower().encode()).hexdigest()
        return {size: f"https://secure.gravatar.com/avatar/{digest}?s={size}&d=mm&r=g" for size in ("24", "48", "96")}

    # --- routes ----------------------------------------------------------------------------------------

    def index(self) -> Reply:
        blog = self.blog
        routes = ["/wp/v2/posts", "/wp/v2/posts/(?P<id>[\\d]+)", "/wp/v2/categories", "/wp/v2/tags",
                  "/wp/v2/comments", "/wp/v2/users"]
        return json_reply({
            "name": blog.name, "description": blog.description, "url": self.root, "home": self.root,
            "gmt_offset": blog.offset.total_seconds() / 3600, "timezone_string": "",
            "namespaces": ["oembed/1.0", "wp/v2"], "authentication": [],
            "routes": {r: {"namespace": "wp/v2", "methods": ["GET"], "endpoints": [{"methods": ["GET"], "args": {}}],
                           "_links": {"self": [{"href": self.url(r)}]}} for r in routes},
        })

    def posts(self) -> Reply:
        found = list(self.blog.posts)
        terms = self.params.get("search", "").lower().split()
        if terms:
            found = [p for p in found if all(t in f"{p.title} {p.text()}".lower() for t in terms)]
        for name, attr in (("categories", "categories"), ("tags", "tags")):
            wanted = id_list(self.params, name)
            if wanted is not None:
                found = [p for p in found if set(getattr(p, attr)) & set(wanted)]
        for name, keep in (("include", lambda p, ids: p.id in ids), ("author", lambda p, ids: p.author in ids)):
            wanted = id_list(self.params, name)
            if wanted is not None:
                found = [p for p in found if keep(p, wanted)]
        if self.params.get("slug"):
            slugs = self.params["slug"].split(",")
            found = [p for p in found if p.slug in slugs]
        after, before = date_param(self.params, "after"), date_param(self.params, "before")
        found = [p for p in found if (after is None or p.date > after) and (before is None or p.date < before)]
        orderby = self.params.get("orderby", "date")
        keys = {"date": lambda p: p.date, "id": lambda p: p.id, "title": lambda p: p.title.lower(),
                "slug": lambda p: p.slug, "modified": lambda p: p.modified}
        if orderby not in keys:
            raise invalid_param("orderby", f"orderby is not one of {', '.join(keys)}.", "rest_not_in_enum")
        page, headers = self.paged("/wp/v2/posts", self.ordered(found, keys[orderby]), "rest_post_invalid_page_number")
        return json_reply([self.post(p) for p in page], headers=headers)

    def single(self, kind: str, item_id: int) -> Reply:
        if kind == "posts":
            if item_id not in self.blog.by_id:
                raise RestError(404, "rest_post_invalid_id", "Invalid post ID.")
            return json_reply(self.post(self.blog.by_id[item_id]))
        if item_id not in self.blog.authors:
            raise RestError(404, "rest_user_invalid_id", "Invalid user ID.")
        return json_reply(self.user(item_id))

    def post(self, post: Post) -> dict:
        link = self.root + post.path
        data = {
            "id": post.id,
            "date": wp_date(post.date),
            "date_gmt": wp_date(post.date_gmt),
            "guid": {"rendered": f"{self.root}/?p={post.id}"},
            "modified": wp_date(post.modified),
            "modified_gmt": wp_date(post.modified_gmt),
            "slug": post.slug,
            "status": "publish",
            "type": "post",
            "link": link,
            "title": {"rendered": post.title_html()},
            "content": {"rendered": post.content_html(), "protected": False},
            "excerpt": {"rendered": post.excerpt_html(), "protected": False},
            "author": post.author,
            "featured_media": 0,
            "comment_status": "open",
            "ping_status": "closed",
            "sticky": False,
            "template": "",
            "format": "standard",
            "meta": {"footnotes": ""},
            "categories": post.categories,
            "tags": post.tags,
            "_links": {
                "self": [{"href": self.url(f"/wp/v2/posts/{post.id}")}],
                "collection": [{"href": self.url("/wp/v2/posts")}],
                "author": [{"embeddable": True, "href": self.url(f"/wp/v2/users/{post.author}")}],
                "replies": [{"embeddable": True, "href": self.url("/wp/v2/comments", post=post.id)}],
                "wp:term": [
                    {"taxonomy": "category", "embeddable": True, "href": self.url("/wp/v2/categories", post=post.id)},
                    {"taxonomy": "post_tag", "embeddable": True, "href": self.url("/wp/v2/tags", post=post.id)},
                ],
            },
        }
        if "_embed" in self.params:
            embedded = {
                "author": [self.user(post.author)],
                "wp:term": [
                    [self.term("category", self.blog.categories[i], embedded=True) for i in post.categories],
                    [self.term("post_tag", self.blog.tags[i], embedded=True) for i in post.tags],
                ],
            }
            if post.comments:
                newest = sorted(post.comments, key=lambda c: c.date, reverse=True)[:10]
                embedded["replies"] = [[self.comment(c) for c in newest]]
            data["_embedded"] = embedded
        return data

    def user(self, author_id: int) -> dict:
        author = self.blog.authors[author_id]
        return {
            "id": author_id, "name": author["name"], "url": "", "description": author["description"],
            "link": self.root + self.blog.author_path(author_id), "slug": author["slug"],
            "avatar_urls": self.avatars(author["name"]),
            "_links": {"self": [{"href": self.url(f"/wp/v2/users/{author_id}")}],
                       "collection": [{"href": self.url("/wp/v2/users")}]},
        }

    def users(self) -> Reply:
        people = sorted(self.blog.authors, key=lambda i: self.blog.authors[i]["name"].lower())
        page, headers = self.paged("/wp/v2/users", people, "rest_user_invalid_page_number")
        return json_reply([self.user(i) for i in page], headers=headers)

    def term(self, taxonomy: str, term: dict, embedded: bool = False) -> dict:
        route = "/wp/v2/categories" if taxonomy == "category" else "/wp/v2/tags"
        data = {"id": term["id"], "link": self.root + self.blog.term_path(taxonomy, term),
                "name": texturize(term["name"]), "slug": term["slug"], "taxonomy": taxonomy}
        if not embedded:
            data = {"id": term["id"], "count": self.blog.term_count(taxonomy, term["id"]),
                    "description": term.get("description", ""), **data}
            if taxonomy == "category":
                data["parent"] = 0
            data["meta"] = []
        data["_links"] = {"self": [{"href": self.url(f"{route}/{term['id']}")}],
                          "collection": [{"href": self.url(route)}]}
        return data

    def terms(self, taxonomy: str) -> Reply:
        table = self.blog.categories if taxonomy == "category" else self.blog.tags
        found = list(table.values())
        if self.params.get("slug"):
            slugs = self.params["slug"].split(",")
            found = [t for t in found if t["slug"] in slugs]
        if self.params.get("search"):
            found = [t for t in found if self.params["search"].lower() in t["name"].lower()]
        include = id_list(self.params, "include")
        if include is not None:
            found = [t for t in found if t["id"] in include]
        post_id = int_param(self.params, "post", 0)
        if post_id:
            post = self.blog.by_id.get(post_id)
            ids = (post.categories if taxonomy == "category" else post.tags) if post else []
            found = [t for t in found if t["id"] in ids]
        if self.params.get("hide_empty") in ("1", "true"):
            found = [t for t in found if self.blog.term_count(taxonomy, t["id"])]
        found = self.ordered(found, lambda t: t["name"].lower()) if "order" in self.params else sorted(
            found, key=lambda t: t["name"].lower())
        route = "/wp/v2/categories" if taxonomy == "category" else "/wp/v2/tags"
        page, headers = self.paged(route, found, "rest_term_invalid_page_number")
        return json_reply([self.term(taxonomy, t) for t in page], headers=headers)

    def comment(self, comment: Comment) -> dict:
        link = f"{self.root}{comment.post.path}#comment-{comment.id}"
        return {
            "id": comment.id,
            "post": comment.post.id,
            "parent": comment.parent,
            "author": comment.author,
            "author_name": comment.author_name,
            "author_url": comment.author_url,
            "date": wp_date(comment.date),
            "date_gmt": wp_date(comment.date_gmt),
            "content": {"rendered": comment.content_html()},
            "link": link,
            "status": "approved",
            "type": "comment",
            "author_avatar_urls": self.avatars(comment.author_name),
            "meta": [],
            "_links": {
                "self": [{"href": self.url(f"/wp/v2/comments/{comment.id}")}],
                "collection": [{"href": self.url("/wp/v2/comments")}],
                "up": [{"embeddable": True, "post_type": "post",
                        "href": self.url(f"/wp/v2/posts/{comment.post.id}")}],
            },
        }

    def comments(self) -> Reply:
        found = self.blog.comments()
        for name, attr in (("post", "post"), ("parent", "parent")):
            wanted = id_list(self.params, name)
            if wanted is not None:
                found = [c for c in found if (c.post.id if attr == "post" else c.parent) in wanted]
        terms = self.params.get("search", "").lower().split()
        found = [c for c in found if all(t in c.content.lower() for t in terms)]
        found = self.ordered(found, lambda c: (c.date_gmt, c.id))
        page, headers = self.paged("/wp/v2/comments", found, "rest_comment_invalid_page_number")
        return json_reply([self.comment(c) for c in page], headers=headers)
