"""Finding and loading weights for learned codecs. Nothing is ever downloaded.

Weights come, in this order, from

1. a file the user names (``--weights FILE``): a qualipress model file written by ``train-codec``, or an
   official CompressAI checkpoint (``*.pth.tar``, a plain ``state_dict``);
2. CompressAI's cache (``$TORCH_HOME/hub/checkpoints``), if the user downloaded the official weights there
   (e.g. with ``compressai.zoo.bmshj2018_hyperprior(q, pretrained=True)`` on a networked machine);
3. the model qualipress trained and ships in ``qualipress/learned/models/``.

A qualipress model file is a ``torch.save`` of a plain dict (loaded with ``weights_only=True``)::

    {"format": "qualipress-learned-model", "format_version": 1, "arch": "bmshj2018-hyperprior",
     "config": [N, M], "state_dict": {...}, "steps": {"1": 2.8, ..., "8": 0.35} or None,
     "lmbda": 0.013, "metric": "mse", "record": {...}}

``steps`` maps each quality level to a quantisation step (variable rate from one set of weights, see
:mod:`qualipress.learned.ops`); official checkpoints have one file per quality instead.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import ModelError
from qualipress.learned._compressai import Architecture, architecture, build_model, compressai

MODEL_FORMAT = "qualipress-learned-model"
MODEL_FORMAT_VERSION = 1

#: Directory of the models qualipress ships.
SHIPPED_DIR = Path(__file__).resolve().parent / "models"

#: Shipped model file per architecture (only those we trained).
SHIPPED = {"bmshj2018-hyperprior": "bmshj2018-hyperprior-small.pt"}


@dataclass
class LoadedModel:
    """A ready-to-code model (``update()`` done, eval mode).

    Parameters
    ----------
    model : torch.nn.Module
    fingerprint : bytes
        First 8 bytes of the SHA-256 of the weights file; written into ``.qlc`` headers so that a file is
        never decoded with other weights.
    source : str
        ``"user"``, ``"compressai-cache"`` or ``"shipped"``.
    steps : dict or None
        Quality level -> quantisation step, for variable-rate models; None for one-model-per-quality.
    quality : int or None
        The quality level of an official single-quality checkpoint.
    meta : dict
    """

    arch: Architecture
    model: Any
    fingerprint: bytes
    source: str
    path: Path
    steps: dict[int, float] | None = None
    quality: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _torch() -> Any:
    compressai()
    import torch

    return torch


def fingerprint_bytes(data: bytes) -> bytes:
    """8-byte weights fingerprint of a weights file's content."""
    return hashlib.sha256(data).digest()[:8]


def compressai_cache_dir() -> Path:
    """Directory where ``torch.hub`` (and so CompressAI's zoo) keeps downloaded checkpoints."""
    torch = _torch()
    return Path(torch.hub.get_dir()) / "checkpoints"


def compressai_cache_file(arch: str, quality: int, metric: str = "mse") -> Path | None:
    """Path of an official checkpoint in CompressAI's cache, or None if it is not there."""
    compressai()
    from compressai.zoo.image import model_urls

    try:
        url = model_urls[arch][metric][quality]
    except KeyError:
        return None
    path = compressai_cache_dir() / url.rsplit("/", 1)[-1]
    return path if path.is_file() else None


def shipped_files(arch: str) -> list[Path]:
    """Every shipped model file of ``arch``: the current one first, then earlier ones kept for decoding.

    When the shipped model is replaced, the previous file stays in the package as ``<name>.v<N>.pt`` so that
    ``.qlc`` files written with it still decode (found by fingerprint); new files use the current model.
    """
    current = shipped_file(arch)
    if arch not in SHIPPED or not SHIPPED_DIR.is_dir():
        return []
    stem = Path(SHIPPED[arch]).stem
    older = sorted(SHIPPED_DIR.glob(f"{stem}.v*.pt"))
    return ([current] if current is not None else []) + older


def cached_official_qualities(arch: str, metric: str = "mse") -> list[int]:
    """Quality levels whose official checkpoint for ``arch`` is in CompressAI's cache (sorted)."""
    return [q for q in architecture(arch).qualities if compressai_cache_file(arch, q, metric) is not None]


def shipped_file(arch: str) -> Path | None:
    """Path of the model qualipress ships for ``arch``, or None."""
    name = SHIPPED.get(arch)
    if name is None:
        return None
    path = SHIPPED_DIR / name
    return path if path.is_file() else None


def save_model(
    path: str | os.PathLike[str],
    model: Any,
    *,
    arch: str,
    config: tuple[int, ...],
    steps: dict[int, float] | None,
    lmbda: float,
    metric: str = "mse",
    record: dict[str, Any] | None = None,
) -> bytes:
    """Write a qualipress model file atomically (after ``model.update(force=True)``); returns its fingerprint."""
    architecture(arch)
    model.update(force=True)
    payload = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "arch": arch,
        "config": list(config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "steps": None if steps is None else {str(k): float(v) for k, v in steps.items()},
        "lmbda": float(lmbda),
        "metric": metric,
        "record": record or {},
    }
    from qualipress.pipeline.training import save_checkpoint  # pipeline loads search, metrics and cv2

    return fingerprint_bytes(save_checkpoint(Path(path), payload).read_bytes())


