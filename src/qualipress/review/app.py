"""The review web app (Starlette, served by uvicorn).

HTTP surface (everything else is 404):

=========================================  =================================================================
``GET /``, ``/static/app.js|app.css``      the page, from package data (no CDN, no external request)
``GET /api/config``                        scale, artifact types, blind flag, display-transform statement
``POST /api/evaluators`` ``{name}``        register / resume an evaluator → ``{id, name, done, total}``
``POST /api/next`` ``{evaluator_id}``      the evaluator's open trial or a new one → ``{trial}`` / ``{done}``
``GET /api/trials/{token}/{left|right}``   the PNG shown on that side of that trial
``POST /api/scores``                       ``{trial, evaluator_id, score, artifacts, comment, elapsed_ms}``
``GET /api/status``                        row counts
=========================================  =================================================================

No request ever carries a file path: images are addressed by an unguessable trial token and a side, and
the server maps them to the pairs found at start-up. Every JSON field is type- and range-checked, bodies
are limited to 16 KiB, POSTs must be ``application/json`` (so another web site cannot post a form here),
and the ``Host`` header must name this server (DNS-rebinding protection).
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from collections.abc import Set as AbstractSet
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qualipress.errors import InputError, QualipressError
from qualipress.review.db import ARTIFACTS, SCORE_LABELS, ConflictError, NotFoundError, ReviewDB, Trial
from qualipress.review.pairs import CollectionScan, Pair
from qualipress.review.render import TRANSFORM_STATEMENT, DisplayCache, describe_pair

MAX_BODY = 16 * 1024
MAX_NAME = 64
MAX_COMMENT = 2000
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class _SecurityHeaders:
    """Pure ASGI middleware adding security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _metric_values(metrics: dict[str, Any]) -> dict[str, float]:
    """``{"ssim": 0.95}`` from report metrics that are plain numbers or ``{"value": ...}`` objects."""
    out: dict[str, float] = {}
    for name, m in metrics.items():
        value = m.get("value") if isinstance(m, dict) else m
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[str(name)] = round(float(value), 5)
    return out


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _clean_text(value: Any, *, field: str, max_len: int, multiline: bool) -> str:
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > max_len:
        raise InputError(f"{field} is longer than {max_len} characters")
    allowed = {"\n", "\t"} if multiline else set()
    for ch in text:
        if unicodedata.category(ch).startswith("C") and ch not in allowed:
            raise InputError(f"{field} contains a control character (U+{ord(ch):04X})")
    return text


