"""Encodes per image of a cold ``compress --for web`` on RGBA PNGs (issue 13, QA session 10 finding 7).

Builds three kinds of RGBA image from the first ``--limit`` training photographs (``shared/data/train``, never
Kodak), written under OUT/in (not into the repository):

* ``soft``: the photo with a radial fade to transparent (alpha 1 inside 0.6 of the half-diagonal, 0 beyond 1.1);
* ``logo``: flat colours, a disc and anti-aliased text, with a rectangle of alpha blurred at its edge;
* ``binary``: the photo with binary alpha (a 40-px checkerboard and a disc).

Then runs one ``qualipress compress FILE --for web --profile P --json`` process per file (cold, as a user does),
and prints, per kind, the report's encodes per image, the probes per raced codec, the chosen codec and bytes,
whether the pipeline's re-measurement met the target and whether any output grew. ``--src`` runs another
checkout's ``src`` (e.g. ``git archive COMMIT src | tar -x -C DIR``) to measure before/after on the same files;
``--compare OUT_BEFORE/rows.json`` reports files whose output bytes differ.

    python benchmarks/rgba_race_cost.py -o OUT --limit 12 [--profile C1] [--src PATH_TO_SRC] [--compare ROWS]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
from _paths import DATA, ROOT
from PIL import Image

TRAIN = DATA / "train" / "bsd300_train200"
KINDS = ("soft", "logo", "binary")


def make_set(out: Path, limit: int, train: Path) -> list[Path]:
    """The RGBA files (kind cycles over :data:`KINDS` with the photograph)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, src in enumerate(sorted(train.glob("*.png"))[:limit]):
        rgb = np.asarray(Image.open(src).convert("RGB")).copy()
        h, w = rgb.shape[:2]
        y, x = np.mgrid[0:h, 0:w]
        kind = KINDS[i % len(KINDS)]
        if kind == "soft":
            r = np.hypot((y - h / 2) / (h / 2), (x - w / 2) / (w / 2))
            alpha = np.clip((1.1 - r) / 0.5, 0, 1) * 255
        elif kind == "logo":
            rgb[:] = (30, 80, 200)
            cv2.circle(rgb, (w // 2, h // 2), min(h, w) // 3, (240, 200, 20), -1)
            cv2.putText(rgb, "LOGO", (w // 6, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 8,
                        cv2.LINE_AA)
            a = np.zeros((h, w), np.uint8)
            cv2.rectangle(a, (w // 8, h // 8), (7 * w // 8, 7 * h // 8), 255, -1)
            alpha = cv2.GaussianBlur(a, (5, 5), 0)
        else:
            alpha = (((y // 40 + x // 40) % 2 == 0) | (np.hypot(y - h / 2, x - w / 2) < min(h, w) / 3)) * 255
        path = out / f"{kind}_{src.name}"
        Image.fromarray(np.dstack([rgb, alpha.astype(np.uint8)]), "RGBA").save(path)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--profile", default="C1")
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--train", type=Path, default=TRAIN)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    files = make_set(args.out / "in", args.limit, args.train)
    res = args.out / "out"
    env = dict(os.environ, PYTHONPATH=str(args.src.resolve()))
    rows = []
    for f in files:
        rep = res / f"{f.stem}.jsonl"
        subprocess.run([sys.executable, "-m", "qualipress.cli", "compress", str(f), "-o", str(res), "--for", "web",
                        "--profile", args.profile, "--json", "--overwrite", "--report", str(rep)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        r = json.loads(rep.read_text().splitlines()[-1])
        rows.append({"file": f.name, "kind": f.name.split("_")[0], "encodes": r["encodes"], "codec": r["codec"],
                     "bytes": r["bytes"], "input_bytes": r["input_bytes"], "target_met": r["target_met"],
                     "probes": dict(Counter(p["codec"] for p in r["probes"]))})
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1))
    before = {}
    if args.compare:
        before = {b["file"]: b for b in json.loads(args.compare.read_text())}
    print("| kind | images | encodes/image (each) | probes per codec (mean) | met | grew | bytes differ |")
    print("|---|---|---|---|---|---|---|")
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["kind"]].append(row)
    for kind in (*KINDS, "all"):
        g = rows if kind == "all" else groups[kind]
        if not g:
            continue
        per = defaultdict(list)
        for row in g:
            for c in {c for r in g for c in r["probes"]}:
                per[c].append(row["probes"].get(c, 0))
        probes = ", ".join(f"{c} {statistics.mean(v):.2f}" for c, v in sorted(per.items()))
        each = "" if kind == "all" else " (" + ", ".join(str(r["encodes"]) for r in g) + ")"
        differ = sum(1 for r in g if r["file"] in before and before[r["file"]]["bytes"] != r["bytes"])
        print(f"| {kind} | {len(g)} | {statistics.mean(r['encodes'] for r in g):.2f}{each} | {probes} | "
              f"{sum(r['target_met'] for r in g)}/{len(g)} | {sum(r['bytes'] > r['input_bytes'] for r in g)} | "
              f"{differ if before else '-'} |")


if __name__ == "__main__":
    main()
