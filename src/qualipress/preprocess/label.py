"""Scoring and labelling (the Kuchen paper's Algorithm 1), parallel and resumable.

For one image and every combination group:

1. preprocess the image with the group;
2. encode it with the chosen codec at the chosen setting, decode it;
3. measure quality of the decoded image against the **original** (unprocessed) image with a full-reference
   metric (default SSIMULACRA2) and the size in bits per pixel;
4. z-score quality and bpp across the groups of this image and score each group
   ``Z(quality) - Z(bpp)``. (The paper prints ``Z(quality) + Z(bpp)``; since fewer bits are better, the
   intended score subtracts the bpp term. For metrics where lower is better, e.g. Butteraugli, the quality
   term is negated.)

The label is the best-scoring group's preprocessed image.

Label directory layout (stable ids)::

    labels/manifest.json          what the labels are for: codec, setting, metric, pool, max_combo, groups
    labels/records/<key>.json     per image: source path + sha256, size, every group's scores, best group
    labels/images/<key>.png       the label (best group's preprocessed image, source bit depth)

A run into an existing directory resumes: images whose record exists with the same source sha256 are skipped.
A directory made for another codec, setting, metric or pool is refused with the reason.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, QualipressError, UnsupportedError
from qualipress.io import IMAGE_SUFFIXES, Image, atomic_write_bytes, read_image, sha256_file, write_image
from qualipress.preprocess.groups import Group, make_groups, parse_group
from qualipress.preprocess.pool import DEFAULT_POOL

#: Format id written into every manifest.
LABEL_FORMAT = "qualipress-preprocess-labels"
LABEL_VERSION = 1

#: ``(image, codec, quality) -> (size_in_bytes, decoded_image)``
EncodeDecode = Callable[[Image, str, float], tuple[int, Image]]
#: ``(reference, distorted, metric) -> value``
Measure = Callable[[Image, Image, str], float]


@dataclass(frozen=True)
class LabelConfig:
    """What a set of labels is made for.

    Parameters
    ----------
    codec : str
        Codec name from :mod:`qualipress.codecs` (e.g. ``"jpeg"``).
    quality : float
        The codec's native quality setting used for scoring.
    metric : str
        Full-reference metric name from :mod:`qualipress.metrics`.
    pool : tuple of str
        Pool methods (canonical order).
    max_combo : int
        Largest group size k.
    """

    codec: str = "jpeg"
    quality: float = 75.0
    metric: str = "ssimulacra2"
    pool: tuple[str, ...] = DEFAULT_POOL
    max_combo: int = 2

    def groups(self) -> list[Group]:
        """The combination groups, "none" first."""
        return make_groups(self.pool, max_combo=self.max_combo)

    def to_dict(self) -> dict[str, Any]:
        """Manifest dictionary (includes the group names and the format id)."""
        return {
            "format": LABEL_FORMAT,
            "version": LABEL_VERSION,
            "codec": self.codec,
            "quality": float(self.quality),
            "metric": self.metric,
            "pool": list(self.pool),
            "max_combo": int(self.max_combo),
            "groups": [g.name for g in self.groups()],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelConfig:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        InputError
            Not a label manifest.
        """
        if d.get("format") != LABEL_FORMAT:
            raise InputError(f"not a qualipress label manifest (format={d.get('format')!r})")
        if d.get("version") != LABEL_VERSION:
            raise InputError(f"label manifest version {d.get('version')!r} is not {LABEL_VERSION}")
        return cls(
            codec=str(d["codec"]),
            quality=float(d["quality"]),
            metric=str(d["metric"]),
            pool=tuple(d["pool"]),
            max_combo=int(d["max_combo"]),
        )

    def mismatch(self, other: LabelConfig) -> str | None:
        """Why labels made for ``other`` do not fit this setup (None when they do)."""
        reasons = []
        for key in ("codec", "quality", "metric", "max_combo"):
            a, b = getattr(self, key), getattr(other, key)
            if a != b:
                reasons.append(f"{key}: labels have {b!r}, expected {a!r}")
        if tuple(self.pool) != tuple(other.pool):
            reasons.append(f"pool: labels have {','.join(other.pool)}, expected {','.join(self.pool)}")
        return "; ".join(reasons) if reasons else None


@dataclass
class GroupScore:
    """Scores of one group on one image."""

    group: str
    quality: float
    bpp: float
    z_quality: float = 0.0
    z_bpp: float = 0.0
    score: float = 0.0


