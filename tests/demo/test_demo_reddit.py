"""The demo's Reddit-shaped API over real HTTP: listings, search, thread JSON, morechildren, shaped like Reddit's."""

from __future__ import annotations

import json
import re

import pytest

from aggregator.demo.reddit_things import load_reddit

DATA = load_reddit()
KDRAMA = [p for p in DATA.posts if p.subreddit == "KDRAMA"]
JSON = "application/json; charset=UTF-8"
PERMALINK = re.compile(r"/r/(KDRAMA|CDrama)/comments/[a-z0-9]+/[a-z0-9_]+/")
T3_FIELDS = {"id", "name", "title", "permalink", "subreddit", "spoiler", "num_comments", "created_utc", "author",
             "selftext"}


def children(listing: dict) -> list[dict]:
    assert listing["kind"] == "Listing"
    return listing["data"]["children"]


def walk(things: list[dict]):
    """Every thing of a comment tree, depth first, descending into ``replies`` Listings."""
    for thing in things:
        yield thing
        if thing["kind"] == "t1" and thing["data"]["replies"] != "":
            yield from walk(children(thing["data"]["replies"]))


def test_new_listing_pages_with_after(get):
    names, after, pages = [], None, 0
    while True:
        answer = get("/reddit/r/KDRAMA/new.json?limit=3" + (f"&after={after}" if after else ""))
        assert (answer.status, answer.content_type) == (200, JSON)
        listing = answer.json()
        things = children(listing)
        assert listing["data"]["dist"] == len(things) <= 3
        for thing in things:
            assert thing["kind"] == "t3" and T3_FIELDS <= set(thing["data"])
            data = thing["data"]
            assert data["name"] == f"t3_{data['id']}" and PERMALINK.fullmatch(data["permalink"])
            assert isinstance(data["created_utc"], float) and data["subreddit"] == "KDRAMA"
        names += [t["data"]["name"] for t in things]
        pages += 1
        after = listing["data"]["after"]
        if after is None:
            break
        assert after == names[-1]
    assert names == [p.name for p in KDRAMA] and pages == 3  # 7 posts, newest first
    created = [p.created for p in KDRAMA]
    assert created == sorted(created, reverse=True)
    assert children(get("/reddit/r/kdrama/new.json?after=t3_nothere").json()) == []
    assert get("/reddit/r/NoSuchSub/new.json").status == 404
    assert get("/reddit/r/NoSuchSub/new.json").json() == {"message": "Not Found", "error": 404}


def test_search_restricted_to_the_subreddit_newest_first(get):
    answer = get("/reddit/r/KDRAMA/search.json?q=review&restrict_sr=1&sort=new&limit=25&raw_json=1").json()
    found = [t["data"] for t in children(answer)]
    assert [d["id"] for d in found] == ["1fg8rs4"]  # only the title/selftext matches, in r/KDRAMA only
    everywhere = children(get("/reddit/r/KDRAMA/search.json?q=review&sort=new&limit=25").json())
    assert {t["data"]["subreddit"] for t in everywhere} == {"KDRAMA", "CDrama"}
    episodes = children(get("/reddit/r/CDrama/search.json?q=title:episode&restrict_sr=1&sort=new").json())
    assert [t["data"]["title"] for t in episodes] == [  # words match inside longer words, like a stemmer
        "Ten Thousand Lanterns of Luoyang [Episodes 1-4]", "Jade River Detectives [Episode 6]",
        "[Review] The Silk Road Physician is a slow burn that earns its 40 episodes"]
    paged = get("/reddit/r/CDrama/search.json?q=title:episode&restrict_sr=1&sort=new&limit=1").json()
    assert paged["data"]["after"] == episodes[0]["data"]["name"]
    assert children(get("/reddit/r/KDRAMA/search.json?q=&restrict_sr=1").json()) == []


def thread(get, post_id: str) -> list:
    answer = get(f"/reddit/comments/{post_id}.json?raw_json=1")
    assert (answer.status, answer.content_type) == (200, JSON)
    return answer.json()


def test_thread_is_a_post_listing_then_a_comment_tree(get):
    post_listing, comment_listing = thread(get, "tu1s4k")
    (post,) = children(post_listing)
    assert post["kind"] == "t3" and post["data"]["title"] == "Soundtrack #1 [Episodes 3 & 4]"
    assert post["data"]["num_comments"] == 12 and post["data"]["spoiler"] is False
    things = list(walk(children(comment_listing)))
    comments = [t["data"] for t in things if t["kind"] == "t1"]
    stubs = [t["data"] for t in things if t["kind"] == "more"]
    assert {t["kind"] for t in things} == {"t1", "more"}
    assert any(c["replies"] == "" for c in comments)
    nested = next(c for c in comments if c["id"] == "i4k1a03")
    assert (nested["depth"], nested["parent_id"], nested["link_id"]) == (2, "t1_i4k1a02", "t3_tu1s4k")
    assert nested["permalink"] == "/r/KDRAMA/comments/tu1s4k/soundtrack_1_episodes_3_4/i4k1a03/"
    # Stubs stand for the comments left out: one under a comment, one at the top level.
    assert stubs == [
        {"count": 3, "name": "t1_i4k1a04", "id": "i4k1a04", "parent_id": "t1_i4k1a01", "depth": 1,
         "children": ["i4k1a04", "i4k1a11"]},
        {"count": 1, "name": "t1_i4k1a10", "id": "i4k1a10", "parent_id": "t3_tu1s4k", "depth": 0,
         "children": ["i4k1a10"]},
    ]
    assert len(comments) + sum(s["count"] for s in stubs) == post["data"]["num_comments"]
    by_id = {c["id"]: c for c in comments}
    assert ">!when she finally sings" in by_id["i4k1a01"]["body"] and "9/10" in by_id["i4k1a01"]["body"]
    assert '<span class="md-spoiler-text">when she finally sings' in by_id["i4k1a01"]["body_html"]
    assert by_id["i4k1a05"]["author"] == "[deleted]" and "author_fullname" not in by_id["i4k1a05"]
    assert by_id["i4k1a06"]["body"] == "[removed]"
    assert by_id["i4k1a07"]["edited"] > by_id["i4k1a07"]["created_utc"]
    assert thread(get, "17f9lh1")[0]["data"]["children"][0]["data"]["spoiler"] is True
    # The permalink + .json forms reach the same thread.
    alias = get("/reddit/r/KDRAMA/comments/tu1s4k/soundtrack_1_episodes_3_4/.json?raw_json=1").json()
    assert alias == thread(get, "tu1s4k")
    assert get("/reddit/r/CDrama/comments/tu1s4k/x.json").status == 404
    assert get("/reddit/comments/zzzzzz.json").status == 404


