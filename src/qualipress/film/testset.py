"""A deterministic film-like test set made from real scene-linear photographs (OpenEXR).

Each EXR becomes one *shot* of ``frames_per_shot`` frames: frame ``k`` is the picture cropped ``k * pan``
pixels further right (a slow pan), so a shot behaves like a sequence (neighbouring frames alike, not identical).
Each frame is written twice:

* ``dpx/<shot>/<shot>.<NNNNNNN>.dpx``: 10-bit full-range ACEScct log code (:mod:`qualipress.film.transfer`),
  RGB, filled method A, big endian, DPX transfer code 3 (logarithmic), colorimetric 0 (user-defined: the EXRs'
  own primaries are kept, not converted), 24 fps, SMPTE timecode from the frame number;
* ``tiff/<shot>/<shot>.<NNNNNNN>.tif``: the same ACEScct code at 16 bits, RGB, uncompressed (as scanners write).

Frames are numbered from ``FIRST_FRAME`` (86400 = 01:00:00:00 at 24 fps). Alpha is dropped; NaN becomes 0,
+Inf the largest finite value, negatives 0 (counted in ``testset.json``). Bytes are reproducible: no clock, no
random numbers, fixed header strings — running the command twice gives the same SHA-256 for every file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.film import dpx
from qualipress.film.transfer import linear_to_acescct
from qualipress.io import atomic_write_bytes, read_image, sha256_bytes

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


def encode_tiff16(code16: np.ndarray, *, description: str) -> bytes:
    """Uncompressed 16-bit RGB TIFF bytes, deterministic (no date tag)."""
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, code16, photometric="rgb", compression=None, metadata=None,
                     software="qualipress make-testset", description=description, byteorder="<")
    return buf.getvalue()


def make_testset(source: str | Path, out: str | Path, *, frames_per_shot: int = 2, pan: int = 8,
                 formats: tuple[str, ...] = ("dpx", "tiff")) -> dict[str, Any]:
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

    Returns
    -------
    dict
        The content of ``out/testset.json``: one entry per frame with its source, sizes and SHA-256s.

    Raises
    ------
    InputError
        No EXR in ``source``, or a frame that becomes narrower than 64 pixels after panning.
    """
    src = Path(source)
    exrs = sorted(src.glob("*.exr"))
    if not exrs:
        raise InputError(f"{src}: no .exr files")
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
        code = np.clip(linear_to_acescct(lin[..., :3]), 0.0, 1.0)
        clipped = int((linear_to_acescct(lin[..., :3]) > 1.0).sum())
        width = code.shape[1] - (frames_per_shot - 1) * pan
        if width < 64:
            raise InputError(f"{exr.name}: {code.shape[1]} px wide, too narrow for {frames_per_shot} frames")
        for k in range(frames_per_shot):
            number = FIRST_FRAME + k
            crop = np.ascontiguousarray(code[:, k * pan:k * pan + width])
            entry: dict[str, Any] = {"shot": shot, "frame": number, "source": exr.name, "width": width,
                                     "height": int(code.shape[0]), "source_fixes": counts,
                                     "clipped_samples": clipped}
            if "dpx" in formats:
                name = f"{shot}.{number:07d}.dpx"
                data = dpx.encode_dpx(
                    np.rint(crop * 1023).astype(np.uint16), bit_size=10, transfer=3, colorimetric=0,
                    file_name=name, creation_time=CREATED, creator="qualipress make-testset",
                    project="qualipress hdr_film test set", description="ACEScct 10-bit full range",
                    frame_rate=FPS, frame=number, input_device=f"ILM OpenEXR {exr.name}")
                atomic_write_bytes(root / "dpx" / shot / name, data)
                entry["dpx"] = {"path": f"dpx/{shot}/{name}", "bytes": len(data), "sha256": sha256_bytes(data)}
            if "tiff" in formats:
                name = f"{shot}.{number:07d}.tif"
                data = encode_tiff16(np.rint(crop * 65535).astype(np.uint16),
                                     description=f"ACEScct 16-bit full range from {exr.name}")
                atomic_write_bytes(root / "tiff" / shot / name, data)
                entry["tiff"] = {"path": f"tiff/{shot}/{name}", "bytes": len(data), "sha256": sha256_bytes(data)}
            frames.append(entry)
    summary = {"source": str(src), "frames_per_shot": frames_per_shot, "pan": pan, "first_frame": FIRST_FRAME,
               "fps": FPS, "encoding": "ACEScct", "frames": frames, "skipped": skipped}
    atomic_write_bytes(root / "testset.json", json.dumps(summary, indent=1).encode())
    return summary
