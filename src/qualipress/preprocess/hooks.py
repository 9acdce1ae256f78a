"""``compress --preprocess NAME``: the preprocessing capability as pipeline hooks (the core never imports it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualipress.io.image import Image
from qualipress.pipeline.hooks import DefaultHooks, Plan, Preprocess
from qualipress.preprocess import get_preprocessor


class PreprocessHooks:
    """Wrap ``inner`` hooks; every plan preprocesses the image with ``name`` before it is encoded.

    Quality is measured against the image as read, so the preprocessing must earn its bytes.

    Parameters
    ----------
    inner : PipelineHooks, optional
        Hooks to wrap (default :class:`~qualipress.pipeline.hooks.DefaultHooks`).
    name : str
        What :func:`qualipress.preprocess.get_preprocessor` resolves (``kuchen``, a pool method, a ``.pt`` file).
        Resolved here, once, so a bad name fails before any file is processed.
    """

    def __init__(self, inner: Any = None, *, name: str) -> None:
        self.inner = DefaultHooks() if inner is None else inner
        self.name = name
        self._step = Preprocess(name, get_preprocessor(name))

    def settings(self) -> dict[str, Any]:
        """What changes the outputs (part of the pipeline's resume key)."""
        inner = getattr(self.inner, "settings", None)
        return {"hooks": type(self).__name__, "inner": inner() if callable(inner) else type(self.inner).__name__,
                "preprocess": self.name}

    def plan(self, image: Image, *, path: Path, codec: str, target: Any, previous: dict | None) -> Plan:
        plan = self.inner.plan(image, path=path, codec=codec, target=target, previous=previous)
        plan.preprocess = self._step
        return plan  # type: ignore[no-any-return]

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        return self.inner.seal(data, codec=codec, record=record)  # type: ignore[no-any-return]

    def finish(self, outdir: Path, records: list[dict]) -> None:
        self.inner.finish(outdir, records)
