"""The demo as a whole: one server for every source kind, its sources file, and what the content covers."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from aggregator.demo.mdl_pages import load_content
from aggregator.demo.reply import catalogue, load_json
from aggregator.demo.server import DemoSite, demo_sources, route_key
from aggregator.sources import KIND_OPTIONS

DRAMAS = catalogue()
MDL = {d["id"]: d for d in load_content()["dramas"]}
BLOGS = load_json("blogs.json")["blogs"]
REDDIT = load_json("reddit.json")["posts"]
CRITICS = load_json("critics.json")["reviews"]


def appearances() -> dict[str, dict[str, list[str]]]:
    """drama key -> source -> the names it appears under there (titles of posts, threads, reviews)."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key, drama in DRAMAS.items():
        if drama.get("mdl_id") in MDL:
            found[key]["mydramalist"].append(MDL[drama["mdl_id"]]["title"])
    for blog, data in BLOGS.items():
        for post in data["posts"]:
            if post["drama"]:
                found[post["drama"]][blog].append(post["title"])
    for post in REDDIT:
        if post["drama"]:
            found[post["drama"]]["reddit"].append(post["title"])
    for review in CRITICS:
        found[review["drama"]]["critics"].append(review["headline"])
    return found


def all_text() -> str:
    """Every title and body text of the new sources, as stored."""
    parts = []
    for data in BLOGS.values():
        for post in data["posts"]:
            parts.append(post["title"])
            parts += [str(block) for block in post["content"]]
    for post in REDDIT:
        parts += [post["title"], post["selftext"]]
        stack = list(post["comments"])
        while stack:
            comment = stack.pop()
            parts.append(comment["body"])
            stack += comment["replies"]
    return "\n".join(parts)


# --- server ---------------------------------------------------------------------------------------------


def test_robots_allows_everything_and_unknown_paths_are_404(get):
    robots = get("/robots.txt")
    assert robots.status == 200 and "User-agent: *\nAllow: /" in robots.text
    for path in ("/blogs/", "/blogs/nosuchblog/", "/blogs/kdramadiary/2022/04/no-such-post/",
                 "/blogs/kdramadiary/page/9/", "/reddit/r/KDRAMA/top.json", "/reddit/nothing", "/critic/x.html"):
        assert get(path).status == 404, path


def test_demo_sources_parse_and_point_at_the_running_server(demo, get):
    sources = {s.name: s for s in demo_sources(demo.base_url)}
    assert set(sources) == {"mydramalist", "kdramadiary", "seoulscreen", "reddit_demo", "critics"}
    assert {s.kind for s in sources.values()} == set(KIND_OPTIONS)
    assert all(s.base_url.startswith(demo.base_url) for s in sources.values())
    diary, screen, reddit = sources["kdramadiary"], sources["seoulscreen"], sources["reddit_demo"]
    assert (diary.option("api"), diary.option("comments")) == (True, True)
    assert diary.option("categories") == screen.option("categories") == ["kdrama-reviews"]
    assert screen.option("api") is True and screen.day_first is True
    assert reddit.option("subreddits") == ["KDRAMA", "CDrama"] and reddit.option("requests_per_minute") == 6000
    assert reddit.option("user_agent") == "python:dramascore-demo:0.1 (by /u/dramascore)"
    # What each spider would ask first answers on this server.
    path = urlsplit(diary.base_url).path
    assert get(f"{path}/wp-json/wp/v2/categories?slug=kdrama-reviews").json()[0]["id"] == 3
    assert get(urlsplit(screen.base_url).path + "/category/kdrama-reviews/").status == 200
    for sub in reddit.option("subreddits"):
        assert get(f"{urlsplit(reddit.base_url).path}/r/{sub}/new.json").status == 200
    assert all(get(urlsplit(url).path).status == 200 for url in sources["critics"].option("urls"))


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("/blogs/kdramadiary/wp-json/wp/v2/posts", "/blogs/kdramadiary/wp-json/wp/v2/posts?page=1"),
        ("/blogs/kdramadiary/wp-json/wp/v2/posts?per_page=5&page=2&x=1",
         "/blogs/kdramadiary/wp-json/wp/v2/posts?page=2&per_page=5"),
        ("/blogs/kdramadiary/wp-json/wp/v2/posts/2101?_embed", "/blogs/kdramadiary/wp-json/wp/v2/posts/2101?_embed="),
        ("/blogs/seoulscreen/category/news/page/2/?utm=x", "/blogs/seoulscreen/category/news/page/2/"),
        ("/blogs/seoulscreen/?s=rain", "/blogs/seoulscreen/?s=rain"),
        ("/reddit/r/KDRAMA/new.json?limit=3&after=t3_x&raw_json=1", "/reddit/r/KDRAMA/new.json?after=t3_x&limit=3"),
        ("/critic/soundtrack-1.html?ref=1", "/critic/soundtrack-1.html"),
        ("/700001-soundtrack-1/reviews", "/700001-soundtrack-1/reviews?page=1"),
    ],
)
def test_route_keys_keep_the_parameters_that_matter(target, key):
    assert route_key(target) == key


