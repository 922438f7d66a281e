"""Scheduled crawls: each source's `schedule` (a cron expression) fires a crawl of that source alone.

Every run is a separate ``dramascore crawl --source NAME`` process because Twisted's reactor cannot be
restarted in one process. APScheduler 3 (a background scheduler) fires the jobs; `CrawlScheduler` keeps
one run per source at a time, logs each run's exit code and duration, and on `stop` sends SIGTERM to the
crawls still running (Scrapy then closes the spider gracefully and records the run).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobSubmissionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from aggregator.sources import SourceConfig, SourcesError

log = logging.getLogger("dramascore.schedule")

# How long a crawl may take to close after SIGTERM before it is killed (Scrapy finishes in-flight requests,
# writes its run row and refreshes the consensus of the dramas it touched).
STOP_TIMEOUT = 120.0

TriggerFactory = Callable[[SourceConfig, tzinfo | None], BaseTrigger]
CommandFactory = Callable[[SourceConfig], list[str]]


def cron_trigger(source: SourceConfig, timezone: tzinfo | None = None) -> CronTrigger:
    """The source's `schedule` as a trigger; a bad expression is a SourcesError naming the source."""
    try:
        return CronTrigger.from_crontab(source.schedule or "", timezone=timezone)
    except ValueError as exc:
        raise SourcesError(f"sources.{source.name}.schedule: bad cron expression {source.schedule!r}: {exc}") from None


def split_sources(sources: Sequence[SourceConfig]) -> tuple[list[SourceConfig], list[tuple[str, str]]]:
    """(sources to schedule, [(name, why not) for the others]): disabled or schedule-less ones are not run."""
    scheduled, skipped = [], []
    for source in sources:
        if not source.enabled:
            skipped.append((source.name, "disabled"))
        elif not (source.schedule or "").strip():
            skipped.append((source.name, "no schedule"))
        else:
            scheduled.append(source)
    return scheduled, skipped


