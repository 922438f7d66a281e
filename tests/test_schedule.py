"""`dramascore schedule`: cron-driven crawls as subprocesses, one run per source at a time, clean stop."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from aggregator.cli_schedule import register
from aggregator.demo.server import DemoSite
from aggregator.schedule import CrawlScheduler, crawl_command
from aggregator.sources import SourceConfig

OTHERS = (
    '[sources.unscheduled]\nkind = "schemaorg"\nurls = []\n'
    '[sources.paused]\nkind = "schemaorg"\nurls = []\nschedule = "0 4 * * *"\nenabled = false\n'
)


def write_sources(path: Path, base_url: str, schedule: str = "* * * * *") -> Path:
    path.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{base_url}"\n'
        f'default_scale = 10\nlisting_pages = 0\nschedule = "{schedule}"\n' + OTHERS
    )
    return path


def finished_runs(db_file: Path, source: str) -> list[tuple]:
    if not db_file.exists():
        return []
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute(
            "SELECT id, status, reviews_new FROM crawl_runs WHERE spider = ? AND finished_at IS NOT NULL", (source,)
        ).fetchall()
    except sqlite3.OperationalError:  # the crawl has not created the tables yet
        return []
    finally:
        conn.close()


def start_scheduler(tmp_path: Path, site: DemoSite, *options: str) -> tuple[subprocess.Popen, Path, Path]:
    """`dramascore schedule --run-now` on a sources file for the demo site, in a subprocess; (proc, db, log)."""
    db_file, log_file = tmp_path / "runs.db", tmp_path / "schedule.log"
    sources = write_sources(tmp_path / "sources.toml", site.base_url)
    argv = [
        sys.executable, "-m", "aggregator.cli_schedule", "schedule",
        "--sources", str(sources), "--db", f"sqlite:///{db_file}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "--run-now",  # first fire at start; `* * * * *` alone would wait for the next minute
        *options,
    ]
    with log_file.open("w") as log:
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    return proc, db_file, log_file


def wait_for(proc: subprocess.Popen, log_file: Path, condition, timeout: float = 25) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, log_file.read_text()
        assert time.monotonic() < deadline, "timed out:\n" + log_file.read_text()
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_scheduled_crawl_runs_as_a_subprocess_and_sigterm_stops_cleanly(tmp_path):
    with DemoSite() as site:
        proc, db_file, log_file = start_scheduler(tmp_path, site, "-s", "DOWNLOAD_DELAY=0", "--log-level", "WARNING")
        try:
            wait_for(proc, log_file, lambda: finished_runs(db_file, "mydramalist"))
        finally:
            code = stop(proc)
    out = log_file.read_text()
    assert code == 0, out
    runs = finished_runs(db_file, "mydramalist")
    assert runs and runs[0][1] == "finished" and runs[0][2] > 0, (runs, out)
    assert "source mydramalist: crawl exited 0 after" in out
    assert "not scheduled: unscheduled (no schedule), paused (disabled)" in out
    assert "scheduler stopped" in out
    # Only the scheduled source ever ran.
    assert not finished_runs(db_file, "unscheduled") and not finished_runs(db_file, "paused")


def run_rows(db_file: Path) -> list[tuple]:
    try:
        with sqlite3.connect(db_file) as conn:
            return conn.execute("SELECT status, finished_at, pages FROM crawl_runs").fetchall()
    except sqlite3.OperationalError:
        return []


@pytest.mark.slow
def test_sigterm_mid_crawl_closes_the_spider_gracefully_and_records_the_run(tmp_path):
    with DemoSite() as site:
        # A polite delay makes the crawl last long enough (20 pages) to be stopped in the middle.
        proc, db_file, log_file = start_scheduler(tmp_path, site, "-s", "DOWNLOAD_DELAY=0.3", "--log-level", "INFO")
        try:
            wait_for(proc, log_file, lambda: run_rows(db_file))
        finally:
            code = stop(proc)
    out = log_file.read_text()
    assert code == 0, out
    assert "sending SIGTERM to the running crawl" in out
    # Scrapy got one SIGTERM: it closed the spider (not a forced stop) and the run row was closed.
    assert "Closing spider (shutdown)" in out and "forcing unclean shutdown" not in out
    [(status, finished_at, pages)] = run_rows(db_file)
    assert status == "failed" and finished_at is not None and 0 < pages < 20, out
    assert "crawl exited 1 after" in out and "(stopped by the scheduler)" in out


def stand_in(script: str) -> list[str]:
    """A real subprocess standing in for a crawl (the property under test is the scheduler's)."""
    return [sys.executable, "-c", script]


def source(name: str = "a", schedule: str | None = "* * * * *", enabled: bool = True) -> SourceConfig:
    return SourceConfig(name=name, kind="schemaorg", schedule=schedule, enabled=enabled)


def wait_for_file(path: Path, timeout: float = 10) -> None:
    """Wait until the stand-in says it is ready (its signal handler installed)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def every(seconds: float):
    return lambda src, tz: IntervalTrigger(seconds=seconds)


def test_a_fire_while_the_previous_run_is_going_is_skipped_and_logged(tmp_path, caplog):
    trace = tmp_path / "trace"
    script = (
        f"import time; f = open({str(trace)!r}, 'a'); f.write('start\\n'); f.flush(); "
        "time.sleep(1.2); f.write('end\\n')"
    )
    scheduler = CrawlScheduler([source()], lambda s: stand_in(script), trigger_factory=every(0.25), run_now=True)
    caplog.set_level(logging.INFO, logger="dramascore.schedule")
    scheduler.start()
    try:
        time.sleep(2.5)
    finally:
        scheduler.stop()
    lines = trace.read_text().split()
    # Never two at once: each start is followed by its end before the next start.
    assert lines[: len(lines) // 2 * 2] == ["start", "end"] * (len(lines) // 2)
    assert scheduler.skipped["a"] >= 2
    assert "source a: run skipped, the previous crawl is still running" in caplog.text
    # The first run ran to its end (exit 0, its duration recorded); a second one was cut short by the stop.
    assert scheduler.runs[0].returncode == 0 and scheduler.runs[0].seconds >= 1.0


def test_stop_sends_sigterm_to_running_crawls_and_waits_for_them(tmp_path, caplog):
    marker, ready = tmp_path / "terminated", tmp_path / "ready"
    script = (
        "import signal, sys, time\n"
        f"def bye(*_):\n    open({str(marker)!r}, 'w').write('closed'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(30)\n"
    )
    scheduler = CrawlScheduler([source()], lambda s: stand_in(script), trigger_factory=every(60), run_now=True)
    caplog.set_level(logging.INFO, logger="dramascore.schedule")
    scheduler.start()
    wait_for_file(ready)
    started = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - started < 5
    assert marker.read_text() == "closed"
    assert [(r.source, r.returncode) for r in scheduler.runs] == [("a", 0)]
    assert "source a: crawl exited 0 after" in caplog.text and not scheduler.running()


def test_stop_kills_a_crawl_that_ignores_sigterm_after_the_timeout(tmp_path):
    ready = tmp_path / "ready"
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(ready)!r}, 'w').close(); time.sleep(30)"
    )
    scheduler = CrawlScheduler(
        [source()], lambda s: stand_in(script), trigger_factory=every(60), run_now=True, stop_timeout=0.5
    )
    scheduler.start()
    wait_for_file(ready)
    scheduler.stop()
    assert [r.returncode for r in scheduler.runs] == [-signal.SIGKILL]


def test_only_enabled_sources_with_a_schedule_are_scheduled():
    sources = [source("a"), source("b", schedule=None), source("c", enabled=False), source("d", schedule="  ")]
    scheduler = CrawlScheduler(sources, lambda s: stand_in("pass"))
    assert [s.name for s in scheduler.sources] == ["a"]
    assert [job.id for job in scheduler.scheduler.get_jobs()] == ["a"]
    assert scheduler.unscheduled == [("b", "no schedule"), ("c", "disabled"), ("d", "no schedule")]


def test_once_runs_every_scheduled_source_and_records_exit_codes():
    sources = [source("ok"), source("broken"), source("off", enabled=False)]
    codes = {"ok": 0, "broken": 3, "off": 9}
    scheduler = CrawlScheduler(sources, lambda s: stand_in(f"import sys; sys.exit({codes[s.name]})"))
    runs = scheduler.run_once()
    assert sorted((r.source, r.returncode) for r in runs) == [("broken", 3), ("ok", 0)]


def test_crawl_command_runs_one_source_with_this_interpreter(tmp_path):
    (tmp_path / "s.toml").write_text("")
    argv = crawl_command(source("mdl"), sources_file=tmp_path / "s.toml", db="sqlite:///x.db", extra=["-s", "A=1"])
    assert argv == [
        sys.executable, "-m", "aggregator.cli", "crawl", "--source", "mdl",
        "--sources", str((tmp_path / "s.toml").resolve()), "--db", "sqlite:///x.db", "-s", "A=1",
    ]
    assert crawl_command(source("mdl")) == [sys.executable, "-m", "aggregator.cli", "crawl", "--source", "mdl"]


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


def test_list_prints_next_fire_times_and_why_others_are_not_scheduled(tmp_path, capsys):
    sources = write_sources(tmp_path / "sources.toml", "http://127.0.0.1:9", schedule="0 3 * * *")
    code, out, _ = run(capsys, "schedule", "--sources", str(sources), "--list", "--timezone", "UTC")
    assert code == 0
    header, _, *rows = out.splitlines()
    assert header.split() == ["source", "schedule", "next", "run"]
    mdl = next(r for r in rows if r.startswith("mydramalist"))
    assert "0 3 * * *" in mdl and mdl.endswith("03:00:00+00:00")
    assert any(r.startswith("unscheduled") and r.endswith("not scheduled: no schedule") for r in rows)
    assert any(r.startswith("paused") and r.endswith("not scheduled: disabled") for r in rows)


def test_a_bad_cron_expression_is_rejected_naming_the_source(tmp_path, capsys):
    sources = write_sources(tmp_path / "sources.toml", "http://127.0.0.1:9", schedule="61 * * * *")
    code, _, err = run(capsys, "schedule", "--sources", str(sources), "--list")
    assert code == 2
    assert "sources.mydramalist.schedule: bad cron expression '61 * * * *'" in err


def test_no_schedulable_source_is_an_error(tmp_path, capsys):
    path = tmp_path / "sources.toml"
    path.write_text(OTHERS)
    code, _, err = run(capsys, "schedule", "--sources", str(path))
    assert code == 2 and "no source to schedule" in err and "unscheduled (no schedule)" in err


def test_help_ends_with_the_example(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["schedule", "--help"])
    out = capsys.readouterr().out
    assert out.rstrip().endswith("example: dramascore schedule --sources sources.toml")
    assert "--once" in out and "--list" in out and "--run-now" in out