def _int(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{field} must be an integer")
    if not low <= value <= high:
        raise InputError(f"{field} must be in {low}..{high}, got {value}")
    return value


async def _json_body(
    request: Request, *, required: AbstractSet[str], optional: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise _HTTPError(415, "send JSON with Content-Type: application/json")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise _HTTPError(413, f"request body larger than {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _HTTPError(413, f"request body larger than {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except RecursionError:
        raise InputError("body is not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # also integers too long to convert (> 4300 digits)
        raise InputError(f"body is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise InputError("body must be a JSON object")
    missing = required - data.keys()
    if missing:
        raise InputError(f"missing field(s): {', '.join(sorted(missing))}")
    extra = data.keys() - required - optional
    if extra:
        raise InputError(f"unknown field(s): {', '.join(sorted(extra))}")
    return data


class _HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _guard(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Map the library's exceptions to JSON error responses."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except _HTTPError as exc:
            return _error(exc.status, str(exc))
        except NotFoundError as exc:
            return _error(404, str(exc))
        except ConflictError as exc:
            return _error(409, str(exc))
        except InputError as exc:
            return _error(400, str(exc))
        except QualipressError as exc:
            return _error(500, str(exc))

    return wrapped


class ReviewApp:
    """State and handlers of one review server.

    Parameters
    ----------
    scan : CollectionScan
        The pairs to review.
    db : ReviewDB
        Where evaluators, trials and scores go.
    blind : bool
        Hide codec/profile/file names and randomise which side the original is on.
    display : str
        Display mode of :func:`qualipress.review.render.render` (``auto``, ``stored``, ``film``).
    """

    def __init__(self, scan: CollectionScan, db: ReviewDB, *, blind: bool, display: str = "auto") -> None:
        self.db = db
        self.blind = blind
        self.cache = DisplayCache(display=display)
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualipress-review-prefetch")
        self.prefetch: Future[None] | None = None
        self.skipped = list(scan.skipped)
        ids = db.sync_items(scan.pairs)
        self.pairs: dict[int, Pair] = {ids[p.key]: p for p in scan.pairs}
        pkg = resources.files("qualipress.review") / "static"
        self.static = {name: (pkg / name).read_bytes() for name in _STATIC}

    # -- pages -------------------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return Response(
            self.static["index.html"], media_type=_STATIC["index.html"], headers={"cache-control": "no-store"}
        )

    async def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC or name == "index.html":
            return _error(404, "not found")
        return Response(self.static[name], media_type=_STATIC[name], headers={"cache-control": "no-cache"})

    async def config(self, request: Request) -> Response:
        return JSONResponse(
            {
                "blind": self.blind,
                "scores": [{"value": k, "label": v} for k, v in SCORE_LABELS.items()],
                "artifacts": [{"id": k, "label": v} for k, v in ARTIFACTS.items()],
                "transform": TRANSFORM_STATEMENT,
                "pairs": len(self.pairs),
            }
        )

    async def status(self, request: Request) -> Response:
        counts = await run_in_threadpool(self.db.counts)
        return JSONResponse({"pairs": len(self.pairs), **counts})

    # -- evaluators and trials -----------------------------------------------------------------------------
    async def evaluators(self, request: Request) -> Response:
        data = await _json_body(request, required={"name"})
        name = _clean_text(data["name"], field="name", max_len=MAX_NAME, multiline=False)
        if not name:
            raise InputError("name must not be empty")
        eid, stored = await run_in_threadpool(self.db.evaluator, name)
        done, total = await run_in_threadpool(self.db.progress, eid)
        return JSONResponse({"id": eid, "name": stored, "done": done, "total": total})

    def _describe(self, trial: Trial) -> dict[str, Any]:
        pair = self.pairs[trial.item_id]
        original = self.cache.get(pair.original)
        compressed = self.cache.get(pair.compressed, pair.original)
        texts = describe_pair(original, compressed)
        other = "right" if trial.original_side == "left" else "left"
        by_side = {trial.original_side: ("original", texts[0]), other: ("compressed", texts[1])}
        sides: dict[str, Any] = {}
        for side in ("left", "right"):
            role, text = by_side[side]
            entry: dict[str, Any] = {
                "url": f"/api/trials/{trial.token}/{side}",
                "label": ("A" if side == "left" else "B") if trial.blind else role,
            }
            if not trial.blind:
                entry["transform"] = text
            sides[side] = entry
        out: dict[str, Any] = {
            "token": trial.token,
            "blind": trial.blind,
            "left": sides["left"],
            "right": sides["right"],
            "width": original.width,
            "height": original.height,
            "size_mismatch": (original.width, original.height) != (compressed.width, compressed.height),
            "display": sorted(set(texts)),
        }
        if not trial.blind:
            out["info"] = {
                "name": pair.name,
                "original": pair.original.name,
                "codec": pair.codec,
                "profile": pair.profile,
                "params": pair.params,
                "metrics": _metric_values(pair.metrics),
                "facts": pair.facts,
                "bytes": pair.compressed.stat().st_size if pair.compressed.exists() else None,
            }
        return out

    def _prefetch_after(self, evaluator_id: int, item_id: int) -> None:
        """Render the evaluator's probable next pair in the background (one worker: bounded CPU)."""
        nxt = self.db.peek_next_item(evaluator_id, after=item_id)
        pair = self.pairs.get(nxt) if nxt is not None else None
        if pair is None:
            return

        def warm() -> None:
            for path, like in ((pair.original, None), (pair.compressed, pair.original)):
                with contextlib.suppress(QualipressError, OSError):
                    self.cache.get(path, like)

        self.prefetch = self._prefetcher.submit(warm)

    def _next(self, evaluator_id: int) -> dict[str, Any]:
        for _ in range(len(self.pairs) + 1):
            trial = self.db.next_trial(evaluator_id, blind=self.blind)
            if trial is None:
                done, total = self.db.progress(evaluator_id)
                return {"done": True, "progress": {"done": done, "total": total}}
            if trial.item_id not in self.pairs:  # active in the database but not in this process
                self.db.retire_item(trial.item_id)
                continue
            try:
                described = self._describe(trial)
            except QualipressError as exc:
                self.skipped.append(f"{self.pairs[trial.item_id].name}: {exc}")
                self.db.retire_item(trial.item_id)
                continue
            done, total = self.db.progress(evaluator_id)
            self._prefetch_after(evaluator_id, trial.item_id)
            return {"done": False, "trial": described, "progress": {"done": done, "total": total}}
        raise QualipressError("no displayable pair left")

    async def next(self, request: Request) -> Response:
        data = await _json_body(request, required={"evaluator_id"})
        eid = _int(data["evaluator_id"], field="evaluator_id", low=1, high=2**62)
        return JSONResponse(await run_in_threadpool(self._next, eid))

    async def image(self, request: Request) -> Response:
        token = request.path_params["token"]
        side = request.path_params["side"]
        if side not in ("left", "right") or not _TOKEN_RE.match(token):
            return _error(404, "not found")
        trial = await run_in_threadpool(self.db.trial, token)
        pair = self.pairs.get(trial.item_id)
        if pair is None:
            return _error(404, "not found")
        path, like = ((pair.original, None) if side == trial.original_side
                      else (pair.compressed, pair.original))
        shown = await run_in_threadpool(self.cache.get, path, like)
        # no ETag / Last-Modified: they would let a blind evaluator recognise the original across trials
        return Response(shown.png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})

    async def scores(self, request: Request) -> Response:
        data = await _json_body(
            request,
            required={"trial", "evaluator_id", "score"},
            optional={"artifacts", "comment", "elapsed_ms"},
        )
        token = data["trial"]
        if not isinstance(token, str) or not _TOKEN_RE.match(token):
            raise InputError("trial must be a trial token")
        eid = _int(data["evaluator_id"], field="evaluator_id", low=1, high=2**62)
        score = _int(data["score"], field="score", low=0, high=5)
        artifacts = data.get("artifacts", [])
        if not isinstance(artifacts, list) or not all(isinstance(a, str) for a in artifacts):
            raise InputError("artifacts must be a list of strings")
        if len(artifacts) != len(set(artifacts)):
            raise InputError("artifacts must not repeat")
        unknown = [a for a in artifacts if a not in ARTIFACTS]
        if unknown:
            raise InputError(f"unknown artifact(s): {', '.join(unknown)}; known: {', '.join(ARTIFACTS)}")
        comment = _clean_text(data.get("comment", ""), field="comment", max_len=MAX_COMMENT, multiline=True)
        elapsed = data.get("elapsed_ms")
        if elapsed is not None:
            elapsed = _int(elapsed, field="elapsed_ms", low=0, high=7 * 24 * 3600 * 1000)
        stored = await run_in_threadpool(
            lambda: self.db.submit(
                token, evaluator_id=eid, score=score, artifacts=artifacts, comment=comment, elapsed_ms=elapsed
            )
        )
        return JSONResponse(
            {"id": stored.id, "duplicate": stored.duplicate}, status_code=200 if stored.duplicate else 201
        )


def allowed_hosts_for(host: str) -> list[str]:
    """Host header values accepted when serving on ``host`` (``["*"]`` for a wildcard bind)."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return sorted({host, "127.0.0.1", "localhost", "[::1]", "::1"})


def build_app(
    scan: CollectionScan,
    db: ReviewDB | str | Path,
    *,
    blind: bool = False,
    allowed_hosts: list[str] | None = None,
    display: str = "auto",
) -> Starlette:
    """Build the ASGI app.

    Parameters
    ----------
    scan : CollectionScan
        Pairs from :func:`qualipress.review.pairs.scan_collections`.
    db : ReviewDB or path
        Review database (opened when a path is given).
    blind : bool
        Blind mode: labels A/B, codec/profile/file hidden, original's side random per trial.
    allowed_hosts : list of str, optional
        Accepted ``Host`` header values; default :func:`allowed_hosts_for` ``("127.0.0.1")``.
    display : str
        ``auto`` (film display rendering for log frames), ``stored`` or ``film`` (also for float linear frames).

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.review`` is the :class:`ReviewApp`.
    """
    database = db if isinstance(db, ReviewDB) else ReviewDB(db)
    review = ReviewApp(scan, database, blind=blind, display=display)
    routes = [
        Route("/", review.index, methods=["GET"]),
        Route("/static/{name}", review.static_file, methods=["GET"]),
        Route("/api/config", _guard(review.config), methods=["GET"]),
        Route("/api/status", _guard(review.status), methods=["GET"]),
        Route("/api/evaluators", _guard(review.evaluators), methods=["POST"]),
        Route("/api/next", _guard(review.next), methods=["POST"]),
        Route("/api/trials/{token}/{side}", _guard(review.image), methods=["GET"]),
        Route("/api/scores", _guard(review.scores), methods=["POST"]),
    ]
    hosts = allowed_hosts if allowed_hosts is not None else allowed_hosts_for("127.0.0.1")
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts), Middleware(_SecurityHeaders)],
    )
    app.state.review = review
    return app