def crawl_command(
    source: SourceConfig,
    *,
    sources_file: str | Path | None = None,
    db: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``dramascore crawl`` command line that crawls `source` alone, with this interpreter."""
    argv = [sys.executable, "-m", "aggregator.cli", "crawl", "--source", source.name]
    if sources_file:
        # Absolute: the crawl must read the same file whatever its working directory.
        argv += ["--sources", str(Path(sources_file).resolve())]
    if db:
        argv += ["--db", db]
    return argv + list(extra)


@dataclass
class RunRecord:
    """One finished run: which source, its exit code (negative: killed by that signal) and how long it took."""

    source: str
    returncode: int
    seconds: float


class CrawlScheduler:
    """Fires each scheduled source's crawl as a subprocess; never two runs of one source at once.

    `trigger_factory` and `command_factory` are seams: tests fire within seconds or run a stand-in process.
    """

    def __init__(
        self,
        sources: Sequence[SourceConfig],
        command_factory: CommandFactory,
        *,
        trigger_factory: TriggerFactory = cron_trigger,
        timezone: tzinfo | None = None,
        run_now: bool = False,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.sources, self.unscheduled = split_sources(sources)
        self.command_factory = command_factory
        self.stop_timeout = stop_timeout
        self.runs: list[RunRecord] = []
        self.skipped: Counter[str] = Counter()
        self._running: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._stopping = False
        kwargs = {"timezone": timezone} if timezone is not None else {}
        self.scheduler = BackgroundScheduler(**kwargs)
        self.scheduler.add_listener(self._on_not_run, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        # Triggers first: a bad cron expression fails before anything is scheduled.
        triggers = {s.name: trigger_factory(s, timezone) for s in self.sources}
        for source in self.sources:
            extra = {"next_run_time": datetime.now(self.scheduler.timezone)} if run_now else {}
            self.scheduler.add_job(
                self.run_source,
                triggers[source.name],
                args=[source],
                id=source.name,
                name=f"crawl {source.name}",
                # A run still going when the next is due is skipped (and logged); missed fires collapse to one.
                max_instances=1,
                coalesce=True,
                # A fire delayed by a busy machine still runs within this many seconds; later it is a miss.
                misfire_grace_time=60,
                **extra,
            )

    def next_fire_times(self, now: datetime | None = None) -> dict[str, datetime | None]:
        """Each scheduled source's next fire time after `now` (default: the current time)."""
        now = now or datetime.now(self.scheduler.timezone)
        out = {}
        for source in self.sources:
            job = self.scheduler.get_job(source.name)
            out[source.name] = job.trigger.get_next_fire_time(None, now) if job else None
        return out

    def start(self) -> None:
        self.scheduler.start()

    def run_source(self, source: SourceConfig) -> int | None:
        """Run one crawl of `source` to its end; its exit code, or None when stopping (nothing started)."""
        argv = self.command_factory(source)
        with self._lock:
            if self._stopping:
                log.info("source %s: not started, the scheduler is stopping", source.name)
                return None
            log.info("source %s: crawl started", source.name)
            started = time.monotonic()
            # A session of its own: Ctrl-C in a terminal reaches the scheduler only, which forwards one SIGTERM
            # (a second signal would make Scrapy stop without closing the spider).
            process = subprocess.Popen(argv, start_new_session=True)
            self._running[source.name] = process
        try:
            code = process.wait()
        finally:
            with self._lock:
                self._running.pop(source.name, None)
        seconds = time.monotonic() - started
        self.runs.append(RunRecord(source.name, code, seconds))
        level = logging.INFO if code == 0 or self._stopping else logging.WARNING
        why = " (stopped by the scheduler)" if self._stopping else ""
        log.log(level, "source %s: crawl exited %d after %.1f s%s", source.name, code, seconds, why)
        return code

    def _on_not_run(self, event: JobSubmissionEvent) -> None:
        self.skipped[event.job_id] += 1
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning("source %s: run skipped, the previous crawl is still running", event.job_id)
        else:
            log.warning("source %s: run missed (was due at %s)", event.job_id, event.scheduled_run_time)

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def stop(self) -> None:
        """Fire nothing more, SIGTERM the running crawls, wait `stop_timeout` for them, then kill the rest."""
        with self._lock:
            self._stopping = True
            processes = dict(self._running)
        if self.scheduler.running:
            # Paused, not shut down yet: shutdown(wait=True) below waits for the job threads to log their end.
            self.scheduler.pause()
        for name, process in processes.items():
            log.info("source %s: sending SIGTERM to the running crawl (pid %d)", name, process.pid)
            process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for name, process in processes.items():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("source %s: crawl still running %.0f s after SIGTERM: killed", name, self.stop_timeout)
                process.kill()
                process.wait()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def run_once(self) -> list[RunRecord]:
        """Run every scheduled source once now, concurrently (one process each), and wait for them all."""
        threads = [threading.Thread(target=self.run_source, args=[s], name=f"crawl {s.name}") for s in self.sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                # Short joins keep the main thread responsive to SIGTERM/SIGINT.
                thread.join(0.2)
        return list(self.runs)


def format_next_fires(scheduler: CrawlScheduler, now: datetime | None = None) -> str:
    """The `--list` table: each source, its schedule and next fire time; unscheduled sources say why."""
    fires = scheduler.next_fire_times(now)
    rows = [(s.name, s.schedule, _when(fires[s.name])) for s in scheduler.sources]
    rows += [(name, "-", f"not scheduled: {why}") for name, why in scheduler.unscheduled]
    widths = [max(len(str(r[i])) for r in rows + [("source", "schedule", "next run")]) for i in range(3)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [("source", "schedule", "next run")] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.isoformat(sep=" ", timespec="seconds")


def describe_unscheduled(unscheduled: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({why})" for name, why in unscheduled) or "none"


def stop_on_signals(event: threading.Event) -> None:
    """Set `event` on SIGTERM or SIGINT (main thread only): the caller then stops the scheduler."""
    import signal

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda num, frame: (log.info("signal %d: stopping", num), event.set()))
