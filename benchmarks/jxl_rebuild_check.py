"""What proving that a ``transcode:jpegxl`` file rebuilds its JPEG costs
(:func:`qualipress.codecs.transcode.check_rebuilds`).

Usage::

    python benchmarks/jxl_rebuild_check.py ../shared/data/kodak --quality 90 --repeat 5

Each PNG in the folder is saved as a JPEG by Pillow at ``--quality`` (4:2:0, in memory), transcoded to JPEG XL by
libjxl (imagecodecs), and the check (one reconstruction and a byte comparison) is timed ``--repeat`` times; the
fastest is kept. Prints per-image milliseconds, the check's share of the transcode's own time, and the mean.
``--decode-diff`` also prints how far libjxl's decode of the transcode lies from libjpeg-turbo's decode of the
JPEG (Pillow): RMSE in 8-bit code values and the largest difference.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import imagecodecs
import numpy as np
from _timing import best_of
from PIL import Image

from qualipress.codecs.transcode import check_rebuilds


def _best_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    return best_of(fn, repeat, time.perf_counter) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--decode-diff", action="store_true")
    args = ap.parse_args()
    checks, encodes, rmses = [], [], []
    for path in sorted(args.folder.glob("*.png")):
        buf = io.BytesIO()
        Image.open(path).convert("RGB").save(buf, "JPEG", quality=args.quality)
        jpeg = buf.getvalue()
        jxl = bytes(imagecodecs.jpegxl_encode_jpeg(jpeg, numthreads=2))
        enc = _best_ms(lambda j=jpeg: imagecodecs.jpegxl_encode_jpeg(j, numthreads=2), args.repeat)
        chk = _best_ms(lambda a=jxl, b=jpeg: check_rebuilds(a, b), args.repeat)
        checks.append(chk)
        encodes.append(enc)
        line = f"{path.name}: JPEG {len(jpeg):,} B -> JXL {len(jxl):,} B; transcode {enc:.1f} ms, check {chk:.1f} ms"
        if args.decode_diff:
            turbo = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.float64)
            jxl_px = np.asarray(imagecodecs.jpegxl_decode(jxl), dtype=np.float64)[..., :3]
            rmses.append(float(np.sqrt(np.mean((turbo - jxl_px) ** 2))))
            line += f"; decode RMSE {rmses[-1]:.2f}, max |diff| {int(np.abs(turbo - jxl_px).max())}"
        print(line)
    n = len(checks)
    print(f"{n} images: check mean {sum(checks) / n:.2f} ms (min {min(checks):.2f}, max {max(checks):.2f}); "
          f"transcode mean {sum(encodes) / n:.2f} ms; check / transcode {sum(checks) / sum(encodes):.1%}")
    if rmses:
        print(f"libjxl vs libjpeg-turbo decode RMSE: mean {sum(rmses) / n:.2f}, min {min(rmses):.2f}, "
              f"max {max(rmses):.2f}")


if __name__ == "__main__":
    main()
