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
        pre = get_preprocessor(name)
        # A quality-aware method (rdoq) edits inside every encode, for the setting that probe encodes at.
        self._edit = QualityEdit(name, pre) if hasattr(pre, "at_quality") else None
        self._step = None if self._edit is not None else Preprocess(name, pre)

    def settings(self) -> dict[str, Any]:
        """What changes the outputs (part of the pipeline's resume key)."""
        inner = getattr(self.inner, "settings", None)
        return {"hooks": type(self).__name__, "inner": inner() if callable(inner) else type(self.inner).__name__,
                "preprocess": self.name}

    def plan(self, image: Image, *, path: Path, codec: str, target: Any, previous: dict | None) -> Plan:
        plan = self.inner.plan(image, path=path, codec=codec, target=target, previous=previous)
        if self._edit is None:
            plan.preprocess = self._step
            return plan  # type: ignore[no-any-return]
        served = [c for c in plan.codecs if c in self._edit.codecs]
        for c in served:
            plan.encode_options.setdefault(c, {})["pre_edit"] = self._edit
        others = [c for c in plan.codecs if c not in served]
        plan.analysis["preprocess"] = {"name": self.name, "at": "each encode's quality", "codecs": served}
        plan.notes.append(f"preprocess {self.name}: pre-edited for the quality of every encode"
                          + (f" with {', '.join(served)}" if served else "")
                          + (f"; not applied to {', '.join(others)} (it models JPEG quantisation)" if others else ""))
        return plan  # type: ignore[no-any-return]

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        return self.inner.seal(data, codec=codec, record=record)  # type: ignore[no-any-return]

    def finish(self, outdir: Path, records: list[dict]) -> None:
        self.inner.finish(outdir, records)


class QualityEdit(str):
    """A quality-aware preprocessing as a codec ``pre_edit`` option: called by the codec with the setting it is
    about to encode at (see :meth:`qualipress.codecs.base.Codec.encode`).

    It *is* its name (a ``str``), so the encode options it travels in are recorded as ``"pre_edit": "rdoq"`` by
    every report and seal that serialises them, with no special case there.

    Parameters
    ----------
    name : str
        How it is named in reports.
    method : object
        Has ``at_quality(image, quality, codec, options)`` and ``codecs`` (the codecs it models).
    """

    method: Any
    codecs: tuple[str, ...]

    def __new__(cls, name: str, method: Any) -> QualityEdit:
        self = super().__new__(cls, name)
        self.method = method
        self.codecs = tuple(method.codecs)
        return self

    def __call__(self, image: Image, quality: float, codec: str, options: dict[str, Any]) -> Image:
        if codec not in self.codecs:
            return image
        return self.method.at_quality(image, quality, codec, options)  # type: ignore[no-any-return]
