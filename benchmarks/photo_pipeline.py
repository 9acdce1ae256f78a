"""Photo pipeline measurements: lossless JPEG transcodes, byte-budget accuracy, outputs vs compressed inputs.

Usage::

    nice .venv/bin/python benchmarks/photo_pipeline.py transcode ../shared/data/people
    nice .venv/bin/python benchmarks/photo_pipeline.py budget ../shared/data/kodak --limit 6 \\
        --budgets 20000,50000 --codecs jpeg,webp,avif,jpegxl
    nice .venv/bin/python benchmarks/photo_pipeline.py grow ../shared/data/people --codec webp --profile C1
    nice .venv/bin/python benchmarks/photo_pipeline.py avif-knobs ../shared/data/kodak --limit 3
    nice .venv/bin/python benchmarks/photo_pipeline.py jpeg-grid ../shared/data/kodak --limit 2
    nice .venv/bin/python benchmarks/photo_pipeline.py avif-frac ../shared/data/kodak --limit 6
    nice .venv/bin/python benchmarks/photo_pipeline.py budget-auto ../shared/data/people/clarifai_coco_val2017 \\
        --limit 6 --budgets 15000,30000
    nice .venv/bin/python benchmarks/photo_pipeline.py jxl-icc ../shared/data/kodak --limit 3

``transcode``: for every JPEG, the bytes of ``transcode:jpeg`` (mozjpeg lossless) and ``transcode:jpegxl`` (JPEG
XL recompression; checked to rebuild the JPEG bit for bit). ``budget``: for each image, codec and budget, the
chosen file's bytes as a fraction of the budget, the encodes it took, and whether the next grid setting up would
have fitted (it must not). ``grow``: ``compress`` with the never-grow candidates (default) and with
``--allow-larger``: how many outputs are larger than their input, and the total bytes. ``avif-knobs``: whether any
AVIF encoder option gives file sizes between two neighbouring quality steps (for byte budgets): the relative size
of one quality step, and of chroma subsampling, AOM speed and (through Pillow's AVIF plugin) AOM's
quantisation-matrix level and sharpness, at a fixed quality. ``jpeg-grid``: JPEG bytes at qualities 5–99 in steps
of 0.25 (fractional qualities, :mod:`qualipress.codecs.jpegq`): how often the size drops as the quality rises,
the largest drop, and the largest step outside the 4:2:0 -> 4:4:4 switch at 90. ``avif-frac``: AVIF bytes and SSIM
at fractional qualities n, n + 0.1, …, n + 0.9, n + 1 (AOM delta-q strength, :mod:`qualipress.codecs.avifq`) for
pairs of neighbouring quantizer steps: how often size or SSIM falls as the setting rises, the largest size step
inside a pair (as a fraction of the pair's gap), and where n + 0.1 starts relative to n. ``budget-auto``:
``compress --for web --codec auto --target bytes<=N`` with the budget race (codecs ordered by predicted quality at
the budget, the others stopped after one probe) against a full search of every web codec (screening off): encodes
per file, chosen codec, bytes and SSIM, and in how many cases both chose the same file. ``jxl-icc``: JPEG XL of
each image tagged with a Display P3 profile through jxlpy (``qualipress.codecs.jxlicc``) against imagecodecs'
untagged file at the same distance: bytes and PSNR of the decoded pixels against the source's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np

from qualipress import codecs
from qualipress.io import read_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.profiles import get_profile
from qualipress.search import parse_target, search


def _images(folder: Path, suffixes: tuple[str, ...], limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes)
    return files[:limit] if limit else files


def transcode(folder: Path, limit: int | None) -> dict:
    import imagecodecs

    rows = []
    blank = np.zeros((8, 8, 3), np.uint8)
    for p in _images(folder, (".jpg", ".jpeg"), limit):
        src = p.read_bytes()
        row = {"file": p.name, "input": len(src)}
        for name in ("transcode:jpeg", "transcode:jpegxl"):
            try:
                data = codecs.get(name).encode(blank, lossless=True, source=src)
            except Exception as exc:
                row[name] = f"failed: {exc}"
                continue
            row[name] = len(data)
            if name == "transcode:jpegxl":
                row["jxl_bit_exact"] = imagecodecs.jpegxl_decode_jpeg(data) == src
        rows.append(row)
    ok = [r for r in rows if isinstance(r.get("transcode:jpeg"), int) and isinstance(r.get("transcode:jpegxl"), int)]
    tot = sum(r["input"] for r in ok)
    summary = {
        "files": len(rows), "transcoded": len(ok), "input_bytes": tot,
        "mozjpeg_saved_percent": round(100 * (1 - sum(r["transcode:jpeg"] for r in ok) / tot), 2) if tot else None,
        "jpegxl_saved_percent": round(100 * (1 - sum(r["transcode:jpegxl"] for r in ok) / tot), 2) if tot else None,
        "jpegxl_saved_percent_min_max": sorted(
            round(100 * (1 - r["transcode:jpegxl"] / r["input"]), 1) for r in
            (min(ok, key=lambda r: r["transcode:jpegxl"] / r["input"]),
             max(ok, key=lambda r: r["transcode:jpegxl"] / r["input"]))) if ok else None,
        "all_bit_exact": all(r.get("jxl_bit_exact") for r in ok),
    }
    return {"rows": rows, "summary": summary}


def budget(folder: Path, limit: int | None, budgets: list[int], names: list[str]) -> dict:
    rows = []
    for p in _images(folder, (".png", ".jpg", ".jpeg"), limit):
        image = read_image(p)
        for name in names:
            cdc = codecs.get(name)
            q = cdc.info.quality
            assert q is not None
            for b in budgets:
                res = search(image, cdc, [f"bytes<={b}"])
                setting = res.setting
                up = [g for g in q.grid if (g > setting if q.higher_is_better else g < setting)]
                nxt = (min(up) if q.higher_is_better else max(up)) if up else None
                next_fits = nxt is not None and len(cdc.encode(image, quality=nxt)) <= b
                rows.append({"file": p.name, "codec": name, "budget": b, "bytes": len(res.data),
                             "fill": round(len(res.data) / b, 4), "setting": setting, "encodes": res.encodes,
                             "fits": len(res.data) <= b, "next_grid_setting_fits": next_fits})
    summary = {}
    for name in names:
        fills = np.array([r["fill"] for r in rows if r["codec"] == name])
        enc = [r["encodes"] for r in rows if r["codec"] == name]
        summary[name] = {"cases": len(fills), "over_budget": int(sum(not r["fits"] for r in rows
                                                                       if r["codec"] == name)),
                         "fill_mean": round(float(fills.mean()), 4), "fill_min": round(float(fills.min()), 4),
                         "within_1pct": int((fills >= 0.99).sum()), "encodes_mean": round(float(np.mean(enc)), 2),
                         "next_setting_also_fits": int(sum(r["next_grid_setting_fits"] for r in rows
                                                           if r["codec"] == name))}
    return {"rows": rows, "summary": summary}


def grow(folder: Path, limit: int | None, codec: str, profile: str) -> dict:
    files = _images(folder, (".jpg", ".jpeg"), limit)
    target = get_profile(profile).target
    out: dict = {"files": len(files), "codec": codec, "profile": profile}
    # a pattern under the folder keeps relative paths, so same-named files in different folders do not collide
    inputs = [str(folder / "**" / "*.jpg")] if limit is None else files
    for label, hooks in (("never_grow", PhotoHooks()), ("allow_larger", PhotoHooks(allow_larger=True))):
        with tempfile.TemporaryDirectory() as tmp:
            s = compress_paths(inputs, Path(tmp), CompressOptions(target=target, codec=codec, hooks=hooks))
        recs = [r for r in s.records if not r.get("error")]
        larger = [r for r in recs if r["bytes"] > r["input_bytes"]]
        out[label] = {"ok": len(recs), "errors": len(s.records) - len(recs),
                      "larger_than_input": len(larger),
                      "worst_ratio_out_in": round(max(r["bytes"] / r["input_bytes"] for r in recs), 3)
                      if recs else None,
                      "bytes_in": sum(r["input_bytes"] for r in recs), "bytes_out": sum(r["bytes"] for r in recs),
                      "chosen": {c: sum(r["codec"] == c for r in recs) for c in sorted({r["codec"] for r in recs})},
                      "target_met": sum(bool(r["target_met"]) for r in recs),
                      "error_list": [f"{Path(r['input']).name}: {r['error']}" for r in s.records if r.get("error")]}
    return out


def _avif_bytes(a: np.ndarray, q: int, **kw: object) -> int:
    import imagecodecs

    kw.setdefault("speed", 6)
    return len(imagecodecs.avif_encode(a, level=q, numthreads=2, **kw))


def _pillow_avif_bytes(im: object, q: int, **kw: object) -> int:
    import io

    buf = io.BytesIO()
    im.save(buf, "AVIF", quality=q, speed=6, **kw)  # type: ignore[attr-defined]
    return len(buf.getvalue())


def avif_knobs(folder: Path, limit: int | None, quality: int = 62) -> dict:
    from PIL import Image as PILImage

    rows = []
    for p in _images(folder, (".png",), limit):
        im = PILImage.open(p).convert("RGB")
        a = np.asarray(im)
        sizes = {q: _avif_bytes(a, q) for q in range(quality - 3, quality + 4)}
        distinct = sorted(set(sizes.values()))
        step = float(np.median([hi / lo - 1 for lo, hi in itertools.pairwise(distinct)]))
        base = _avif_bytes(a, quality)
        pbase = _pillow_avif_bytes(im, quality)
        row = {"file": p.name, "quality": quality, "bytes": base, "quality_step_percent": round(100 * step, 2),
               "distinct_sizes_in_7_qualities": len(distinct),
               "pixelformat_420_percent": round(100 * (_avif_bytes(a, quality, pixelformat="420") / base - 1), 2),
               "speed_percent": {s: round(100 * (_avif_bytes(a, quality, speed=s) / base - 1), 2)
                                 for s in (4, 5, 7, 8)},
               "pillow_bytes": pbase}
        adv: dict[str, object] = {}
        for label, opts in (("qm 4", [("enable-qm", "1"), ("qm-min", "4"), ("qm-max", "4")]),
                            ("qm 6", [("enable-qm", "1"), ("qm-min", "6"), ("qm-max", "6")]),
                            ("qm 8", [("enable-qm", "1"), ("qm-min", "8"), ("qm-max", "8")]),
                            ("qm 10", [("enable-qm", "1"), ("qm-min", "10"), ("qm-max", "10")]),
                            ("sharpness 0", [("sharpness", "0")]), ("sharpness 4", [("sharpness", "4")])):
            try:
                adv[label] = round(100 * (_pillow_avif_bytes(im, quality, advanced=opts) / pbase - 1), 2)
            except Exception as exc:  # an option this libavif/AOM build does not know
                adv[label] = f"failed: {exc}"
        row["pillow_advanced_percent"] = adv
        rows.append(row)
    return {"rows": rows, "summary": rows}


def jpeg_grid(folder: Path, limit: int | None, step: float = 0.25) -> dict:
    jpeg = codecs.get("jpeg")
    rows = []
    for p in _images(folder, (".png",), limit):
        image = read_image(p)
        qs = np.arange(5.0, 99.0 + 1e-9, step)
        sizes = [len(jpeg.encode(image, quality=float(q))) for q in qs]
        drops = [(b - a) / b for a, b in zip(sizes[1:], sizes[:-1], strict=True) if a < b]
        ups = [(a / b - 1, float(q)) for q, a, b in zip(qs[1:], sizes[1:], sizes[:-1], strict=True)
               if q != 90.0 and a > b]
        big = max(ups, default=(0.0, None))
        rows.append({"file": p.name, "steps": len(sizes) - 1, "size_drops": len(drops),
                     "largest_drop_percent": round(100 * max(drops, default=0.0), 3),
                     "largest_step_percent": round(100 * big[0], 2), "largest_step_at": big[1],
                     "largest_step_below_95_percent": round(100 * max((u for u, q in ups if q < 95), default=0), 2),
                     "median_step_percent": round(100 * float(np.median([u for u, _ in ups])), 3) if ups else None})
    return {"rows": rows, "summary": rows}


def avif_frac(folder: Path, limit: int | None, qualities: tuple[int, ...] = (30, 50, 65, 80, 90)) -> dict:
    from qualipress.codecs import avifq
    from qualipress.metrics import measure

    avif = codecs.get("avif")
    steps = avifq.quantizer_steps()
    rows = []
    for p in _images(folder, (".png", ".jpg", ".jpeg"), limit):
        image = read_image(p)
        for q0 in qualities:
            n = max(s for s in steps if s <= q0)  # first quality of its quantizer step
            n = max(s for s in steps if s < n) if n > 0 else n
            n = max(q for q in range(n, q0 + 1) if not avifq.same_quantizer(q, q + 1))  # n, n+1: two steps
            settings = [n + k / 10 for k in range(11)]
            sizes, ssims = [], []
            for s in settings:
                data = avif.encode(image, quality=float(s))
                sizes.append(len(data))
                ssims.append(measure(image, avif.decode(data), ["ssim"])["ssim"].value)
            gap = sizes[-1] - sizes[0]
            rows.append({"file": p.name, "n": n, "bytes_n": sizes[0], "bytes_n1": sizes[-1],
                         "step_percent": round(100 * gap / sizes[0], 2),
                         "size_falls": sum(b < a for a, b in itertools.pairwise(sizes)),
                         "ssim_falls": sum(b < a for a, b in itertools.pairwise(ssims)),
                         "start_vs_n_percent": round(100 * (sizes[1] / sizes[0] - 1), 2),
                         "largest_sub_step_of_gap": round(max(abs(b - a) for a, b in itertools.pairwise(sizes))
                                                          / gap, 3) if gap else None,
                         "largest_sub_step_percent": round(100 * max(b / a - 1 for a, b in
                                                                     itertools.pairwise(sizes[1:])), 2),
                         "sizes": sizes, "ssim": [round(v, 5) for v in ssims]})
    # points whose size lies between the two steps: SSIM against the line joining the steps (in log bytes), and
    # how many beat quality n itself
    dev, better = [], 0
    for r in rows:
        sz, ss = r["sizes"], r["ssim"]
        for k in range(1, 10):
            if sz[0] < sz[k] < sz[10]:
                w = (np.log(sz[k]) - np.log(sz[0])) / (np.log(sz[10]) - np.log(sz[0]))
                dev.append(ss[k] - (ss[0] + w * (ss[10] - ss[0])))
                better += ss[k] > ss[0]
    summary = {"between_points": len(dev), "between_better_than_n": better,
               "between_ssim_vs_line_median": round(float(np.median(dev)), 5) if dev else None,
               "between_ssim_vs_line_min": round(float(min(dev)), 5) if dev else None,
               "cases": len(rows), "size_falls": sum(r["size_falls"] for r in rows),
               "cases_with_size_fall": sum(r["size_falls"] > 0 for r in rows),
               "ssim_falls": sum(r["ssim_falls"] for r in rows),
               "step_percent_median": float(np.median([r["step_percent"] for r in rows])),
               "largest_sub_step_percent_max": max(r["largest_sub_step_percent"] for r in rows),
               "start_vs_n_percent_min_max": [min(r["start_vs_n_percent"] for r in rows),
                                              max(r["start_vs_n_percent"] for r in rows)]}
    return {"rows": rows, "summary": summary}


def budget_auto(folder: Path, limit: int | None, budgets: list[int]) -> dict:
    from qualipress.search import budget as budget_mod

    files = _images(folder, (".png", ".jpg", ".jpeg"), limit)
    rows = []
    for p in files:
        for b in budgets:
            row: dict = {"file": p.name, "budget": b}
            modes = ((("race", budget_mod.SCREEN_GAIN_FACTOR, True), ("full", None, False))
                     if hasattr(budget_mod, "SCREEN_GAIN_FACTOR") else (("race", None, True),))  # older tree: once
            for label, factor, screen in modes:
                # (getattr: the same command measures an older tree without the race, PYTHONPATH=<old>/src)
                saved = getattr(budget_mod, "SCREEN_GAIN_FACTOR", None), getattr(budget_mod, "_screened", None)
                budget_mod.SCREEN_GAIN_FACTOR = factor
                if not screen:
                    budget_mod._screened = lambda *a, **k: None  # every codec searched to the end
                try:
                    with tempfile.TemporaryDirectory() as tmp:
                        s = compress_paths([p], Path(tmp), CompressOptions(
                            target=parse_target(f"bytes<={b}"), codec="auto", hooks=PhotoHooks(web=True)))
                finally:
                    budget_mod.SCREEN_GAIN_FACTOR, budget_mod._screened = saved
                r = s.records[0]
                row[label] = {"codec": r.get("codec"), "bytes": r.get("bytes"), "encodes": r.get("encodes"),
                              "ssim": (r.get("metrics") or {}).get("ssim", {}).get("value"),
                              "sha256": r.get("output_sha256"), "error": r.get("error")}
            row.setdefault("full", row["race"])
            row["same_file"] = row["race"]["sha256"] == row["full"]["sha256"]
            row["ssim_loss"] = (round(row["full"]["ssim"] - row["race"]["ssim"], 5)
                                if row["race"]["ssim"] is not None and row["full"]["ssim"] is not None else None)
            print(json.dumps(row), flush=True)
            rows.append(row)
    ok = [r for r in rows if not r["race"]["error"] and not r["full"]["error"]]
    summary = {"cases": len(rows), "same_file": sum(r["same_file"] for r in ok),
               "same_codec": sum(r["race"]["codec"] == r["full"]["codec"] for r in ok),
               "encodes_race_mean": round(float(np.mean([r["race"]["encodes"] for r in ok])), 2) if ok else None,
               "encodes_full_mean": round(float(np.mean([r["full"]["encodes"] for r in ok])), 2) if ok else None,
               "ssim_loss_max": max((r["ssim_loss"] for r in ok), default=None),
               "errors": len(rows) - len(ok)}
    return {"rows": rows, "summary": summary}


def _jxl_psnr(data: bytes, px: np.ndarray) -> float:
    import imagecodecs

    err = imagecodecs.jpegxl_decode(data).astype(np.float64) - px
    return round(float(10 * np.log10(255.0 ** 2 / np.mean(err ** 2))), 2)


def jxl_icc(folder: Path, limit: int | None, distances: tuple[float, ...] = (1.0, 2.0, 4.0)) -> dict:
    import imagecodecs
    from tests.pipeline.test_jxl_icc import P3

    from qualipress.codecs import jxlicc

    rows = []
    for p in _images(folder, (".png",), limit):
        px = read_image(p).pixels
        for d in distances:
            ours = jxlicc.encode(px, P3, distance=d, lossless=False, effort=7)
            plain = bytes(imagecodecs.jpegxl_encode(px, lossless=False, distance=d, effort=7, numthreads=2))

            rows.append({"file": p.name, "distance": d, "libjxl_quality": jxlicc.quality_for_distance(d),
                         "jxlpy_p3_bytes": len(ours), "imagecodecs_bytes": len(plain),
                         "bytes_ratio": round(len(ours) / len(plain), 4), "jxlpy_p3_psnr": _jxl_psnr(ours, px),
                         "imagecodecs_psnr": _jxl_psnr(plain, px)})
    return {"rows": rows, "summary": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("transcode", "budget", "grow", "avif-knobs", "jpeg-grid", "avif-frac",
                                     "budget-auto", "jxl-icc"))
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--budgets", default="20000,50000")
    ap.add_argument("--codecs", default="jpeg,webp,avif,jpegxl")
    ap.add_argument("--codec", default="webp")
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--out", type=Path, help="Write the full JSON here.")
    a = ap.parse_args()
    if a.what == "transcode":
        res = transcode(a.folder, a.limit)
    elif a.what == "budget":
        res = budget(a.folder, a.limit, [int(b) for b in a.budgets.split(",")], a.codecs.split(","))
    elif a.what == "jpeg-grid":
        res = jpeg_grid(a.folder, a.limit)
    elif a.what == "jxl-icc":
        res = jxl_icc(a.folder, a.limit)
    elif a.what == "budget-auto":
        res = budget_auto(a.folder, a.limit, [int(b) for b in a.budgets.split(",")])
    elif a.what == "avif-frac":
        res = avif_frac(a.folder, a.limit)
    elif a.what == "avif-knobs":
        res = avif_knobs(a.folder, a.limit)
    else:
        res = grow(a.folder, a.limit, a.codec, a.profile)
    if a.out:
        a.out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res.get("summary", res), indent=1))


if __name__ == "__main__":
    main()
