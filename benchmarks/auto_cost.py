"""What ``--codec auto`` costs against searching only the codec it ends up choosing.

Usage::

    python benchmarks/auto_cost.py ../shared/data/kodak --limit 3 --targets "C1" --full

For each image and target: ``best_of`` over ``auto_candidates()`` with the race (as ``compress --codec auto``
does), then ``search`` with the codec it chose, each cold (no warm start). Times are CPU seconds of this process
(``time.process_time``): the development machine is shared. The summary gives the mean, median and largest per-run
ratio and the ratio of the totals (issue 12's goal is read both ways, docs/benchmarks.md § `auto` per run).
``--full`` also searches every candidate to the end (no race) and reports whether the race chose the same file.
``--warm``: the images in order, as a batch does (``pipeline.batch``): ``best_of`` starts each codec from its hint
on the previous image (codecs that were searched there to a result, not beaten or lossless), and the single-codec
search from that codec's hint of its last single-codec search (cold when it was never chosen before).
Before the timed runs, every candidate is searched once, untimed, on the first image at the first target (as
``qualipress bench search`` warms up), with the compiled SSIM kernels loaded first (unless ``QUALIPRESS_FUSED=0``):
the codecs' libraries load, and the kernels load or compile, outside the rows. Without that the automatic rule
(``metrics.core.FUSED_AFTER``) switched to the kernels at the process's 100th measurement, inside whichever race
made it: 0.55 s there, or 8-18 s in a fresh checkout that compiles them (docs/benchmarks.md § Warm starts and auto
(warm19)). The rows then measure as a batch does after its first 100 measurements.
``--race-loss X`` sets ``qualipress.search.search.RACE_LOSS`` (how much larger than the file to beat a racing
codec's smallest possible file must be predicted before it is given up; ``off``: races end on proofs only).
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

import numpy as np

from qualipress.bench.search_bench import resolve_target
from qualipress.codecs import auto_candidates
from qualipress.io import IMAGE_SUFFIXES, read_image
from qualipress.metrics import core as metrics_core
from qualipress.search import Hint, best_of, search

search_module = importlib.import_module("qualipress.search.search")


def _stop(beaten: str | None) -> str:
    """How a racing search ended early: proved beaten, or given up on a prediction (``search.predicted_loss``)."""
    if not beaten:
        return ""
    return ", predicted" if beaten.startswith("predicted") else ", beaten"


def run(dataset: Path, targets: list[str], limit: int, full: bool, warm: bool = False) -> str:
    files = sorted(p for p in dataset.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    cands = auto_candidates()
    rows = ["| image | target | chosen | bytes | auto: CPU s / encodes | single codec: CPU s / encodes | auto / single "
            "| searched (encodes) | skipped | same as full search |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    ratios: list[float] = []
    totals = [0.0, 0.0]  # CPU seconds: every race, every single-codec search
    sames: list[str] = []
    if files:  # warm-up, untimed: loads (or compiles) what a timed race would otherwise pay for
        if metrics_core.USE_FUSED is not False:
            importlib.import_module("qualipress.metrics.fused")  # numba loaded: the kernels serve from now on
        best_of(read_image(files[0]), cands, resolve_target(targets[0]), race=False)
    hints: dict[str, dict[str, Hint]] = {t: {} for t in targets}   # per target: best_of's hints, by codec
    single_hints: dict[str, dict[str, Hint]] = {t: {} for t in targets}
    for f in files:
        img = read_image(f)
        for text in targets:
            tgt = resolve_target(text)
            skipped: list[str] = []
            t0 = time.process_time()
            starts = dict(hints[text]) if warm else None
            best, per = best_of(img, cands, tgt, starts=starts, on_skip=lambda n, _why, out=skipped: out.append(n))
            t_auto = time.process_time() - t0
            enc_auto = sum(r.encodes for r in per.values())
            start = single_hints[text].get(best.codec) if warm else None
            t0 = time.process_time()
            single = search(img, best.codec, tgt, start=start)
            t_single = time.process_time() - t0
            if warm:
                for name, r in per.items():
                    h = getattr(r, "hint", None)
                    if h is not None and not r.lossless and r.beaten is None:
                        hints[text][name] = h
                if (h := getattr(single, "hint", None)) is not None and not single.lossless:
                    single_hints[text][best.codec] = h
            same = "–"
            if full:
                full_best, _ = best_of(img, cands, tgt, race=False)
                same = "yes" if full_best.codec == best.codec and len(full_best.data) == len(best.data) else (
                    f"no ({full_best.codec} {len(full_best.data):,})")
            ratios.append(t_auto / t_single)
            totals[0] += t_auto
            totals[1] += t_single
            sames.append(same)
            searched = ", ".join(f"{n} ({r.encodes}{_stop(r.beaten)})" for n, r in per.items())
            rows.append(f"| {f.name} | {text} | {best.codec} | {len(best.data):,} | {t_auto:.2f} / {enc_auto} | "
                        f"{t_single:.2f} / {single.encodes} | {t_auto / t_single:.2f}× | {searched} | "
                        f"{', '.join(skipped) or '–'} | {same} |")
            print(rows[-1], flush=True)
    rows.append(f"\nmean auto / single {np.mean(ratios):.2f}×, median {np.median(ratios):.2f}×, "
                f"max {np.max(ratios):.2f}× over {len(ratios)} runs; Σ auto / Σ single {totals[0] / totals[1]:.2f}× "
                f"({totals[0]:.2f} / {totals[1]:.2f} CPU s)")
    if full:
        rows.append(f"same file as every codec searched to its end: {sames.count('yes')} of {len(sames)}")
    return "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--targets", default="C1", help="';'-separated targets or profile names")
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also search every codec to check the choice")
    ap.add_argument("--warm", action="store_true", help="warm-start each image from the previous one, as a batch")
    ap.add_argument("--race-loss", default=None,
                    help="RACE_LOSS for this run (a fraction, or 'off'); default: the shipped value")
    a = ap.parse_args()
    if a.race_loss is not None:
        search_module.RACE_LOSS = None if a.race_loss == "off" else float(a.race_loss)
    print(run(a.dataset, a.targets.split(";"), a.limit, a.full, a.warm))


if __name__ == "__main__":
    main()
