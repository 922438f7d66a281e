"""The hostile values and odd pages of the corpus (tests/hostile/corpus.py assembles them into cases)."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator

from .pages import (
    BODY,
    CRITIC_URL,
    DRAMA,
    MDL_URL,
    REDDIT_URL,
    WP_POST_URL,
    WP_POSTS_URL,
    mdl_page,
    reddit_comment,
    reddit_thread,
    review,
    so_page,
    so_review,
    wp_post_page,
    wp_record,
)  # fmt: skip

EMPTY = ["", b"", " \n\t ", "\ufeff", "<html></html>", "<!DOCTYPE html>", "null", "{}", "[]", '""', "0",
         b"\x00" * 1024, "<", "<<<<>>>>", "<!--", "<![CDATA[", "\r\n" * 1000, "<html><body></body></html>"]  # fmt: skip


def binary(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for i in range(5):
        yield f"random-{i}", rng.randbytes(4096)
    for name, magic in (("png", b"\x89PNG\r\n\x1a\n"), ("jpeg", b"\xff\xd8\xff\xe0"), ("pdf", b"%PDF-1.7\n"),
                        ("zip", b"PK\x03\x04"), ("elf", b"\x7fELF\x02\x01")):  # fmt: skip
        yield name, magic + rng.randbytes(2048)
    yield "all-ff", b"\xff" * 8192
    yield "nul-a", b"\x00A" * 4096
    yield "high-bytes", bytes(range(128, 256)) * 32


def gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GiB: 64 members of 16 MiB of spaces (gzip readers read them all)."""
    return gzip.compress(b" " * (16 * 1024 * 1024), compresslevel=9) * 64


# --- charsets: (name, shape, body, content type, text a kept review must contain) ------------------------------

LATIN = "José Müller"
HANGUL = "해동 팬"
KANA = "山田 花子"


def _json(specs_page: list, encoding: str) -> bytes:
    return json.dumps(specs_page, ensure_ascii=False).encode(encoding, "xmlcharrefreplace")


def charset_pages() -> Iterator[tuple]:
    def mdl(author: str, encoding: str, meta: str = "") -> bytes:
        head = f'<meta charset="{meta}">' if meta else ""
        return mdl_page([review("101"), review("102", author=author), review("103")], head=head).encode(
            encoding, "xmlcharrefreplace"
        )

    utf8 = mdl(LATIN, "utf-8")
    yield "cp1252-meta", "mydramalist", mdl(LATIN, "cp1252", "windows-1252"), "text/html", LATIN
    yield "cp1252-header", "mydramalist", mdl(LATIN, "cp1252"), "text/html; charset=windows-1252", LATIN
    yield "utf8-declared-latin1", "mydramalist", utf8, "text/html; charset=iso-8859-1", None
    yield "utf8-undeclared", "mydramalist", utf8, "text/html", LATIN
    yield "utf8-no-content-type", "mydramalist", utf8, None, LATIN
    yield "utf16-bom", "mydramalist", mdl(LATIN, "utf-16"), "text/html", LATIN
    yield "utf16le-header", "mydramalist", mdl(LATIN, "utf-16-le"), "text/html; charset=utf-16le", LATIN
    yield "euc-kr-meta", "mydramalist", mdl(HANGUL, "euc-kr", "euc-kr"), "text/html", HANGUL
    yield "shift-jis-meta", "mydramalist", mdl(KANA, "shift_jis", "shift_jis"), "text/html", KANA
    yield "bogus-charset", "mydramalist", utf8, "text/html; charset=x-klingon", None
    yield "stray-bytes", "mydramalist", utf8.replace(b"</div>\n", b"</div>\xff\xfe\xc3\n"), "text/html", None
    yield "meta-utf8-bytes-cp1252", "mydramalist", mdl(LATIN, "cp1252", "utf-8"), "text/html", None
    yield "bom-beats-header", "mydramalist", b"\xef\xbb\xbf" + utf8, "text/html; charset=windows-1252", LATIN
    three = [review("101"), review("102", author=LATIN), review("103")]
    yield "cp1252-meta", "schemaorg", so_page(three, before='<meta charset="windows-1252">').encode(
        "cp1252", "xmlcharrefreplace"), "text/html", LATIN
    yield "cp1252-meta", "wp_post", wp_post_page(review("11", author=LATIN), head='<meta charset="windows-1252">'
                                                 ).encode("cp1252", "xmlcharrefreplace"), "text/html", LATIN
    thread = reddit_thread(three)
    yield "latin1-declared", "reddit", _json(thread, "latin-1"), "application/json; charset=iso-8859-1", LATIN
    yield "utf8-bom", "reddit", b"\xef\xbb\xbf" + _json(thread, "utf-8"), "application/json", LATIN
    yield "utf16-bom", "reddit", _json(thread, "utf-16"), "application/json", LATIN
    posts = [wp_record(s) for s in three]
    yield "latin1-declared", "wordpress", _json(posts, "latin-1"), "application/json; charset=iso-8859-1", LATIN
    yield "utf8-bom", "wordpress", b"\xef\xbb\xbf" + _json(posts, "utf-8"), "application/json", LATIN


