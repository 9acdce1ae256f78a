"""Photo pipeline measurements: lossless JPEG transcodes, byte-budget accuracy, outputs vs compressed inputs.

Usage::

    nice .venv/bin/python benchmarks/photo_pipeline.py transcode ../shared/data/people
    nice .venv/bin/python benchmarks/photo_pipeline.py budget ../shared/data/kodak --limit 6 \\
        --budgets 20000,50000 --codecs jpeg,webp,avif,jpegxl
    nice .venv/bin/python benchmarks/photo_pipeline.py grow ../shared/data/people --codec webp --profile C1

``transcode``: for every JPEG, the bytes of ``transcode:jpeg`` (mozjpeg lossless) and ``transcode:jpegxl`` (JPEG
XL recompression; checked to rebuild the JPEG bit for bit). ``budget``: for each image, codec and budget, the
chosen file's bytes as a fraction of the budget, the encodes it took, and whether the next grid setting up would
have fitted (it must not). ``grow``: ``compress`` with the never-grow candidates (default) and with
``--allow-larger``: how many outputs are larger than their input, and the total bytes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from qualipress import codecs
from qualipress.io import read_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.profiles import get_profile
from qualipress.search import search


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("transcode", "budget", "grow"))
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
    else:
        res = grow(a.folder, a.limit, a.codec, a.profile)
    if a.out:
        a.out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res.get("summary", res), indent=1))


if __name__ == "__main__":
    main()
