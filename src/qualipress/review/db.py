"""SQLite store of the review: pairs, evaluators, trials (what was shown to whom) and scores.

Every score is committed before the HTTP answer goes back (WAL journal, ``synchronous=FULL``), so a closed
tab, a killed server or a power cut loses nothing that was acknowledged. A *trial* is one presentation of
one pair to one evaluator with its own random left/right assignment; a score belongs to exactly one trial
(``UNIQUE``), so a re-sent submission can never create a second score.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualipress.errors import InputError, OutputError
from qualipress.review.pairs import Pair

#: Scores run from 0 (no visible difference) to 5 (unacceptable).
SCORE_LABELS: dict[int, str] = {
    0: "no visible difference",
    1: "difference barely visible at 1:1 after close comparison",
    2: "difference visible but not disturbing",
    3: "slightly disturbing",
    4: "disturbing",
    5: "unacceptable",
}

#: Artifact types an evaluator can tick (stored ids → labels).
ARTIFACTS: dict[str, str] = {
    "banding": "banding",
    "blocking": "blocking",
    "ringing": "ringing",
    "blur": "blur",
    "colour_shift": "colour shift",
    "skin_texture": "skin texture",
    "grain_loss": "grain loss",
}

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL,
    original TEXT NOT NULL,
    compressed TEXT NOT NULL,
    codec TEXT NOT NULL,
    profile TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    target TEXT NOT NULL DEFAULT 'null',
    metrics TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS evaluators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    evaluator_id INTEGER NOT NULL REFERENCES evaluators(id),
    item_id INTEGER NOT NULL REFERENCES items(id),
    original_side TEXT NOT NULL CHECK (original_side IN ('left', 'right')),
    blind INTEGER NOT NULL CHECK (blind IN (0, 1)),
    state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),  -- 0 open, 1 scored, 2 abandoned
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS trials_one_open ON trials(evaluator_id) WHERE state = 0;
CREATE TABLE IF NOT EXISTS scores (
    id INTEGER PRIMARY KEY,
    trial_id INTEGER NOT NULL UNIQUE REFERENCES trials(id),
    evaluator_id INTEGER NOT NULL REFERENCES evaluators(id),
    item_id INTEGER NOT NULL REFERENCES items(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    elapsed_ms INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_item_evaluator ON scores(item_id, evaluator_id);
CREATE TABLE IF NOT EXISTS score_artifacts (
    score_id INTEGER NOT NULL REFERENCES scores(id),
    artifact TEXT NOT NULL,
    PRIMARY KEY (score_id, artifact)
);
"""


class NotFoundError(InputError):
    """A trial, evaluator or pair that the request names does not exist."""


class ConflictError(InputError):
    """A submission contradicts what is already stored (a trial scored differently before)."""


@dataclass(frozen=True)
class Trial:
    """One presentation of a pair to an evaluator."""

    id: int
    token: str
    evaluator_id: int
    item_id: int
    item_key: str
    original_side: str
    blind: bool
    state: int