# --- big and deep --------------------------------------------------------------------------------------------


def reddit_with_padding(size: int) -> str:
    """A thread with three valid comments and `size` characters of a field nobody reads."""
    return json.dumps(reddit_thread([review("c1"), review("c2"), review("c3")], post={"padding": "x" * size}))


def deep_json() -> Iterator[tuple[str, str]]:
    yield "100k-arrays", "[" * 100_000 + "]" * 100_000
    yield "100k-objects", '{"a":' * 100_000 + "1" + "}" * 100_000
    yield "100k-listing-in-thread", json.dumps(reddit_thread([])).replace('"children": []', '"children": ' + "[" * 100_000 + "]" * 100_000, 1)


def reply_chain(depth: int) -> str:
    """A thread whose comments reply to each other `depth` deep (built as text: json.dumps recurses)."""
    inner = ""
    for i in reversed(range(depth)):
        text = json.dumps(reddit_comment(review(f"r{i}")))
        inner = text if not inner else text.replace('"replies": ""', '"replies": {"kind": "Listing", "data": '
                                                    f'{{"children": [{inner}]}}}}')  # fmt: skip
    return json.dumps(reddit_thread([{"kind": "__chain__"}])).replace('{"kind": "__chain__"}', inner)


# --- JSON that is not what the site sends: (site, name, data or text, expectation) ---------------------------

