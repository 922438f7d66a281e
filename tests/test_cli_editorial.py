"""`dramascore rescore | show | correct | corrections` through a parser built with `cli_editorial.register`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from aggregator.cli_editorial import EXAMPLES, register
from aggregator.items import Rating, ReviewItem
from aggregator.store.engine import make_engine, migrate, session_factory, write_with_retry
from aggregator.store.models import Consensus, Drama, DuplicateLink, Review
from aggregator.store.reviews import upsert_reviews

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    """Like `aggregator.cli.build_parser`: its `add` looks the epilog up in the main CLI's own examples."""
    parser = argparse.ArgumentParser(prog="dramascore")
    sub = parser.add_subparsers(dest="command", required=True)
    main_examples = {"dramas": "example: dramascore dramas"}

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, epilog=main_examples[name])

    register(sub, add)
    return parser


def run(capsys, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def item(rid: str, score: float | None, **kw) -> ReviewItem:
    base = dict(
        source="mydramalist", source_review_id=rid, url=f"https://reviews.example/r/{rid}",
        drama_title="Soundtrack #1", drama_site_id="100", drama_year=2022, author_handle=f"viewer{rid}",
        author_name=f"Viewer {rid}", published_at=T0 + timedelta(days=len(rid)),
        score_raw=None if score is None else f"{score / 10:g}/10", score=score, score_scale="10",
        body="Invented for a test.", crawled_at=T0,
    )  # fmt: skip
    base.update(kw)
    return ReviewItem(**base)


@pytest.fixture
def db(sqlite_url):
    """A store with Soundtrack #1 (four reviews, one a duplicate, a spoiler, an inferred one, an episode
    guide) and Moonlit Ferry (one review); returns (url, review ids by source_review_id)."""
    items = [
        item("1", 80.0, spoiler=True),
        item("2", 90.0),
        item("3", 100.0),
        item("4", 100.0),
        item("5", None, inferred_score=70.0, inferred_method="vader-3.3.2/v1"),
        item("g1", None, source="blog", drama_site_id=None,
             episode_scores=[Rating(score_raw="4/5", episode=e, score=80.0, scale="5") for e in (1, 2)]),
        item("f1", 40.0, drama_title="Moonlit Ferry", drama_site_id="200", drama_year=2023),
    ]  # fmt: skip
    engine = make_engine(sqlite_url)
    migrate(engine)
    factory = session_factory(engine)
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    with factory() as s:
        ids = dict(s.execute(select(Review.source_review_id, Review.id)).all())
        s.add(DuplicateLink(review_id=ids["4"], canonical_id=ids["3"], rule="same_url"))
        s.commit()
    engine.dispose()
    return sqlite_url, ids


def stored(url: str, title: str) -> Consensus | None:
    engine = make_engine(url)
    with session_factory(engine)() as s:
        drama = s.scalar(select(Drama).where(Drama.title == title))
        got = s.get(Consensus, drama.id)
    engine.dispose()
    return got


@pytest.mark.parametrize("command", ["rescore", "show", "correct", "corrections"])
def test_every_command_help_ends_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and out.rstrip().endswith(EXAMPLES[command])
    assert EXAMPLES[command].startswith("example: dramascore " + command)


# The worked numbers below use an inferred weight of 0.3, whatever the project's default is.
PINNED_INFERRED_WEIGHT = "DRAMASCORE_SCORE_INFERRED_WEIGHT=0.3"


def test_rescore_prints_how_many_and_honours_setting_overrides(db, capsys):
    url, _ = db
    code, out, _ = run(
        capsys, "rescore", "--db", url, "-s", "DRAMASCORE_SCORE_PRIOR_WEIGHT=0", "-s", PINNED_INFERRED_WEIGHT
    )
    assert code == 0 and out.startswith("rescored 2 drama(s) with bayes-v1 (prior weight 0")
    # Prior weight 0: the score is the weighted mean of 80, 90, 100, the guide's 80 and the inferred 70.
    assert stored(url, "Soundtrack #1").score == pytest.approx((80 + 90 + 100 + 80 + 0.3 * 70) / 4.3)
    code, _, err = run(capsys, "rescore", "--db", url, "-s", "DRAMASCORE_DB=elsewhere")
    assert code == 2 and "scoring setting" in err


def test_show_prints_the_score_breakdowns_and_flagged_reviews(db, capsys):
    url, ids = db
    code, out, _ = run(capsys, "show", "Soundtrack #1", "--db", url, "-s", PINNED_INFERRED_WEIGHT)
    assert code == 0
    assert out.startswith("Soundtrack #1 (2022)") and "not stored" in out
    assert "Consensus: 81.6 / 100  universal acclaim, strong agreement" in out and "95% interval 77.8-94.7" in out
    assert "5 opinion(s) (one per author), 5 scored, 1 inferred" in out
    assert "By source" in out and "blog" in out and "By episode" in out
    assert f"duplicate of #{ids['3']}" in out and "spoiler" in out
    assert "inferred from text (vader-3.3.2/v1)" in out and "mean of episode scores" in out
    run(capsys, "rescore", "--db", url)
    code, out, _ = run(capsys, "show", str(stored(url, "Soundtrack #1").drama_id), "--db", url)
    assert code == 0 and "stored, computed" in out


def test_show_tbd_and_unknown_drama(db, capsys):
    url, _ = db
    code, out, _ = run(capsys, "show", "moonlit", "--db", url)
    assert code == 0 and "[tbd: fewer than 3 scored]" in out and "1 opinion(s)" in out
    code, _, err = run(capsys, "show", "No Such Show", "--db", url)
    assert code == 2 and "no drama called 'No Such Show'" in err


def test_correct_records_rescores_and_the_audit_trail_lists_and_revokes(db, capsys):
    url, ids = db
    run(capsys, "rescore", "--db", url)
    before = stored(url, "Soundtrack #1").score
    code, out, err = run(
        capsys, "correct", "exclude_review", "--review", str(ids["1"]), "--editor", "ana", "--reason", "copied text",
        "--db", url,
    )  # fmt: skip
    assert code == 0, err
    assert f"recorded #1 exclude_review review {ids['1']} by ana: copied text" in out
    after = stored(url, "Soundtrack #1").score
    assert after != pytest.approx(before) and f"'Soundtrack #1': {before:.1f} -> {after:.1f}" in out

    code, out, _ = run(capsys, "corrections", "--db", url)
    assert code == 0 and "exclude_review" in out and "active" in out and "copied text" in out
    code, out, _ = run(capsys, "corrections", "--revoke", "1", "--editor", "ben", "--db", url)
    assert code == 0 and out.startswith("revoked #1") and "revoked " in out.splitlines()[-1] and "by ben" in out
    assert stored(url, "Soundtrack #1").score == pytest.approx(before)
    code, out, _ = run(capsys, "corrections", "--active", "--db", url)
    assert out.strip() == "no corrections recorded"


def test_correct_by_titles_sources_and_split(db, capsys):
    url, ids = db
    code, out, err = run(
        capsys, "correct", "merge_dramas", "--drama", "Moonlit Ferry", "--other-drama", "Soundtrack #1",
        "--editor", "ana", "--reason", "same show", "--db", url,
    )  # fmt: skip
    assert code == 0, err
    assert "'Moonlit Ferry': - -> no score (merged away)" in out
    assert stored(url, "Moonlit Ferry") is None and stored(url, "Soundtrack #1").n_reviews == 6
    code, out, err = run(
        capsys, "correct", "source_weight", "--source", "blog", "--value", "0", "--editor", "ana",
        "--reason", "episode guides only", "--db", url,
    )  # fmt: skip
    assert code == 0, err
    assert stored(url, "Soundtrack #1").per_source["blog"]["weight"] == 0
    code, out, err = run(
        capsys, "correct", "split_drama", "--review", str(ids["2"]), "--review", str(ids["3"]), "--title",
        "Soundtrack #2", "--editor", "ana", "--reason", "season two", "--db", url,
    )  # fmt: skip
    assert code == 0, err
    split = stored(url, "Soundtrack #2")
    assert (split.n_reviews, split.mean) == (2, 95.0) and f"'Soundtrack #2': - -> {split.score:.1f}" in out


REFUSED = [
    (["exclude_review", "--review", "987654"], "no review with id 987654"),
    (["source_weight", "--source", "nowhere", "--value", "1"], "no source called 'nowhere' (known: blog, mydramalist)"),
    (["merge_dramas", "--drama", "No Such Show", "--other-drama", "1"], "no drama called 'No Such Show'"),
    (["exclude_review", "--review", "@1", "--review", "@2"], "takes one --review"),
    (["override_inferred", "--review", "@1", "--value", "50"], "has its own score"),
    (["exclude_inferred", "--title", "x"], "--title is for split_drama only"),
]


def test_correct_refuses_with_a_clear_message_and_writes_nothing(db, capsys):
    url, ids = db
    for argv, message in REFUSED:
        argv = [str(ids[a[1:]]) if a.startswith("@") else a for a in argv]
        code, out, err = run(capsys, "correct", *argv, "--editor", "ana", "--reason", "r", "--db", url)
        assert code == 2 and message in err and out == "", argv
    code, out, _ = run(capsys, "corrections", "--db", url)
    assert out.strip() == "no corrections recorded"
