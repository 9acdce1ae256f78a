"""A deterministic film-like test set made from real scene-linear photographs (OpenEXR).

Each EXR becomes one *shot* of ``frames_per_shot`` frames: frame ``k`` is the picture cropped ``k * pan``
pixels further right (a slow pan), so a shot behaves like a sequence (neighbouring frames alike, not identical).
Each frame is written twice:

* ``dpx/<shot>/<shot>.<NNNNNNN>.dpx``: 10-bit full-range ACEScct log code (:mod:`qualipress.io.logcurves`),
  RGB, filled method A, big endian, DPX transfer code 3 (logarithmic), colorimetric 0 (user-defined: the EXRs'
  own primaries are kept, not converted), 24 fps, SMPTE timecode from the frame number;
* ``tiff/<shot>/<shot>.<NNNNNNN>.tif``: the same ACEScct code at 16 bits, RGB, uncompressed (as scanners write).

With ``grain`` (``film make-testset --grain``) every frame gets synthetic film grain (:func:`film_grain`):
white Gaussian noise blurred with a Gaussian of ``blur`` px (spatially correlated like scanned grain), partly
shared between the channels (dye layers overlap), scaled per sample by a density-dependent RMS in 10-bit code
values (``sigma_lo`` at both ends of the code range, ``sigma_hi`` in the mid-tones), drawn independently for each
frame from a seed made of the shot name and frame number. The grain-free frame is written beside it as the
*clean plate* ``clean/<shot>/<shot>.<NNNNNNN>.dpx``, so the grain an encoder kept can be measured against truth
(``testset.json`` records each frame's true grain RMS: all pixels and the flattest quarter of 16-px blocks).
``encoding="cineon"`` writes Kodak Cineon printing-density log (DPX transfer 1) instead of ACEScct, and
``size=(w, h)`` first resizes each picture to cover ``w``×``h`` (plus the pan) and centre-crops it (2048×1080 for
2K benchmarks).

Frames are numbered from ``FIRST_FRAME`` (86400 = 01:00:00:00 at 24 fps). Alpha is dropped; NaN becomes 0,
+Inf the largest finite value, negatives 0 (counted in ``testset.json``). Bytes are reproducible: no clock, no
random numbers, fixed header strings — running the command twice gives the same SHA-256 for every file.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.film import analysis
from qualipress.io import atomic_write_bytes, dpx, read_image, sha256_bytes
from qualipress.io.logcurves import linear_to_acescct, linear_to_cineon

FIRST_FRAME = 86400
FPS = 24
CREATED = "2026:11:22:00:00:00"


def default_source() -> Path:
    """``$QUALIPRESS_DATA/hdr_film`` or ``../shared/data/hdr_film`` beside the repository / working directory."""
    import os

    env = os.environ.get("QUALIPRESS_DATA")
    candidates = [Path(env) / "hdr_film"] if env else []
    candidates += [Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "hdr_film",
                   Path.cwd() / ".." / "shared" / "data" / "hdr_film"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise InputError("no hdr_film data found: pass --source or set QUALIPRESS_DATA")


def _clean(px: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    finite = np.isfinite(px)
    counts = {"nan": int(np.isnan(px).sum()), "inf": int((~finite & ~np.isnan(px)).sum()),
              "negative": int((px < 0).sum())}
    big = float(px[finite].max()) if finite.any() else 0.0
    out = np.nan_to_num(px, nan=0.0, posinf=big, neginf=0.0)
    return np.maximum(out, 0.0).astype(np.float32), counts


#: Log encodings the test set can write: (code function, DPX transfer code, description).
ENCODINGS = {"acescct": (linear_to_acescct, 3, "ACEScct 10-bit full range"),
             "cineon": (linear_to_cineon, 1, "Cineon printing density 10-bit (white 685, black 95)")}

_LABEL = {"acescct": "ACEScct", "cineon": "Cineon"}


@dataclass(frozen=True)
class Grain:
    """Synthetic film grain parameters (see module docstring).

    Attributes
    ----------
    sigma_lo, sigma_hi : float
        Grain RMS in 10-bit code values at the ends of the code range / in the mid-tones.
    blur : float
        Gaussian blur (px) of the white noise: its spatial correlation.
    shared : float
        Fraction of the grain variance common to R, G and B.
    """

    sigma_lo: float = 3.0
    sigma_hi: float = 6.0
    blur: float = 0.7
    shared: float = 0.4


def film_grain(code: np.ndarray, grain: Grain, seed: int) -> np.ndarray:
    """Grain (in ``[0, 1]`` code units) to add to ``code`` ``(H, W, C)``: correlated, density dependent.

    The unit-RMS field is blurred white noise renormalised to RMS 1 over the frame; each sample is scaled by
    ``sigma_lo + (sigma_hi − sigma_lo)·4c(1 − c)`` code values, ``c`` the clean code.
    """
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    h, w, ch = code.shape
    common = rng.standard_normal((h, w, 1), dtype=np.float32)
    own = rng.standard_normal((h, w, ch), dtype=np.float32)
    field = np.sqrt(grain.shared) * common + np.sqrt(1.0 - grain.shared) * own
    if grain.blur > 0:
        field = gaussian_filter(field, sigma=(grain.blur, grain.blur, 0), mode="reflect")
    field /= max(float(field.std()), 1e-12)
    c = np.clip(code, 0.0, 1.0)
    amp = (grain.sigma_lo + (grain.sigma_hi - grain.sigma_lo) * 4.0 * c * (1.0 - c)) / 1023.0
    return (field * amp).astype(np.float32)


def grain_truth(grainy: np.ndarray, clean: np.ndarray, *, block: int = 16) -> dict[str, float]:
    """True grain RMS of a frame in 10-bit code values: luma of ``grainy − clean`` over all pixels and over the
    flattest quarter of ``block``-px blocks of the clean plate (the region the grain checks look at)."""
    g = analysis.luma(grainy.astype(np.float64) - clean.astype(np.float64)) * 1023.0
    stats = analysis.block_stats(analysis.luma(clean.astype(np.float32)), block=block)
    flat = stats.residual <= np.quantile(stats.residual, 0.25)
    rows, cols = flat.shape
    gb = g[: rows * block, : cols * block].reshape(rows, block, cols, block).transpose(0, 2, 1, 3)
    return {"rms": round(float(np.sqrt((g**2).mean())), 4),
            "rms_flat": round(float(np.sqrt((gb[flat] ** 2).mean())), 4)}


def _cover(lin: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize ``lin`` to cover ``width``×``height`` (area for shrinking, cubic for enlarging) and centre-crop."""
    import cv2

    h, w = lin.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = max(width, round(w * scale)), max(height, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    out = cv2.resize(lin, (nw, nh), interpolation=interp)
    if out.ndim == 2:
        out = out[..., None]
    y0, x0 = (nh - height) // 2, (nw - width) // 2
    return np.maximum(out[y0:y0 + height, x0:x0 + width], 0.0).astype(np.float32)


def encode_tiff16(code16: np.ndarray, *, description: str) -> bytes:
    """Uncompressed 16-bit RGB TIFF bytes, deterministic (no date tag)."""
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, code16, photometric="rgb", compression=None, metadata=None,
                     software="qualipress make-testset", description=description, byteorder="<")
    return buf.getvalue()