@dataclass
class ImageLabel:
    """The outcome of labelling one image."""

    best: str
    scores: list[GroupScore]
    label: Image = field(repr=False)


# -- default backend: the core codecs and metrics ---------------------------------------------------------


def core_encode_decode(image: Image, codec: str, quality: float) -> tuple[int, Image]:
    """Encode with :func:`qualipress.codecs.get` and decode again."""
    from qualipress import codecs

    c = codecs.get(codec)
    data = c.encode(image, quality=quality)
    return len(data), c.decode(data)


def core_measure(reference: Image, distorted: Image, metric: str) -> float:
    """One whole-image score from :func:`qualipress.metrics.measure`."""
    from qualipress import metrics

    return float(metrics.measure(reference, distorted, (metric,))[metric].value)


def _higher_is_better(metric: str) -> bool:
    try:
        from qualipress import metrics

        return bool(metrics.higher_is_better(metric))
    except (ImportError, AttributeError, QualipressError):
        return metric not in ("butteraugli",)


def zscores(values: Sequence[float]) -> np.ndarray:
    """Standard scores of ``values`` (population std); all zeros when the values do not vary."""
    v = np.asarray(values, dtype=np.float64)
    sd = float(v.std())
    if not math.isfinite(sd) or sd < 1e-12:
        return np.zeros_like(v)
    return (v - v.mean()) / sd


def score_image(
    image: Image,
    config: LabelConfig,
    *,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
) -> ImageLabel:
    """Score every group of ``config`` on one image and pick the label (Algorithm 1).

    Parameters
    ----------
    image : Image
        The original (integer) image; it is not modified.
    config : LabelConfig
    encode_decode, measure : callable, optional
        Backends; default to the core codecs and metrics.

    Returns
    -------
    ImageLabel
        Best group name, every group's scores (in group order) and the label image.
    """
    ed = encode_decode or core_encode_decode
    ms = measure or core_measure
    groups = config.groups()
    n_pixels = image.width * image.height
    scores: list[GroupScore] = []
    processed: dict[str, Image] = {}
    for g in groups:
        pre = g.apply(image)
        processed[g.name] = pre
        nbytes, dec = ed(pre, config.codec, config.quality)
        q = ms(image, dec, config.metric)
        if not math.isfinite(q):
            q = -1e9 if _higher_is_better(config.metric) else 1e9
        scores.append(GroupScore(g.name, float(q), 8.0 * nbytes / n_pixels))
    sign = 1.0 if _higher_is_better(config.metric) else -1.0
    zq = zscores([s.quality for s in scores]) * sign
    zb = zscores([s.bpp for s in scores])
    for s, a, b in zip(scores, zq, zb, strict=True):
        s.z_quality, s.z_bpp, s.score = float(a), float(b), float(a - b)
    best = max(scores, key=lambda s: s.score)  # ties: the earliest group ("none" first)
    return ImageLabel(best.group, scores, processed[best.group])


# -- label directories ------------------------------------------------------------------------------------


def _key(path: Path, digest: str) -> str:
    return f"{path.stem}-{digest[:10]}"


def read_manifest(directory: str | Path) -> LabelConfig:
    """Read ``manifest.json`` of a label directory.

    Raises
    ------
    InputError
        Missing or unreadable manifest.
    """
    p = Path(directory) / "manifest.json"
    if not p.is_file():
        raise InputError(f"{directory}: not a label directory (no manifest.json)")
    try:
        return LabelConfig.from_dict(json.loads(p.read_text()))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{p}: corrupt label manifest ({exc})") from None


def open_label_dir(directory: str | Path, config: LabelConfig) -> Path:
    """Create a label directory for ``config`` or check an existing one matches it.

    Raises
    ------
    InputError
        The directory holds labels made for another codec, setting, metric or pool.
    """
    d = Path(directory)
    if (d / "manifest.json").exists():
        old = read_manifest(d)
        why = config.mismatch(old)
        if why:
            raise InputError(f"{d}: labels were made for a different setup ({why}); use another directory")
    else:
        d.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(d / "manifest.json", json.dumps(config.to_dict(), indent=1).encode())
    (d / "records").mkdir(exist_ok=True)
    (d / "images").mkdir(exist_ok=True)
    return d


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files and (recursively) the image files inside directories, sorted, duplicates dropped."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    seen: set[Path] = set()
    uniq = []
    for p in out:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append(p)
    return uniq


