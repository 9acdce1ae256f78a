"""Where a cold search's CPU time goes: CPU milliseconds and page faults per search, part by part.

Usage::

    PYTHONPATH=src python benchmarks/search_budget.py ../shared/data/kodak --limit 6 [--codec jpegxl]
        [--targets "psnr>=35;psnr>=40"]

Each image is searched alone (a fresh image object, as ``qualipress bench search --modes cold`` does) for SSIM ≥
0.90 / 0.95 / 0.99 and profile C1 (or ``--targets``). The parts are timed by wrapping the functions that do them
(``time.process_time``; a part's own time excludes the parts it calls), so the figures add up to the search's CPU
time less the search's own bookkeeping. The encodes are booked by kind: full-image probes, mosaic probes (an image
smaller than the one searched; JPEG's without Huffman optimisation, AVIF's at its fast speed) and lossless encodes
(by effort where one is given: JPEG XL's sizing encodes); "one encode" is the encode at the chosen setting the
ratio divides by (best of 3, as ``benchmarks/search_cold_ratio.py`` times it). Minor page faults (``ru_minflt``)
are counted the same way.
"""

from __future__ import annotations

import importlib
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from _cold_search import cold_search_inputs, one_encode, targets, warm_up

from qualipress.metrics import core as _core


class Parts:
    """CPU seconds and page faults per labelled part, nested calls subtracted from their callers."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.faults: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)
        self._inner: list[tuple[float, int]] = []
        self.on = False

    def wrap(self, owner: Any, name: str, label: str | Callable[..., str]) -> None:
        """Replace ``owner.name`` by a timed wrapper booked under ``label`` (or under what ``label`` returns for the
        call's arguments; nothing when the tree has no such function: an older tree measured for comparison)."""
        if not hasattr(owner, name):
            return
        f: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return f(*args, **kwargs)
            part = label if isinstance(label, str) else label(*args, **kwargs)
            t0, q0 = time.process_time(), _faults()
            self._inner.append((0.0, 0))
            try:
                return f(*args, **kwargs)
            finally:
                dt, dq = time.process_time() - t0, _faults() - q0
                in_t, in_q = self._inner.pop()
                self.cpu[part] += dt - in_t
                self.faults[part] += dq - in_q
                self.calls[part] += 1
                if self._inner:
                    t, q = self._inner[-1]
                    self._inner[-1] = (t + dt, q + dq)

        setattr(owner, name, timed)


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main() -> None:
    args, images, codec = cold_search_inputs(__doc__.splitlines()[0], limit=6, codec="jpeg")
    search_mod = importlib.import_module("qualipress.search.search")
    proxy = importlib.import_module("qualipress.search.proxy")
    probe = importlib.import_module("qualipress.search.probe")
    parts = Parts()
    whole = [0]  # pixels of the image searched now: a smaller encode is a mosaic

    def encode_kind(_self: Any, image: Any, *, quality: Any = None, lossless: bool = False, **options: Any) -> str:
        if lossless:
            effort = options.get("effort")
            return f"encode: lossless{'' if effort is None else f' (effort {effort})'}"
        if image.width * image.height < whole[0]:
            return "encode: mosaic probes"
        return "encode: full-image probes"

    parts.wrap(type(codec), "_encode", encode_kind)
    parts.wrap(type(codec), "decode", "decode")
    parts.wrap(_core.Reference, "__init__", "reference preparation")
    parts.wrap(_core.Reference, "reduced", "full-image measurement")
    parts.wrap(_core.Reference, "maps", "mosaic measurement (maps, OpenCV path)")
    parts.wrap(_core.Reference, "interior_values", "mosaic measurement (tile interiors, kernels)")
    parts.wrap(_core.Reference, "packed", "mosaic: reference rearranged (OpenCV path)")
    parts.wrap(proxy.Mosaic, "__init__", "mosaic: set-up")
    parts.wrap(proxy.Mosaic, "measure", "mosaic: probe bookkeeping, tile statistics")
    parts.wrap(search_mod, "_features", "predictor features")
    parts.wrap(probe, "measure_decoded", "probe bookkeeping")
    parts.wrap(search_mod, "search", "search bookkeeping, prediction")
    search = search_mod.search
    warm_up(images[0], codec)
    total = one = 0.0
    n = fulls = steering = 0
    faults0 = _faults()
    for _, tgt in targets(args.targets):
        for img in images:
            fresh = img.with_pixels(img.pixels.copy())
            whole[0] = img.width * img.height
            parts.on = True
            t0 = time.process_time()
            res = search(fresh, codec, tgt)
            total += time.process_time() - t0
            parts.on = False
            n += 1
            fulls += res.encodes
            steering += res.steering
            one += one_encode(codec, img, res)
    faults = (_faults() - faults0) / n
    print(f"{n} cold {codec.name} searches of {len(images)} images of {args.dataset.name}: "
          f"{total / n * 1e3:.1f} ms CPU per search, one encode {one / n * 1e3:.2f} ms "
          f"(ratio of the means {total / one:.1f}x), "
          f"{faults:.0f} page faults per search; {fulls / n:.2f} full-image and {steering / n:.2f} mosaic probes per "
          "search")
    print("| part | ms per search | share | calls per search | page faults per search |")
    print("|---|---|---|---|---|")
    for label, cpu in sorted(parts.cpu.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {cpu / n * 1e3:.2f} | {100 * cpu / total:.1f} % | {parts.calls[label] / n:.2f} | "
              f"{parts.faults[label] / n:.0f} |")


if __name__ == "__main__":
    main()