def json_shapes() -> Iterator[tuple]:
    from .corpus import Expect

    ok = reddit_comment(review("ok1"))
    ok2 = reddit_comment(review("ok2"))
    for name, data in (("int", 1), ("string", "x"), ("true", True), ("null", None), ("empty-list", []),
                       ("list-of-ints", [1, 2]), ("list-of-nulls", [None, None]), ("empty-objects", [{}, {}]),
                       ("listing-without-data", [{"kind": "Listing"}]),
                       ("children-object", [{"kind": "Listing", "data": {"children": {}}}]),
                       ("post-data-list", [{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": []}]}}]),
                       ("morechildren-null", {"json": None}), ("morechildren-things-string", {"json": {"data": {"things": "x"}}}),
                       ("listing-of-threads", {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "x"}}]}})):  # fmt: skip
        yield "reddit", name, data, Expect(0)
    thread = reddit_thread([])
    thread[1]["data"] = "x"
    yield "reddit", "comments-data-string", thread, Expect(0)
    junk = [None, 1, "x", [], {"kind": "t1"}, {"kind": "t1", "data": []}, ok, ok2]
    yield "reddit", "junk-children", reddit_thread(junk), Expect(2, skipped={"not_comment": 4, "malformed": 2})
    bodies = [_with(ok, id=f"b{i}", name=f"t1_b{i}", body=b) for i, b in enumerate([5, [], {}, None, True])]
    yield "reddit", "body-types", reddit_thread([*bodies, ok]), Expect(1, skipped={"malformed": 5})
    for field, values in (("replies", [5, "x", [], {"kind": "Listing"}, None]), ("author", [5, [], {}, None, ""]),
                          ("created_utc", ["x", True, [], {}, None])):  # fmt: skip
        things = [_with(ok, id=f"{field}{i}", name=f"t1_{field}{i}", **{field: x}) for i, x in enumerate(values)]
        yield "reddit", f"{field}-types", reddit_thread(things), Expect(5)
    ids = [_with(ok, id=5, name=None), _with(ok, id="", name=""), _with(ok, id=[1], name=[2])]
    yield "reddit", "id-types", reddit_thread([*ids, ok]), Expect(1, skipped={"malformed": 3})
    yield "reddit", "morechildren-errors", {"json": {"errors": [["RATELIMIT", "x"]], "data": None}}, Expect(0, skipped={"api_error": 1})
    more = {"json": {"data": {"things": [ok, ok2, 5]}}}
    yield "reddit", "morechildren-without-post", more, Expect(0, {"missing_drama": 2}, skipped={"not_comment": 1})
    listing = {"kind": "Listing", "data": {"children": [{"kind": "t4", "data": {}}, _with(ok, link_title=f"{DRAMA} Review")]}}
    yield "reddit", "inbox-with-a-message", listing, Expect(1, skipped={"not_comment": 1})
    stubs = [{"kind": "more", "data": {"children": "x", "count": "y"}}, {"kind": "more", "data": []}, ok]
    yield "reddit", "junk-more-stubs", reddit_thread(stubs), Expect(1)
    special = json.dumps(reddit_thread([_with(ok, created_utc="__NAN__", score="__INF__")]))
    yield "reddit", "nan-and-infinity", special.replace('"__NAN__"', "NaN").replace('"__INF__"', "-Infinity"), Expect(1)
    big = json.dumps(reddit_thread([_with(ok, score="__BIG__"), ok2])).replace('"__BIG__"', "9" * 5000)
    yield "reddit", "5000-digit-number", big, Expect(2)

    for name, data in (("object", {}), ("error", {"code": "rest_no_route", "message": "x", "data": {"status": 404}}),
                       ("error-code-int", {"code": 5}), ("strings", ["a", "b"]), ("lists", [[], [1]]),
                       ("nulls", [None])):  # fmt: skip
        yield "wordpress", name, data, Expect(0)
    good = [wp_record(review("11")), wp_record(review("12"))]
    bad_ids = [{**good[0], "id": x} for x in (True, 1.5, "12a", [1], None)]
    bad_links = [{**good[0], "id": 20, "link": 5}, {**good[0], "id": 21, "link": "javascript:alert(1)"}]
    yield "wordpress", "junk-records", [*good, *bad_ids, *bad_links], Expect(2, skipped={"unreadable_record": 7})
    fields = [{"title": []}, {"content": 5}, {"date_gmt": 5}, {"_embedded": "x"}, {"_embedded": {"author": "x"}},
              {"_embedded": {"author": [5]}}, {"title": {"rendered": 5}}]  # fmt: skip
    records = [{**wp_record(review(str(30 + i))), **f} for i, f in enumerate(fields)]
    yield "wordpress", "field-types", records, Expect(4, {"missing_drama": 2, "empty_review": 1})
    up = {"up": [{"title": {"rendered": f"{DRAMA} Review"}}]}
    comments = [{"id": 1, "post": 11, "content": {"rendered": "<p>Nice.</p>"}, "author_name": 5, "_embedded": up},
                {"id": "x", "content": {"rendered": "<p>Nice.</p>"}, "_embedded": up},
                {"id": 3, "content": None, "_embedded": up},
                {"id": 4, "content": {"rendered": "<p>Nice.</p>"}, "_embedded": "x"}]  # fmt: skip
    yield "wp_comments", "junk-comments", comments, Expect(1, {"empty_review": 1, "missing_drama": 1},
                                                           skipped={"unreadable_record": 1})  # fmt: skip
    big = json.dumps([wp_record(review("11")), {**wp_record(review("12")), "id": "__BIG__"}]).replace('"__BIG__"', "1" * 5000)
    yield "wordpress", "5000-digit-id", big, Expect(1, skipped={"unreadable_record": 1})

    show = {"@type": "TVSeries", "name": DRAMA}
    body = {"reviewBody": "Good."}
    for name, data in (("int", "1"), ("string", '"Review"'), ("null", "null"), ("empty-list", "[]"),
                       ("nested-empty", "[[[]]]"), ("type-int", '{"@type": 5}'), ("graph-string", '{"@graph": "x"}')):  # fmt: skip
        yield "schemaorg", name, data, Expect(0)
    yield "schemaorg", "type-list-mixed", {"@type": ["Review", 5, None], **body, "itemReviewed": show}, Expect(1)
    yield "schemaorg", "graph-junk", {"@graph": [1, None, "x", [], {"@type": "Review", **body, "itemReviewed": show}]}, Expect(1)
    ratings = [[], "x", 5, {"ratingValue": []}, {"ratingValue": {"@value": "8"}, "bestRating": "ten"}]
    reviews = [{"@type": "Review", "url": f"https://critic.example.org/r{i}", **body, "reviewRating": r}
               for i, r in enumerate(ratings)]  # fmt: skip
    yield "schemaorg", "rating-shapes", {**show, "review": reviews}, Expect(5)
    authors = [5, [1, None, {"name": 5}], {"name": []}, "", {"@id": "#missing"}]
    reviews = [{"@type": "Review", "url": f"https://critic.example.org/a{i}", **body, "author": a}
               for i, a in enumerate(authors)]  # fmt: skip
    yield "schemaorg", "author-shapes", {**show, "review": reviews}, Expect(5)
    about = [5, [], [None, show], {"@type": "Book", "name": "x"}]
    reviews = [{"@type": "Review", "url": f"https://critic.example.org/i{i}", **body, "itemReviewed": a}
               for i, a in enumerate(about)]  # fmt: skip
    yield "schemaorg", "item-reviewed-shapes", reviews, Expect(1, {"missing_drama": 3})
    self_ref = {"@id": "#a", **show, "review": [{"@id": "#a"}, {"@type": "Review", **body, "itemReviewed": {"@id": "#a"}}]}
    yield "schemaorg", "self-reference", self_ref, Expect(1)
    cycle = {"@graph": [{"@id": "#s", **show, "review": {"@id": "#r"}},
                        {"@id": "#r", "@type": "Review", **body, "itemReviewed": {"@id": "#s"}}]}  # fmt: skip
    yield "schemaorg", "reference-cycle", cycle, Expect(1)
    lenient = '{"@type": "TVSeries", "name": "%s", // a comment\n "review": [{"@type": "Review", "reviewBody": "Good.",},],}'
    yield "schemaorg", "trailing-commas-and-comments", lenient % DRAMA, Expect(1)
    nan = json.dumps({**show, "review": [{"@type": "Review", **body, "reviewRating": {"ratingValue": "__NAN__"}}]})
    yield "schemaorg", "nan-rating", nan.replace('"__NAN__"', "NaN"), Expect(1)