def test_thread_limit_and_sort(get):
    _, limited = get("/reddit/comments/tu1s4k.json?raw_json=1&limit=2").json()
    top = children(limited)
    assert [t["kind"] for t in top] == ["t1", "t1", "more"]
    assert top[-1]["data"]["children"] == ["i4k1a06", "i4k1a07", "i4k1a09", "i4k1a10"]
    _, newest = get("/reddit/comments/tu1s4k.json?raw_json=1&sort=new").json()
    stamps = [t["data"]["created_utc"] for t in children(newest) if t["kind"] == "t1"]
    assert stamps == sorted(stamps, reverse=True)


def test_morechildren_returns_the_stubbed_comments_flat(get):
    answer = get("/reddit/api/morechildren.json?api_type=json&link_id=t3_tu1s4k&children=i4k1a04,i4k1a11&raw_json=1")
    assert (answer.status, answer.content_type) == (200, JSON)
    body = answer.json()
    assert set(body) == {"json"} and body["json"]["errors"] == []
    things = body["json"]["data"]["things"]
    assert [(t["kind"], t["data"]["id"], t["data"]["parent_id"]) for t in things] == [
        ("t1", "i4k1a04", "t1_i4k1a01"), ("t1", "i4k1a11", "t1_i4k1a01"), ("t1", "i4k1a12", "t1_i4k1a11")]
    assert all(t["data"]["replies"] == "" for t in things)
    hidden = get("/reddit/api/morechildren.json?api_type=json&link_id=t3_14jrd06&children=jpr6c03").json()
    assert hidden["json"]["data"]["things"][0]["data"]["depth"] == 2
    assert get("/reddit/api/morechildren.json?api_type=json&link_id=t3_none&children=a").json()["json"]["data"] == {
        "things": []}


def test_without_raw_json_strings_are_html_escaped_and_ratelimit_headers_are_sent(get):
    raw = get("/reddit/comments/tu1s4k.json?raw_json=1")
    legacy = get("/reddit/comments/tu1s4k.json")
    raw_title = raw.json()[0]["data"]["children"][0]["data"]["title"]
    assert raw_title == "Soundtrack #1 [Episodes 3 & 4]"
    assert legacy.json()[0]["data"]["children"][0]["data"]["title"] == "Soundtrack #1 [Episodes 3 &amp; 4]"
    body = children(legacy.json()[1])[0]["data"]["body_html"]
    assert body.startswith("&lt;div class=\"md\"&gt;")
    for name in ("x-ratelimit-used", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert float(legacy.headers[name]) >= 0


def test_user_agent_is_recorded(demo, get):
    get("/reddit/r/CDrama/about.json", user_agent="python:dramascore-demo:0.1 (by /u/dramascore)")
    assert demo.user_agents["python:dramascore-demo:0.1 (by /u/dramascore)"] >= 1


# --- against the real samples ---------------------------------------------------------------------------


def kinds(obj, kind: str, found: list) -> list:
    if isinstance(obj, dict):
        if obj.get("kind") == kind:
            found.append(obj["data"])
        for value in obj.values():
            kinds(value, kind, found)
    elif isinstance(obj, list):
        for value in obj:
            kinds(value, kind, found)
    return found


@pytest.mark.parametrize("sample", ["r-funny-3hahrw-comments-limit10.json", "r-redditdev-2gmzqe-comments.json"])
def test_thread_json_has_every_field_of_the_real_samples(get, realpages, sample):
    real = json.loads((realpages / "reddit" / sample).read_text(encoding="utf-8"))
    ours = thread(get, "tu1s4k")
    assert isinstance(real, list) and len(real) == len(ours) == 2
    for kind in ("Listing", "t3", "t1", "more"):
        real_nodes = kinds(real, kind, [])
        if not real_nodes:
            continue
        missing = set.intersection(*map(set, real_nodes)) - set.union(*map(set, kinds(ours, kind, [])))
        if kind == "t3":
            missing -= {"brand_safe", "post_hint", "preview"}  # link posts with images only
        assert not missing, (kind, missing)
    real_more = kinds(real, "more", [])
    if real_more:
        assert set(kinds(ours, "more", [])[0]) == set(real_more[0])
