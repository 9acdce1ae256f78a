"""Which finer person tiles to run, and where (issue 14, session 9): coverage of annotated people vs model runs.

On the 9 COCO development photos (grid shifted 3 px as in ``roi_gt.py``) the person probability of the whole image
and the half-side tiles (the session-8 detector, ``fine_scale=None``) is combined with finer square tiles of
``min(H, W) / k`` for each scale ``k`` and overlap given, each tile run only when its gate allows:

* ``all``: every tile;
* ``in``: the coarse probability reaches 0.5 (a person was found) inside the tile;
* ``near``: ... inside the tile or within half a tile of it (the library's default, ``fine_tiles``).

Each combination builds the ROI as ``analyse`` does (``roi_fill.build``: faces and text too, refinement, 8×8 blocks
at 50%) and is scored with ``block_coverage``; the model runs it adds are counted there and on six 768×512 Kodak
photos (no people: the cost on the timing set).

    python benchmarks/roi_fine_tiles.py
    python benchmarks/roi_fine_tiles.py --tiles 4:0,3:0 --gates in,near

Writes results/roi/fine_tiles[_<tag>].json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roi_fill import build
from roi_gt import annotated_people, load_pair
from roi_gt_split import dataset
from roi_rd import DATA, OUT

KODAK = ("kodim01", "kodim02", "kodim03", "kodim05", "kodim06", "kodim07")


def gate_allows(coarse: np.ndarray, y: int, x: int, s: int, gate: str) -> bool:
    """Whether a tile ``(y, x, s)`` is run under ``gate`` (``all``, ``in``, ``near``)."""
    if gate == "all":
        return True
    m = s // 2 if gate == "near" else 0
    return float(coarse[max(0, y - m) : y + s + m, max(0, x - m) : x + s + m].max()) >= 0.5


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiles", default="4:0,4:0.125,3:0,5:0", help="scale:overlap pairs of the fine tiles")
    ap.add_argument("--gates", default="all,in,near")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    from PIL import Image

    from qualipress.detect import detect
    from qualipress.detect.persons import _square_tiles, person_probability, tiled_person_probability
    from qualipress.roi.groundtruth import block_coverage
    from qualipress.roi.mask import block_levels

    tilings = [(int(k), float(o)) for k, o in (t.split(":") for t in args.tiles.split(","))]
    gates = args.gates.split(",")
    items = [(p, t) for p, t in annotated_people() if dataset(str(p.relative_to(DATA))) == "coco"]
    items += [(DATA / "kodak" / f"{k}.png", None) for k in KODAK]
    res: dict[str, dict[str, dict]] = {}
    for path, truth0 in items:
        if truth0 is None:
            px, truth = np.asarray(Image.open(path).convert("RGB")), None
        else:
            px, truth, _ = load_pair(path, truth0, 3)
        shape = px.shape[:2]
        coarse = tiled_person_probability(px, fine_scale=None)
        others = detect(px, ("faces", "text")) if truth is not None else []
        rules: dict[str, tuple[tuple[int, float] | None, str]] = {"session 8 (no fine tiles)": (None, "")}
        rules.update({f"1/{k} overlap {o:g} {g}": ((k, o), g) for k, o in tilings for g in gates})
        cache: dict[tuple[int, float], list] = {}
        for rname, (tiling, gate) in rules.items():
            prob, runs = coarse.copy(), 0
            if tiling is not None:
                if tiling not in cache:
                    cache[tiling] = [(y, x, s, person_probability(np.ascontiguousarray(px[y : y + s, x : x + s])))
                                     for y, x, s in _square_tiles(shape, *tiling)]
                for y, x, s, p in cache[tiling]:
                    if gate_allows(coarse, y, x, s, gate):
                        runs += 1
                        view = prob[y : y + s, x : x + s]
                        np.maximum(view, p, out=view)
            r: dict = {"runs": runs}
            if truth is not None:
                levels = block_levels(build(shape, prob, others, {}), (8, 8), threshold=0.5)
                r.update(block_coverage(levels, (8, 8), truth))
            res.setdefault(rname, {})[path.name] = r
        print(path.name, flush=True)
    summary = {}
    for rname, per in res.items():
        dev = [v for n, v in per.items() if not n.startswith("kodim")]
        kod = [v for n, v in per.items() if n.startswith("kodim")]
        summary[rname] = {**{k: round(float(np.mean([v[k] for v in dev])), 4)
                             for k in ("coverage", "outside", "persons_found", "runs")},
                          "kodak_runs": round(float(np.mean([v["runs"] for v in kod])), 1)}
        s = summary[rname]
        print(f"{rname:>28}: coverage {s['coverage']:.3f} outside {s['outside']:.3f} found {s['persons_found']:.3f} "
              f"runs {s['runs']:.1f} (Kodak {s['kodak_runs']:.1f})")
    OUT.mkdir(parents=True, exist_ok=True)
    tag = "fine_tiles" + (f"_{args.tag}" if args.tag else "")
    command = "python benchmarks/roi_fine_tiles.py " + " ".join(sys.argv[1:])
    (OUT / f"{tag}.json").write_text(json.dumps({"command": command, "summary": summary, "images": res}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
