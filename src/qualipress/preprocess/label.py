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

import contextlib
import functools
import glob
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs, metrics
from qualipress.errors import InputError, QualipressError, UnsupportedError
from qualipress.io import (
    Image,
    atomic_write_bytes,
    image_paths,
    read_image,
    remove_stale_temps,
    sha256_file,
    write_image,
)
from qualipress.io.discover import LOCK_NAME
from qualipress.io.files import exclusive_lock, file_state, require_unchanged
from qualipress.pipeline.runner import WorkerCrashedError, run_tasks
from qualipress.preprocess.groups import Group, make_groups, parse_group
from qualipress.preprocess.pool import DEFAULT_POOL
from qualipress.progress import announce

#: Format id written into every manifest.
LABEL_FORMAT = "qualipress-preprocess-labels"
LABEL_VERSION = 1

#: Label score rules: the paper's z-score difference, or bits saved at equal quality.
SCORES = ("zscore", "rd")
#: Settings around the labelling setting at which the unprocessed image is also encoded for the "rd" score.
RD_OFFSETS = (-20.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0)

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
    score : str
        ``"zscore"`` (the paper: ``Z(quality) - Z(bpp)`` across the groups of the image) or ``"rd"`` (bits saved
        at equal quality against the codec's own rate–quality curve of the unprocessed image; see
        :func:`rd_scores`).
    """

    codec: str = "jpeg"
    quality: float = 75.0
    metric: str = "ssimulacra2"
    pool: tuple[str, ...] = DEFAULT_POOL
    max_combo: int = 2
    score: str = "zscore"

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise UnsupportedError(f"unknown label score {self.score!r}; use one of {', '.join(SCORES)}")

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
            "score": self.score,
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
            score=str(d.get("score", "zscore")),
        )

    def mismatch(self, other: LabelConfig) -> str | None:
        """Why labels made for ``other`` do not fit this setup (None when they do)."""
        reasons = []
        for key in ("codec", "quality", "metric", "max_combo", "score"):
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
    #: "rd" score only: percent of bits saved against the unprocessed image's curve at the same quality.
    rd_saving: float | None = None


@dataclass
class ImageLabel:
    """The outcome of labelling one image."""

    best: str
    scores: list[GroupScore]
    label: Image = field(repr=False)


# -- default backend: the core codecs and metrics ---------------------------------------------------------


def core_encode_decode(image: Image, codec: str, quality: float) -> tuple[int, Image]:
    """Encode with :func:`qualipress.codecs.get` and decode again like ``image`` (:func:`qualipress.codecs.decode_like`:
    a grey source that the decoder hands back as RGB is grey again)."""
    c = codecs.get(codec)
    data = c.encode(image, quality=quality)
    return len(data), codecs.decode_like(c, data, image)


def core_measure(reference: Image, distorted: Image, metric: str) -> float:
    """One whole-image score from :func:`qualipress.metrics.measure`."""
    return float(metrics.measure(reference, distorted, (metric,))[metric].value)


def _higher_is_better(metric: str) -> bool:
    try:
        return bool(metrics.higher_is_better(metric))
    except QualipressError:  # a metric of a caller's own measure backend, unknown to the core: higher is better
        return True


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
    apply_scores(image, config, scores, encode_decode=ed, measure=ms)
    best = max(scores, key=lambda s: s.score)  # ties: the earliest group ("none" first)
    return ImageLabel(best.group, scores, processed[best.group])


def apply_scores(
    image: Image,
    config: LabelConfig,
    scores: list[GroupScore],
    *,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
) -> None:
    """Fill z-scores and the score of every group (in place) under ``config.score``."""
    sign = 1.0 if _higher_is_better(config.metric) else -1.0
    zq = zscores([s.quality for s in scores]) * sign
    zb = zscores([s.bpp for s in scores])
    for s, a, b in zip(scores, zq, zb, strict=True):
        s.z_quality, s.z_bpp, s.score = float(a), float(b), float(a - b)
    if config.score == "rd":
        rd_scores(image, config, scores, encode_decode=encode_decode, measure=measure)


def _quality_range(codec: str) -> tuple[float, float]:
    try:
        q = codecs.get(codec).info.quality
        if q is not None:
            return float(q.low), float(q.high)
    except QualipressError:
        pass
    return 1.0, 100.0


def rd_scores(
    image: Image,
    config: LabelConfig,
    scores: list[GroupScore],
    *,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
) -> list[tuple[float, float]]:
    """The "rd" score: log of bits the codec alone would need for the same quality, over the group's bits.

    The unprocessed image is also encoded at the settings ``config.quality + RD_OFFSETS`` (clipped to the codec's
    range); its (quality, log bpp) points, sorted by quality, are interpolated with PCHIP. A group whose quality
    ``q_g`` lies inside that curve scores ``ln(bpp_none(q_g) / bpp_g)`` (> 0: it saves bits at equal quality;
    "none" scores 0 by construction); above the curve the last segment is extended linearly; below it (worse
    than the codec alone 20 steps lower) the group is rejected (score −inf). ``rd_saving`` is the same in percent.

    Returns
    -------
    list of (quality, bpp)
        The unprocessed image's curve.
    """
    from scipy.interpolate import PchipInterpolator

    ed = encode_decode or core_encode_decode
    ms = measure or core_measure
    lo, hi = _quality_range(config.codec)
    n_pixels = image.width * image.height
    sign = 1.0 if _higher_is_better(config.metric) else -1.0
    settings = sorted({min(hi, max(lo, config.quality + d)) for d in RD_OFFSETS})
    curve = []
    for q in settings:
        if q == config.quality and scores and scores[0].group == "none":
            curve.append((scores[0].quality, scores[0].bpp))
            continue
        nbytes, dec = ed(image, config.codec, q)
        curve.append((ms(image, dec, config.metric), 8.0 * nbytes / n_pixels))
    pts = sorted((sign * qv, math.log(b)) for qv, b in curve if math.isfinite(qv) and b > 0)
    xs, ys = [], []
    for x, y in pts:
        if not xs or x > xs[-1] + 1e-9:
            xs.append(x)
            ys.append(y)
    if len(xs) < 2:
        for s in scores:
            s.score, s.rd_saving = (0.0, 0.0) if s.group == "none" else (-math.inf, None)
        return curve
    f = PchipInterpolator(np.array(xs), np.array(ys), extrapolate=False)
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    for s in scores:
        x = sign * s.quality
        if s.group == "none":
            s.score, s.rd_saving = 0.0, 0.0
            continue
        if x < xs[0]:
            s.score, s.rd_saving = -math.inf, None
            continue
        equiv = float(f(x)) if x <= xs[-1] else ys[-1] + slope * (x - xs[-1])
        s.score = equiv - math.log(s.bpp)
        s.rd_saving = (1.0 - math.exp(-s.score)) * 100.0
    return curve


# -- label directories ------------------------------------------------------------------------------------


def _existing(directory: Path, path: Path, digest: str, *, tolerant: bool = False,
              ) -> tuple[str, Path, dict[str, Any] | None]:
    """Key and record path of ``path`` in a label directory, and the "skipped" status when a record for the same
    source hash and its label image exist (an unreadable record counts as missing when ``tolerant``)."""
    key = f"{path.stem}-{digest[:10]}"
    rec_path = directory / "records" / f"{key}.json"
    if rec_path.is_file():
        try:
            old = json.loads(rec_path.read_text())
            if old.get("sha256") == digest and (directory / old["label"]).is_file():
                return key, rec_path, {"path": str(path), "status": "skipped", "best": old.get("best")}
        except (json.JSONDecodeError, KeyError):
            if not tolerant:
                raise
    return key, rec_path, None


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


@contextlib.contextmanager
def locked_label_dir(directory: str | Path, config: LabelConfig) -> Iterator[Path]:
    """:func:`open_label_dir` while this process holds the folder's lock, the lock compress and archive take:
    one run at a time per label folder (QA session 18: two runs labelled every image twice). The folder is
    opened, and a killed run's temporary files removed, under the lock (rev12: a relabel run took no lock, and
    the removal ran before it, where the process ids of another host's run writing there mean nothing).

    Raises
    ------
    OutputError
        Another run holds the lock.
    """
    d = Path(directory)
    with exclusive_lock(d / LOCK_NAME, what=str(d)):
        yield open_label_dir(d, config)


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
    remove_stale_temps(d)  # a killed run's temporary records and label images (QA session 18)
    return d



def _one_cv2_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with OpenCV on one thread (labelling runs one image per worker) and restore the caller's
    thread count afterwards, so labelling does not slow later OpenCV work in the same process."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import cv2

        before = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            cv2.setNumThreads(before)

    return wrapper


@_one_cv2_thread
def label_one(
    path: Path,
    directory: Path,
    config: LabelConfig,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
) -> dict[str, Any]:
    """Label one file into ``directory`` (resumable). Returns a small status dict (never raises for bad input)."""
    try:
        state = file_state(path)
        digest = sha256_file(path)
        key, rec_path, done = _existing(directory, path, digest, tolerant=True)
        if done is not None:
            return done
        image = read_image(path)
        if image.is_float:
            raise UnsupportedError("float images are not labelled (convert to an integer encoding first)")
        if image.has_alpha:
            image = image.color()
        result = score_image(image, config, encode_decode=encode_decode, measure=measure)
        require_unchanged(path, digest, state)  # the record names ``digest``: the label must be of those bytes
        label_rel = _write_label(directory, key, result.label)
        record = {
            "source": str(path.resolve()),
            "sha256": digest,
            "width": image.width,
            "height": image.height,
            "channels": image.n_channels,
            "bit_depth": image.bit_depth,
            "best": result.best,
            "label": label_rel,
            "scores": [_finite(asdict(s)) for s in result.scores],
        }
        atomic_write_bytes(rec_path, json.dumps(record, indent=1).encode())
        _drop_superseded(directory, record["source"], key)
        return {"path": str(path), "status": "labelled", "best": result.best}
    except QualipressError as exc:
        return {"path": str(path), "status": "error", "error": str(exc)}


def _drop_superseded(directory: Path, source: str, key: str) -> None:
    """Remove the records (and their label images) of ``source``'s earlier contents, once its record ``key`` for
    what it holds now is written: training refuses a record whose source no longer has its SHA-256, so a source
    replaced between two label runs stopped every later training run until its old record was found and deleted by
    hand (QA session 18). Keys are ``<stem>-<sha256 prefix>``: only this stem's records are read."""
    stem = key.rsplit("-", 1)[0]
    for old in (directory / "records").glob(f"{glob.escape(stem)}-*.json"):
        if old.name.startswith(".") or old.stem == key or old.stem.rsplit("-", 1)[0] != stem:
            continue
        try:
            rec = json.loads(old.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and rec.get("source") == source:
            label = rec.get("label")
            if isinstance(label, str) and label.startswith("images/"):
                (directory / label).unlink(missing_ok=True)
            old.unlink(missing_ok=True)


def _write_label(directory: Path, key: str, label: Image) -> str:
    """Write ``label`` to ``images/<key>.png`` (atomic) and read it back; its path inside the label directory."""
    label_rel = f"images/{key}.png"
    write_image(directory / label_rel, label)
    if read_image(directory / label_rel).pixels.shape != label.pixels.shape:
        raise InputError(f"label image {label_rel} did not read back with the same shape")
    return label_rel


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy: non-finite floats become None (strict JSON has no infinities)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


@_one_cv2_thread
def rescore_one(path: Path, record: dict[str, Any], directory: Path, config: LabelConfig,
                encode_decode: EncodeDecode | None = None, measure: Measure | None = None) -> dict[str, Any]:
    """Re-score one labelled image under another rule, reusing its stored per-group quality and bpp."""
    try:
        digest = record["sha256"]
        key, rec_path, done = _existing(directory, path, digest)
        if done is not None:
            return done
        if sha256_file(path) != digest:
            raise InputError(f"{path} changed since it was labelled")
        image = read_image(path).color()
        stored = {s["group"]: s for s in record["scores"]}
        ed = encode_decode or core_encode_decode
        ms = measure or core_measure
        scores = []
        for g in config.groups():
            if g.name in stored:  # reuse: same codec, setting and metric (checked by the caller)
                scores.append(GroupScore(g.name, float(stored[g.name]["quality"]), float(stored[g.name]["bpp"])))
                continue
            nbytes, dec = ed(g.apply(image), config.codec, config.quality)
            scores.append(GroupScore(g.name, float(ms(image, dec, config.metric)),
                                     8.0 * nbytes / (image.width * image.height)))
        apply_scores(image, config, scores, encode_decode=encode_decode, measure=measure)
        best = max(scores, key=lambda s: s.score).group
        label_rel = _write_label(directory, key, parse_group(best).apply(image))
        new = dict(record, best=best, label=label_rel, scores=[_finite(asdict(s)) for s in scores])
        new.pop("label_path", None)
        atomic_write_bytes(rec_path, json.dumps(new, indent=1).encode())
        return {"path": str(path), "status": "labelled", "best": best}
    except (QualipressError, OSError, KeyError, ValueError) as exc:
        return {"path": str(path), "status": "error", "error": f"{type(exc).__name__}: {exc}"}


def rescore_labels(
    source: str | Path,
    directory: str | Path,
    *,
    score: str = "rd",
    pool: Sequence[str] | None = None,
    jobs: int = 1,
    encode_decode: EncodeDecode | None = None,
    measure: Measure | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> LabelSummary:
    """Make a label directory with another score rule (and/or a larger pool) from an existing one.

    Stored per-group quality and bpp are reused (same codec, setting and metric); only groups missing from the
    records are encoded and measured, and the "rd" rule adds the unprocessed image's short rate–quality sweep.
    Resumable like :func:`label_dataset`.

    Parameters
    ----------
    source, directory : path
        Existing label directory and the new one.
    score : str
        Score rule of the new labels.
    pool : sequence of str, optional
        Pool of the new labels (default: the source's).
    jobs : int
        Worker processes.
    """
    from dataclasses import replace

    old_config, records = load_records(source)
    config = replace(old_config, score=score, pool=tuple(pool) if pool else old_config.pool)
    summary = LabelSummary()
    with locked_label_dir(directory, config) as d:  # as label_dataset: one run at a time per label folder
        announce(progress, len(records))
        task = functools.partial(_rescore_task, directory=d, config=config, encode_decode=encode_decode,
                                 measure=measure)
        for st in _in_order(run_tasks(task, records, jobs=jobs), [r["source"] for r in records]):
            _note(summary, st, progress)
    return summary


def _rescore_task(record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return rescore_one(Path(record["source"]), record, **kwargs)


def _in_order(results: Iterable[tuple[int, Any]], paths: Sequence[str | Path]) -> Iterator[dict[str, Any]]:
    """Status dicts of :func:`~qualipress.pipeline.runner.run_tasks` results in task order (progress reads like a
    serial run); a task whose worker died is an error status (the others went on), any other exception is raised.
    """
    held: dict[int, dict[str, Any]] = {}
    nxt = 0
    for i, res in results:
        if isinstance(res, WorkerCrashedError):
            res = {"path": str(paths[i]), "status": "error", "error": str(res)}
        elif isinstance(res, BaseException):
            raise res
        held[i] = res
        while nxt in held:
            yield held.pop(nxt)
            nxt += 1


def _note(summary: LabelSummary, st: dict[str, Any], progress: Callable[[dict[str, Any]], None] | None) -> None:
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
    jobs : int
        Worker processes (1 = in this process).
    limit : int, optional
        Label only the first ``limit`` files (sorted order) — for modest-scale runs.
    encode_decode, measure : callable, optional
        Backends (module-level functions when ``jobs > 1``); default the core codecs and metrics.
    progress : callable, optional
        Called with each file's status dict.

    Raises
    ------
    InputError
        An input does not exist, or the directory belongs to another labelling setup.
    """
    for g in config.groups():  # fail early on unknown / unavailable methods
        parse_group(g.name)
    summary = LabelSummary()
    with locked_label_dir(directory, config) as d:
        files = image_paths(inputs, exclude=[d])  # not its own label images when -o is inside an input folder
        if limit is not None:
            files = files[: max(0, int(limit))]
        announce(progress, len(files))
        task = functools.partial(label_one, directory=d, config=config, encode_decode=encode_decode, measure=measure)
        for st in _in_order(run_tasks(task, files, jobs=jobs), files):  # jobs <= 1: in this process, in order
            _note(summary, st, progress)
    return summary


def load_records(directory: str | Path) -> tuple[LabelConfig, list[dict[str, Any]]]:
    """Manifest and every record of a label directory (records sorted by key)."""
    d = Path(directory)
    config = read_manifest(d)
    recs = []
    for p in sorted((d / "records").glob("*.json")):
        if p.name.startswith("."):  # a temporary file (io.files.TEMP_PREFIX) of a run writing, or killed, is no record
            continue
        try:
            rec = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue  # a partial write cannot exist (atomic), but a hand-edited file may be broken
        rec["label_path"] = str(d / rec["label"])
        recs.append(rec)
    return config, recs