def make_testset(source: str | Path, out: str | Path, *, frames_per_shot: int = 2, pan: int = 8,
                 formats: tuple[str, ...] = ("dpx", "tiff"), grain: Grain | None = None,
                 encoding: str = "acescct", size: tuple[int, int] | None = None,
                 shots: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Convert every ``*.exr`` in ``source`` into the DPX/TIFF test set under ``out``.

    Parameters
    ----------
    source : path
        Directory of scene-linear EXRs (``../shared/data/hdr_film``).
    out : path
        Output directory (created; existing files with the same names are replaced atomically).
    frames_per_shot : int
        Frames per EXR (≥ 1).
    pan : int
        Horizontal shift in pixels between consecutive frames of a shot.
    formats : tuple of str
        ``"dpx"`` and/or ``"tiff"``.
    grain : Grain, optional
        Add synthetic film grain and write the clean plates (see module docstring).
    encoding : str
        ``"acescct"`` (DPX transfer 3) or ``"cineon"`` (DPX transfer 1, printing density).
    size : (int, int), optional
        Frame width and height: each picture is resized to cover it (the pan comes on top).
    shots : tuple of str, optional
        Only these EXR stems.

    Returns
    -------
    dict
        The content of ``out/testset.json``: one entry per frame with its source, sizes and SHA-256s.

    Raises
    ------
    InputError
        No EXR in ``source``, an unknown encoding or size, or a frame narrower than 64 pixels after panning.
    """
    src = Path(source)
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    if size is not None and (size[0] < 64 or size[1] < 16):
        raise InputError(f"frame size {size[0]}x{size[1]} is too small (at least 64x16)")
    to_code = ENCODINGS[encoding][0]
    exrs = _find_exrs(src, shots)
    if frames_per_shot < 1 or pan < 0:
        raise InputError("frames_per_shot must be >= 1 and pan >= 0")
    root = Path(out)
    frames: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for exr in exrs:
        shot = exr.stem
        try:
            img = read_image(exr)
        except InputError as exc:
            skipped.append({"source": exr.name, "reason": str(exc)})
            continue
        lin, counts = _clean(img.color().pixels)
        if lin.shape[2] == 1:
            lin = np.repeat(lin, 3, axis=2)
        lin = lin[..., :3]
        if size is not None:
            lin = _cover(lin, size[0] + (frames_per_shot - 1) * pan, size[1])
        raw = to_code(lin)
        code = np.clip(raw, 0.0, 1.0)
        clipped = int((raw > 1.0).sum())
        width = code.shape[1] - (frames_per_shot - 1) * pan
        if width < 64:
            raise InputError(f"{exr.name}: {code.shape[1]} px wide, too narrow for {frames_per_shot} frames")
        for k in range(frames_per_shot):
            number = FIRST_FRAME + k
            clean = np.ascontiguousarray(code[:, k * pan:k * pan + width])
            entry: dict[str, Any] = {"shot": shot, "frame": number, "source": exr.name, "width": width,
                                     "height": int(code.shape[0]), "source_fixes": counts,
                                     "clipped_samples": clipped, "encoding": encoding}
            _write_frame(root, exr, number, clean, entry, grain=grain, formats=formats, encoding=encoding)
            frames.append(entry)
    summary = {"source": str(src), "frames_per_shot": frames_per_shot, "pan": pan, "first_frame": FIRST_FRAME,
               "fps": FPS, "encoding": encoding, "size": list(size) if size else None,
               "grain": None if grain is None else vars(grain), "frames": frames, "skipped": skipped}
    atomic_write_bytes(root / "testset.json", json.dumps(summary, indent=1).encode())
    return summary


def _find_exrs(src: Path, shots: tuple[str, ...] | None) -> list[Path]:
    """The EXRs of ``src`` (only the ``shots`` stems when given), sorted; InputError when there are none."""
    exrs = sorted(src.glob("*.exr"))
    if shots is not None:
        unknown = [s for s in shots if s not in {e.stem for e in exrs}]
        if unknown and exrs:
            raise InputError(f"{src}: no shot named {', '.join(unknown)} (available: "
                             f"{', '.join(e.stem for e in exrs)})")
        exrs = [e for e in exrs if e.stem in shots]
    if not exrs:
        raise InputError(f"{src}: no .exr files")
    return exrs


def _write_frame(root: Path, exr: Path, number: int, clean: np.ndarray, entry: dict[str, Any], *,
                 grain: Grain | None, formats: tuple[str, ...], encoding: str) -> None:
    """Write one frame (clean plate when grained, DPX and/or TIFF) and add their paths and hashes to ``entry``."""
    _, transfer_code, description = ENCODINGS[encoding]
    shot = exr.stem
    crop = clean

    def dpx_bytes(px: np.ndarray, name: str) -> bytes:
        return dpx.encode_dpx(
            np.rint(px * 1023).astype(np.uint16), bit_size=10, transfer=transfer_code, colorimetric=0,
            file_name=name, creation_time=CREATED, creator="qualipress make-testset",
            project="qualipress hdr_film test set", description=description,
            frame_rate=FPS, frame=number, input_device=f"ILM OpenEXR {exr.name}")

    if grain is not None:
        seed = zlib.crc32(shot.encode()) * 1_000_003 + number
        crop = np.clip(clean + film_grain(clean, grain, seed), 0.0, 1.0)
        name = f"{shot}.{number:07d}.dpx"
        data = dpx_bytes(clean, name)
        atomic_write_bytes(root / "clean" / shot / name, data)
        q = np.rint(crop * 1023) / 1023
        entry["grain"] = {**grain_truth(q, np.rint(clean * 1023) / 1023), "blur": grain.blur,
                          "sigma_lo": grain.sigma_lo, "sigma_hi": grain.sigma_hi}
        entry["clean"] = {"path": f"clean/{shot}/{name}", "bytes": len(data), "sha256": sha256_bytes(data)}
    if "dpx" in formats:
        name = f"{shot}.{number:07d}.dpx"
        data = dpx_bytes(crop, name)
        atomic_write_bytes(root / "dpx" / shot / name, data)
        entry["dpx"] = {"path": f"dpx/{shot}/{name}", "bytes": len(data), "sha256": sha256_bytes(data)}
    if "tiff" in formats:
        name = f"{shot}.{number:07d}.tif"
        data = encode_tiff16(np.rint(crop * 65535).astype(np.uint16),
                             description=f"{_LABEL[encoding]} 16-bit full range from {exr.name}")
        atomic_write_bytes(root / "tiff" / shot / name, data)
        entry["tiff"] = {"path": f"tiff/{shot}/{name}", "bytes": len(data), "sha256": sha256_bytes(data)}