def _with(thing: dict, **data) -> dict:
    """A copy of a Reddit thing with some data fields replaced (None removes a field)."""
    merged = {**thing["data"], **data}
    return {"kind": thing["kind"], "data": {k: x for k, x in merged.items() if x is not None or k == "body"}}


# --- absurd values --------------------------------------------------------------------------------------------

# (score as the page writes it, the null reason on MyDramaList and schema.org pages; None: not checked)
ABSURD_SCORES = [
    ("11/10", "out_of_range"), ("-5", "out_of_range"), ("NaN", "nan"), ("inf", "nan"), ("1e308", "unparseable"),
    ("99999999999999999999", "out_of_range"), ("0/0", "zero_scale"), ("5/0", "zero_scale"),
    ("★" * 1000, "unparseable"), ("A+++", "unparseable"), ("10/10/10", "unparseable"), ("1/-10", "out_of_range"),
    ("", None), ("9.0.1", None), ("٩", None), ("0x10", None), ("-0", None), ("1" * 5000, "unparseable"),
]  # fmt: skip
# (date as written, the null reason on MyDramaList and schema.org pages, crawled 2025-06-01)
ABSURD_DATES = [
    ("9999-12-31", "future"), ("0000-00-00", "unparseable"), ("1900-01-01", "too_old"), ("2024-02-30", "unparseable"),
    ("2024-13-01", "unparseable"), ("-1", "unparseable"), ("99999999999999999999", "unparseable"), ("1e20", None),
    ("3000 years ago", "too_old"), ("99999999999 days ago", "too_old"), ("tomorrow", None), ("in 3 days", None),
    ("Dec 32, 2022", "unparseable"), ("now", None), ("2024-03-02T25:61:00", "unparseable"), ("1709370100000", None),
    ("0", "unparseable"), ("2024-03-02T10:00:00+99:99", None), ("9" * 5000, "unparseable"), ("１９９９-０１-０１", None),
]  # fmt: skip
# created_utc of a Reddit comment, as raw JSON text
ABSURD_EPOCHS = ["-1", "0", "1e30", "1e15", "NaN", "Infinity", "-Infinity", "9223372036854775808", "1.5",
                 '"1709370100"', "true", "[]", "{}", "1" + "0" * 5000]  # fmt: skip


