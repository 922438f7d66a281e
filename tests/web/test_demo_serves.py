"""`dramascore demo` (the README's first command) ends by serving the editors' page and saying where."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_demo_prints_the_editor_page_url_and_serves_it(tmp_path: Path):
    command = [sys.executable, "-m", "aggregator.cli", "demo", "--port", "0", "--web-port", "0",
               "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--editor-token", "demo-token"]  # fmt: skip
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
        page = httpx.get(url + "/", timeout=10)
        assert page.status_code == 200 and "Soundtrack #1" in page.text
        login = httpx.post(url + "/login", data={"token": "demo-token", "editor": "Ana", "next": "/"})
        assert login.status_code == 303
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, "".join(seen)
