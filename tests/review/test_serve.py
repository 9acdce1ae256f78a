"""The real `qualipress review` process: serves on loopback, and an acknowledged score survives SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_acknowledged_score_survives_kill(collection: Path, tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "kill.sqlite"
    code = "import sys; from qualipress.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "review", str(collection), "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/api/config", timeout=1.0)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"server did not start: {out}")
                time.sleep(0.1)
        eid = httpx.post(base + "/api/evaluators", json={"name": "k"}).json()["id"]
        token = httpx.post(base + "/api/next", json={"evaluator_id": eid}).json()["trial"]["token"]
        r = httpx.post(
            base + "/api/scores", json={"trial": token, "evaluator_id": eid, "score": 5, "artifacts": ["grain_loss"]}
        )
        assert r.status_code == 201
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no checkpoint
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    con = sqlite3.connect(db)
    assert con.execute("SELECT score FROM scores").fetchall() == [(5,)]
    assert con.execute("SELECT artifact FROM score_artifacts").fetchall() == [("grain_loss",)]
