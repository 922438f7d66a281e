"""The JSON API over real HTTP against the crawled demo, on SQLite and PostgreSQL (`api_url` runs both)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from aggregator.scoring import Params
from aggregator.store.consensus import refresh_consensus
from aggregator.store.corrections import record_correction
from aggregator.store.engine import make_engine, session_factory, write_with_retry
from aggregator.web.app import RunningServer, WebConfig, create_app
from aggregator.web.caching import etag_of
from tests.web.conftest import copy_sqlite


@pytest.fixture(scope="module")
def client(api_url):
    with httpx.Client(base_url=api_url, timeout=30) as c:
        yield c


def sql(url: str, query: str, **params) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), params).all()
    finally:
        engine.dispose()


def ok(client: httpx.Client, path: str, **params) -> dict:
    # httpx would replace a query already in `path` (a `next` link) with empty params.
    answer = client.get(path, params=params) if params else client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def drama_id(client, title: str) -> int:
    found = [d for d in ok(client, "/api/dramas", q=title, per_page=200)["items"] if d["title"] == title]
    assert len(found) == 1, found
    return found[0]["id"]


def test_dramas_are_listed_best_first_with_their_consensus(client, demo_url):
    page = ok(client, "/api/dramas", per_page=200)
    stored = sql(demo_url, "SELECT drama_id, score FROM v_dramas WHERE merged_into_id IS NULL")
    assert page["total"] == len(stored) == len(page["items"]) >= 20
    scores = [d["score"] for d in page["items"]]
    known = [s for s in scores if s is not None]
    assert known == sorted(known, reverse=True) and scores[: len(known)] == known  # unscored last
    assert {d["id"]: d["score"] for d in page["items"]} == pytest.approx(dict(stored))
    first = page["items"][0]
    assert first["href"] == f"/api/dramas/{first['id']}" and first["tbd"] is False and first["band"]


def test_pages_follow_next_links_to_the_end_without_gaps(client):
    everything = [d["id"] for d in ok(client, "/api/dramas", sort="title", per_page=200)["items"]]
    seen, path, params = [], "/api/dramas", {"sort": "title", "per_page": 6}
    while path:
        page = ok(client, path, **params)
        assert page["total"] == len(everything) and page["per_page"] == 6
        seen += [d["id"] for d in page["items"]]
        path, params = page["next"], {}
    assert seen == everything
    second = ok(client, "/api/dramas", sort="title", per_page=6, page=2)
    assert second["prev"] == "/api/dramas?sort=title&page=1&per_page=6" and second["page"] == 2


def test_offset_and_limit_give_the_same_slice(client):
    everything = [d["id"] for d in ok(client, "/api/dramas", sort="-reviews", limit=200)["items"]]
    page = ok(client, "/api/dramas", sort="-reviews", offset=3, limit=4)
    assert [d["id"] for d in page["items"]] == everything[3:7]
    assert page["next"] == "/api/dramas?sort=-reviews&offset=7&limit=4" and page["offset"] == 3


def test_filters_narrow_the_list(client):
    total = ok(client, "/api/dramas")["total"]
    korean = ok(client, "/api/dramas", country="south korea", per_page=200)
    assert 0 < korean["total"] < total and {d["country"] for d in korean["items"]} == {"South Korea"}
    of_2022 = ok(client, "/api/dramas", year=2022, per_page=200)["items"]
    assert of_2022 and {d["year"] for d in of_2022} == {2022}
    busy = ok(client, "/api/dramas", min_reviews=5, per_page=200)["items"]
    assert busy and min(d["n_reviews"] for d in busy) >= 5 and len(busy) < total
    titles = {d["title"] for d in ok(client, "/api/dramas", q="soundtrack")["items"]}
    assert titles == {"Soundtrack #1", "Soundtrack #2"}
    firm = ok(client, "/api/dramas", tbd="false", per_page=200)["items"]
    pending = ok(client, "/api/dramas", tbd="true", per_page=200)["items"]
    assert firm and pending and len(firm) + len(pending) == total
    assert not any(d["tbd"] for d in firm) and all(d["tbd"] for d in pending)
    acclaimed = ok(client, "/api/dramas", band="universal acclaim")["items"]
    assert acclaimed and {d["band"] for d in acclaimed} == {"universal acclaim"}


def test_sorting_by_title_and_reviews(client):
    titles = [d["title"] for d in ok(client, "/api/dramas", sort="title", per_page=200)["items"]]
    assert titles == sorted(titles)
    counts = [d["n_reviews"] for d in ok(client, "/api/dramas", sort="-reviews", per_page=200)["items"]]
    assert counts == sorted(counts, reverse=True)


def test_one_drama_has_its_consensus_breakdowns_and_names(client, demo_url):
    ident = drama_id(client, "Soundtrack #1")
    drama = ok(client, f"/api/dramas/{ident}")
    c = drama["consensus"]
    assert drama["title"] == "Soundtrack #1" and drama["year"] == 2022 and drama["merged_into"] is None
    assert c["method"] == "bayes-v1" and c["stored"] is True and c["params"]["min_reviews"] == 3
    assert c["interval"]["low"] <= c["mean"] <= c["interval"]["high"] and c["interval"]["level"] == 0.95
    assert c["n_scored"] <= c["n_reviews"] and 0 <= c["score"] <= 100
    by_view = sql(demo_url, "SELECT source, n_scored, mean, weight FROM v_drama_sources WHERE drama_id = :d "
                  "ORDER BY source", d=ident)  # fmt: skip
    got = [(s["source"], s["n_scored"], s["mean"], s["weight"]) for s in drama["per_source"]]
    assert got == [pytest.approx(tuple(row)) for row in by_view] and len(got) == 5
    assert sum(s["share"] for s in drama["per_source"]) == pytest.approx(1.0)
    episodes = [e["episode"] for e in drama["per_episode"]]
    assert episodes == [1, 2, 3, 4]
    assert ("mydramalist", "700001") in {(a["source"], a["site_id"]) for a in drama["aliases"]}
    assert drama["reviews_href"] == f"/api/dramas/{ident}/reviews"


def test_reviews_withhold_spoiler_bodies_unless_asked(client, demo_url):
    ident, n_spoilers = sql(
        demo_url,
        "SELECT drama_id, COUNT(*) FROM v_reviews WHERE spoiler = :yes AND body IS NOT NULL "
        "GROUP BY drama_id ORDER BY COUNT(*) DESC, drama_id LIMIT 1",
        yes=True,
    )[0]
    hidden = ok(client, f"/api/dramas/{ident}/reviews", per_page=200)
    shown = ok(client, f"/api/dramas/{ident}/reviews", per_page=200, spoilers="show")
    assert hidden["total"] == shown["total"] == len(hidden["items"]) > n_spoilers
    withheld = [r for r in hidden["items"] if r["spoiler_withheld"]]
    assert len(withheld) == n_spoilers and all(r["body"] is None and r["flags"]["spoiler"] for r in withheld)
    assert all(r["body"] for r in hidden["items"] if not r["flags"]["spoiler"] and r["kind"] == "review")
    bodies = {r["id"]: r["body"] for r in shown["items"]}
    assert all(bodies[r["id"]] for r in withheld)
    assert not any(r["spoiler_withheld"] for r in shown["items"])


def test_reviews_carry_their_flags_and_status(client, demo_url):
    review, canonical, ident = sql(
        demo_url, "SELECT review_id, duplicate_of, drama_id FROM v_reviews WHERE duplicate_of IS NOT NULL"
    )[0]
    items = ok(client, f"/api/dramas/{ident}/reviews", limit=200)["items"]
    by_id = {r["id"]: r for r in items}
    assert by_id[review]["flags"]["duplicate_of"] == canonical and by_id[review]["status"] == "duplicate"
    assert by_id[canonical]["flags"]["duplicate_of"] is None
    counted = [r for r in items if r["status"] == "counted"]
    assert counted and all(r["weight"] > 0 and r["value"] is not None for r in counted)
    for r in items:
        assert r["source"] and r["url"] and r["flags"]["excluded"] is False
        assert r["flags"]["inferred"] == (r["basis"] == "inferred")
    dates = [r["published_at"] for r in items if r["published_at"]]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_sources_and_runs(client, demo_url):
    sources = ok(client, "/api/sources")
    names = {s["name"] for s in sources["items"]}
    assert names == {"mydramalist", "kdramadiary", "seoulscreen", "reddit_demo", "critics"}
    (stored,) = sql(demo_url, "SELECT COUNT(*) FROM reviews")[0]
    assert sum(s["n_reviews"] for s in sources["items"]) == stored
    assert all(s["effective_weight"] == s["weight"] == 1.0 for s in sources["items"])
    runs = ok(client, "/api/runs")
    assert runs["total"] == 5 and {r["status"] for r in runs["items"]} == {"finished"}
    assert {r["source"] for r in runs["items"]} == names
    starts = [r["started_at"] for r in runs["items"]]
    assert starts == sorted(starts, reverse=True)
    assert ok(client, "/api/runs", status="failed")["total"] == 0
    assert len(ok(client, "/api/runs", per_page=2)["items"]) == 2


@pytest.mark.parametrize(
    "path, params, parameter",
    [
        ("/api/dramas", {"year": "abc"}, "year"),
        ("/api/dramas", {"per_page": "0"}, "per_page"),
        ("/api/dramas", {"sort": "bogus"}, "sort"),
        ("/api/dramas", {"min_reviews": "-1"}, "min_reviews"),
        ("/api/dramas", {"tbd": "perhaps"}, "tbd"),
        ("/api/dramas", {"page": "2", "offset": "10"}, "offset"),
        ("/api/dramas", {"limit": "201"}, "limit"),
        ("/api/dramas/abc", {}, "drama_id"),
        ("/api/dramas/1/reviews", {"spoilers": "maybe"}, "spoilers"),
        ("/api/runs", {"status": "lost"}, "status"),
    ],
)
def test_bad_parameters_answer_422_naming_them(client, path, params, parameter):
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"].startswith(f"{parameter}: ") and [e["parameter"] for e in body["errors"]] == [parameter]


def test_unknown_drama_is_a_json_404(client):
    for path in ("/api/dramas/999999", "/api/dramas/999999/reviews"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json() == {"detail": "no drama with id 999999"}


def test_etag_and_cache_control(client):
    first = client.get("/api/dramas", params={"per_page": 3})
    etag = first.headers["etag"]
    assert etag == etag_of(first.content) and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=30"
    again = client.get("/api/dramas", params={"per_page": 3}, headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = client.get("/api/dramas", params={"per_page": 3}, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content
    assert client.get("/api/dramas", params={"per_page": 4}).headers["etag"] != etag


def test_corrections_show_in_the_api_and_change_the_etag(demo_sqlite_url, tmp_path):
    """On a private copy: an excluded review and a merged drama, as the API reports them afterwards."""
    url = copy_sqlite(demo_sqlite_url, tmp_path / "corrected.db")
    with RunningServer(create_app(WebConfig(db_url=url))) as server, httpx.Client(base_url=server.url) as client:
        one, two = drama_id(client, "Soundtrack #1"), drama_id(client, "Soundtrack #2")
        before = client.get(f"/api/dramas/{one}")
        listed = ok(client, f"/api/dramas/{one}/reviews", limit=200)["items"]
        review = next(r for r in listed if r["status"] == "counted")
        engine = make_engine(url)

        def correct(session):
            record_correction(session, "exclude_review", editor="ed", reason="off-topic", review_id=review["id"])
            record_correction(session, "merge_dramas", editor="ed", reason="same show", drama_id=two,
                              other_drama_id=one)  # fmt: skip
            return refresh_consensus(session, [one, two], Params())

        write_with_retry(session_factory(engine), correct)
        engine.dispose()
        after = client.get(f"/api/dramas/{one}", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        reviews = {r["id"]: r for r in ok(client, f"/api/dramas/{one}/reviews", limit=200)["items"]}
        assert reviews[review["id"]]["flags"]["excluded"] and reviews[review["id"]]["status"] == "excluded"
        assert any(r["moved_from"] == two for r in reviews.values())
        merged = ok(client, f"/api/dramas/{two}")
        assert merged["consensus"] is None and merged["merged_into"]["id"] == one
        assert two not in {d["id"] for d in ok(client, "/api/dramas", per_page=200)["items"]}
