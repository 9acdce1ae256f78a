"""Train the setting predictor (``qualipress bench train-predictor``): sweeps, fit, cross-validated error.

For each training image and codec, an exhaustive sweep (every ``stride``-th grid setting) records SSIM, PSNR and
their worst-tile values; sweeps are cached per image file hash, codec and codec version under the cache folder, so
a rerun only fits. For each constraint kind and a range of thresholds, the crossing (the fractional grid position
where the constraint starts to hold, interpolated between the last failing and the first passing sampled setting)
is the regression target; the margin's slope there is the second one.

JPEG sources: for the codecs in :data:`JPEG_SOURCE_CODECS`, ``jpeg_sources`` training images are also re-encoded
as JPEG (a spread of source qualities, 4:2:0 and 4:4:4, in a temporary folder) and swept like the others, with
their estimated source quality as the ``jpeg_quality`` feature: re-encoding a JPEG makes its quality curve jump
near the source's own quality, which pristine photographs never show.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress import metrics as _metrics
from qualipress.errors import InputError, UnsupportedError
from qualipress.io import IMAGE_SUFFIXES, atomic_write_bytes, read_image, sha256_file
from qualipress.search import predict as _predict
from qualipress.search.probe import probe
from qualipress.search.targets import _transform

#: Thresholds the models are fitted on, per constraint kind (the range targets and profiles use).
THRESHOLDS: dict[str, tuple[float, ...]] = {
    "ssim": (0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995),
    "psnr": (28, 30, 32, 33, 34, 35, 36, 37, 38, 39, 40, 42, 44, 46),
    "ssim@min": (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97),
    "psnr@min": (24, 26, 28, 30, 32, 34, 36, 38, 40),
}
#: The codecs the shipped model covers, and the most training images per codec it was fitted on.
TRAINED_LIMITS = {"jpeg": 200, "jpegxl": 60, "avif": 60, "webp": 40, "jpegli": 40, "jpeg2000": 30, "heif": 30}
TRAINED_CODECS = tuple(TRAINED_LIMITS)
#: Codecs trained on JPEG-compressed copies of training images too (those whose source quality matters), how
#: many copies the shipped model used, and the source qualities they spread over.
JPEG_SOURCE_CODECS = ("jpeg",)
TRAINED_JPEG_SOURCES = 0
JPEG_SOURCE_QUALITIES = (60, 96)
#: Folder name of the copies (part of each sweep's cached ``file`` name, so it must not change between runs).
_JPEG_SOURCE_DIR = "jpeg-sources"
#: Largest margin-unit value fitted, per metric (SSIM 0.9999, PSNR 60 dB).
_CAPS = {"ssim": 4.0, "psnr": 6.0}
#: Default grid stride per codec for the training sweeps (slow encoders are sampled more sparsely).
STRIDES = {"jpeg": 2, "webp": 3, "jpegxl": 3, "avif": 3, "jpegli": 3, "heif": 4, "jpeg2000": 4}


def sweep_image(path: Path, codec_name: str, cache_dir: Path, *, stride: int = 1, sha: str | None = None,
                cached_only: bool = False) -> dict[str, Any] | None:
    """Encode ``path`` at every ``stride``-th grid setting of ``codec_name`` (and the top one); cached.
    With ``cached_only``, None when the sweep is not in the cache yet."""
    codec = _codecs.get(codec_name)
    sha = sha or sha256_file(path)
    key = f"{sha[:16]}-{codec_name}-{codec.version()}-s{stride}".replace("/", "_").replace(" ", "_")
    cached = cache_dir / f"{key}.json"
    if cached.exists():
        return json.loads(cached.read_text())  # type: ignore[no-any-return]
    if cached_only:
        return None
    image = read_image(path)
    assert codec.info.quality is not None
    grid = codec.info.quality.grid
    idx = sorted(set(range(0, len(grid), stride)) | {len(grid) - 1})
    ref = _metrics.prepare_reference(image)
    rows = []
    for i in idx:
        pr = probe(image, codec, grid[i], reference=ref, metrics=("ssim", "psnr"))
        m = pr.metrics
        rows.append({"index": i, "bytes": pr.bytes, "ssim": m["ssim"].value, "psnr": m["psnr"].value,
                     "ssim@min": m["ssim"].stats["min"], "psnr@min": m["psnr"].stats["min"]})
    out = {"file": f"{path.parent.name}/{path.name}", "codec": codec_name, "grid_size": len(grid),
           "pixels": image.width * image.height, "rows": rows}
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cached, json.dumps(out).encode())
    return out


def jpeg_source_copies(files: Sequence[Path], n: int, folder: Path) -> list[Path]:
    """``n`` of ``files`` (spread evenly) re-encoded as baseline JPEG into ``folder``, the same every run.

    Source qualities spread evenly over :data:`JPEG_SOURCE_QUALITIES` in a fixed shuffled order; chroma
    subsampling alternates in pairs between 4:2:0 and 4:4:4 (pairs, because the training folders interleave
    image by image).
    """
    from PIL import Image as PILImage

    if n <= 0 or not files:
        return []
    n = min(n, len(files))
    picks = np.unique(np.linspace(0, len(files) - 1, n).round().astype(int))
    lo, hi = JPEG_SOURCE_QUALITIES
    qualities = np.random.default_rng(1).permutation(np.linspace(lo, hi, len(picks)).round().astype(int))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, (i, q) in enumerate(zip(picks, qualities, strict=True)):
        src = files[int(i)]
        sub = 2 if (k // 2) % 2 == 0 else 0
        dst = folder / f"{src.stem}-q{q}-{'420' if sub == 2 else '444'}.jpg"
        with PILImage.open(src) as im:
            im.convert("RGB").save(dst, "JPEG", quality=int(q), subsampling=sub)
        out.append(dst)
    return out


def crossing(rows: Sequence[dict[str, Any]], kind: str, threshold: float) -> tuple[float, float] | None:
    """(fractional grid position where ``kind`` first reaches ``threshold``, margin slope per step there), or
    None when the lowest setting already meets it or the highest does not."""
    metric = kind.split("@")[0]
    t = _transform(metric, threshold)
    xs = [r["index"] for r in rows]
    ms = [_transform(metric, r[kind]) - t for r in rows]
    first = next((k for k, m in enumerate(ms) if m >= 0 and all(mm >= 0 for mm in ms[k:k + 3])), None)
    if first is None or first == 0:
        return None
    x0, x1, m0, m1 = xs[first - 1], xs[first], ms[first - 1], ms[first]
    pos = x1 - m1 * (x1 - x0) / (m1 - m0) if m1 > m0 else float(x1)
    # Slope: least squares over the samples within 8 grid steps of the crossing.
    near = [(x, m) for x, m in zip(xs, ms, strict=True) if abs(x - pos) <= 8]
    if len(near) >= 2:
        a = np.array(near, dtype=np.float64)
        slope = float(np.polyfit(a[:, 0], a[:, 1], 1)[0])
    else:
        slope = (m1 - m0) / max(1e-9, x1 - x0)
    return pos, slope


def curve_matrix(sweeps: Sequence[dict[str, Any]], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Grid indices sampled (the knots) and each image's curve of the constraint's margin-unit value there."""
    metric = kind.split("@")[0]
    knots = np.array([r["index"] for r in sweeps[0]["rows"]])
    y = np.array([[_transform(metric, r[kind]) for r in sw["rows"]] for sw in sweeps])
    # Near-lossless settings give huge values (SSIM 1.0, PSNR at its cap) that no target asks for; cap them so
    # they do not dominate the fit at the top of the grid.
    return knots, np.minimum(y, _CAPS.get(metric, np.inf))