def test_hits_count_every_source_per_page(fetch_url):
    with DemoSite() as fresh:
        for path in ("/blogs/kdramadiary/wp-json/wp/v2/posts", "/blogs/kdramadiary/wp-json/wp/v2/posts?page=1",
                     "/blogs/kdramadiary/wp-json/wp/v2/posts?page=2", "/reddit/r/KDRAMA/new.json?limit=2",
                     "/critic/soundtrack-1.html"):
            assert fetch_url(fresh.url(path)).status == 200
        assert fresh.hits == {
            "/blogs/kdramadiary/wp-json/wp/v2/posts?page=1": 2, "/blogs/kdramadiary/wp-json/wp/v2/posts?page=2": 1,
            "/reddit/r/KDRAMA/new.json?limit=2": 1, "/critic/soundtrack-1.html": 1,
        }


# --- content --------------------------------------------------------------------------------------------


def test_soundtrack_1_is_on_four_sources_as_the_seeds_show_it(get):
    sources = appearances()["soundtrack-1"]
    assert {"mydramalist", "kdramadiary", "seoulscreen"} <= set(sources) and len(sources) >= 4
    diary = next(p for p in BLOGS["kdramadiary"]["posts"] if p["drama"] == "soundtrack-1")
    assert diary["title"].startswith('"Soundtrack #1" Spoiler Free Review - ')
    authors = {a["id"]: a["name"] for a in BLOGS["kdramadiary"]["authors"]}
    assert authors[diary["author"]] == "Jass K." and not re.search(r"\d/\d|out of \d|★|%", str(diary["content"]))
    screen = {p["kind"]: p for p in BLOGS["seoulscreen"]["posts"] if p["drama"] == "soundtrack-1"}
    assert screen["review"]["show_date"] is False and "released on March 23, 2022" in str(screen["review"]["content"])
    assert screen["review"]["date"].startswith("2022-04-06")
    blocks = screen["episode_guide"]["content"]
    guide = [line for block in blocks if isinstance(block, dict) for line in block.get("ul", [])]
    assert guide == [f"Episode {n} -| Review Score – 4/5" for n in range(1, 5)]
    assert any(r.get("captured_twice") and r["spoiler"] for r in MDL["700001"]["reviews"])
    # Each of them is served.
    assert get("/700001-soundtrack-1/reviews").status == 200
    assert "Soundtrack #1 [Episodes 3 &amp; 4]" in get("/reddit/r/KDRAMA/new.json?limit=100").text
    assert get("/critic/soundtrack-1.html").status == 200


def test_at_least_fifteen_new_dramas_across_the_new_sources_with_overlap():
    found = appearances()
    new = [k for k, d in DRAMAS.items() if "mdl_id" not in d and set(found[k]) - {"mydramalist"}]
    assert len(new) >= 15
    assert {DRAMAS[k]["country"] for k in new} == {"South Korea", "China", "Japan", "Thailand"}
    assert all(k in found for k in DRAMAS), "every catalogue drama appears somewhere"
    crowded = [k for k, sources in found.items() if len(sources) >= 3]
    assert len(crowded) >= 5
    # The same drama, named differently on different sources.
    lanterns = found["lanterns-over-hahoe"]
    assert lanterns["mydramalist"] == ["Lanterns Over Hahoe"]
    assert "Lanterns over Hahoe (2023) K-Drama Review" in lanterns["kdramadiary"]
    assert lanterns["seoulscreen"][0].startswith("하회의 등불")
    assert found["midnight-bakery-on-route-9"]["kdramadiary"] == ["Midnight Bakery On Route 9 - Episode 3 Recap"]


def test_catalogue_matches_the_mydramalist_data_and_has_hard_negatives():
    for drama in DRAMAS.values():
        if "mdl_id" in drama:
            mdl = MDL[drama["mdl_id"]]
            assert (mdl["title"], mdl["native_title"], mdl["year"], mdl["episodes"]) == (
                drama["title"], drama["native_title"], drama["year"], drama["episodes"])
            start = datetime.strptime(mdl["aired"].split(" - ")[0], "%b %d, %Y").date()
            assert start.isoformat() == drama["start_date"]
    one, two = DRAMAS["soundtrack-1"], DRAMAS["soundtrack-2"]
    assert one["title"] != two["title"] and one["year"] != two["year"]
    original, remake = DRAMAS["midnight-bakery-on-route-9"], DRAMAS["midnight-bakery-on-route-9-2024"]
    assert original["title"] == remake["title"] and original["year"] != remake["year"]
    assert original["country"] != remake["country"]


@pytest.mark.parametrize("needle", ["Rating: 8/10", "★★★½", "4.5 out of 5", "85%", "Final score: B+",
                                    "Review Score – 3.5/5", "9/10", "평점: 9/10"])
def test_score_formats_in_text(needle):
    assert needle in all_text()


def test_spoiler_markers_and_date_forms():
    titles = [p["title"] for b in BLOGS.values() for p in b["posts"]]
    assert any("Spoiler Free Review" in t for t in titles)
    assert any(t.startswith("[Spoilers]") or t.endswith("[Spoilers]") for t in titles)
    assert any(re.search(r"Episode \d+ Recap", t) for t in titles)
    assert sum('"warning"' in str(p["content"]).replace("'", '"') for b in BLOGS.values() for p in b["posts"]) >= 3
    assert any(p["spoiler"] for p in REDDIT) and ">!" in all_text()
    dates = {p.get("visible_date") for p in BLOGS["seoulscreen"]["posts"]}
    assert {"03/05/2023", "2023년 10월 15일"} <= dates
    assert BLOGS["seoulscreen"]["utc_offset"] == "+09:00"
