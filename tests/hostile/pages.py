"""Valid pages of each site's shape, written here (invented drama, invented reviewers), for the hostile corpus.

Every page is built from review specs (plain dicts) so a hostile case can replace one field of one review and
know exactly how many valid reviews the page still embeds:

    mdl_page([review("1"), review("2", author="x" * 1_000_000)])   # 2 valid reviews, one with a 1 MB byline

Spec keys: ``id``, ``author``, ``author_url`` (the byline's href; None = none), ``date``, ``score``, ``body``
(an HTML fragment, or plain text on Reddit), ``title``, ``status``, ``marker``, ``epoch`` (Reddit's
``created_utc``); a key set to None is left out of the page. Values go into the HTML as given: markup in a
spec stays markup, which is what the XSS cases need. JSON is written with ``json.dumps``.
"""

from __future__ import annotations

import json
from html import escape

DRAMA = "Lanterns over Haedong"
BODY = (
    "<p>A slow, warm drama about a lighthouse keeper and the baker who moves in next door. The first half "
    "takes its time, and the leads earn every quiet scene they share.</p><p>The finale is rushed, but the "
    "music and the harbour town stay with you long after the last episode.</p>"
)
MDL_URL = "https://mydramalist.com/700101-lanterns-over-haedong/reviews?page=1"
WP_POSTS_URL = "https://blog.example.org/wp-json/wp/v2/posts?per_page=10&page=1&_embed=author"
WP_COMMENTS_URL = "https://blog.example.org/wp-json/wp/v2/comments?post=11&per_page=100"
WP_POST_URL = "https://blog.example.org/2024/03/lanterns-over-haedong-review/"
REDDIT_URL = "https://www.reddit.com/comments/abc123.json?raw_json=1&limit=500&sort=old"
CRITIC_URL = "https://critic.example.org/reviews/lanterns-over-haedong"


def review(rid: str, **fields) -> dict:
    """A valid review spec; keyword arguments replace (or, as None, remove) its fields."""
    spec = {
        "id": rid, "author": f"Reviewer {rid}", "author_url": f"/profile/reviewer{rid}", "date": "2024-03-02T10:00:00",
        "score": "8.5", "body": BODY, "title": None, "status": "Completed", "marker": None,
    }  # fmt: skip
    spec.update(fields)
    return spec


def _attr(value) -> str:
    return escape(str(value), quote=True)


# --- MyDramaList-shaped HTML --------------------------------------------------------------------------------


def mdl_block(spec: dict, *, raw_id: str | None = None) -> str:
    """One ``div.review``; `raw_id` writes the id attribute as given (hostile ids)."""
    rid = raw_id if raw_id is not None else f"review-{spec['id']}"
    href = spec.get("author_url")
    byline = (
        f'<b><a class="text-primary" href="{_attr(href)}">{spec["author"]}</a></b>'
        if href is not None and spec.get("author") is not None
        else (f"<b>{spec['author']}</b>" if spec.get("author") is not None else "")
    )
    date = f'<small class="datetime">{spec["date"]}</small>' if spec.get("date") is not None else ""
    status = f'<span class="review-tag">{spec["status"]}</span>' if spec.get("status") is not None else ""
    score = (
        '<div class="box pull-right"><div class="box-header rating-overall">'
        f'<b>Overall <span class="score">{spec["score"]}</span></b></div>'
        '<div class="box-body"><div class="review-rating"><div>Story <span>8.0</span></div></div></div></div>'
        if spec.get("score") is not None
        else ""
    )
    marker = f'<div class="review-spoiler">{spec["marker"]}</div>' if spec.get("marker") is not None else ""
    headline = f"<p><strong>{spec['title']}</strong></p>" if spec.get("title") is not None else ""
    body = spec.get("body") or ""
    return (
        f'<div id="{_attr(rid)}" class="review"><div class="row"><div class="col-sm-9">{byline}'
        '<div class="user-stats"><small><b>12</b> people found this review helpful</small></div></div>'
        f'<div class="col-sm-3"><div class="meta">{date}<div class="episodes-seen"><b>16</b> of <b>16</b> '
        f"episodes seen</div></div>{status}</div></div>"
        f'<div class="review-body">{score}{marker}{headline}{body}</div></div>\n'
    )


def mdl_page(specs: list[dict], *, drama: str = DRAMA, before: str = "", after: str = "", head: str = "") -> str:
    """A reviews page: header with the drama's title, `before`, the review blocks, `after`."""
    blocks = "".join(mdl_block(s) for s in specs)
    return (
        f"<!DOCTYPE html><html><head><title>{escape(DRAMA)} reviews</title>{head}</head><body>"
        f'<h1 class="film-title"><a href="/700101-lanterns-over-haedong">{drama}</a></h1>'
        '<div class="film-subtitle"><span>해동의 등불 ‧ Drama ‧ 2024</span></div>'
        '<ul class="list"><li><b>Country:</b> South Korea</li><li><b>Episodes:</b> 16</li></ul>'
        f"{before}{blocks}{after}</body></html>"
    )


# --- WordPress ----------------------------------------------------------------------------------------------