def label_one(
    path: Path,
    directory: Path,
    config: LabelConfig,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
) -> dict[str, Any]:
    """Label one file into ``directory`` (resumable). Returns a small status dict (never raises for bad input)."""
    try:
        import cv2

        cv2.setNumThreads(1)
        digest = sha256_file(path)
        key = _key(path, digest)
        rec_path = directory / "records" / f"{key}.json"
        if rec_path.is_file():
            try:
                old = json.loads(rec_path.read_text())
                if old.get("sha256") == digest and (directory / old["label"]).is_file():
                    return {"path": str(path), "status": "skipped", "best": old.get("best")}
            except (json.JSONDecodeError, KeyError):
                pass
        image = read_image(path)
        if image.is_float:
            raise UnsupportedError("float images are not labelled (convert to an integer encoding first)")
        if image.has_alpha:
            image = image.color()
        result = score_image(image, config, encode_decode=encode_decode, measure=measure)
        label_rel = f"images/{key}.png"
        write_image(directory / label_rel, result.label)
        check = read_image(directory / label_rel)
        if check.pixels.shape != result.label.pixels.shape:
            raise InputError(f"label image {label_rel} did not read back with the same shape")
        record = {
            "source": str(path.resolve()),
            "sha256": digest,
            "width": image.width,
            "height": image.height,
            "channels": image.n_channels,
            "bit_depth": image.bit_depth,
            "best": result.best,
            "label": label_rel,
            "scores": [asdict(s) for s in result.scores],
        }
        atomic_write_bytes(rec_path, json.dumps(record, indent=1).encode())
        return {"path": str(path), "status": "labelled", "best": result.best}
    except QualipressError as exc:
        return {"path": str(path), "status": "error", "error": str(exc)}


@dataclass
class LabelSummary:
    """What a labelling run did."""

    labelled: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    best_counts: dict[str, int] = field(default_factory=dict)


def label_dataset(
    inputs: Iterable[str | Path],
    directory: str | Path,
    config: LabelConfig,
    *,
    jobs: int = 1,
    limit: int | None = None,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> LabelSummary:
    """Label every image of ``inputs`` into ``directory``.

    Parameters
    ----------
    inputs : iterable of path
        Files or directories (searched recursively for image files).
    directory : path
        Label directory (created, or resumed when it matches ``config``).
    config : LabelConfig
    jobs : int
        Worker processes (1 = in this process).
    limit : int, optional
        Label only the first ``limit`` files (sorted order) — for modest-scale runs.
    encode_decode, measure : callable, optional
        Backends (module-level functions when ``jobs > 1``); default the core codecs and metrics.
    progress : callable, optional
        Called with each file's status dict.

    Returns
    -------
    LabelSummary

    Raises
    ------
    InputError
        An input does not exist, or the directory belongs to another labelling setup.
    """
    for g in config.groups():  # fail early on unknown / unavailable methods
        parse_group(g.name)
    d = open_label_dir(directory, config)
    files = expand_inputs(inputs)
    if limit is not None:
        files = files[: max(0, int(limit))]
    summary = LabelSummary()

    def note(st: dict[str, Any]) -> None:
        if st["status"] == "labelled":
            summary.labelled += 1
        elif st["status"] == "skipped":
            summary.skipped += 1
        else:
            summary.errors.append((st["path"], st.get("error", "")))
        if st.get("best"):
            summary.best_counts[st["best"]] = summary.best_counts.get(st["best"], 0) + 1
        if progress is not None:
            progress(st)

    if jobs <= 1:
        for f in files:
            note(label_one(f, d, config, encode_decode, measure))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(label_one, f, d, config, encode_decode, measure) for f in files]
            for fut in futures:
                note(fut.result())
    return summary


def load_records(directory: str | Path) -> tuple[LabelConfig, list[dict[str, Any]]]:
    """Manifest and every record of a label directory (records sorted by key)."""
    d = Path(directory)
    config = read_manifest(d)
    recs = []
    for p in sorted((d / "records").glob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue  # a partial write cannot exist (atomic), but a hand-edited file may be broken
        rec["label_path"] = str(d / rec["label"])
        recs.append(rec)
    return config, recs


def environ_jobs() -> int:
    """Default worker count: ``QUALIPRESS_JOBS`` or 1."""
    try:
        return max(1, int(os.environ.get("QUALIPRESS_JOBS", "1")))
    except ValueError:
        return 1
