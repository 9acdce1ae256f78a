"""A bounded loopback load test: many evaluators scoring at once, then an audit of the database.

Each simulated evaluator registers, then repeatedly asks for the next pair and scores it with a score it can
later check (a function of evaluator and step); every tenth submission is sent twice (a client retry), which
must be answered as a duplicate and stored once. The audit compares what the server acknowledged with what
is in SQLite: every acknowledged score present with the submitted value, no (evaluator, pair) scored twice,
no extra rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from PIL import Image as PILImage

from qualipress.review.db import ARTIFACTS, ReviewDB


@dataclass
class LoadResult:
    """What a load run did and what the audit found."""

    evaluators: int
    submissions: int
    acknowledged: int
    retries: int
    duplicates_answered: int
    errors: list[str]
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    stored: int = 0
    lost: int = 0
    wrong_value: int = 0
    duplicated: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was lost, changed or duplicated and no request failed."""
        return (
            not self.errors
            and self.lost == 0
            and self.wrong_value == 0
            and self.duplicated == 0
            and self.acknowledged == self.evaluators * self.submissions
            and self.stored == self.acknowledged
        )

    def summary(self) -> dict[str, float | int | bool]:
        """Plain numbers for printing and documentation."""
        lat = sorted(self.latencies_ms) or [0.0]
        return {
            "evaluators": self.evaluators,
            "submissions_each": self.submissions,
            "acknowledged": self.acknowledged,
            "stored": self.stored,
            "lost": self.lost,
            "wrong_value": self.wrong_value,
            "duplicated": self.duplicated,
            "retries_sent": self.retries,
            "retries_answered_duplicate": self.duplicates_answered,
            "errors": len(self.errors),
            "seconds": round(self.seconds, 2),
            "scores_per_s": round(self.acknowledged / self.seconds, 1) if self.seconds else 0.0,
            "score_p50_ms": round(statistics.median(lat), 1),
            "score_p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
            "ok": self.ok,
        }


def make_pair_collection(root: str | Path, n_pairs: int, *, size: int = 16, seed: int = 0) -> Path:
    """Write a plain pair directory of ``n_pairs`` small synthetic 8-bit PNG pairs (for load tests).

    Parameters
    ----------
    root : str or pathlib.Path
        Created; gets ``original/`` and ``noisy/``.
    size : int
        Width and height in pixels.

    Returns
    -------
    pathlib.Path
        ``root``.
    """
    root = Path(root)
    (root / "original").mkdir(parents=True, exist_ok=True)
    (root / "noisy").mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n_pairs):
        base = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        noisy = np.clip(base.astype(np.int16) + rng.integers(-8, 9, base.shape), 0, 255).astype(np.uint8)
        PILImage.fromarray(base).save(root / "original" / f"p{i:04d}.png")
        PILImage.fromarray(noisy).save(root / "noisy" / f"p{i:04d}.png")
    return root


def expected_score(evaluator: int, step: int) -> int:
    """The score simulated evaluator ``evaluator`` gives at ``step`` (deterministic, covers 0..5)."""
    return (evaluator * 7 + step) % 6


class _Connection:
    """A minimal persistent HTTP/1.1 JSON client (one per simulated evaluator).

    httpx costs more CPU per request than the server itself; on a 2-core machine that would measure the
    client. This speaks just enough HTTP for the review API: JSON bodies with Content-Length, keep-alive.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        data = await self.reader.readexactly(length)
        return status, json.loads(data) if data else None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def _evaluator(
    conn: _Connection, index: int, submissions: int, result: LoadResult, acked: dict[str, tuple],
    step_done: Callable[[], None] | None = None,
) -> None:
    status, data = await conn.post("/api/evaluators", {"name": f"load-evaluator-{index:03d}"})
    if status != 200:
        result.errors.append(f"evaluator {index}: register {status}")
        return
    eid = data["id"]
    arts = list(ARTIFACTS)
    for step in range(submissions):
        status, data = await conn.post("/api/next", {"evaluator_id": eid})
        if status != 200 or data.get("done", True):
            result.errors.append(f"evaluator {index} step {step}: no pair offered ({status})")
            return
        token = data["trial"]["token"]
        body = {
            "trial": token,
            "evaluator_id": eid,
            "score": expected_score(index, step),
            "artifacts": [arts[(index + step) % len(arts)]] if step % 3 == 0 else [],
            "comment": f"e{index} s{step}",
        }
        t0 = time.perf_counter()
        status, data = await conn.post("/api/scores", body)
        result.latencies_ms.append((time.perf_counter() - t0) * 1000)
        if step_done is not None:
            step_done()
        if status != 201:
            result.errors.append(f"evaluator {index} step {step}: score {status} {str(data)[:80]}")
            continue
        score_id = data["id"]
        result.acknowledged += 1
        acked[token] = (score_id, eid, body["score"], tuple(sorted(body["artifacts"])), body["comment"])
        if step % 10 == 0:
            result.retries += 1
            status, again = await conn.post("/api/scores", body)
            if status == 200 and again == {"id": score_id, "duplicate": True}:
                result.duplicates_answered += 1
            else:
                result.errors.append(f"evaluator {index} step {step}: retry answered {status}")


async def run_load(base_url: str, *, evaluators: int = 20, submissions: int = 200,
                   progress: Callable[[], None] | None = None) -> tuple[LoadResult, dict]:
    """Drive ``evaluators`` concurrent simulated evaluators against a running server.

    Parameters
    ----------
    base_url : str
        ``http://HOST:PORT`` of a running review server.
    submissions : int
        Scores each evaluator submits (the server must offer at least this many pairs).
    progress : callable, optional
        Called after each score submitted (``evaluators × submissions`` calls when all goes well).

    Returns
    -------
    tuple
        The :class:`LoadResult` (audit fields not filled yet) and the acknowledged submissions by token.
    """
    url = urlsplit(base_url)
    result = LoadResult(evaluators, submissions, 0, 0, 0, [], 0.0)
    acked: dict[str, tuple] = {}
    conns = [_Connection(url.hostname or "127.0.0.1", url.port or 80) for _ in range(evaluators)]
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(_evaluator(c, i, submissions, result, acked, progress) for i, c in enumerate(conns)))
    finally:
        result.seconds = time.perf_counter() - t0
        for c in conns:
            await c.close()
    return result, acked


def audit(db: ReviewDB, result: LoadResult, acked: dict[str, tuple]) -> LoadResult:
    """Compare acknowledged submissions with the database and fill the audit fields of ``result``.

    Parameters
    ----------
    acked : dict
        From :func:`run_load`.

    Returns
    -------
    LoadResult
        ``result``, updated.
    """
    rows = db.judgements()
    by_id = {r["id"]: r for r in rows}
    result.stored = len(rows)
    seen_pairs: set[tuple[int, int]] = set()
    for r in rows:
        key = (r["evaluator_id"], r["item_id"])
        if key in seen_pairs:
            result.duplicated += 1
        seen_pairs.add(key)
    for score_id, eid, score, arts, comment in acked.values():
        row = by_id.get(score_id)
        if row is None:
            result.lost += 1
        elif (row["evaluator_id"], row["score"], tuple(row["artifacts"]), row["comment"]) != (
            eid,
            score,
            arts,
            comment,
        ):
            result.wrong_value += 1
    return result
