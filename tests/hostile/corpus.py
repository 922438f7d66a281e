"""The hostile corpus: pages that are empty, binary, truncated, mis-encoded, huge, absurdly nested or shaped
wrong, with absurd values, 1 MB fields and XSS payloads; each says how many valid reviews it embeds.

    for case in build_corpus():
        case.name, case.kind, case.body, case.url, case.expect   # body is built on demand (50 MB pages)

A case has the shape of one site (``case.site``), or of none: every case is run through every site, and
``expect`` is checked on its own site only (elsewhere: no crash, every item kept or dropped with a reason).
``expect.kept`` is the number of valid reviews the page embeds, all of which must be kept;
``expect.dropped`` the pipeline drops by reason; ``expect.skipped`` (when given) what the extractor saw and
counted as skipped; ``expect.nulls`` the null reason every kept review has for a field; ``expect.text`` a
string a kept review must contain (a name decoded from the right charset). Big cases are ``slow``.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from . import values as v
from .pages import (
    BODY,
    CRITIC_URL,
    DRAMA,
    MDL_URL,
    REDDIT_URL,
    WP_COMMENTS_URL,
    WP_POST_URL,
    WP_POSTS_URL,
    mdl_page,
    reddit_page,
    review,
    so_page,
    wp_post_page,
    wp_posts,
)  # fmt: skip

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=UTF-8"
MB = 1024 * 1024


@dataclass(frozen=True)
class Expect:
    kept: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)
    skipped: Mapping[str, int] | None = None
    nulls: Mapping[str, str] = field(default_factory=dict)
    text: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    data: bytes | str | Callable[[], bytes | str] = field(repr=False)
    url: str
    expect: Expect = Expect()
    site: str | None = None
    content_type: str | None = HTML
    slow: bool = False

    @property
    def body(self) -> bytes | str:
        """The page; built now when it is big, so a corpus listing costs no memory."""
        return self.data() if callable(self.data) else self.data


# --- one page per site shape -------------------------------------------------------------------------------

SHAPES = ("mydramalist", "wordpress", "wp_post", "reddit", "schemaorg")
SITE_OF = {"wp_post": "wordpress"}
_URL = {"mydramalist": MDL_URL, "wordpress": WP_POSTS_URL, "wp_post": WP_POST_URL, "reddit": REDDIT_URL,
        "schemaorg": CRITIC_URL}  # fmt: skip


def page(shape: str, specs: list[dict], **kwargs) -> str:
    if shape == "mydramalist":
        return mdl_page(specs, **kwargs)
    if shape == "wordpress":
        return wp_posts(specs, **kwargs)
    if shape == "wp_post":
        return wp_post_page(specs[0], **kwargs)
    if shape == "reddit":
        return reddit_page(specs, **kwargs)
    return so_page(specs, **kwargs)


def shaped(kind: str, name: str, shape: str, specs: list[dict], expect: Expect, **kwargs) -> Case:
    """A case of one site's shape; `slow` cases build their page when the body is asked for."""
    slow = kwargs.pop("slow", False)
    data = (lambda: page(shape, specs, **kwargs)) if slow else page(shape, specs, **kwargs)
    json_shape = shape in ("wordpress", "reddit")
    return Case(f"{kind}/{shape}/{name}", kind, data, _URL[shape], expect, SITE_OF.get(shape, shape),
                JSON if json_shape else HTML, slow)


def three(**fields) -> list[dict]:
    """Three valid reviews, the second one carrying `fields`."""
    return [review("101"), review("102", **fields), review("103")]


def _each_shape(kind: str, name: str, make_specs: Callable[[str], list[dict]], expect: Callable[[str], Expect],
                shapes=SHAPES, **kwargs) -> Iterator[Case]:
    for shape in shapes:
        specs = make_specs(shape)
        if shape == "wp_post":
            specs = specs[1:2]  # one post per page
        yield shaped(kind, name, shape, specs, expect(shape), **kwargs)


def _n(shape: str, n: int = 3) -> int:
    return 1 if shape == "wp_post" else n


# --- the kinds ------------------------------------------------------------------------------------------------


