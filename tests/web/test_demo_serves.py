"""`dramascore demo` (the README's first command) ends by serving the editors' page and saying where."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_demo_prints_the_editor_page_url_and_serves_it(tmp_path: Path):
    # Its usual port taken by something else: the demo serves on a free one and says so.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    command = [sys.executable, "-m", "aggregator.cli", "demo", "--port", "0", "--web-port",
               str(taken.getsockname()[1]), "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--editor-token",
               "demo-token"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen = []
    try:
        url = None
        while url is None:
            line = lines.get(timeout=120)
            seen.append(line)
            found = re.match(r"Editor page: (http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        output = "".join(seen)
        assert "Soundtrack #1" in output and "Editor token for this demo: demo-token" in output
        assert "is taken; serving the editor page on a free port" in output
        assert url != f"http://127.0.0.1:{taken.getsockname()[1]}"
        page = httpx.get(url + "/", timeout=10)
        assert page.status_code == 200 and "Soundtrack #1" in page.text
        login = httpx.post(url + "/login", data={"token": "demo-token", "editor": "Ana", "next": "/"})
        assert login.status_code == 303
    finally:
        taken.close()
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, "".join(seen)


def test_serve_on_a_taken_port_says_so_and_exits_2(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-m", "aggregator.cli", "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", port],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "try --port" in done.stderr
