"""The `dramascore` CLI: extract on saved pages, help texts, clear errors."""

from __future__ import annotations

import json

import pytest

from aggregator.cli import build_parser, main

GLORY_URL = "https://mydramalist.com/685237-untitled-kim-eun-sook-project"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_real_mydramalist_page_prints_normalised_reviews(capsys, realpages):
    page = realpages / "mydramalist" / "the-glory-685237-details.html"
    code, out, err = run(capsys, "extract", "--spider", "mydramalist", "--url", GLORY_URL, str(page))
    assert code == 0, err
    reviews = {r["source_review_id"]: r for r in map(json.loads, out.splitlines())}
    assert set(reviews) == {"249745", "249715"}
    first = reviews["249745"]
    assert first["author_handle"] == "unterwegsimkoreanischenDE"
    assert first["author_name"] == "unterwegsimkoreanischenD"
    assert first["published_at"].startswith("2022-12-30")
    assert (first["score_raw"], first["score"], first["score_scale"]) == ("10", 100.0, "10")
    assert {s["aspect"]: s["score"] for s in first["sub_scores"]} == {
        "story": 100.0, "acting": 100.0, "music": 90.0, "rewatch": 90.0,
    }
    assert first["spoiler"] is True and reviews["249715"]["spoiler"] is not True
    assert (first["helpful_votes"], first["episodes_seen"], first["watch_status"]) == (161, 8, "completed")
    assert first["drama_title"] == "The Glory" and first["drama_site_id"] == "685237"
    assert "2 review(s)" in err


def test_extract_unknown_spider_is_a_clear_error(capsys, tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html></html>")
    code, _, err = run(capsys, "extract", "--spider", "nope", "--url", "http://x/", str(page))
    assert code == 2 and "unknown spider 'nope'" in err


def test_extract_missing_file_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "extract", "--spider", "mydramalist", "--url", GLORY_URL, str(tmp_path / "none.html"))
    assert code == 2 and "none.html" in err


def test_crawl_unknown_spider_kind_exits_2(capsys):
    code, _, err = run(capsys, "crawl", "no_such_spider")
    assert code == 2 and "unknown spider kind" in err and "mydramalist" in err


def test_crawl_unknown_source_exits_2(capsys):
    code, _, err = run(capsys, "crawl", "--source", "nowhere")
    assert code == 2 and "unknown source" in err and "'nowhere'" in err


def test_crawl_bad_sources_file_names_the_line(capsys, tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[sources.blog]\nkind = "wordpress"\nbase_url = "https://blog.example"\nper_page = "many"\n')
    code, _, err = run(capsys, "crawl", "--sources", str(bad))
    assert code == 2 and f"{bad}:4:" in err and "per_page must be a whole number" in err


@pytest.mark.parametrize("command", ["crawl", "extract", "dramas", "demo"])
def test_every_command_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert "example: dramascore " + command in capsys.readouterr().out


def test_dramas_on_an_empty_store_says_what_to_do(capsys, sqlite_url):
    code, out, _ = run(capsys, "dramas", "--db", sqlite_url)
    assert code == 0 and "dramascore demo" in out


def test_bad_setting_pair_is_rejected(capsys):
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        main(["crawl", "mydramalist", "-s", "NOEQUALS"])


@pytest.mark.parametrize(
    "spider, url, fixture",
    [
        ("mydramalist", "http://127.0.0.1:8765/700201-x/reviews?page=1", "mydramalist/reviews-page1.html"),
        ("wordpress", "http://127.0.0.1:8765/blog/wp-json/wp/v2/posts?per_page=100&page=1", "wordpress/posts-page1.json"),
        ("wordpress", "http://127.0.0.1:8765/blog/2022/04/a-post/", "wordpress/post-yoast.html"),
        ("reddit", "http://127.0.0.1:8765/reddit/comments/k7q2mx.json", "reddit/thread-episode-discussion.json"),
        ("schemaorg", "https://hallyudesk.example/reviews/moonlit-ferry-review/", "schemaorg/critic-review.html"),
    ],
)
def test_extract_works_for_every_spider(spider, url, fixture, capsys, fixtures_dir):
    code, out, err = run(capsys, "extract", "--spider", spider, "--url", url, str(fixtures_dir / fixture))
    assert code == 0, err
    reviews = [json.loads(line) for line in out.splitlines()]
    assert reviews, f"{spider} extracted nothing from {fixture}"
    for review in reviews:
        # Normalisers ran: the crawl time is set, and every raw byline became an identity or a stated null.
        assert review["crawled_at"] and review["source"]
        if review["author_raw"] and review["author_handle"] is None:
            assert "author_handle" in review["null_reasons"]
    assert any(r["published_at"] for r in reviews)