@dataclass(frozen=True)
class StoredScore:
    """A score as stored."""

    id: int
    trial_token: str
    score: int
    artifacts: tuple[str, ...]
    comment: str
    duplicate: bool = False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ReviewDB:
    """Thread-safe access to one review database file.

    One connection is shared and guarded by a lock: every transaction is short (a few rows), so
    serialising them costs less than SQLite lock contention between connections would. Other processes
    may use the same file at the same time (WAL, busy timeout).

    Parameters
    ----------
    path : str or pathlib.Path
        Database file; created when missing.

    Raises
    ------
    OutputError
        The file cannot be opened or is not a review database.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._salt = b""
            self._conn.create_function("qp_rank", 2, self._rank, deterministic=True)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=30000")
            with self._write() as c:
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        c.execute(stmt)
                salt = c.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
                if salt is None:
                    salt = (secrets.token_hex(16),)
                    c.execute("INSERT INTO meta(key, value) VALUES ('salt', ?)", salt)
                self._salt = str(salt[0]).encode()
                row = c.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None:
                    c.execute("INSERT INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                elif int(row[0]) != SCHEMA_VERSION:
                    raise OutputError(f"{self.path} has review schema {row[0]}, expected {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"cannot use {self.path} as a review database: {exc}") from exc

    def _rank(self, item_id: int, evaluator_id: int) -> int:
        """Per-evaluator pseudo-random rank of an item (keyed hash; the key is random per database)."""
        h = hashlib.blake2b(f"{evaluator_id}:{item_id}".encode(), key=self._salt, digest_size=8)
        return int.from_bytes(h.digest(), "big") >> 1

    # -- plumbing ----------------------------------------------------------------------------------------
    @contextmanager
    def _write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction, committed on success, rolled back on error.

        ``durable=True`` (scores) makes the commit wait for the disk (``synchronous=FULL``); other writes
        (trials, evaluators) commit without a sync — losing one to a power cut is harmless, and the next
        durable commit syncs the journal up to that point anyway.
        """
        with self._lock:
            c = self._conn
            c.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        """Close the connection (further calls fail)."""
        with self._lock:
            self._conn.close()

    # -- items -------------------------------------------------------------------------------------------
    def sync_items(self, pairs: Iterable[Pair]) -> dict[str, int]:
        """Store the pairs of this session and make them the only active ones.

        Returns
        -------
        dict
            Pair key → item id.
        """
        ids: dict[str, int] = {}
        with self._write() as c:
            c.execute("UPDATE items SET active = 0")
            for p in pairs:
                c.execute(
                    """INSERT INTO items(key, collection, original, compressed, codec, profile, params,
                                         target, metrics, active)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                       ON CONFLICT(key) DO UPDATE SET original=excluded.original, codec=excluded.codec,
                           profile=excluded.profile, params=excluded.params, target=excluded.target,
                           metrics=excluded.metrics, active=1""",
                    (
                        p.key,
                        str(p.collection),
                        str(p.original),
                        str(p.compressed),
                        p.codec,
                        p.profile,
                        json.dumps(p.params, default=str),
                        json.dumps(p.target, default=str),
                        json.dumps(p.metrics, default=str),
                    ),
                )
                row = c.execute("SELECT id FROM items WHERE key = ?", (p.key,)).fetchone()
                ids[p.key] = int(row[0])
            # open trials of pairs that are not part of this session can never be shown: abandon them
            c.execute(
                "UPDATE trials SET state = 2 WHERE state = 0 AND item_id IN (SELECT id FROM items WHERE active = 0)"
            )
        return ids

    def retire_item(self, item_id: int) -> None:
        """Stop offering a pair in this session (it cannot be displayed) and abandon its open trials."""
        with self._write() as c:
            c.execute("UPDATE items SET active = 0 WHERE id = ?", (item_id,))
            c.execute("UPDATE trials SET state = 2 WHERE state = 0 AND item_id = ?", (item_id,))

    # -- evaluators --------------------------------------------------------------------------------------
    def evaluator(self, name: str) -> tuple[int, str]:
        """Id and stored spelling of the evaluator called ``name`` (case-insensitive), created if new."""
        with self._write() as c:
            row = c.execute("SELECT id, name FROM evaluators WHERE name = ?", (name,)).fetchone()
            if row is None:
                cur = c.execute("INSERT INTO evaluators(name, created_at) VALUES (?, ?)", (name, _now()))
                return int(cur.lastrowid or 0), name
            return int(row["id"]), str(row["name"])

    def progress(self, evaluator_id: int) -> tuple[int, int]:
        """(active pairs this evaluator has scored, active pairs)."""
        with self._read() as c:
            done = c.execute(
                """SELECT COUNT(DISTINCT s.item_id) FROM scores s JOIN items i ON i.id = s.item_id
                   WHERE s.evaluator_id = ? AND i.active = 1""",
                (evaluator_id,),
            ).fetchone()[0]
            total = c.execute("SELECT COUNT(*) FROM items WHERE active = 1").fetchone()[0]
        return int(done), int(total)

    # -- trials ------------------------------------------------------------------------------------------
    _TRIAL_SQL = """SELECT t.id, t.token, t.evaluator_id, t.item_id, i.key AS item_key, t.original_side,
                           t.blind, t.state, i.active
                    FROM trials t JOIN items i ON i.id = t.item_id"""

    @staticmethod
    def _trial(row: sqlite3.Row) -> Trial:
        return Trial(
            id=int(row["id"]),
            token=str(row["token"]),
            evaluator_id=int(row["evaluator_id"]),
            item_id=int(row["item_id"]),
            item_key=str(row["item_key"]),
            original_side=str(row["original_side"]),
            blind=bool(row["blind"]),
            state=int(row["state"]),
        )

    # Least-scored active pair this evaluator has not scored; ties broken by a keyed hash of (evaluator,
    # pair): a random order that differs per evaluator, yet is fixed, so the next pick can be predicted and
    # its images rendered in advance.
    _PICK_SQL = """SELECT i.id FROM items i
                   WHERE i.active = 1 AND i.id != ? AND NOT EXISTS (
                       SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.evaluator_id = ?)
                   ORDER BY (SELECT COUNT(*) FROM scores s2 WHERE s2.item_id = i.id),
                            qp_rank(i.id, ?)
                   LIMIT 1"""

    def peek_next_item(self, evaluator_id: int, *, after: int) -> int | None:
        """The pair :meth:`next_trial` would probably offer once item ``after`` is scored (read-only).

        Parameters
        ----------
        after : int
            Item id of the evaluator's current pair (excluded).
        """
        with self._read() as c:
            row = c.execute(self._PICK_SQL, (after, evaluator_id, evaluator_id)).fetchone()
        return None if row is None else int(row[0])

    def next_trial(self, evaluator_id: int, *, blind: bool) -> Trial | None:
        """The evaluator's open trial, or a new one on the least-scored pair they have not scored yet.

        Parameters
        ----------
        blind : bool
            Record the trial as blind (left/right random, labels hidden). In non-blind mode the original is
            always on the left.

        Returns
        -------
        Trial or None
            None when the evaluator has scored every active pair.

        Raises
        ------
        NotFoundError
            Unknown evaluator.
        """
        with self._write() as c:
            if c.execute("SELECT 1 FROM evaluators WHERE id = ?", (evaluator_id,)).fetchone() is None:
                raise NotFoundError(f"unknown evaluator id {evaluator_id}")
            row = c.execute(self._TRIAL_SQL + " WHERE t.evaluator_id = ? AND t.state = 0", (evaluator_id,)).fetchone()
            if row is not None:
                if row["active"] and bool(row["blind"]) == blind:
                    return self._trial(row)
                c.execute("UPDATE trials SET state = 2 WHERE id = ?", (row["id"],))
            item = c.execute(self._PICK_SQL, (0, evaluator_id, evaluator_id)).fetchone()
            if item is None:
                return None
            side = secrets.choice(("left", "right")) if blind else "left"
            token = secrets.token_urlsafe(16)
            c.execute(
                """INSERT INTO trials(token, evaluator_id, item_id, original_side, blind, state, created_at)
                   VALUES (?, ?, ?, ?, ?, 0, ?)""",
                (token, evaluator_id, int(item["id"]), side, int(blind), _now()),
            )
            row = c.execute(self._TRIAL_SQL + " WHERE t.token = ?", (token,)).fetchone()
            return self._trial(row)

    def trial(self, token: str) -> Trial:
        """The trial with this token.

        Raises
        ------
        NotFoundError
        """
        with self._read() as c:
            row = c.execute(self._TRIAL_SQL + " WHERE t.token = ?", (token,)).fetchone()
        if row is None:
            raise NotFoundError("unknown trial")
        return self._trial(row)

    # -- scores ------------------------------------------------------------------------------------------
    def submit(
        self,
        token: str,
        *,
        evaluator_id: int,
        score: int,
        artifacts: Iterable[str] = (),
        comment: str = "",
        elapsed_ms: int | None = None,
    ) -> StoredScore:
        """Store the score of a trial (idempotent: the same submission twice stores one score).

        Parameters
        ----------
        token : str
            Trial token.
        evaluator_id : int
            Must be the trial's evaluator.
        score : int
            0–5.
        artifacts : iterable of str
            Keys of :data:`ARTIFACTS`.
        elapsed_ms : int, optional
            Time the evaluator spent on the pair.

        Returns
        -------
        StoredScore
            ``duplicate`` is True when this exact score was already stored.

        Raises
        ------
        NotFoundError
            Unknown trial, or a trial of another evaluator.
        ConflictError
            The trial was already scored differently, or abandoned.
        InputError
            Score or artifact out of range.
        """
        arts = tuple(sorted(set(artifacts)))
        if not 0 <= score <= 5:
            raise InputError(f"score must be 0..5, got {score}")
        unknown = [a for a in arts if a not in ARTIFACTS]
        if unknown:
            raise InputError(f"unknown artifact type(s): {', '.join(unknown)}")
        with self._write(durable=True) as c:
            row = c.execute("SELECT id, evaluator_id, item_id, state FROM trials WHERE token = ?", (token,)).fetchone()
            if row is None or int(row["evaluator_id"]) != evaluator_id:
                raise NotFoundError("unknown trial for this evaluator")
            if row["state"] == 1:
                prev = c.execute("SELECT id, score, comment FROM scores WHERE trial_id = ?", (row["id"],)).fetchone()
                prev_arts = tuple(
                    r[0]
                    for r in c.execute(
                        "SELECT artifact FROM score_artifacts WHERE score_id = ? ORDER BY artifact",
                        (prev["id"],),
                    )
                )
                if (int(prev["score"]), prev_arts, str(prev["comment"])) == (score, arts, comment):
                    return StoredScore(int(prev["id"]), token, score, arts, comment, duplicate=True)
                raise ConflictError("this pair was already scored differently in this trial")
            if row["state"] == 2:
                raise ConflictError("this trial was abandoned; ask for the next pair")
            cur = c.execute(
                """INSERT INTO scores(trial_id, evaluator_id, item_id, score, comment, elapsed_ms, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (row["id"], evaluator_id, row["item_id"], score, comment, elapsed_ms, _now()),
            )
            score_id = int(cur.lastrowid or 0)
            c.executemany(
                "INSERT INTO score_artifacts(score_id, artifact) VALUES (?, ?)", [(score_id, a) for a in arts]
            )
            c.execute("UPDATE trials SET state = 1 WHERE id = ?", (row["id"],))
        return StoredScore(score_id, token, score, arts, comment)

    # -- export ------------------------------------------------------------------------------------------
    def judgements(self) -> list[dict[str, Any]]:
        """Every stored score with its pair's description, oldest first."""
        with self._read() as c:
            rows = c.execute(
                """SELECT s.id, s.score, s.comment, s.elapsed_ms, s.created_at, e.name AS evaluator,
                          s.evaluator_id, s.item_id, i.key AS item_key, i.collection, i.original,
                          i.compressed,
                          i.codec, i.profile, i.metrics, t.blind, t.original_side,
                          (SELECT group_concat(artifact, ',') FROM
                              (SELECT artifact FROM score_artifacts a WHERE a.score_id = s.id
                               ORDER BY artifact))
                              AS artifacts
                   FROM scores s JOIN evaluators e ON e.id = s.evaluator_id
                        JOIN items i ON i.id = s.item_id JOIN trials t ON t.id = s.trial_id
                   ORDER BY s.id"""
            ).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["artifacts"] = [a for a in (d["artifacts"] or "").split(",") if a]
            d["blind"] = bool(d["blind"])
            try:
                d["metrics"] = json.loads(d["metrics"])
            except (TypeError, json.JSONDecodeError):
                d["metrics"] = {}
            out.append(d)
        return out

    def counts(self) -> dict[str, int]:
        """Row counts (for tests and the status endpoint)."""
        with self._read() as c:
            return {
                t: int(c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                for t in ("items", "evaluators", "trials", "scores", "score_artifacts")
            }
