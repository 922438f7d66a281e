"""The load process of bench/api.py: HTTP/1.1 keep-alive clients on raw asyncio streams, one JSON line of results.

Run: ``python bench/api_load.py --url http://127.0.0.1:8766 --path '/api/dramas/{id}' --ids 10000
[--clients 50] [--seconds 20] [--warmup 2] [--rate 0]``. ``{id}`` is replaced by a uniformly random id in
1..--ids for each request.

Closed loop (``--rate 0``): each client sends its next request as soon as the previous answer arrived, so the
latency is what a saturated server gives. Open loop (``--rate R``): requests are due every 1/R s in total,
whoever is free sends them, and a latency is counted from when the request was *due* (so time spent waiting
for a free client counts: no coordinated omission). Requests due in the warm-up are sent but not counted.

A hand-written client rather than httpx: it costs a few tens of microseconds of CPU per request, so it can
offer far more load than the server can take on the same two cores (bench/api.py checks that side by side
against a static file). Only ``Content-Length`` bodies are read (uvicorn sends every answer this way).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What the clients saw: latencies (s) of counted requests, answers by status, connection errors."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    sent: int = 0

    def add(self, status: int, latency: float, counted: bool) -> None:
        if counted:
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0-100); NaN for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 99)
    (2.0, 4.0)
    """
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Summary:
    """One load run, in milliseconds and requests per second."""

    requests: int
    ok: int
    statuses: dict[str, int]
    errors: int
    seconds: float
    throughput: float
    p50: float
    p90: float
    p99: float
    max: float
    answered: int  # every request answered, the warm-up's and those due in the window but answered after it
    client_cpu_s: float  # the load process's CPU over the whole run
    rate: float
    backlog: int  # open loop: requests due that no client got to send before the end

    @property
    def client_cpu_us(self) -> float:
        """The load process's CPU time per answered request, in microseconds."""
        return 1e6 * self.client_cpu_s / self.answered if self.answered else math.nan


def summarise(tally: Tally, seconds: float, cpu_s: float, rate: float, backlog: int) -> Summary:
    ms = sorted(x * 1000 for x in tally.latencies)
    n = len(ms)
    return Summary(
        requests=n, ok=tally.statuses.get(200, 0), statuses={str(k): v for k, v in sorted(tally.statuses.items())},
        errors=tally.errors, seconds=seconds, throughput=n / seconds if seconds > 0 else 0.0,
        p50=percentile(ms, 50), p90=percentile(ms, 90), p99=percentile(ms, 99), max=ms[-1] if ms else math.nan,
        answered=tally.sent, client_cpu_s=cpu_s, rate=rate, backlog=backlog,
    )  # fmt: skip


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """GET `path`; returns the status once the whole body is read."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not supported by this load generator")
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _closed_client(conn: Connection, paths, tally: Tally, counted_from: float, until: float) -> None:
    while (start := time.perf_counter()) < until:
        try:
            status = await conn.get(next(paths))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
            conn.close()
            continue
        tally.sent += 1
        tally.add(status, time.perf_counter() - start, start >= counted_from)


async def _open_client(conn: Connection, paths, tally: Tally, due: asyncio.Queue, counted_from: float) -> None:
    while (when := await due.get()) is not None:
        try:
            status = await conn.get(next(paths))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
            conn.close()
            continue
        tally.sent += 1
        tally.add(status, time.perf_counter() - when, when >= counted_from)


async def _schedule(due: asyncio.Queue, rate: float, start: float, until: float, clients: int) -> None:
    """Put each request's due time on the queue at that time; then one None per client (stop)."""
    k = 0
    while (when := start + k / rate) < until:
        delay = when - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(when)
        k += 1
    for _ in range(clients):
        due.put_nowait(None)


def _paths(template: str, ids: int, seed: int):
    rng = random.Random(seed)
    while True:
        yield template.replace("{id}", str(rng.randint(1, ids)))


async def run(
    url: str, template: str, ids: int, clients: int, seconds: float, warmup: float, rate: float = 0.0, seed: int = 1
) -> Summary:
    """Load `url` with `clients` connections for `warmup` + `seconds`; the warm-up is not counted."""
    parts = urlsplit(url)
    conns = [Connection(parts.hostname or "127.0.0.1", parts.port or 80) for _ in range(clients)]
    tally = Tally()
    cpu0 = time.process_time()
    start = time.perf_counter()
    counted_from, until = start + warmup, start + warmup + seconds
    backlog = 0
    if rate > 0:
        due: asyncio.Queue = asyncio.Queue()
        producer = asyncio.create_task(_schedule(due, rate, start, until, clients))
        workers = [
            _open_client(c, _paths(template, ids, seed + i), tally, due, counted_from) for i, c in enumerate(conns)
        ]
        # A server that cannot keep up leaves requests queued: give it a little grace, then count them.
        try:
            await asyncio.wait_for(asyncio.gather(*workers), timeout=warmup + seconds + 10)
        except TimeoutError:
            backlog = sum(1 for _ in range(due.qsize()) if due.get_nowait() is not None)
        await producer
    else:
        await asyncio.gather(*(
            _closed_client(c, _paths(template, ids, seed + i), tally, counted_from, until) for i, c in enumerate(conns)
        ))  # fmt: skip
    # Open loop: the requests due in the window, per second of window (the last may be answered after it).
    elapsed = seconds if rate > 0 else min(time.perf_counter(), until) - counted_from
    cpu = time.process_time() - cpu0
    for c in conns:
        c.close()
    return summarise(tally, elapsed, cpu, rate, backlog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8766")
    parser.add_argument("--path", default="/api/dramas/{id}", help="path template; {id} becomes a random id")
    parser.add_argument("--ids", type=int, default=1, help="ids are drawn from 1..IDS (default 1)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent keep-alive connections (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="counted seconds (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds first (default 2)")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop at this many req/s in total (0: closed)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    summary = asyncio.run(
        run(args.url, args.path, args.ids, args.clients, args.seconds, args.warmup, args.rate, args.seed)
    )
    print(json.dumps(asdict(summary)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