def wp_record(spec: dict, *, drama: str = DRAMA) -> dict:
    """One REST post object; the score becomes a labelled line of the content, as blogs write it."""
    content = spec.get("body") or ""
    if spec.get("score") is not None:
        content += f"<p>Rating: {spec['score']}</p>"
    record = {
        "id": int(spec["id"]) if str(spec["id"]).isdigit() and len(str(spec["id"])) < 20 else spec["id"],
        "link": f"https://blog.example.org/?p={spec['id']}",
        "title": {"rendered": spec.get("title") or f"{drama} Review"},
        "content": {"rendered": content},
        "_embedded": {"author": [{"name": spec.get("author"), "link": spec.get("author_url")}]},
    }
    if spec.get("date") is not None:
        record["date_gmt"] = spec["date"]
    return record


def wp_posts(specs: list[dict], *, drama: str = DRAMA) -> str:
    return json.dumps([wp_record(s, drama=drama) for s in specs])


def wp_post_page(spec: dict, *, drama: str = DRAMA, head: str = "", before: str = "", after: str = "") -> str:
    """A single post page of a theme: body classes, article id, entry title, byline, time, content."""
    href = spec.get("author_url")
    byline = (
        f'<span class="byline"><span class="author vcard"><a href="{_attr(href)}">{spec["author"]}</a></span></span>'
        if spec.get("author") is not None
        else ""
    )
    time = (
        f'<time class="entry-date published" datetime="{_attr(spec["date"])}">{spec["date"]}</time>'
        if spec.get("date") is not None
        else ""
    )
    score = f"<p>Rating: {spec['score']}</p>" if spec.get("score") is not None else ""
    title = spec.get("title") or f"{drama} Review"
    return (
        f"<!DOCTYPE html><html><head><title>{escape(DRAMA)}</title>{head}</head>"
        f'<body class="post-template-default single postid-{_attr(spec["id"])}">{before}'
        f'<article id="post-{_attr(spec["id"])}"><header class="entry-header"><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-meta">{byline}{time}</div></header>'
        f'<div class="entry-content">{spec.get("body") or ""}{score}</div></article>{after}</body></html>'
    )


# --- Reddit -------------------------------------------------------------------------------------------------

REDDIT_DATE = 1709370100  # created_utc of a valid comment; a spec's "epoch" replaces it (Reddit dates are numbers)


def reddit_comment(spec: dict) -> dict:
    text = spec.get("body")
    if text is not None and spec.get("score") is not None:
        text = f"{text}\n\nRating: {spec['score']}"
    data = {"id": spec["id"], "name": f"t1_{spec['id']}", "author": spec.get("author"), "body": text,
            "permalink": f"/r/KDRAMA/comments/abc123/x/{spec['id']}/", "score": 5, "replies": ""}  # fmt: skip
    if spec.get("epoch", REDDIT_DATE) is not None:
        data["created_utc"] = spec.get("epoch", REDDIT_DATE)
    return {"kind": "t1", "data": {k: v for k, v in data.items() if v is not None or k == "body"}}


def reddit_thread(comments: list, *, title: str = f"{DRAMA} [Episode 3] Discussion", post: dict | None = None) -> list:
    """``[Listing(t3 post), Listing(t1 comments)]``; `comments` are specs, or things as given (anything that is
    not a spec: a dict with a kind, junk)."""
    things = [reddit_comment(c) if isinstance(c, dict) and "id" in c and "kind" not in c else c for c in comments]
    post_data = {"id": "abc123", "name": "t3_abc123", "title": title, "permalink": "/r/KDRAMA/comments/abc123/x/",
                 "subreddit": "KDRAMA", "selftext": "", "author": "op", "created_utc": 1709370000}  # fmt: skip
    post_data.update(post or {})
    return [
        {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": post_data}]}},
        {"kind": "Listing", "data": {"children": things}},
    ]


def reddit_page(comments: list, **kwargs) -> str:
    return json.dumps(reddit_thread(comments, **kwargs))



# --- schema.org ---------------------------------------------------------------------------------------------


def so_review(spec: dict) -> dict:
    node = {"@type": "Review", "url": f"https://critic.example.org/r/{spec['id']}", "reviewBody": spec.get("body")}
    if spec.get("author") is not None:
        node["author"] = {"@type": "Person", "name": spec["author"]}
        if spec.get("author_url") is not None:
            node["author"]["url"] = spec["author_url"]
    if spec.get("date") is not None:
        node["datePublished"] = spec["date"]
    if spec.get("score") is not None:
        node["reviewRating"] = {"@type": "Rating", "ratingValue": spec["score"], "bestRating": 10}
    if spec.get("title") is not None:
        node["name"] = spec["title"]
    if spec.get("marker") is not None:
        node["keywords"] = spec["marker"]
    return {k: v for k, v in node.items() if v is not None}


def so_jsonld(specs: list[dict], *, drama: str = DRAMA) -> str:
    show = {"@context": "https://schema.org", "@type": "TVSeries", "name": drama, "review": [so_review(s) for s in specs]}
    # As sites do: "</" escaped, so a review quoting "</script>" cannot end the block.
    return json.dumps(show).replace("</", "<\\/")


def so_page(specs: list[dict] | None = None, *, drama: str = DRAMA, script: str | None = None, before: str = "",
            after: str = "") -> str:
    """A critic page whose JSON-LD lists the reviews of the show; `script` replaces the JSON-LD text."""
    text = script if script is not None else so_jsonld(specs or [], drama=drama)
    return (
        f"<!DOCTYPE html><html><head><title>{escape(DRAMA)}</title>"
        f'<script type="application/ld+json">{text}</script></head><body>{before}'
        f"<h1>{escape(DRAMA)}</h1><p>Critics on the show.</p>{after}</body></html>"
    )