def load_file(path: str | os.PathLike[str], arch: str, *, source: str = "user") -> LoadedModel:
    """Load a weights file for architecture ``arch``.

    Accepts a qualipress model file or an official CompressAI checkpoint (a ``state_dict``, possibly
    wrapped as ``{"state_dict": ...}``).

    Raises
    ------
    ModelError
        Missing, unreadable or corrupt file, or weights of another architecture (the message names the
        expected architecture).
    """
    torch = _torch()
    arch_obj = architecture(arch)
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read weights file {p}: {exc.strerror or exc}") from exc
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(
            f"{p} is not a readable weights file for {arch!r} (corrupt, truncated or not a state dict): "
            f"{str(exc).splitlines()[0][:200]}"
        ) from exc
    if not isinstance(obj, dict):
        raise ModelError(f"{p} does not hold a state dict (expected weights for {arch!r})")
    steps = None
    meta: dict[str, Any] = {}
    if obj.get("format") == MODEL_FORMAT:
        if int(obj.get("format_version", 0)) > MODEL_FORMAT_VERSION:
            raise ModelError(f"{p} is a model file of a newer format version {obj.get('format_version')}")
        if obj.get("arch") != arch:
            raise ModelError(f"{p} holds weights for {obj.get('arch')!r}, expected {arch!r}")
        config = tuple(int(v) for v in obj["config"])
        state = obj["state_dict"]
        if obj.get("steps"):
            steps = {int(k): float(v) for k, v in obj["steps"].items()}
        meta = {k: obj.get(k) for k in ("lmbda", "metric", "record", "config")}
        try:
            model = build_model(arch, config)
            model.load_state_dict(state)
        except Exception as exc:
            raise ModelError(f"{p}: weights do not fit architecture {arch!r} {config}: {exc}") from exc
    else:
        state = obj.get("state_dict", obj)
        if not isinstance(state, dict) or not state:
            raise ModelError(f"{p} holds no state dict (expected weights for {arch!r})")
        from compressai.zoo.pretrained import load_pretrained

        import_models = __import__("compressai.models", fromlist=[arch_obj.class_name])
        cls = getattr(import_models, arch_obj.class_name)
        try:
            model = cls.from_state_dict(load_pretrained(state))
        except Exception as exc:
            raise ModelError(
                f"{p}: weights do not fit architecture {arch!r} (class {arch_obj.class_name}): {exc}"
            ) from exc
        meta = {"config": None}
    model.eval()
    try:
        model.update(force=False)
    except Exception as exc:
        raise ModelError(f"{p}: cannot build entropy-coding tables: {exc}") from exc
    return LoadedModel(arch_obj, model, fingerprint_bytes(data), source, p, steps=steps, meta=meta)


_CACHE: dict[tuple[str, str, int, str], LoadedModel] = {}

#: ``weights=SHIPPED_KEYWORD`` (``--weights shipped``) selects the shipped model even when official
#: checkpoints are in CompressAI's cache.
SHIPPED_KEYWORD = "shipped"


class WeightsNotFoundError(ModelError):
    """The weights a ``.qlc`` file was written with (named by fingerprint) are not available here."""


def describe(loaded: LoadedModel) -> dict[str, Any]:
    """What to report about the weights used for a file: architecture, fingerprint, source, file.

    Returns
    -------
    dict
        ``arch``, ``fingerprint`` (16 hex digits), ``source`` (``user``, ``compressai-cache`` or
        ``shipped``), ``file`` (name) and ``path``; ``quality`` for an official single-quality checkpoint.
    """
    out: dict[str, Any] = {
        "arch": loaded.arch.name,
        "fingerprint": loaded.fingerprint.hex(),
        "source": loaded.source,
        "file": loaded.path.name,
        "path": str(loaded.path),
    }
    if loaded.quality is not None:
        out["quality"] = loaded.quality
    return out


def loaded_with_fingerprint(arch: str, fingerprint: bytes) -> LoadedModel | None:
    """Weights for ``arch`` with ``fingerprint`` among those already loaded in this process (no file access)."""
    for loaded in _CACHE.values():
        if loaded.arch.name == arch and loaded.fingerprint == fingerprint:
            return loaded
    return None

#: Environment variable: extra weights files or directories (``os.pathsep``-separated) searched when a
#: ``.qlc`` file names weights other than the default ones.
WEIGHTS_ENV = "QUALIPRESS_WEIGHTS"