def empty_and_binary() -> Iterator[Case]:
    for i, body in enumerate(v.EMPTY):
        yield Case(f"empty/{i}", "empty", body, MDL_URL if i % 2 else REDDIT_URL, content_type=HTML if i % 2 else JSON)
    rng = random.Random(2611)
    for name, body in v.binary(rng):
        yield Case(f"binary/{name}", "binary", body, CRITIC_URL, content_type=None)
    # A gzip file served without Content-Encoding: the crawler sees the compressed bytes.
    yield Case("binary/gzip-without-header", "binary", gzip.compress(mdl_page(three()).encode()), MDL_URL)
    # A gzip bomb's bytes as a page (never inflated here; over HTTP, tests/hostile/test_http_limits.py).
    yield Case("gzip_bomb/1-gib-as-bytes", "gzip_bomb", v.gzip_bomb, MDL_URL, content_type=None)


def truncated() -> Iterator[Case]:
    full = mdl_page(three())
    blocks = [full.index(f'id="review-{n}"') - len("<div ") for n in (101, 102, 103)]
    mdl_cuts = {
        "after-block-1": (blocks[1], 1, {}),
        "after-block-2": (blocks[2], 2, {}),
        "inside-body-3": (full.index("rushed", blocks[2]), 3, {}),
        "before-body-3": (full.index("review-body", blocks[2]) - 12, 2, {"empty_review": 1}),
        "mid-id-3": (blocks[2] + 12, 2, {}),
        "mid-entity-1": (full.index("rushed"), 1, {}),
        "first-byte": (1, 0, {}),
    }
    for name, (cut, kept, dropped) in mdl_cuts.items():
        body = full[:cut] + ("&am" if name == "mid-entity-1" else "")
        yield Case(f"truncated/mydramalist/{name}", "truncated", body, MDL_URL, Expect(kept, dropped), "mydramalist")
    # Cut inside a multi-byte character of the second review's byline ("해동"): bytes, as a dropped connection.
    raw = mdl_page(three(author="해동 팬")).encode()
    cut = raw.index("해동 팬".encode()) + 1
    yield Case("truncated/mydramalist/mid-utf8", "truncated", raw[:cut], MDL_URL, Expect(1, {"empty_review": 1}),
               "mydramalist")  # fmt: skip
    for shape in ("wordpress", "reddit"):
        text = page(shape, three())
        for pct in (1, 25, 50, 75, 99):
            yield Case(f"truncated/{shape}/{pct}pct", "truncated", text[: len(text) * pct // 100], _URL[shape], Expect(0),
                       shape, JSON)  # fmt: skip
    post = wp_post_page(review("11"))
    for name, marker, kept, dropped in (("in-content", "rushed", 1, {}), ("before-content", "entry-content", 0,
                                        {"empty_review": 1}), ("before-title", "entry-title", 0, {"missing_drama": 1})):
        yield Case(f"truncated/wp_post/{name}", "truncated", post[: post.index(marker)], WP_POST_URL,
                   Expect(kept, dropped), "wordpress")  # fmt: skip
    critic = so_page(three(), after="<p>" + "More words. " * 50 + "</p>")
    yield Case("truncated/schemaorg/in-jsonld", "truncated", critic[: critic.index("reviewBody") + 40], CRITIC_URL,
               Expect(0, skipped={"bad_jsonld": 1}), "schemaorg")  # fmt: skip
    yield Case("truncated/schemaorg/after-jsonld", "truncated", critic[: critic.index("More words") + 100],
               CRITIC_URL, Expect(3), "schemaorg")  # fmt: skip


def charsets() -> Iterator[Case]:
    for name, shape, make, content_type, text in v.charset_pages():
        yield Case(f"charset/{shape}/{name}", "charset", make, _URL[shape], Expect(_n(shape), text=text),
                   SITE_OF.get(shape, shape), content_type)  # fmt: skip


def huge() -> Iterator[Case]:
    filler = '<div class="sidebar">' + "<p>Filler paragraph of a very long page, nothing to see.</p>" * (50 * MB // 60)
    yield shaped("huge", "50mb-page", "mydramalist", three(), Expect(3), before=filler[: len(filler) // 2] + "</div>",
                 after=filler[len(filler) // 2:] + "</div>", slow=True)  # fmt: skip
    yield Case("huge/reddit/50mb-json", "huge", lambda: v.reddit_with_padding(50 * MB), REDDIT_URL, Expect(3),
               "reddit", JSON, slow=True)  # fmt: skip
    yield shaped("huge", "10mb-body", "mydramalist", three(body="<p>" + "So many words. " * (10 * MB // 15) + "</p>"),
                 Expect(3), slow=True)  # fmt: skip
    yield shaped("huge", "2000-reviews", "mydramalist", [review(str(1000 + n)) for n in range(2000)], Expect(2000),
                 slow=True)  # fmt: skip
    yield shaped("huge", "5000-comments", "reddit", [review(str(n)) for n in range(5000)], Expect(5000), slow=True)


def nesting() -> Iterator[Case]:
    deep = "<div>" * 100_000 + "deep" + "</div>" * 100_000
    yield shaped("nesting", "100k-divs-before-reviews", "mydramalist", three(), Expect(3), before=deep, slow=True)
    yield shaped("nesting", "100k-divs-after-reviews", "mydramalist", three(), Expect(3), after=deep, slow=True)
    yield shaped("nesting", "100k-divs-in-a-body", "mydramalist", three(body=f"<p>Start.</p>{deep}<p>End.</p>"),
                 Expect(3), slow=True)  # fmt: skip
    yield shaped("nesting", "100k-unclosed-b", "mydramalist", three(body="<b>" * 100_000 + "bold"), Expect(3), slow=True)
    yield shaped("nesting", "100k-divs-in-content", "wp_post", [review("11", body=deep + BODY)], Expect(1), slow=True)
    yield shaped("nesting", "100k-divs-in-rest-content", "wordpress", three(body=deep + BODY), Expect(3), slow=True)
    yield shaped("nesting", "100k-divs-on-a-critic-page", "schemaorg", three(), Expect(3), before=deep, slow=True)
    yield shaped("nesting", "3000-divs-before-reviews", "mydramalist", three(), Expect(3),
                 before="<div>" * 3000 + "</div>" * 3000)  # fmt: skip
    for name, text in v.deep_json():
        yield Case(f"nesting/json/{name}", "nesting", text, REDDIT_URL, Expect(0), None, JSON)
    yield Case("nesting/reddit/100-deep-replies", "nesting", v.reply_chain(100), REDDIT_URL, Expect(100), "reddit", JSON)
    yield Case("nesting/schemaorg/100k-deep-jsonld", "nesting", so_page(script="[" * 100_000 + "]" * 100_000),
               CRITIC_URL, Expect(0, skipped={"bad_jsonld": 1}), "schemaorg")  # fmt: skip


def json_shapes() -> Iterator[Case]:
    for site, name, data, expect in v.json_shapes():
        url = {"reddit": REDDIT_URL, "wordpress": WP_POSTS_URL, "wp_comments": WP_COMMENTS_URL}.get(site, CRITIC_URL)
        if site == "schemaorg":
            text = so_page(script=data if isinstance(data, str) else json.dumps(data))
            yield Case(f"json_shape/schemaorg/{name}", "json_shape", text, url, expect, "schemaorg")
        else:
            text = data if isinstance(data, str) else json.dumps(data)
            yield Case(f"json_shape/{site}/{name}", "json_shape", text, url, expect, SITE_OF.get(site, "wordpress")
                       if site.startswith("wp") else site, JSON)  # fmt: skip


def missing_fields() -> Iterator[Case]:
    for name, fields in (("author", {"author": None}), ("date", {"date": None, "epoch": None}),
                         ("score", {"score": None}), ("status-and-marker", {"status": None, "marker": None})):
        yield from _each_shape("missing", name, lambda s, f=fields: three(**f), lambda s: Expect(_n(s)))
    # A score without a body is a review; Reddit has no comment without a body, it counts one as malformed.
    yield from _each_shape("missing", "body-but-score", lambda s: three(body=None),
                           lambda s: Expect(2, skipped={"malformed": 1}) if s == "reddit" else Expect(_n(s)))
    # Neither body nor score: nothing left to store.
    nothing = {
        "mydramalist": Expect(2, {"empty_review": 1}), "wordpress": Expect(2, {"empty_review": 1}),
        "wp_post": Expect(0, {"empty_review": 1}), "reddit": Expect(2, skipped={"malformed": 1}),
        "schemaorg": Expect(2, {"empty_review": 1}),
    }  # fmt: skip
    yield from _each_shape("missing", "body-and-score", lambda s: three(body=None, score=None), nothing.get)
    yield shaped("missing", "empty-review-node", "schemaorg", three(body=None, score=None, author=None),
                 Expect(2, skipped={"empty_reviews": 1}))  # fmt: skip
    for shape, kwargs in (("mydramalist", {"drama": ""}), ("wordpress", {"drama": "Weekly roundup"}),
                          ("wp_post", {"drama": "Weekly roundup"}), ("schemaorg", {"drama": ""}),
                          ("reddit", {"title": "Weekly roundup thread"})):  # fmt: skip
        kept, dropped = (3, {}) if shape == "mydramalist" else (0, {"missing_drama": _n(shape)})
        yield Case(f"missing/{shape}/drama", "missing", page(shape, three()[: _n(shape)], **kwargs), _URL[shape],
                   Expect(kept, dropped), SITE_OF.get(shape, shape), JSON if shape in ("wordpress", "reddit") else HTML)
    no_drama_url = "https://mydramalist.com/reviews"
    yield Case("missing/mydramalist/drama-and-site-id", "missing", mdl_page(three(), drama=""), no_drama_url,
               Expect(0, {"missing_drama": 3}), "mydramalist")  # fmt: skip


def absurd_values() -> Iterator[Case]:
    for i, (raw, reason) in enumerate(v.ABSURD_SCORES):
        for shape in ("mydramalist", "schemaorg"):
            nulls = {"score": reason} if reason else {}
            yield shaped("absurd_score", str(i), shape, [review(str(100 + i), score=raw)], Expect(1, nulls=nulls))
    for i, (raw, reason) in enumerate(v.ABSURD_DATES):
        for shape in ("mydramalist", "schemaorg", "wordpress"):
            nulls = {"published_at": reason} if reason and shape != "wordpress" else {}
            yield shaped("absurd_date", str(i), shape, [review(str(100 + i), date=raw)], Expect(1, nulls=nulls))
    for i, epoch in enumerate(v.ABSURD_EPOCHS):
        yield Case(f"absurd_date/reddit/epoch-{i}", "absurd_date", v.raw_json_comment(created_utc=epoch), REDDIT_URL,
                   Expect(1), "reddit", JSON)  # fmt: skip
    for name, body in v.absurd_numbers():
        yield Case(f"absurd_number/{name}", "absurd_number", body, REDDIT_URL if body.startswith("[") else MDL_URL,
                   Expect(3 if not body.startswith("[") else 1), "reddit" if body.startswith("[") else "mydramalist",
                   JSON if body.startswith("[") else HTML)  # fmt: skip


def long_fields() -> Iterator[Case]:
    big = "x" * MB
    for name, fields in (("author", {"author": "Mina " + big}), ("title", {"title": "Title " + big}),
                         ("date", {"date": "2024-03-02 " + big}), ("score", {"score": "8/10 " + big}),
                         ("status", {"status": "Completed " + big}), ("marker", {"marker": "Spoilers " + big}),
                         ("body", {"body": f"<p>{'word ' * (MB // 5)}</p>"}),
                         ("author-url", {"author_url": "https://example.org/profile/" + big})):  # fmt: skip
        # A 1 MB post title names no drama on WordPress, where the title is where the drama's name is read.
        yield from _each_shape("long_field", name, lambda s, f=fields: three(**f), lambda s, n=name: Expect(
            _n(s) - 1, {"missing_drama": 1}) if n == "title" and s in ("wordpress", "wp_post") else Expect(_n(s)))
    # A 1 MB drama title or review id is no title or id: dropped with the reason, never stored.
    for shape in ("mydramalist", "wordpress", "wp_post", "schemaorg"):
        dropped = {"missing_drama": _n(shape)} if shape != "mydramalist" else {}
        yield shaped("long_field", "drama-title", shape, three(), Expect(_n(shape) if shape == "mydramalist" else 0,
                     dropped), drama="D" * MB)  # fmt: skip
    yield shaped("long_field", "review-id", "mydramalist", [review("1" * MB), review("2")], Expect(1))
    yield shaped("long_field", "review-id", "reddit", [review("a" * MB), review("b")], Expect(1, skipped={"malformed": 1}))
    yield shaped("long_field", "review-id", "wordpress", [review("1" * MB), review("2")],
                 Expect(1, skipped=None))  # fmt: skip


def xss() -> Iterator[Case]:
    for i, payload in enumerate(v.XSS_BODIES):
        yield from _each_shape("xss", f"body-{i}", lambda s, p=payload: three(body=f"<p>Fine.</p>{p}<p>Still fine.</p>"),
                               lambda s: Expect(_n(s)))  # fmt: skip
    for i, payload in enumerate(v.XSS_NAMES):
        # (On WordPress the post title names the drama: a payload there is a post about no drama.)
        yield from _each_shape("xss", f"name-{i}", lambda s, p=payload: three(author=p, title=None if s == "wordpress" else p),
                               lambda s: Expect(_n(s)), shapes=("mydramalist", "wordpress", "reddit", "schemaorg"))  # fmt: skip
    for i, (url, web) in enumerate(v.XSS_URLS):
        yield from _each_shape("xss", f"url-{i}", lambda s, u=url: three(author_url=u), lambda s: Expect(_n(s)),
                               shapes=("mydramalist", "wordpress", "wp_post", "schemaorg"))  # fmt: skip
        yield Case(f"xss/wordpress/comment-url-{i}", "xss", v.wp_comments(author_url=url), WP_COMMENTS_URL, Expect(1),
                   "wordpress", JSON)  # fmt: skip
        # A post whose link is no web URL has no URL to be stored under: skipped, and counted.
        yield Case(f"xss/wordpress/post-link-{i}", "xss", v.wp_posts_with_link(url), WP_POSTS_URL,
                   Expect(1) if web else Expect(0, skipped={"unreadable_record": 1}), "wordpress", JSON)  # fmt: skip
        yield Case(f"xss/schemaorg/review-url-{i}", "xss", v.so_with_review_url(url), CRITIC_URL, Expect(1), "schemaorg")


def control_chars() -> Iterator[Case]:
    for name, site, text, url, expect, content_type in v.control_char_pages():
        yield Case(f"control/{site}/{name}", "control_chars", text, url, expect, site, content_type)


def layout() -> Iterator[Case]:
    for name, site, text, url, expect in v.odd_layouts():
        yield Case(f"layout/{site}/{name}", "layout", text, url, expect, site)


def regressions() -> Iterator[Case]:
    """Cases that failed before a fix (docs/reliability.md lists the fixes); the others above found some too."""
    for i, raw in enumerate(("2024-02-30", "2024-13-45", "0000-00-00")):
        # date_gmt + "Z" made these dateparser's guesses: days in 2025 nobody wrote.
        yield shaped("absurd_date", f"fix-impossible-date-gmt-{i}", "wordpress", [review("11", date=raw)],
                     Expect(1, nulls={"published_at": "unparseable"}))  # fmt: skip
    micro = "".join(
        f'<div itemscope itemtype="https://schema.org/Review"><span itemprop="reviewBody">Good {i}.</span>'
        f'<div itemprop="itemReviewed" itemscope itemtype="https://schema.org/TVSeries"><span itemprop="name">{DRAMA}'
        "</span></div></div>" for i in range(2)
    )  # fmt: skip
    deep = "<div>" * 300 + "</div>" * 300
    yield Case("nesting/schemaorg/fix-300-divs-before-microdata", "nesting", f"<html><body>{deep}{micro}</body></html>",
               CRITIC_URL, Expect(2), "schemaorg")  # fmt: skip
    yield shaped("nesting", "fix-3000-divs-before-content", "wp_post", [review("11")], Expect(1, text="rushed"),
                 before="<div>" * 3000 + "</div>" * 3000)  # fmt: skip
    # lxml keeps a form feed as text, then refuses it when the share buttons are cut out: the page was lost.
    shared = '<p>A fine show, rushed at the end.</p><div class="sharedaddy">Share</div>\x0c after the buttons'
    yield shaped("control_chars", "fix-form-feed-after-share-buttons", "wordpress", [review("11", body=shared)],
                 Expect(1, text="after the buttons"))  # fmt: skip
    # A body that opens a whole document: lxml's fragment parser asserts ("too many bodies").
    for i, body in enumerate(("&lt;html&gt;", "<html>")):
        yield shaped("xss", f"fix-body-opening-a-document-{i}", "wordpress", [review("11", body=body)], Expect(1))
    for depth in (300, 3000):
        body = f"<p>Start.</p>{'<span>' * depth}deep{'</span>' * depth}<p>The end of the review.</p>"
        yield shaped("nesting", f"fix-{depth}-spans-in-a-body", "mydramalist", three(body=body),
                     Expect(3, text="The end of the review."))  # fmt: skip


KINDS = (empty_and_binary, truncated, charsets, huge, nesting, json_shapes, missing_fields, absurd_values, long_fields,
         xss, control_chars, layout, regressions)  # fmt: skip


def build_corpus() -> list[Case]:
    """Every case, in a stable order; names are unique."""
    cases = [case for kind in KINDS for case in kind()]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases

