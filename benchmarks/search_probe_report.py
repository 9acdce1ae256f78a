"""Why searches take more than two full-image probes, from ``qualipress bench search`` outputs.

The proof needs two full-image probes (the lowest passing setting and its failing neighbour), so 2.0 per search is
the floor whenever the lowest grid setting does not pass. For each codec and mode this prints how many searches
took 1, 2, 3, 4, 5+ full-image probes and, for those with 3 or more, where the first full-image probe landed
against the final pair (grid steps from the lowest passing setting ``L``: ``0`` = on ``L``, ``-1`` = on its
failing neighbour, both "in the pair"; settings that write the same file count as one), and why: the first probe
outside the pair, a lossless comparison (:mod:`qualipress.search.lossless`), a drop check
(:mod:`qualipress.search.drops`), or a pair reached only after a step past it. Last, the floor the first probe
leaves: the mean the searches would make were every probe after the first placed perfectly (:func:`floor`). Needs
the rows' ``probes`` (bench outputs from 2026-11-30 on).

Usage::

    python benchmarks/search_probe_report.py DIR [DIR ...]   # directories holding search-bench.json
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from qualipress import codecs
from qualipress.search import plateaus


def _groups(codec_name: str) -> tuple[list[float], list[tuple[int, int]]]:
    codec = codecs.get(codec_name)
    grid = list(codec.info.quality.grid)
    return grid, plateaus.groups(codec, grid)


def _index(grid: list[float], setting: float) -> int:
    return min(range(len(grid)), key=lambda k: abs(grid[k] - setting))


def offsets(row: dict) -> tuple[int | None, list[int]]:
    """The first probe's distance from the final pair (in groups), and every lossy probe's grid index."""
    grid, gr = _groups(row["codec"])
    firsts = sorted({a for a, _ in gr})
    lossy = [_index(grid, p[0]) for p in row["probes"] if p[0] is not None]
    if row["lowest_passing_index"] is None or not lossy:
        return None, lossy
    low = firsts.index(gr[row["lowest_passing_index"]][0])
    return firsts.index(gr[lossy[0]][0]) - low, lossy


def floor(row: dict) -> int | None:
    """Fewest full-image probes the search could have made after its own first one, had every later probe been
    placed perfectly: 2 when the first probe is in the final pair (the other end of the proof is still needed),
    else 3 (both ends of the pair), plus its lossless comparison and drop checks (None: no passing lossy probe)."""
    off, lossy = offsets(row)
    if off is None:
        return None
    return (2 if off in (0, -1) else 3) + (len(row["probes"]) - len(lossy)) + row.get("guard_probes", 0)


def report(rows: list[dict]) -> str:
    lines = []
    keys = dict.fromkeys((r["codec"], r["mode"]) for r in rows)
    for codec, mode in keys:
        sel = [r for r in rows if r["codec"] == codec and r["mode"] == mode]
        hist = collections.Counter(min(r["encodes"], 5) for r in sel)
        first = collections.Counter()
        why = collections.Counter()
        for r in sel:
            off, _ = offsets(r)
            guard = r.get("guard_probes", 0)
            if r["encodes"] >= 3:
                first[off] += 1
                lossy = sum(p[0] is not None for p in r["probes"])
                if lossy <= 2:
                    why["lossless comparison (a third encode)"] += 1
                elif lossy - guard <= 2:
                    why["drop check"] += 1
                elif off in (0, -1):
                    why["first probe in the final pair, then off it"] += 1
                else:
                    why["first probe outside the final pair"] += 1
        mean = sum(r["encodes"] for r in sel) / len(sel)
        lines.append(f"{codec} {mode}: {len(sel)} searches, mean {mean:.2f}; probes 1/2/3/4/5+: "
                     f"{'/'.join(str(hist[k]) for k in range(1, 6))}; drop checks "
                     f"{sum(r.get('guard_probes', 0) for r in sel)}")
        lines.append(f"  3+: first probe at L{{offset}}: {dict(sorted(first.items(), key=lambda kv: kv[0] or 0))}; "
                     f"{dict(why)}")
        floors = [f for r in sel if (f := floor(r)) is not None]
        in_pair = sum(offsets(r)[0] in (0, -1) for r in sel)
        if floors:
            lines.append(f"  first probe in the final pair {in_pair} of {len(sel)}; with every later probe perfect: "
                         f"mean {sum(floors) / len(floors):.2f} over {len(floors)} searches")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    a = ap.parse_args()
    rows = []
    for d in a.dirs:
        rows += json.loads((d / "search-bench.json").read_text())
    print(report(rows))


if __name__ == "__main__":
    main()
