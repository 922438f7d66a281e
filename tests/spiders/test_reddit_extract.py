"""Reddit extraction: real API answers (../shared/realpages/reddit), our own r/KDRAMA-shaped fixtures, garbage."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.items import ReviewItem
from pipelines.apply import NormaliseConfig, normalise_item
from spiders.extractors.reddit import (
    MoreStub,
    ThreadRef,
    base_url_of,
    extract_comment_listing,
    extract_more_children,
    extract_page,
    extract_thread,
    is_episode_thread,
    parse_listing,
)

WWW = "https://www.reddit.com"
BASE = "http://127.0.0.1:8765/reddit"  # a base URL with a path prefix, as the demo site serves it
CFG = NormaliseConfig()
EP_TITLE = "Lanterns Over Haedong [Episodes 11 & 12]"
EP_PERMALINK = "/r/KDRAMA/comments/k7q2mx/lanterns_over_haedong_episodes_11_12/"
NORMALISED = ["author_handle", "author_name", "published_at", "score", "score_scale", "spoiler", "body", "crawled_at"]


def real(realpages: Path, name: str) -> bytes:
    return (realpages / "reddit" / name).read_bytes()


def fixture(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "reddit" / name).read_bytes()


def by_id(items: list[ReviewItem]) -> dict[str, ReviewItem]:
    return {item.source_review_id: item for item in items}


def normalised(item: ReviewItem) -> ReviewItem:
    return normalise_item(copy.deepcopy(item), CFG)


# --- real: r/funny thread with nested replies and a 332-comment more stub ---------------------------------------


@pytest.fixture(scope="module")
def funny(realpages):
    return extract_thread(real(realpages, "r-funny-3hahrw-comments-limit10.json"), f"{WWW}/comments/3hahrw.json", WWW)


def test_real_thread_comments_in_page_order_with_their_replies(funny):
    ids = [i.source_review_id for i in funny.items]
    assert ids == [
        "t1_cu5pebp", "t1_cu5sye5", "t1_cu5tgzu", "t1_cu5oif1", "t1_cu5t516", "t1_cu5s3hd", "t1_cu5uluu",
        "t1_cu5q4m5", "t1_cu5p1hh", "t1_cu5th6m",
    ]
    # A link post (no selftext) is not a review; every comment is one.
    assert all(i.kind == "comment" and i.source == "reddit" for i in funny.items)
    assert funny.post == ThreadRef("3hahrw", "Ba Dum Tsss", "/r/funny/comments/3hahrw/ba_dum_tsss/", "funny", False, 537)
    assert funny.blocks_seen == 10 and funny.skipped == {}


def test_real_thread_reports_the_332_more_stub(funny):
    top = [m for m in funny.more if m.parent_id == "t3_3hahrw"]
    assert len(top) == 1
    assert top[0].count == 332 and len(top[0].children) == 156 and not top[0].is_continue
    assert len(funny.more) == 11  # every nested stub too
    assert {m.count for m in funny.more} >= {100, 14, 8, 34, 2}


def test_real_thread_fields(funny):
    item = by_id(funny.items)["t1_cu5pebp"]
    # 2015 answers carry no comment permalink: the URL is built under the post's.
    assert item.url == f"{WWW}/r/funny/comments/3hahrw/ba_dum_tsss/cu5pebp/"
    assert item.author_raw == "johnnwho" and item.author_url == f"{WWW}/user/johnnwho"
    assert item.published_raw == "1439801151.0"
    assert item.helpful_votes == 1127 and item.score_raw is None  # votes are not a review score
    assert item.spoiler_flag_raw is False and item.title is None
    assert item.body_raw.startswith("Man I am glad there isn't someone on a drum set")
    assert all(getattr(item, f) is None for f in NORMALISED)


def test_real_thread_epochs_become_utc_datetimes(funny):
    items = by_id(funny.items)
    assert normalised(items["t1_cu5pebp"]).published_at == datetime(2015, 8, 17, 8, 45, 51, tzinfo=UTC)
    assert normalised(items["t1_cu5sye5"]).published_at == datetime.fromtimestamp(1439814908, UTC)


def test_real_deleted_author_is_kept_raw_and_becomes_anonymous(funny):
    item = by_id(funny.items)["t1_cu5th6m"]
    assert item.author_raw == "[deleted]" and item.author_url is None
    assert item.body_raw.startswith("With that kind of comedic timing")
    done = normalised(item)
    assert done.author_handle is None and done.null_reasons["author_handle"] == "anonymous"


def test_real_small_thread_has_its_post_and_reply(realpages):
    result = extract_thread(real(realpages, "r-redditdev-2gmzqe-comments.json"), f"{WWW}/comments/2gmzqe.json", WWW)
    assert [i.source_review_id for i in result.items] == ["t3_2gmzqe", "t1_cklfmye", "t1_cklhv0f"]
    post = result.items[0]
    assert post.title == "[PRAW] HTTPS enabled PRAW testing needed" and post.body_raw.startswith("PRAW client developers")
    assert post.url == f"{WWW}/r/redditdev/comments/2gmzqe/praw_https_enabled_praw_testing_needed/"
    assert normalised(post).published_at == datetime(2014, 9, 17, 6, 34, 31, tzinfo=UTC)
    assert result.more == [] and result.blocks_seen == 3


# --- real: a post flagged as a spoiler ----------------------------------------------------------------------------


def test_real_post_spoiler_flag(realpages):
    body = real(realpages, "thread-c27k8n-post-spoiler-flag.json")
    result = extract_thread(body, f"{WWW}/comments/c27k8n.json", WWW)
    assert result.post.spoiler is True and result.post.id == "c27k8n"
    assert result.items == []  # a post without text is no review
    # A reply under that post inherits the flag: add one to the real thread, in memory.
    page = json.loads(body)
    page[1]["data"]["children"].append(
        {"kind": "t1", "data": {"id": "zz0001", "name": "t1_zz0001", "author": "someone", "body": "What a finale",
                                "created_utc": 1560890500.0, "score": 2, "parent_id": "t3_c27k8n", "replies": ""}}
    )
    (item,) = extract_thread(json.dumps(page), f"{WWW}/comments/c27k8n.json", WWW).items
    assert item.spoiler_flag_raw is True
    assert item.url == f"{WWW}/r/<TEST_SUBREDDIT>/comments/c27k8n/test_title/zz0001/"
    done = normalised(item)
    assert (done.spoiler, done.spoiler_reason) == (True, "flag")


# --- real: an inbox listing with >!inline!< spoilers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def inbox(realpages):
    body = real(realpages, "message-unread-with-spoiler-markup.json")
    return extract_comment_listing(body, f"{WWW}/message/unread/.json", WWW)


def test_real_inbox_keeps_comments_and_counts_messages(inbox):
    assert len(inbox.items) == 43
    assert inbox.skipped == {"not_comment": 56, "bot": 1}  # private messages (t4), one AutoModerator comment
    assert all(i.source_review_id.startswith("t1_") for i in inbox.items)
    # No post title and no thread here: no drama, flag unknown.
    assert all(i.spoiler_flag_raw is None for i in inbox.items)


def test_real_inbox_inline_spoilers(inbox):
    marked = [i for i in inbox.items if ">!" in i.body_raw]
    assert len(marked) == 5
    for item in marked:
        done = normalised(item)
        assert (done.spoiler, done.spoiler_reason) == (True, "inline")
        assert ">!" in done.body_raw  # the markdown is kept raw
    unmarked = [normalised(i) for i in inbox.items if ">!" not in i.body_raw]
    assert unmarked and all(i.spoiler_reason != "inline" for i in unmarked)


def test_real_inbox_urls_come_from_the_context_link(inbox):
    item = by_id(inbox.items)["t1_m131ndk"]
    assert item.url == f"{WWW}/r/Lil_SpazJoekp/comments/1h9runs/test_post_pls_ignore/m131ndk/"
    assert normalised(item).published_at == datetime(2024, 12, 8, 20, 22, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    "name", ["r-funny-3hahrw-comments-limit10.json", "r-redditdev-2gmzqe-comments.json",
             "thread-c27k8n-post-spoiler-flag.json", "message-unread-with-spoiler-markup.json"],
)
def test_real_pages_through_extract_page(realpages, name):
    body = real(realpages, name)
    direct = (
        extract_comment_listing(body, WWW, WWW) if name.startswith("message") else extract_thread(body, WWW, WWW)
    )
    assert extract_page(body, f"{WWW}/whatever.json") == direct


# --- our fixtures: an r/KDRAMA episode discussion thread -----------------------------------------------------------


@pytest.fixture(scope="module")
def episode(fixtures_dir):
    return extract_thread(fixture(fixtures_dir, "thread-episode-discussion.json"), f"{BASE}/comments/k7q2mx.json", BASE)


def test_episode_thread_items_and_skips(episode):
    assert [i.source_review_id for i in episode.items] == [
        "t3_k7q2mx", "t1_m100001", "t1_m100002", "t1_m100004", "t1_m100006", "t1_m100007",
    ]
    # The [removed] comment gives no item but its reply does; AutoModerator's rules are no opinion.
    assert episode.skipped == {"removed": 1, "bot": 1}
    assert episode.blocks_seen == 8
    assert all(i.drama_title == "Lanterns Over Haedong" and i.drama_year is None for i in episode.items)


def test_episode_thread_comment_fields(episode):
    items = by_id(episode.items)
    first = items["t1_m100001"]
    assert first.url == f"{BASE}{EP_PERMALINK}m100001/"
    assert first.author_url == f"{BASE}/user/moonlit_ferry"
    assert first.score_raw == "9/10" and first.helpful_votes == 57
    done = normalised(first)
    assert done.score == 90.0 and done.published_at == datetime(2024, 5, 3, 19, 0, tzinfo=UTC)
    assert done.author_handle == "moonlit_ferry" and done.spoiler is None
    assert items["t1_m100007"].helpful_votes is None  # score_hidden: the number is a placeholder
    assert items["t1_m100004"].score_raw is None  # "episode 12" in prose is no score


def test_episode_thread_episode_scores(episode):
    item = by_id(episode.items)["t1_m100006"]
    assert item.score_raw is None
    assert [(r.episode, r.score_raw) for r in item.episode_scores] == [(11, "8/10"), (12, "9/10")]
    assert [r.score for r in normalised(item).episode_scores] == [80.0, 90.0]


def test_episode_thread_deleted_author_with_inline_spoiler(episode):
    item = by_id(episode.items)["t1_m100002"]
    assert item.author_raw == "[deleted]" and item.author_url is None
    done = normalised(item)
    assert done.author_handle is None
    assert (done.spoiler, done.spoiler_reason) == (True, "inline")


def test_episode_thread_post_item(episode):
    post = episode.items[0]
    assert post.title == EP_TITLE and post.kind == "comment"
    assert post.url == f"{BASE}{EP_PERMALINK}" and post.helpful_votes == 120
    assert post.body_raw.startswith("Discussion thread for episodes 11 and 12")


def test_episode_thread_more_stubs(episode):
    assert [(m.id, m.parent_id, m.count, len(m.children), m.is_continue) for m in episode.more] == [
        ("_", "t1_m100004", 0, 0, True),
        ("m100010", "t1_m100001", 3, 3, False),
        ("m101000", "t3_k7q2mx", 130, 120, False),
    ]
    assert episode.more[1].children == ("m100010", "m100011", "m100012")


# --- our fixtures: the morechildren answer ---------------------------------------------------------------------------


def test_morechildren_answer_with_thread_context(fixtures_dir):
    body = fixture(fixtures_dir, "morechildren-m100010.json")
    result = extract_more_children(body, f"{BASE}/api/morechildren.json", BASE, EP_TITLE, True, EP_PERMALINK)
    assert [i.source_review_id for i in result.items] == ["t1_m100010", "t1_m100011"]
    assert result.skipped == {"removed": 1}
    assert result.more == [MoreStub("m100020", "t1_m100011", 4, ("m100020", "m100021", "m100022", "m100023"))]
    first = result.items[0]
    assert first.drama_title == "Lanterns Over Haedong" and first.spoiler_flag_raw is True
    assert first.score_raw == "8.5/10" and first.url == f"{BASE}{EP_PERMALINK}m100010/"
    assert normalised(first).score == 85.0


def test_morechildren_answer_without_context(fixtures_dir):
    body = fixture(fixtures_dir, "morechildren-m100010.json")
    result = extract_page(body, f"{BASE}/api/morechildren.json?link_id=t3_k7q2mx")
    assert len(result.items) == 2 and all(i.drama_title is None and i.spoiler_flag_raw is None for i in result.items)
    assert result.items[0].author_url == f"{BASE}/user/river_lamp"


def test_morechildren_errors_are_counted():
    body = json.dumps({"json": {"errors": [["TOO_MANY", "too many", "children"]]}})
    result = extract_more_children(body, BASE, BASE)
    assert result.items == [] and result.skipped == {"api_error": 1}


# --- our fixtures: a review post flagged as spoiler, comment listings ---------------------------------------------------


def test_review_post_with_spoiler_flag(fixtures_dir):
    result = extract_thread(fixture(fixtures_dir, "thread-review-post.json"), f"{BASE}/comments/k6bb01.json", BASE)
    post, reply = result.items
    assert post.source_review_id == "t3_k6bb01" and post.score_raw == "My rating: 9/10"
    assert post.drama_title == "Lanterns Over Haedong" and post.drama_year == 2024
    assert post.title == "Lanterns Over Haedong (2024) Review [Spoilers]"
    for item in (post, reply):
        done = normalised(item)
        assert (done.spoiler, done.spoiler_reason) == (True, "flag")
    assert normalised(post).score == 90.0


def test_user_comment_listing_takes_the_drama_from_link_title(fixtures_dir):
    result = extract_comment_listing(fixture(fixtures_dir, "user-comments.json"), f"{BASE}/user/river_lamp/comments.json", BASE)
    first, second = result.items
    assert first.drama_title == "Lanterns Over Haedong" and first.score_raw == "8/10"
    assert second.drama_title is None  # "What are you watching this week?" names no drama
    assert first.url == f"{BASE}{EP_PERMALINK}m300001/"


# --- listings --------------------------------------------------------------------------------------------------------


def test_search_listing_pages(fixtures_dir):
    refs, after = parse_listing(fixture(fixtures_dir, "search-page1.json"), f"{BASE}/r/KDRAMA/search.json")
    assert [r.id for r in refs] == ["k7q2mx", "k6bb01", "k5aa03"] and after == "t3_k5aa03"
    assert refs[1].spoiler is True and refs[0].num_comments == 142 and refs[0].subreddit == "KDRAMA"
    assert refs[0].permalink == EP_PERMALINK
    refs, after = parse_listing(fixture(fixtures_dir, "search-page2.json"), f"{BASE}/r/KDRAMA/search.json")
    assert [r.id for r in refs] == ["k4cc04", "k3dd05"] and after is None


def test_new_listing_episode_threads(fixtures_dir):
    refs, after = parse_listing(fixture(fixtures_dir, "new-page1.json"), f"{BASE}/r/KDRAMA/new.json")
    assert len(refs) == 5 and after == "t3_n00005"
    assert [r.id for r in refs if is_episode_thread(r.title)] == ["n00001", "k7q2mx"]


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Soundtrack #1 [Episodes 3 & 4]", True),
        ("Jade River Chronicles [Episode 4]", True),
        ("Episode 5 made me cry", False),  # episodes but no drama named
        ("Lanterns Over Haedong OST appreciation", False),
        ("", False),
        (None, False),
    ],
)
def test_is_episode_thread(title, expected):
    assert is_episode_thread(title) is expected


@pytest.mark.parametrize(
    "url, base",
    [
        ("http://127.0.0.1:8765/reddit/comments/k7q2mx.json?sort=old", "http://127.0.0.1:8765/reddit"),
        ("https://www.reddit.com/r/KDRAMA/comments/k7q2mx/slug/", "https://www.reddit.com"),
        ("https://old.reddit.com/api/morechildren.json?x=1", "https://old.reddit.com"),
        ("http://h/a/b/message/unread/.json", "http://h/a/b"),
        ("https://www.reddit.com/whatever.json", "https://www.reddit.com"),
        ("page.json", "https://www.reddit.com"),
    ],
)
def test_base_url_of(url, base):
    assert base_url_of(url) == base


# --- hostile input ------------------------------------------------------------------------------------------------------

GARBAGE = [
    b"", b"   ", b"not json", b"<html>rate limited</html>", b"null", b"42", b'"text"', b"[]", b"{}", b"[1, 2]",
    b'[{"kind": "Listing"}]', b'[{"kind": "Listing", "data": {"children": "x"}}, 5]', b'{"json": 5}',
    b'{"json": {"data": {"things": [1, "x", {"kind": "t1"}, {"kind": "more", "data": {"children": 3}}]}}}',
    b'{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"body": 5, "id": []}}]}}',
    b"[" * 50_000, b"\xff\xfe\x00garbage", b"[{}]",
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_gives_empty_results(body):
    for result in (
        extract_thread(body, BASE, BASE),
        extract_more_children(body, BASE, BASE),
        extract_comment_listing(body, BASE, BASE),
        extract_page(body, BASE),
    ):
        assert result.items == [] and result.post is None
    assert parse_listing(body, BASE) == ([], None)


def test_wrongly_typed_fields_do_not_raise():
    comment = {"kind": "t1", "data": {"id": "x1", "body": "Fine show", "author": 7, "created_utc": "yesterday",
                                      "score": "many", "permalink": 3, "replies": {"kind": "Listing", "data": None}}}
    page = [{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "p1", "title": 9}}]}},
            {"kind": "Listing", "data": {"children": [comment]}}]
    (item,) = extract_thread(json.dumps(page), BASE, BASE).items
    assert item.source_review_id == "t1_x1" and item.author_raw is None and item.published_raw is None
    assert item.helpful_votes is None and item.url == f"{BASE}/comments/_/_/x1/" and item.drama_title is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["t1", "t3", "more", "Listing", "[removed]", "_"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["kind", "data", "children", "replies", "body", "id", "name", "json",
                                       "things", "count", "selftext", "title", "permalink", "author"]), inner,
                      max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_json_never_raises(value):
    body = json.dumps(value)
    for result in (extract_page(body, BASE), extract_thread(body, BASE, BASE), extract_more_children(body, BASE, BASE)):
        assert all(isinstance(i, ReviewItem) and i.source_review_id for i in result.items)
    refs, _ = parse_listing(body, BASE)
    assert all(isinstance(r, ThreadRef) for r in refs)


@pytest.mark.parametrize("gone", ["[removed]", "[deleted]", "[ Removed by Reddit ]", " [removed] "])
def test_removed_bodies_are_counted_not_kept(gone):
    def thing(cid, body):
        return {"kind": "t1", "data": {"id": cid, "body": body, "author": "a_user", "created_utc": 1714761000}}

    page = {"kind": "Listing", "data": {"children": [thing("c1", gone), thing("c2", "Kept"), thing("c3", "  ")]}}
    result = extract_comment_listing(json.dumps(page), BASE, BASE)
    assert [i.source_review_id for i in result.items] == ["t1_c2"]
    assert result.skipped == {"removed": 1, "empty": 1} and result.blocks_seen == 3