def raw_json_comment(**raw: str) -> str:
    """A thread with one valid comment whose fields are replaced by raw JSON text (NaN, 5000-digit numbers)."""
    thing = reddit_comment(review("c1"))
    thing["data"].update({k: f"__{k}__" for k in raw})
    text = json.dumps(reddit_thread([thing]))
    for key, value in raw.items():
        text = text.replace(f'"__{key}__"', value)
    return text


def absurd_numbers() -> Iterator[tuple[str, str]]:
    huge = "99999999999999999999"
    page = mdl_page([review("101"), review("102"), review("103")])
    yield "mdl-helpful-votes", page.replace("<b>12</b>", f"<b>{huge}</b>")
    yield "mdl-episodes-seen", page.replace("<b>16</b> of <b>16</b>", f"<b>{huge}</b> of <b>{huge}</b>")
    yield "mdl-drama-episodes", page.replace("<b>Episodes:</b> 16", f"<b>Episodes:</b> {huge}")
    # Python refuses to read an int of over 4,300 digits: the page's extraction raised ValueError.
    yield "mdl-5000-digit-votes", page.replace("<b>12</b>", f"<b>{'9' * 5000}</b>")
    for name, value in (("2-pow-63", "9223372036854775808"), ("1e300", "1e300"), ("minus-1e300", "-1e300")):
        yield f"reddit-votes-{name}", raw_json_comment(score=value)


# --- XSS --------------------------------------------------------------------------------------------------------

XSS_BODIES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>', "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;", '<a href="javascript:alert(1)">click</a>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>", '"><script>alert(1)</script>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<style>body{background:url(javascript:alert(1))}</style>", "<template><script>alert(1)</script></template>",
]  # fmt: skip
XSS_NAMES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "Mina<svg onload=alert(1)>",
             "&lt;script&gt;alert(1)&lt;/script&gt;", "javascript:alert(1)"]  # fmt: skip
