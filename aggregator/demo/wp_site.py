"""A demo WordPress blog over HTTP: theme pages (posts, archives, search, 404) and, when on, its REST API.

Markup follows the common WordPress theme structure (``article#post-ID.post``, ``h1.entry-title``,
``.entry-meta`` with ``time.entry-date.published`` and ``.byline .author.vcard a.url.fn.n``, ``.entry-content``,
``ol.comment-list``, ``a.next.page-numbers``). A blog with the API on links it from every page
(``<link rel="https://api.w.org/">``) and prints Yoast's JSON-LD ``@graph``; the other answers ``/wp-json/``
with its HTML 404 page, like a site that turned the API off, and prints a single BlogPosting JSON-LD.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from urllib.parse import quote_plus

from aggregator.demo.reply import Reply, canonical_key, e, html_reply, redirect
from aggregator.demo.wp_api import RestRequest
from aggregator.demo.wp_model import (
    Blog,
    Comment,
    Post,
    display_date,
    display_time,
    plain,
    texturize,
)

# Parameters that change a REST answer, for hit counting (``_embed`` and paging included).
REST_KEYS = {"page", "per_page", "search", "categories", "tags", "include", "author", "slug", "post", "parent",
             "order", "orderby", "after", "before", "hide_empty", "_embed"}
# A reader-rating plugin on one post prints JSON-LD with trailing commas: invalid JSON, kept on purpose.
BROKEN_JSONLD = ('{"@context": "https://schema.org/", "@type": "CreativeWorkSeries", "name": %s, '
                 '"aggregateRating": {"@type": "AggregateRating", "ratingValue": "4.2", "bestRating": "5", '
                 '"ratingCount": "37",},}')


def route_key(path: str, params: dict[str, str]) -> str:
    """Hits key under /blogs/: REST calls keep the parameters that matter (page defaults to 1); pages keep ``s``."""
    if "/wp-json" in path or "rest_route" in params:
        collection = not re.search(r"/\d+/?$", params.get("rest_route", path))
        keep = REST_KEYS | {"rest_route"}
        return canonical_key(path, params, keep, {"page": "1"} if collection else None)
    return canonical_key(path, params, {"s"})


def jsonld(data: object, css_class: str = "") -> str:
    # "<" escaped so no string can close the script element; still the same JSON.
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    klass = f' class="{css_class}"' if css_class else ""
    return f'<script type="application/ld+json"{klass}>{text}</script>\n'


class WordPressSite:
    """Routes requests under ``/blogs/<key>`` to the blog's theme pages or its REST API."""

    def __init__(self, blog: Blog):
        self.blog = blog
        self.prefix = blog.prefix

    def handle(self, path: str, params: dict[str, str], origin: str) -> Reply:
        sub = path[len(self.prefix):] or "/"
        blog = self.blog
        if sub == "/wp-json" or sub.startswith("/wp-json/") or (sub == "/" and "rest_route" in params):
            if not blog.api:
                return self.not_found(origin)
            route = params["rest_route"] if "rest_route" in params else sub[len("/wp-json"):]
            rest_params = {k: v for k, v in params.items() if k != "rest_route"}
            return RestRequest(blog, rest_params, origin).handle(route or "/")
        if not sub.endswith("/"):
            found = self.page(sub + "/", params, origin)
            return redirect(self.prefix + sub + "/") if found.status == 200 else found
        return self.page(sub, params, origin)

    def page(self, sub: str, params: dict[str, str], origin: str) -> Reply:
        blog = self.blog
        if sub in blog.by_path:
            return html_reply(self.post_page(blog.by_path[sub], origin))
        match = re.fullmatch(r"/(?:(category|author|tag)/([^/]+)/)?(?:page/(\d+)/)?", sub)
        if not match:
            return self.not_found(origin)
        kind, slug, number = match.groups()
        if number == "1":
            return redirect(self.prefix + sub[: -len("page/1/")])
        page = int(number or 1)
        base = f"/{kind}/{slug}/" if kind else "/"
        if kind == "category":
            term = next((c for c in blog.categories.values() if c["slug"] == slug), None)
            posts = [p for p in blog.posts if term and term["id"] in p.categories]
            heading = f'Category: <span>{texturize(term["name"])}</span>' if term else ""
        elif kind == "tag":
            term = next((t for t in blog.tags.values() if t["slug"] == slug), None)
            posts = [p for p in blog.posts if term and term["id"] in p.tags]
            heading = f'Tag: <span>{texturize(term["name"])}</span>' if term else ""
        elif kind == "author":
            term = next(({"id": i, **a} for i, a in blog.authors.items() if a["slug"] == slug), None)
            posts = [p for p in blog.posts if term and p.author == term["id"]]
            heading = f'Author: <span class="vcard">{e(term["name"])}</span>' if term else ""
        elif "s" in params:
            term, terms = True, params["s"].lower().split()
            posts = [p for p in blog.posts if all(t in f"{p.title} {p.text()}".lower() for t in terms)]
            heading = f"Search Results for: <span>{e(params['s'])}</span>"
        else:
            term, posts, heading = True, blog.posts, ""
        pages = max(1, math.ceil(len(posts) / blog.per_page))
        # WordPress 404s an unknown term, and any page past the last (an empty search keeps its page 1).
        if not term or page > pages:
            return self.not_found(origin)
        chunk = posts[(page - 1) * blog.per_page : page * blog.per_page]
        return html_reply(self.archive_page(heading, chunk, base, page, pages, params.get("s"), origin))

    # --- shared pieces ---------------------------------------------------------------------------------

    def document(self, title: str, main: str, origin: str, head: str = "", lang: str | None = None,
                 body_class: str = "") -> str:
        blog, root = self.blog, origin + self.prefix
        api = f'<link rel="https://api.w.org/" href="{e(root)}/wp-json/" />\n' if blog.api else ""
        return (
            f'<!DOCTYPE html>\n<html lang="{e(lang or blog.language)}">\n<head>\n<meta charset="UTF-8" />\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
            f"<title>{e(title)}</title>\n{head}{api}"
            f'<meta name="generator" content="{e(blog.generator)}" />\n</head>\n'
            f'<body class="{e(body_class)}">\n<div id="page" class="site">\n'
            '<header id="masthead" class="site-header"><div class="site-branding">'
            f'<p class="site-title"><a href="{e(self.prefix)}/" rel="home">{texturize(blog.name)}</a></p>'
            f'<p class="site-description">{texturize(blog.description)}</p></div></header>\n'
            f'<div id="content" class="site-content"><main id="main" class="site-main">\n{main}\n</main></div>\n'
            f'<footer id="colophon" class="site-footer"><div class="site-info">{texturize(blog.name)}: a '
            "dramascore demo blog, invented reviews written for testing the crawler.</div></footer>\n"
            "</div>\n</body>\n</html>\n"
        )

    def entry_meta(self, post: Post) -> str:
        """Posted-on date (unless the post hides it) and the byline."""
        author = self.blog.authors[post.author]
        parts = []
        shown = post.visible_date()
        if shown is not None:
            updated = ""
            if post.modified != post.date:
                updated = (f'<time class="updated" datetime="{e(post.iso(post.modified))}">'
                           f"{e(display_date(post.modified, self.blog.date_format))}</time>")
            parts.append(
                f'<span class="posted-on">Posted on <a href="{e(self.prefix + post.path)}" rel="bookmark">'
                f'<time class="entry-date published" datetime="{e(post.iso(post.date))}">{e(shown)}</time>'
                f"{updated}</a></span>"
            )
        parts.append(
            '<span class="byline">By <span class="author vcard">'
            f'<a class="url fn n" href="{e(self.prefix + self.blog.author_path(post.author))}">{e(author["name"])}'
            "</a></span></span>"
        )
        return '<div class="entry-meta">' + " ".join(parts) + "</div>"

    def post_classes(self, post: Post) -> str:
        blog = self.blog
        terms = [f"category-{blog.categories[i]['slug']}" for i in post.categories]
        terms += [f"tag-{blog.tags[i]['slug']}" for i in post.tags]
        return " ".join([f"post-{post.id}", "post", "type-post", "status-publish", "format-standard", "hentry", *terms])

    # --- pages -----------------------------------------------------------------------------------------

    def post_page(self, post: Post, origin: str) -> str:
        blog = self.blog
        author = blog.authors[post.author]
        cats = " ".join(
            f'<a href="{e(self.prefix + blog.term_path("category", blog.categories[i]))}" rel="category tag">'
            f"{texturize(blog.categories[i]['name'])}</a>" for i in post.categories
        )
        bio = ""
        if blog.api:
            bio = (f'<div class="author-info"><h2 class="author-title">By {e(author["name"])}</h2>'
                   f'<p class="author-bio">{texturize(author["description"])}</p></div>\n')
        main = (
            f'<article id="post-{post.id}" class="{e(self.post_classes(post))}">\n'
            f'<header class="entry-header">\n<h1 class="entry-title">{post.title_html()}</h1>\n'
            f"{self.entry_meta(post)}\n</header>\n"
            f'<div class="entry-content">\n{post.content_html()}</div>\n'
            f'<footer class="entry-footer"><span class="cat-links">Categorized as {cats}</span></footer>\n'
            f"</article>\n{bio}{self.comments_area(post)}"
        )
        return self.document(f"{post.title_plain()} - {plain(blog.name)}", main, origin, self.post_head(post, origin),
                             post.lang, "post-template-default single single-post single-format-standard")

    def post_head(self, post: Post, origin: str) -> str:
        blog, root = self.blog, origin + self.prefix
        link, author = root + post.path, blog.authors[post.author]["name"]
        summary = plain(" ".join(post.text().split()[:30]))
        metas = [
            ("og:locale", post.lang.replace("-", "_")), ("og:type", "article"), ("og:title", post.title_plain()),
            ("og:description", summary), ("og:url", link), ("og:site_name", plain(blog.name)),
            ("article:published_time", post.iso(post.date)), ("article:modified_time", post.iso(post.modified)),
        ]
        head = f'<meta name="description" content="{e(summary)}" />\n<link rel="canonical" href="{e(link)}" />\n'
        head += "".join(f'<meta property="{p}" content="{e(v)}" />\n' for p, v in metas)
        head += f'<meta name="author" content="{e(author)}" />\n'
        if blog.api:
            head += (f'<link rel="alternate" type="application/json" '
                     f'href="{e(root)}/wp-json/wp/v2/posts/{post.id}" />\n')
            return head + jsonld(self.yoast_graph(post, root), "yoast-schema-graph")
        head += jsonld({
            "@context": "https://schema.org", "@type": "BlogPosting",
            "mainEntityOfPage": {"@type": "WebPage", "@id": link}, "headline": post.title_plain(),
            "datePublished": post.iso(post.date), "dateModified": post.iso(post.modified),
            "author": {"@type": "Person", "name": author, "url": root + blog.author_path(post.author)},
            "publisher": {"@type": "Organization", "name": plain(blog.name)}, "inLanguage": post.lang,
            "articleSection": [plain(blog.categories[i]["name"]) for i in post.categories],
        })
        if post.raw.get("jsonld_malformed"):
            broken = BROKEN_JSONLD % json.dumps(post.title_plain(), ensure_ascii=False).replace("<", "\\u003c")
            head += f'<script type="application/ld+json">{broken}</script>\n'
        return head

    def yoast_graph(self, post: Post, root: str) -> dict:
        blog, link = self.blog, root + post.path
        author = blog.authors[post.author]
        person = f"{root}/#/schema/person/{hashlib.md5(author['slug'].encode()).hexdigest()}"
        published, modified = post.iso(post.date), post.iso(post.modified)
        return {"@context": "https://schema.org", "@graph": [
            {"@type": "WebPage", "@id": link, "url": link, "name": f"{post.title_plain()} - {plain(blog.name)}",
             "isPartOf": {"@id": f"{root}/#website"}, "datePublished": published, "dateModified": modified,
             "breadcrumb": {"@id": f"{link}#breadcrumb"}, "inLanguage": post.lang,
             "potentialAction": [{"@type": "ReadAction", "target": [link]}]},
            {"@type": "BlogPosting", "@id": f"{link}#article", "isPartOf": {"@id": link},
             "author": {"name": author["name"], "@id": person}, "headline": post.title_plain(),
             "datePublished": published, "dateModified": modified, "mainEntityOfPage": {"@id": link},
             "wordCount": len(post.text().split()), "commentCount": len(post.comments),
             "publisher": {"@id": f"{root}/#organization"},
             "articleSection": [plain(blog.categories[i]["name"]) for i in post.categories], "inLanguage": post.lang},
            {"@type": "BreadcrumbList", "@id": f"{link}#breadcrumb", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{root}/"},
                {"@type": "ListItem", "position": 2, "name": post.title_plain()}]},
            {"@type": "WebSite", "@id": f"{root}/#website", "url": f"{root}/", "name": plain(blog.name),
             "description": plain(blog.description), "publisher": {"@id": f"{root}/#organization"},
             "inLanguage": blog.language},
            {"@type": "Organization", "@id": f"{root}/#organization", "name": plain(blog.name), "url": f"{root}/"},
            {"@type": "Person", "@id": person, "name": author["name"], "description": author["description"],
             "url": root + blog.author_path(post.author)},
        ]}

    def comment_item(self, comment: Comment, children: dict[int, list[Comment]], depth: int, post: Post) -> str:
        name = e(comment.author_name)
        if comment.author_url:
            name = f'<a href="{e(comment.author_url)}" class="url" rel="ugc external nofollow">{name}</a>'
        by_author = " bypostauthor" if comment.author == post.author else ""
        stamp = (f'<time datetime="{e(post.iso(comment.date))}">{e(display_date(comment.date, self.blog.date_format))}'
                 f" at {e(display_time(comment.date))}</time>")
        replies = "".join(self.comment_item(c, children, depth + 1, post) for c in children.get(comment.id, []))
        replies = f'<ol class="children">\n{replies}</ol>\n' if replies else ""
        return (
            f'<li id="comment-{comment.id}" class="comment depth-{depth}{by_author}">\n'
            f'<article id="div-comment-{comment.id}" class="comment-body">\n<footer class="comment-meta">'
            f'<div class="comment-author vcard"><b class="fn">{name}</b> <span class="says">says:</span></div>'
            f'<div class="comment-metadata"><a href="{e(self.prefix + post.path)}#comment-{comment.id}">{stamp}</a>'
            f'</div></footer>\n<div class="comment-content">{comment.content_html()}</div>\n</article>\n'
            f"{replies}</li>\n"
        )

    def comments_area(self, post: Post) -> str:
        form = ('<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">'
                "Leave a Reply</h3><p class=\"comment-notes\">Your email address will not be published.</p></div>\n")
        if not post.comments:
            return f'<div id="comments" class="comments-area">\n{form}</div>\n'
        children: dict[int, list[Comment]] = {}
        for comment in sorted(post.comments, key=lambda c: c.date):
            children.setdefault(comment.parent, []).append(comment)
        items = "".join(self.comment_item(c, children, 1, post) for c in children.get(0, []))
        count = len(post.comments)
        title = f"{count} thought{'s' if count != 1 else ''} on &ldquo;{post.title_html()}&rdquo;"
        return (f'<div id="comments" class="comments-area">\n<h2 class="comments-title">{title}</h2>\n'
                f'<ol class="comment-list">\n{items}</ol>\n{form}</div>\n')

    def archive_page(self, heading: str, posts: list[Post], base: str, page: int, pages: int,
                     search: str | None, origin: str) -> str:
        entries = "".join(
            f'<article id="post-{p.id}" class="{e(self.post_classes(p))}">\n<header class="entry-header">'
            f'<h2 class="entry-title"><a href="{e(self.prefix + p.path)}" rel="bookmark">{p.title_html()}</a></h2>\n'
            f'{self.entry_meta(p)}</header>\n<div class="entry-summary">\n{p.excerpt_html()}</div>\n</article>\n'
            for p in posts
        )
        if not posts:
            entries = ('<section class="no-results not-found"><h2 class="page-title">Nothing Found</h2>'
                       "<p>Sorry, but nothing matched your search terms.</p></section>\n")
        header = f'<header class="page-header"><h1 class="page-title">{heading}</h1></header>\n' if heading else ""
        body_class = "search search-results" if search is not None else ("archive" if heading else "home blog")
        site = plain(self.blog.name)
        title = f"{plain(re.sub('<[^>]+>', '', heading))} - {site}" if heading else site
        return self.document(title, header + entries + self.pagination(base, page, pages, search), origin,
                             body_class=body_class)

    def pagination(self, base: str, page: int, pages: int, search: str | None) -> str:
        if pages <= 1:
            return ""
        query = f"?s={quote_plus(search)}" if search is not None else ""

        def href(n: int) -> str:
            return e(self.prefix + base + (f"page/{n}/" if n > 1 else "") + query)

        links = []
        if page > 1:
            links.append(f'<a class="prev page-numbers" href="{href(page - 1)}">Previous</a>')
        for n in range(1, pages + 1):
            if n == page:
                links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                links.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
        if page < pages:
            links.append(f'<a class="next page-numbers" href="{href(page + 1)}">Next</a>')
        return ('<nav class="navigation pagination" aria-label="Posts pagination">'
                '<h2 class="screen-reader-text">Posts pagination</h2><div class="nav-links">'
                + "\n".join(links) + "</div></nav>\n")

    def not_found(self, origin: str) -> Reply:
        main = ('<section class="error-404 not-found"><header class="page-header"><h1 class="page-title">'
                "Oops! That page can&rsquo;t be found.</h1></header><div class=\"page-content\"><p>It looks like "
                "nothing was found at this location.</p></div></section>")
        page = self.document(f"Page not found - {plain(self.blog.name)}", main, origin, body_class="error404")
        return html_reply(page, status=404)