def find_by_fingerprint(arch: str, fingerprint: bytes) -> LoadedModel | None:
    """Weights for ``arch`` whose fingerprint is ``fingerprint``, or None.

    Looks at weights loaded earlier in this process, then files in ``$QUALIPRESS_WEIGHTS``, the shipped
    models and CompressAI's cache directory.
    """
    loaded = loaded_with_fingerprint(arch, fingerprint)
    if loaded is not None:
        return loaded
    candidates: list[tuple[Path, str]] = []
    for entry in filter(None, os.environ.get(WEIGHTS_ENV, "").split(os.pathsep)):
        p = Path(entry)
        files = sorted(p.glob("*.pt*")) if p.is_dir() else [p]
        candidates.extend((f, "user") for f in files)
    candidates.extend((f, "shipped") for f in shipped_files(arch))
    cache_dir = compressai_cache_dir()
    if cache_dir.is_dir():
        candidates.extend((f, "compressai-cache") for f in sorted(cache_dir.glob(f"{arch}*")))
    for path, source in candidates:
        try:
            if fingerprint_bytes(path.read_bytes()) != fingerprint:
                continue
            return resolve(arch, 0, weights=path) if source == "user" else _load_cached(path, arch, source)
        except (OSError, ModelError):
            continue
    return None


def searched_places(arch: str) -> str:
    """Human-readable list of the places :func:`find_by_fingerprint` looks at (for error messages)."""
    places = ["weights loaded in this process"]
    env = os.environ.get(WEIGHTS_ENV, "")
    places.append(f"${WEIGHTS_ENV} ({env})" if env else f"${WEIGHTS_ENV} (not set)")
    shipped = shipped_files(arch)
    places.append(
        "the shipped models (" + ", ".join(f"{f.name} {fingerprint_bytes(f.read_bytes()).hex()}" for f in shipped) + ")"
        if shipped else "the shipped models (none for this architecture)"
    )
    places.append(f"CompressAI's cache ({compressai_cache_dir()})")
    return ", ".join(places)


def _load_cached(path: Path, arch: str, source: str) -> LoadedModel:
    key = (str(path.resolve()), arch, path.stat().st_mtime_ns, source)
    if key not in _CACHE:
        _CACHE[key] = load_file(path, arch, source=source)
    return _CACHE[key]


def resolve(arch: str, quality: int, *, weights: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Find the weights to code ``arch`` at integer quality level ``quality`` (-1: a fractional level).

    Order: ``weights`` (a user file, or ``"shipped"`` for the shipped model), CompressAI's cache (official
    checkpoints, one per quality), the shipped model. The source is chosen per architecture, never per level:
    as soon as one official checkpoint of ``arch`` is cached, every level is coded with official weights, and a
    level whose checkpoint is missing is an error (it never falls back silently to the shipped model, which
    would mix two models in one RD curve or batch). Loaded models are cached in memory per (file, mtime).

    Raises
    ------
    ModelError
        When no weights are available (the message says where qualipress looked), or when official checkpoints
        are cached for some levels but not for ``quality``.
    """
    arch_obj = architecture(arch)
    if weights is not None and str(weights) == SHIPPED_KEYWORD:
        shipped = shipped_file(arch)
        if shipped is None:
            raise ModelError(f"qualipress ships no model for {arch!r} (--weights shipped)")
        path, source = shipped, "shipped"
    elif weights is not None:
        path, source = Path(weights), "user"
    else:
        cached_levels = cached_official_qualities(arch)
        shipped = shipped_file(arch)
        if cached_levels:
            cached = compressai_cache_file(arch, quality) if quality in arch_obj.qualities else None
            if cached is None:
                what = "fractional quality levels" if quality not in arch_obj.qualities else f"quality {quality}"
                raise ModelError(
                    f"{arch!r}: CompressAI's cache ({compressai_cache_dir()}) holds official checkpoints for "
                    f"qualities {', '.join(map(str, cached_levels))} only, not for {what}; qualipress does not "
                    "mix them with another model: use one of those levels, add the missing checkpoint, or pass "
                    "--weights FILE (--weights shipped for the model qualipress ships)"
                )
            path, source = cached, "compressai-cache"
        elif shipped is not None:
            path, source = shipped, "shipped"
        else:
            raise ModelError(
                f"no weights for {arch!r} quality {quality}: give --weights FILE, or put CompressAI's "
                f"official checkpoint in {compressai_cache_dir()} (qualipress never downloads)"
                + ("" if arch not in SHIPPED else "; the shipped model file is missing from the install")
            )
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ModelError(f"weights file {path} not found") from exc
    # the source is part of the key: a file reached two ways (the shipped file given as --weights) is reported
    # the way it was reached
    key = (str(path.resolve()), arch, mtime, source)
    if key not in _CACHE:
        loaded = load_file(path, arch, source=source)
        if source == "compressai-cache":
            loaded.quality = quality
        _CACHE[key] = loaded
    return _CACHE[key]
