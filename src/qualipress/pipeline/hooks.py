"""How capabilities shape a ``compress`` run without the core importing them (see ``docs/design.md``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from qualipress.codecs import auto_candidates
from qualipress.io.image import Image
from qualipress.search.search import Check, Hint
from qualipress.search.targets import Target

#: Key set in the ``previous`` record handed to :meth:`PipelineHooks.plan` when that record is not the frame just
#: before this one but the first frame of its shot, run first so that the shot's other chunks start warm
#: (:func:`qualipress.pipeline.schedule.run_by_sequence`'s ``seed``); its value is that frame's input.
SEEDED = "seeded_from"


@dataclass(frozen=True)
class Preprocess:
    """A named ``Image -> Image`` transform run before encoding (e.g. the ``preprocess`` capability's network)."""

    name: str
    apply: Callable[[Image], Image]


@dataclass
class Plan:
    """What to try for one image.

    Attributes
    ----------
    codecs : list of str
        Candidate codecs; the smallest result that meets the target wins.
    start : dict of str to float or Hint
        Starting setting per codec, or a search :class:`~qualipress.search.Hint` (warm start).
    checks : list
        Extra pass/fail checks run on every probe (decision module).
    encode_options : dict of str to dict
        Per-codec encode options.
    analysis : dict
        Recorded in the report under ``"analysis"``.
    notes : list of str
        Decisions, recorded under ``"decisions"``.
    masks : dict
        Named boolean masks for scoped constraints (``"roi"``).
    preprocess : Preprocess or None
        A transform applied to the image before it is encoded (quality is still measured against the image
        as read); its name is recorded under ``"preprocess"``.
    sidecars : dict
        Extra files written next to the output as ``OUTPUT_STEM + suffix`` once the output is verified (e.g.
        ``".roi-mask.png"``). Values are bytes, or callables taking the winning
        :class:`~qualipress.search.SearchResult` and returning bytes (or None to write nothing).
    rank_discount : dict of str to int
        Bytes of a candidate's file not counted when candidates are ranked by size without a byte budget: what it
        keeps of the source that the others drop (a JPEG source's MPF images and trailing data). Equal
        counted sizes go to the candidate with the larger discount.
    """

    codecs: list[str]
    start: dict[str, float | Hint] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    encode_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    masks: dict[str, Any] = field(default_factory=dict)
    sidecars: dict[str, Any] = field(default_factory=dict)
    preprocess: Preprocess | None = None
    rank_discount: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class PipelineHooks(Protocol):
    """Customisation points of :func:`qualipress.pipeline.compress_paths`."""

    def plan(self, image: Image, *, path: Path, codec: str, target: Target, previous: dict | None) -> Plan: ...

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes: ...

    def finish(self, outdir: Path, records: list[dict]) -> None: ...


def seal_over_limit(chosen: bytes, sealed: bytes, limits: Iterable[float | None]) -> bool:
    """Whether embedding a seal pushed a file over a size limit it met: some ``L`` in ``limits`` (None skipped)
    with ``len(chosen) <= L < len(sealed)``. The file is then written as ``chosen``, and its seal goes to the
    ``<output>.xmp`` sidecar (one rule for the byte budget and for never-grow).

    Parameters
    ----------
    chosen : bytes
        The file the search chose, without the seal.
    sealed : bytes
        ``chosen`` with the seal embedded.
    limits : iterable of float or None
        Byte limits (a ``bytes<=`` budget, the input file's size).
    """
    return any(lim is not None and len(chosen) <= lim < len(sealed) for lim in limits)


class DefaultHooks:
    """Plan = the requested codec (or every codec that can carry the image for ``auto``); no sealing."""

    def plan(self, image: Image, *, path: Path, codec: str, target: Target, previous: dict | None) -> Plan:

        codecs = auto_candidates() if codec == "auto" else [c.strip() for c in codec.split(",") if c.strip()]
        return Plan(codecs=codecs)

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        return data

    def finish(self, outdir: Path, records: list[dict]) -> None:
        return None


@dataclass
class CompressRequest:
    """What ``qualipress compress`` was asked for, as the capabilities' CLI plug-ins see and shape it.

    The core CLI builds one per run; each plug-in's ``compress_prepare`` may validate it and set ``target``, then
    each plug-in's ``compress_hooks`` wraps ``hooks`` (in the order of ``qualipress.cli.PLUGINS``).

    Attributes
    ----------
    options : dict
        Every ``compress`` option by parameter name, the core's and the plug-ins' (``"roi"``, ``"film"`` ...).
    codecs : list of str
        The requested codec names (``auto`` already resolved by :func:`qualipress.codecs.resolve` where it applies).
    web : bool
        ``--for web``: a delivery run, not an archive.
    target : Target or None
        Set by a plug-in's ``compress_prepare`` to replace the ``--profile`` / ``--target`` resolution (fixed
        ``jpeg-roi`` qualities need no target); otherwise the core resolves it before ``compress_hooks``.
    profile : str or None
        The profile name once the target is resolved (None for ``--target``).
    hooks : PipelineHooks or None
        The hooks chain so far (None = the core's :class:`DefaultHooks`).
    exact : bool
        Encode exactly what was asked: the never-grow rule does not swap in the source file.
    """

    options: dict[str, Any]
    codecs: list[str]
    web: bool = False
    target: Target | None = None
    profile: str | None = None
    hooks: Any = None
    exact: bool = False