# (URL, whether it is an http(s) URL once resolved against the page)
XSS_URLS = [("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), (" javascript:alert(1)", False),
            ("java\tscript:alert(1)", False), ("data:text/html;base64,PHNjcmlwdD4=", False),
            ("vbscript:msgbox(1)", False), ("//evil.example/profile/x", True)]  # fmt: skip


def wp_comments(**fields) -> str:
    up = {"up": [{"title": {"rendered": f"{DRAMA} Review"}}]}
    return json.dumps([{"id": 1, "post": 11, "author_name": "Mina", "content": {"rendered": "<p>Nice.</p>"},
                        "date_gmt": "2024-03-02T10:00:00", "_embedded": up, **fields}])  # fmt: skip


def wp_posts_with_link(link: str) -> str:
    return json.dumps([{**wp_record(review("11")), "link": link}])


def so_with_review_url(url: str) -> str:
    node = {**so_review(review("1")), "url": url}
    return so_page(script=json.dumps({"@type": "TVSeries", "name": DRAMA, "review": [node]}))


# --- control characters: (name, site, body, url, expectation, content type) ------------------------------------


def control_char_pages() -> Iterator[tuple]:
    from .corpus import HTML, JSON, Expect

    def three(**fields) -> list[dict]:
        return [review("101"), review("102", **fields), review("103")]

    reddit = lambda **f: json.dumps(reddit_thread(three(**f)))
    for name, make in (("nul-in-body", lambda: reddit(body="Good\x00 show.")), ("nul-in-author", lambda: reddit(author="bob\x00")),
                       ("surrogate-in-body", lambda: reddit(body="Good \ud800 show.")),
                       ("surrogate-in-author", lambda: reddit(author="bob\udfff")),
                       ("nul-in-thread-title", lambda: json.dumps(reddit_thread(three(), title=f"{DRAMA}\x00 [Episode 3] Discussion"))),
                       ("emoji-pair", lambda: reddit(body="Loved it \U0001f600 so much."))):  # fmt: skip
        yield name, "reddit", make(), REDDIT_URL, Expect(3), JSON
    wp = lambda **f: json.dumps([wp_record(s) for s in three(**f)])
    for name, body in (("nul-in-content", wp(body="<p>Good\x00 show.</p>")), ("surrogate-in-title", wp(title=f"{DRAMA}\ud800 Review")),
                       ("nul-in-author", wp(author="bob\x00"))):  # fmt: skip
        yield name, "wordpress", body, WP_POSTS_URL, Expect(3), JSON
    for name, fields in (("nul-in-body", {"body": "Good\x00 show."}), ("surrogate-in-author", {"author": "bob\ud800"})):
        yield name, "schemaorg", so_page(three(**fields)), CRITIC_URL, Expect(3), HTML
    for name, fields in (("nul-bytes", {"body": "<p>Good\x00 show.</p>", "author": "b\x00ob"}),
                         ("c0-c1-controls", {"author": "bob\x01\x02\x1b[31m\x85", "body": "<p>Fine\x07 show.</p>"}),
                         ("rtl-override", {"author": "\u202eevil\u202c Mina"}),
                         ("zero-width", {"author": "Mi\u200bna\ufeff"}),
                         ("bom-mid-document", {"body": "<p>\ufeffGood show.</p>"})):  # fmt: skip
        yield name, "mydramalist", mdl_page(three(**fields)).encode("utf-8"), MDL_URL, Expect(3), HTML
    yield "nul-bytes", "wordpress", wp_post_page(review("11", body="<p>Good\x00 show.</p>")).encode(), WP_POST_URL, Expect(1), HTML


# --- pages laid out otherwise than the extractors expect: (name, site, body, url, expectation) ----------------


def odd_layouts() -> Iterator[tuple]:
    from .corpus import Expect

    three = [review("101"), review("102"), review("103")]
    page = mdl_page(three)
    # The score box is still found: reviews are kept without their text (the body coverage monitor's case).
    yield "no-review-body", "mydramalist", page.replace('class="review-body"', 'class="review-text"'), MDL_URL, \
        Expect(3)
    yield "non-numeric-ids", "mydramalist", page.replace('id="review-10', 'id="review-x'), MDL_URL, \
        Expect(0, skipped={"unreadable_block": 3})
    yield "nested-blocks", "mydramalist", page.replace("</div></div>\n", "</div>\n"), MDL_URL, Expect(3)
    yield "two-titles", "mydramalist", page.replace("<body>", '<body><h1 class="film-title">Other</h1>'), MDL_URL, Expect(3)
    archive = "<html><body class='archive category'>" + "".join(
        f"<article><h2 class='entry-title'><a href='/p{i}' rel='bookmark'>Post {i}</a></h2></article>" for i in range(5)
    ) + "</body></html>"
    yield "archive-page", "wordpress", archive, WP_POST_URL, Expect(0)
    micro = "".join(
        f'<div itemscope itemtype="https://schema.org/Review"><span itemprop="reviewBody">Good {i}.</span>'
        f'<div itemprop="itemReviewed" itemscope itemtype="https://schema.org/TVSeries"><span itemprop="name">{DRAMA}'
        "</span></div></div>" for i in range(2)
    )
    yield "microdata-only", "schemaorg", f"<html><body>{micro}</body></html>", CRITIC_URL, Expect(2)
    yield "reddit-shaped-html", "reddit", f"<html><body><pre>{BODY}</pre></body></html>", REDDIT_URL, Expect(0)
    yield "listing-page-as-reviews", "mydramalist", "<html><body>" + "".join(
        f"<div class='box' id='mdl-{i}'><h6 class='title'><a href='/70{i}-x'>Show {i}</a></h6></div>" for i in range(5)
    ) + "</body></html>", MDL_URL, Expect(0)

