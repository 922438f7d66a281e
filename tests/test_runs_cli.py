"""`dramascore runs`: recorded crawl runs, filtered by source and status, with why a run failed."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from aggregator import cli_runs
from aggregator.store.engine import (
    make_engine,
    migrate,
    session_factory,
    write_with_retry,
)
from aggregator.store.reviews import UpsertCounts, finish_crawl_run, start_crawl_run

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dramascore")
    cli_runs.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def db(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate(engine)

    def write(session):
        for n, (spider, source, status, failures) in enumerate([
            ("mydramalist", "mydramalist", "finished", []),
            ("wordpress", "kdramadiary", "failed", ["field 'date' found in 0% of reviews, minimum is 80%"]),
            ("mydramalist", "mydramalist", "failed", ["reviews: 2 kept, previous finished run #1 kept 10"]),
        ]):
            run = start_crawl_run(session, spider, started_at=START + timedelta(hours=n))
            finish_crawl_run(
                session, run.id, status=status, finished_at=START + timedelta(hours=n, seconds=75), pages=4 + n,
                counts=UpsertCounts(new=3, updated=1, unchanged=n), drops={"empty_review": 2} if n else {},
                errors=n, stats={"dramascore/source": source, "dramascore/monitor/failures": failures},
            )

    write_with_retry(session_factory(engine), write)
    engine.dispose()
    return sqlite_url


def test_lists_every_run_newest_first_with_failures_below(db, capsys):
    assert run_cli("runs", "--db", db) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["id", "source", "spider", "started", "duration", "status", "pages", "new/upd/same",
                              "dropped", "errors"]
    rows = [line.split() for line in out[2:5]]
    assert [r[0] for r in rows] == ["3", "2", "1"]
    assert rows[1][:3] == ["2", "kdramadiary", "wordpress"] and rows[1][5:] == ["1m15s", "failed", "5", "3/1/1",
                                                                                 "empty_review=2", "1"]
    assert "FAILED #2 kdramadiary: field 'date' found in 0% of reviews, minimum is 80%" in out


def test_source_failed_and_limit_filter(db, capsys):
    run_cli("runs", "--db", db, "--source", "mydramalist", "--failed")
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[2:] if not line.startswith("FAILED")] == ["3"]
    run_cli("runs", "--db", db, "--limit", "1")
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:] if line[0].isdigit()] == ["3"]
    run_cli("runs", "--db", db, "--source", "nowhere")
    assert capsys.readouterr().out.strip() == "no crawl runs of nowhere recorded yet"


def test_help_ends_with_the_example(capsys):
    with pytest.raises(SystemExit):
        run_cli("runs", "--help")
    assert capsys.readouterr().out.rstrip().endswith("example: dramascore runs --failed")
