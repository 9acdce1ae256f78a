"""What the labels say: per-group 'rd' savings over a label directory, and what the paper's z-score rule picks.

Usage::

    python benchmarks/preprocess_label_stats.py LABELS_RD [LABELS_ZSCORE]

``LABELS_RD`` is a directory labelled (or rescored) with ``--score rd``: every record holds, per group, the percent
of bits saved at equal quality against the codec alone (``rd_saving``). With a second directory labelled by the
paper's z-score rule over the same images, it also reports how often the z-score label saves bits at equal quality.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path


def _records(d: Path) -> dict[str, dict]:
    return {r["sha256"]: r for r in (json.loads(p.read_text()) for p in sorted((d / "records").glob("*.json")))}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rd = _records(Path(args[0]))
    savings: dict[str, list[float]] = defaultdict(list)
    for r in rd.values():
        for s in r["scores"]:
            savings[s["group"]].append(s["rd_saving"] if s["rd_saving"] is not None else -math.inf)
    print(f"{len(rd)} images; rd labels: {dict(Counter(r['best'] for r in rd.values()).most_common())}")
    print("| group | median bits saved at equal quality | images where it saves bits |")
    print("|---|---|---|")
    for g, v in sorted(savings.items(), key=lambda kv: -statistics.median(kv[1])):
        med = statistics.median(v)
        text = f"{med:+.2f}%" if math.isfinite(med) else "rejected (below the codec's curve range)"
        print(f"| {g} | {text} | {sum(x > 0 for x in v)} of {len(v)} |")
    if len(args) > 1:
        z = _records(Path(args[1]))
        common = [k for k in z if k in rd]
        picks = Counter(z[k]["best"] for k in common)
        costly = 0
        for k in common:
            s = {x["group"]: x for x in rd[k]["scores"]}[z[k]["best"]]
            costly += s["rd_saving"] is None or s["rd_saving"] < 0
        print(f"z-score labels over the same {len(common)} images: {dict(picks.most_common())}; "
              f"they cost bits at equal quality on {costly} of {len(common)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
