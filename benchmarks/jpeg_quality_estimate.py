"""Accuracy of the JPEG quality estimator against the natural-order rule it replaced (issue 11).

``qualipress.io.metadata.estimate_jpeg_quality`` compares sorted tables by mean absolute log ratio; the rule
``info`` used before compared tables in natural order by summed absolute difference. Both against: the people
JPEGs (truth = the libjpeg quality whose exact table the file holds), Pillow/libjpeg at qualities 1–100,
``codecs.jpegq`` fractional qualities and jpegli at qualities 1–100 (truth = the quality asked for; jpegli's
tables are its own, so no rule is exact there). Tables depend on the quality only, so one Kodak crop is encoded.

    python benchmarks/jpeg_quality_estimate.py [--data /work/shared/data]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from _paths import DATA
from PIL import Image

from qualipress.codecs import jpegq
from qualipress.io.jpegtables import ANNEX_K_LUMA, ijg_table
from qualipress.io.metadata import estimate_jpeg_quality


def natural_order_rule(table: np.ndarray) -> int:
    """The replaced rule: the quality whose natural-order table has the least summed absolute difference."""
    errors = [float(np.abs(ijg_table(ANNEX_K_LUMA.ravel(), q) - table).sum()) for q in range(1, 101)]
    return 1 + int(np.argmin(errors))


def luma(data: bytes | Path) -> np.ndarray:
    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
        return np.asarray(im.quantization[0], dtype=np.float64)


def report(name: str, cases: list[tuple[float, np.ndarray]]) -> None:
    for label, rule in (("estimate_jpeg_quality", estimate_jpeg_quality), ("natural-order rule", natural_order_rule)):
        err = np.array([abs(rule(t) - truth) for truth, t in cases])
        print(f"{name:28s} {label:22s} n={len(err):3d} mean |error| {err.mean():6.3f}  max {err.max():5.2f}  "
              f"exact {np.mean(err == 0):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    libjpeg = {tuple(jpegq.qtables(q)[0]): q for q in range(1, 101)}
    people = [luma(p) for p in sorted((args.data / "people").rglob("*.jpg"))]
    report("people JPEGs (libjpeg)", [(libjpeg[tuple(int(v) for v in t)], t) for t in people
                                      if tuple(int(v) for v in t) in libjpeg])
    crop = np.asarray(Image.open(args.data / "kodak" / "kodim23.png").convert("RGB"))[:128, :128]
    report("Pillow q1-100", [(q, luma(jpegq.encode_fractional(crop, q, "420", False))) for q in range(1, 101)])
    report("jpegq q1.25-99.75 step 0.5",
           [(q, luma(jpegq.encode_fractional(crop, q, "420", False))) for q in np.arange(1.25, 100, 0.5)])
    try:
        import pyjpegli
    except ImportError:
        print("jpegli: pyjpegli not installed")
        return
    report("jpegli q1-100", [(q, luma(bytes(pyjpegli.encode(np.ascontiguousarray(crop).tobytes(), 128, 128, q))))
                             for q in range(1, 101)])


if __name__ == "__main__":
    main()
