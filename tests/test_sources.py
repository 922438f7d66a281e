"""Sources by configuration: the shipped file loads; a bad file is rejected with its line and the reason."""

from __future__ import annotations

import pytest

from aggregator.demo.server import demo_sources
from aggregator.sources import SourcesError, load_sources, parse_sources, select_sources

GOOD = """\
[sources.mdl]
kind = "mydramalist"
base_url = "https://mydramalist.com"
default_scale = 10
weight = 1
dramas = ["685237-untitled-kim-eun-sook-project"]

[sources.blog]
kind = "wordpress"
base_url = "${site}/blog"
language = "en"
day_first = true
categories = ["kdrama-reviews"]
enabled = false
"""


def test_shipped_default_sources_load_with_real_sites():
    sources = {s.name: s for s in load_sources()}
    assert sources["mydramalist"].base_url == "https://mydramalist.com"
    assert sources["mydramalist"].default_scale == 10.0
    assert {s.kind for s in sources.values()} >= {"mydramalist", "wordpress", "reddit"}
    reddit = next(s for s in sources.values() if s.kind == "reddit")
    assert reddit.option("requests_per_minute") == 60 and "(by /u/" in reddit.option("user_agent")


def test_demo_sources_point_at_the_demo_server():
    sources = demo_sources("http://127.0.0.1:9999")
    assert sources and all(s.base_url.startswith("http://127.0.0.1:9999") for s in sources)


def test_parse_fills_common_fields_options_and_variables():
    mdl, blog = parse_sources(GOOD, variables={"site": "http://127.0.0.1:8000"})
    assert (mdl.kind, mdl.default_scale, mdl.weight) == ("mydramalist", 10.0, 1.0)
    assert mdl.option("dramas") == ["685237-untitled-kim-eun-sook-project"]
    assert blog.base_url == "http://127.0.0.1:8000/blog" and blog.day_first is True and blog.enabled is False
    assert blog.option("categories") == ["kdrama-reviews"] and blog.option("search") is None


@pytest.mark.parametrize(
    "text, line, reason",
    [
        ('[sources.x]\nkind = "mydramalist"\nbase_url = "https://a.b"\nlisting_pages = "all"\n', 4,
         "sources.x.listing_pages must be a whole number"),
        ('[sources.x]\nkind = "imdb"\n', 2, "kind must be one of"),
        ('[sources.x]\nkind = "reddit"\nsubreddits = "KDRAMA"\n', 3, "subreddits must be a list of strings"),
        ('[sources.x]\nkind = "reddit"\nbogus = 1\n', 3, "unknown key 'bogus'"),
        ('[sources.x]\nkind = "schemaorg"\nbase_url = "ftp://a.b"\n', 3, "base_url must start with http"),
        ('[sources.x]\nkind = "schemaorg"\nweight = -1\n', 3, "weight must not be negative"),
        ('[sources.x]\nkind = "schemaorg"\nurls = ["${nope}/a"]\n', 3, "unknown variable ${nope}"),
        ('[sources.x]\nkind = "schemaorg"\nurls = [\n', 3, "not valid TOML"),
        ('title = "x"\n', None, "unknown top-level key"),
        ("", None, "no sources"),
    ],
)
def test_bad_files_name_the_line_and_the_reason(text, line, reason):
    with pytest.raises(SourcesError) as error:
        parse_sources(text, origin="sources.toml")
    message = str(error.value)
    assert reason in message
    assert message.startswith(f"sources.toml:{line}:" if line else "sources.toml:")


def test_load_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(tmp_path / "missing.toml")


def test_select_by_name_kind_and_enabled():
    sources = parse_sources(GOOD, variables={"site": "http://x"})
    assert [s.name for s in select_sources(sources)] == ["mdl"]  # blog is disabled
    assert [s.name for s in select_sources(sources, names=["blog"])] == ["blog"]  # named explicitly: runs
    assert [s.name for s in select_sources(sources, kinds=["wordpress"])] == []
    with pytest.raises(SourcesError, match="unknown source"):
        select_sources(sources, names=["nope"])
    with pytest.raises(SourcesError, match="unknown spider kind"):
        select_sources(sources, kinds=["imdb"])
