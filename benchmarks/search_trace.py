"""Golden trace of the search: every probe (codec, setting, bytes, metric values, checks) and the chosen result.

A refactoring of ``qualipress.search`` that must not change behaviour is checked by running this on the tree
before and after and comparing the two JSON files byte for byte (timings are left out)::

    PYTHONPATH=/tmp/base/src python benchmarks/search_trace.py /tmp/before.json
    PYTHONPATH=src python benchmarks/search_trace.py /tmp/after.json
    cmp /tmp/before.json /tmp/after.json

Searches: 6 Kodak images × jpeg, webp, jpegxl × ``ssim>=0.95``, profile C1, ``bytes<=30000``; races
(``best_of``, with ``bound``); warm starts from a previous image's hint and from a setting; a JPEG source
(its own quality); an unreachable target (lossless fallback, and without it); a scoped ROI target; a film
frame (10-bit log) searched with the film decision module's checks; AVIF on the 6 images × ``ssim>=0.95``, C1
(groups of settings that write the same file, its fast mosaic), and JPEG XL on kodim08 at ``ssim>=0.99`` (the
metric's drop below distance 0.5, :mod:`qualipress.search.drops`). Needs ``/work/shared/data/kodak`` (or
``--kodak``); about two minutes on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from _paths import DATA
from PIL import Image as PILImage

from qualipress.film.hooks import FilmHooks
from qualipress.io import Image, read_image
from qualipress.profiles import get_profile
from qualipress.search import SearchResult, Target, best_of, parse_target, search

IMAGES = ("kodim01.png", "kodim04.png", "kodim08.png", "kodim13.png", "kodim19.png", "kodim23.png")
TARGETS = ("ssim>=0.95", "C1", "bytes<=30000")
CODECS = ("jpeg", "webp", "jpegxl")
#: AVIF probes cost ~0.3 s each: two targets only (no byte budget).
AVIF_TARGETS = ("ssim>=0.95", "C1")


def _digest(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:16]


def record(res: SearchResult) -> dict[str, Any]:
    """What a search did, without timings: the result and every probe in order (floats as ``repr``)."""
    return {"codec": res.codec, "setting": res.setting, "bytes": len(res.data), "met": res.met,
            "lossless": res.lossless, "fallback": res.fallback, "beaten": res.beaten, "steering": res.steering,
            "sha": _digest(res.data),
            "decoded": None if res.decoded is None else _digest(res.decoded.pixels.tobytes()),
            "metrics": {k: repr(float(v.value)) for k, v in res.metrics.items()},
            "hint": repr(getattr(res, "hint", None)),
            "probes": [{"codec": p.codec, "setting": p.setting, "bytes": p.bytes, "passed": p.passed,
                        "margin": repr(p.margin), "metrics": {k: repr(float(v)) for k, v in p.metrics.items()},
                        "checks": [[c.name, c.passed, c.detail, c.margin] for c in p.checks],
                        "lossless": p.lossless} for p in res.probes]}


def _target(t: str) -> Target:
    return get_profile(t).target if t == "C1" else parse_target(t)


def trace(kodak: Path, scratch: Path) -> dict[str, dict[str, Any]]:
    """Run every search of the trace; keys name them."""
    out: dict[str, dict[str, Any]] = {}
    for name in IMAGES:
        img = read_image(kodak / name)
        for t in TARGETS:
            for c in CODECS:
                out[f"{name}|{t}|{c}"] = record(search(img, c, _target(t)))
        for t in AVIF_TARGETS:
            out[f"{name}|{t}|avif"] = record(search(img, "avif", _target(t)))
    out["drop|kodim08.png|ssim>=0.99|jpegxl"] = record(search(read_image(kodak / "kodim08.png"), "jpegxl",
                                                              parse_target("ssim>=0.99")))
    for name in ("kodim03.png", "kodim15.png"):
        img = read_image(kodak / name)
        for ts in (["ssim>=0.95"], ["ssim>=0.97", "ssim@p5>=0.9"]):
            _, per = best_of(img, list(CODECS), parse_target(ts))
            out.update({f"race|{name}|{ts}|{c}": record(r) for c, r in per.items()})
    hint = None
    for name in ("kodim02.png", "kodim06.png", "kodim07.png", "kodim09.png"):
        img = read_image(kodak / name)
        r = search(img, "webp", parse_target("ssim>=0.96"), start=hint)
        out[f"warm|{name}"], hint = record(r), getattr(r, "hint", None)
        out[f"warm-setting|{name}"] = record(search(img, "jpeg", parse_target("psnr>=36"), start=72.0))
    buf = io.BytesIO()
    PILImage.open(kodak / "kodim10.png").save(buf, "JPEG", quality=80)
    (scratch / "source80.jpg").write_bytes(buf.getvalue())
    src = read_image(scratch / "source80.jpg")
    for t in ("ssim>=0.95", "ssim>=0.99", "psnr>=30"):
        out[f"jpeg-source|{t}"] = record(search(src, "jpeg", parse_target(t)))
    k = read_image(kodak / "kodim11.png")
    out["fallback|webp"] = record(search(k, "webp", parse_target("psnr>=70")))
    out["no-fallback|jpeg"] = record(search(k, "jpeg", parse_target("psnr>=70"), lossless_fallback=False))
    k = read_image(kodak / "kodim05.png")
    mask = np.zeros((k.height, k.width), bool)
    mask[100:300, 200:500] = True
    out["roi|webp"] = record(search(k, "webp", parse_target("ssim>=0.9, roi:ssim>=0.97"), masks={"roi": mask}))
    # A film frame: 10-bit log samples of a Kodak crop, searched with the film decision module's checks.
    crop = read_image(kodak / "kodim21.png").pixels[:256, :384].astype(np.uint16) * 4
    frame = Image(crop, 10, transfer="log")
    tgt = parse_target(["ssim>=0.95", "psnr>=38", "ssim@min>=0.9"])
    plan = FilmHooks(profile="C1").plan(frame, path=scratch / "r_0001.dpx", codec="jpegxl", target=tgt,
                                        previous=None)
    out["film|jpegxl"] = record(search(frame, "jpegxl", tgt, checks=plan.checks, tile=256))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="JSON file to write")
    ap.add_argument("--kodak", type=Path, default=DATA / "kodak")
    args = ap.parse_args()
    scratch = args.out.parent / (args.out.stem + "-scratch")
    scratch.mkdir(parents=True, exist_ok=True)
    out = trace(args.kodak, scratch)
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True))
    print(f"{len(out)} searches, {sum(len(v['probes']) for v in out.values())} probes -> {args.out}")


if __name__ == "__main__":
    main()
