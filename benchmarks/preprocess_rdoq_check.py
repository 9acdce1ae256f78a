"""``rdoq`` pre-edit: speed on one core and the round trip of the chosen levels through the real encoder.

For every image and quality: the pre-edit's wall and CPU time (one BLAS thread), then the levels the real encoder
writes for the pre-edited image (read back with jpeglib) against the levels the trellis chose, and — as the model's
own accuracy — the levels it writes for the *unedited* image against the model's plain prediction.

    python benchmarks/preprocess_rdoq_check.py ../shared/data/kodak --images 24 --codec jpeg \
        --qualities 30,45,60,75,85,92 [--method rdoq:strength=1:beta=0.5]

Prints one Markdown row per quality (means over images). Wall time depends on the machine's load; CPU time
(``time.process_time``) much less so.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: set before numpy loads its BLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np


def _written_levels(data: bytes, layout, shape: tuple[int, int], planes: int) -> list[np.ndarray]:
    import jpeglib

    from qualipress.codecs.jpegtrellis import ZIGZAG

    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as fh:
        fh.write(data)
    try:
        j = jpeglib.read_dct(fh.name)
        arrays = [j.Y, j.Cb, j.Cr][:planes]
    finally:
        os.unlink(fh.name)
    fy, fx = layout.factors
    h, w = shape[0] // (8 * fy) * fy, shape[1] // (8 * fx) * fx  # whole MCUs, in luma blocks
    out = []
    for k, arr in enumerate(arrays):
        sy, sx = (1, 1) if k == 0 else (fy, fx)
        out.append(np.asarray(arr)[: h // sy, : w // sx].reshape(-1, 64)[:, ZIGZAG])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--codec", default="jpeg", choices=("jpeg", "jpegli"))
    ap.add_argument("--qualities", default="30,45,60,75,85,92")
    ap.add_argument("--method", default="rdoq")
    args = ap.parse_args(argv)

    from qualipress import codecs
    from qualipress.io import image_paths, read_image
    from qualipress.preprocess import get_preprocessor
    from qualipress.preprocess.rdoq import jpeg_layout, predicted_levels, rdoq

    pre = get_preprocessor(args.method)
    files = image_paths(args.inputs)[: args.images]
    codec = codecs.get(args.codec)
    qs = [float(q) for q in args.qualities.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, one BLAS thread, load average "
          f"{os.getloadavg()[0]:.1f}; {len(files)} images, {args.codec}, {pre!r}")
    # The compiled trellis loads (or compiles) once per process: timed apart, outside the per-image figures.
    c0 = time.process_time()
    rdoq(read_image(files[0]).color(), qs[0], codec=args.codec, settings=pre.settings)
    print(f"first call in this process (kernel load/compile included): {time.process_time() - c0:.3f} CPU s")
    print("| quality | wall s / image | CPU s / image | levels changed | changes the encoder keeps | "
          "levels as chosen (all) | model accuracy, unedited image | bytes vs plain |")
    print("|---|---|---|---|---|---|---|---|")
    for q in qs:
        wall, cpu, changed, kept, agree, model, ratio = [], [], [], [], [], [], []
        for f in files:
            img = read_image(f).color()
            t0, c0 = time.perf_counter(), time.process_time()
            out, levels = rdoq(img, q, codec=args.codec, settings=pre.settings)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            layout = jpeg_layout(args.codec, q)
            plain = predicted_levels(img, q, codec=args.codec)
            data_plain = codec.encode(img, quality=q)
            data = codec.encode(out, quality=q)
            ratio.append(len(data) / len(data_plain))
            real_plain = _written_levels(data_plain, layout, (img.height, img.width), len(plain))
            model.append(np.mean([float((a == b).mean()) for a, b in zip(plain, real_plain, strict=True)]))
            if not levels:
                continue
            real = _written_levels(data, layout, (img.height, img.width), len(levels))
            plain = plain[: len(levels)]  # luma only unless the method edits chroma
            moved = [a != b for a, b in zip(levels, plain, strict=True)]
            n_moved = sum(int(m.sum()) for m in moved)
            changed.append(n_moved / sum(a.size for a in levels))
            kept.append(sum(int((a == b)[m].sum()) for a, b, m in zip(levels, real, moved, strict=True))
                        / max(n_moved, 1))
            agree.append(np.mean([float((a == b).mean()) for a, b in zip(levels, real, strict=True)]))
        print(f"| {q:g} | {np.mean(wall):.3f} (max {np.max(wall):.3f}) | {np.mean(cpu):.3f} (max {np.max(cpu):.3f}) "
              f"| {100 * np.mean(changed):.2f} % | {100 * np.mean(kept):.2f} % | {100 * np.mean(agree):.2f} % "
              f"| {100 * np.mean(model):.2f} % | {100 * (np.mean(ratio) - 1):+.2f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
