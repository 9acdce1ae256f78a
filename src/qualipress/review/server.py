"""Running the review app with uvicorn, in the foreground (CLI) or in a background thread (tests, tools)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from qualipress.errors import QualipressError


def serve(app: Starlette, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` until interrupted (Ctrl-C).

    Parameters
    ----------
    host : str
        Interface to bind; the default accepts connections from this machine only.
    """
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")


@contextmanager
def background_server(app: Starlette, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a daemon thread for the duration of a ``with`` block.

    Parameters
    ----------
    port : int
        0 picks a free port.

    Yields
    ------
    str
        Base URL, e.g. ``"http://127.0.0.1:41234"``.

    Raises
    ------
    QualipressError
        The server did not start within 20 s.
    """
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="qualipress-review-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise QualipressError(f"review server did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10.0)