def _fit(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """Least squares with a small ridge penalty (not on the constant); ``y`` may have several columns."""
    reg = ridge * len(x) * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    return np.linalg.solve(x.T @ x + reg, x.T @ y)


def fit_kind(sweeps: Sequence[dict[str, Any]], features: dict[str, dict[str, float]], kind: str, *,
             folds: int = 5, ridge: float = 1e-3, quantiles: tuple[float, float] = (0.1, 0.9),
             scored: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Fit one model: the margin-unit curve at every knot, linear in the features (one ridge regression per
    knot). Its error is the crossing's, from ``folds``-fold cross-validation by image over :data:`THRESHOLDS`,
    on the sweeps ``scored`` accepts (default all)."""
    metric = kind.split("@")[0]
    knots, y = curve_matrix(sweeps, kind)
    x = np.array([_predict.feature_row(features[sw["file"]]) for sw in sweeps])
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(sweeps)) % folds
    resid: list[float] = []
    for k in range(folds):
        tr, te = fold != k, fold == k
        if not te.any() or tr.sum() < 2:
            continue
        w = _fit(x[tr], y[tr], ridge)
        for i in np.flatnonzero(te):
            if scored is not None and not scored(sweeps[i]):
                continue
            curve = x[i] @ w
            for thr in THRESHOLDS[kind]:
                c = crossing(sweeps[i]["rows"], kind, thr)
                if c is None:
                    continue
                p = _predict.curve_crossing(knots, curve, _transform(metric, thr))
                if p is not None:
                    resid.append(c[0] - p[0])
    w = _fit(x, y, ridge)
    # File size at each knot, as log10 bits per pixel, for racing codecs against each other (``--codec auto``).
    pixels = [10 ** features[sw["file"]]["log_pixels"] for sw in sweeps]
    bpp = np.array([[math.log10(max(1, 8 * r["bytes"]) / px) for r in sw["rows"]]
                    for sw, px in zip(sweeps, pixels, strict=True)])
    wb = _fit(x, bpp, ridge)
    r = np.array(resid) if resid else np.zeros(1)
    q = np.quantile(r, quantiles)
    return {"knots": knots.tolist(), "weights": w.T.round(6).tolist(), "bytes_weights": wb.T.round(6).tolist(),
            "residual_quantiles": [float(q[0]), float(q[1])], "quantile_levels": list(quantiles),
            "cv_mae": float(np.mean(np.abs(r))), "cv_rmse": float(np.sqrt(np.mean(r**2))),
            "cv_within_1": float(np.mean(np.abs(r) <= 1.0)), "cv_bias": float(np.mean(r)),
            "samples": int(len(resid)), "images": len(sweeps)}


def _other_codecs(path: Path, codecs: set[str], log: Callable[[str], Any]) -> dict[str, Any]:
    """The models of codecs other than ``codecs`` (those fitted now) from the model file about to be replaced
    (same format and features only), so retraining one codec does not drop the others' first-probe models."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if old.get("format") != _predict.FORMAT or old.get("features") != list(_predict.FEATURES):
        return {}
    kept = {k: m for k, m in (old.get("models") or {}).items() if k.partition("|")[0] not in codecs}
    if kept:
        log(f"kept the models of {', '.join(sorted({k.partition('|')[0] for k in kept}))} from {path}")
    return kept


def model_destination(output: str | Path | None, *, replace_shipped: bool) -> Path:
    """Where a retrained predictor goes: ``output``, or with ``replace_shipped`` the model shipped inside the
    package (:func:`qualipress.search.predict.model_path`).

    Raises
    ------
    InputError
        Neither or both given (fix17 and misc18: no output replaced the shipped model every search uses without a
        word; the CLI's ``-o FILE`` / ``--replace-shipped``, the library's ``output=`` / ``replace_shipped=True``).
    """
    if output is None and not replace_shipped:
        raise InputError("train-predictor: give -o FILE (output=) for the new model, or --replace-shipped "
                         "(replace_shipped=True) to replace the shipped model every search uses")
    if output is not None and replace_shipped:
        raise InputError("train-predictor: give -o FILE (output=) or --replace-shipped (replace_shipped=True), "
                         "not both")
    return _predict.model_path() if output is None else Path(output)


def run_train_predictor(datasets: Sequence[str | Path], *, codecs: Sequence[str] = TRAINED_CODECS,
                        limits: dict[str, int] | None = None, cache: str | Path = "results/predictor-sweeps",
                        output: str | Path | None = None, replace_shipped: bool = False, cached_only: bool = False,
                        jpeg_sources: int = 0, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Sweep the training images, fit one model per codec and constraint kind, write the model file.

    Parameters
    ----------
    datasets : sequence of path
        Folders of training images (never the evaluation sets).
    codecs : sequence of str
    limits : dict of str to int, optional
        Most images per codec (slow encoders are trained on fewer); images are taken evenly from all folders.
    cache : path
        Sweep cache folder.
    output : path, optional
        Model file to write; required unless ``replace_shipped``.
    replace_shipped : bool
        Write the model shipped inside the package (:func:`qualipress.search.predict.model_path`), which every
        search uses: the project's own retraining, asked for by name (exactly one of ``output`` and this).
    cached_only : bool
        Fit on the sweeps already cached, computing none (to refit after changing features or the model).
    jpeg_sources : int
        How many JPEG-compressed copies of training images (see :func:`jpeg_source_copies`) the codecs in
        :data:`JPEG_SOURCE_CODECS` are trained on besides the images themselves.

    Raises
    ------
    InputError
        Neither or both of ``output`` and ``replace_shipped`` (:func:`model_destination`), before any work; a
        folder that is not one, no images, no model fitted.
    UnsupportedError
        A codec without a quality setting.
    """
    out = model_destination(output, replace_shipped=replace_shipped)
    files: list[Path] = []
    for d in datasets:
        if not Path(d).is_dir():
            raise InputError(f"{d}: not a folder of training images")
    per_dir = [sorted(p for p in Path(d).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) for d in datasets]
    if not any(per_dir):
        raise InputError(f"no images in {', '.join(str(d) for d in datasets)}")
    for codec_name in codecs:
        if _codecs.get(codec_name).info.quality is None:
            raise UnsupportedError(f"{codec_name} has no quality setting to predict")
    # Interleave the folders so a limit takes images from each.
    for k in range(max(len(f) for f in per_dir)):
        files += [f[k] for f in per_dir if k < len(f)]
    cache_dir = Path(cache)
    with tempfile.TemporaryDirectory(prefix="qualipress-train-") as tmp:
        copies = jpeg_source_copies(files, jpeg_sources, Path(tmp) / _JPEG_SOURCE_DIR) \
            if any(c in JPEG_SOURCE_CODECS for c in codecs) else []
        models = _fit_codecs(files, copies, codecs, limits, cache_dir, cached_only, log)
    if not models:
        raise InputError("no model fitted (each codec needs sweeps of at least 5 images); nothing written")
    models = {**_other_codecs(out, {k.partition("|")[0] for k in models}, log), **models}
    data = {"format": _predict.FORMAT, "features": list(_predict.FEATURES),
            "trained_on": [Path(d).name for d in datasets], "models": models}
    if copies:
        data["jpeg_sources"] = {"codecs": list(JPEG_SOURCE_CODECS), "images": len(copies),
                                "qualities": list(JPEG_SOURCE_QUALITIES)}
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, (json.dumps(data, indent=1) + "\n").encode())
    _predict.load.cache_clear()
    return data


def _fit_codecs(files: Sequence[Path], copies: Sequence[Path], codecs: Sequence[str], limits: dict[str, int] | None,
                cache_dir: Path, cached_only: bool, log: Callable[[str], Any]) -> dict[str, Any]:
    """Sweep and fit every codec of ``codecs``; ``copies`` (JPEG sources) join the images of
    :data:`JPEG_SOURCE_CODECS`."""
    shas = {f: sha256_file(f) for f in [*files, *copies]}
    features: dict[str, dict[str, float]] = {}
    models: dict[str, Any] = {}
    for codec_name in codecs:
        codec = _codecs.get(codec_name)
        assert codec.info.quality is not None
        lim = (limits or {}).get(codec_name)
        chosen = list(files[:lim] if lim else files)
        if codec_name in JPEG_SOURCE_CODECS:
            chosen += copies
        sweeps = []
        t0 = time.perf_counter()
        for n, f in enumerate(chosen):
            sw = sweep_image(f, codec_name, cache_dir, stride=STRIDES.get(codec_name, 2), sha=shas[f],
                             cached_only=cached_only)
            if sw is None:
                continue
            sweeps.append(sw)
            if f"{f.parent.name}/{f.name}" not in features:
                img = read_image(f)
                features[f"{f.parent.name}/{f.name}"] = _predict.image_features(
                    img, jpeg_quality=_predict.jpeg_source_quality(img))
            if (n + 1) % 20 == 0:
                log(f"{codec_name}: {n + 1}/{len(chosen)} images swept ({time.perf_counter() - t0:.0f} s)")
        if len(sweeps) < 5:
            log(f"{codec_name}: too few images ({len(sweeps)}), no model")
            continue
        # Pristine images keep a model of their own; JPEG sources get one fitted on both, scored on the sources.
        pristine = [sw for sw in sweeps if features[sw["file"]]["jpeg_quality"] == 0]
        variants = [("", pristine, None)]
        if len(pristine) < len(sweeps):
            variants.append((f"|{_predict.SOURCE_MODEL}", sweeps,
                             lambda sw: features[sw["file"]]["jpeg_quality"] > 0))
        for suffix, group, scored in variants:
            if len(group) < 5:
                continue
            for kind in _predict.KINDS:
                m = fit_kind(group, features, kind, scored=scored)
                m["grid_size"] = len(codec.info.quality.grid)
                m["codec_version"] = codec.version()
                models[f"{codec_name}|{kind}{suffix}"] = m
                log(f"{codec_name} {kind}{suffix}: {m['samples']} samples from {m['images']} images, "
                    f"cross-validated error {m['cv_mae']:.2f} grid steps (RMSE {m['cv_rmse']:.2f}, "
                    f"within 1 step {100 * m['cv_within_1']:.0f} %), bias {m['cv_bias']:+.2f}, "
                    f"bracket {m['residual_quantiles'][0]:+.1f}..{m['residual_quantiles'][1]:+.1f}")
    return models
