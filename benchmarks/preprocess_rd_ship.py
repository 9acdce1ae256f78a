"""Turn an RD training checkpoint into a shipped Kuchen model: chosen strength, weights and one training record.

Usage::

    python benchmarks/preprocess_rd_ship.py results/rdli.pt --strength 0.6 \
        -o src/qualipress/preprocess/models/kuchen_rd_jpegli.pt \
        --calibration "python benchmarks/preprocess_rd_calibrate.py ...: s 0.4 -0.9 %, 0.6 -1.1 %, ..." \
        --history "started from kuchen-rd (kuchen_rd_jpeg.json: 2,325 steps)"

Reads the run's ``.pt`` and ``.json`` (record) and ``.log.jsonl`` (every logged step) beside it; writes ``-o`` with
the strength stored in the checkpoint and ``-o`` with ``.json``: the run's record plus ``log`` (every line),
``history`` (earlier sittings or the weights it started from) and ``strength_calibration`` (how, chosen, results
text). The shipped files are written atomically; the run's files are only read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--strength", type=float, required=True)
    ap.add_argument("--calibration", required=True, help="the calibration command(s) and their results")
    ap.add_argument("--history", default="", help="what the run started from / earlier sittings")
    args = ap.parse_args(argv)

    from qualipress.io import atomic_write_bytes
    from qualipress.preprocess.model import count_parameters, load_model, save_model, set_strength

    run = json.loads(args.checkpoint.with_suffix(".json").read_text())
    log_path = args.checkpoint.with_suffix(".log.jsonl")
    log = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()] if log_path.is_file() else []
    model = set_strength(load_model(args.checkpoint), args.strength)
    short = dict(model.record)
    short["strength"] = args.strength
    save_model(args.output, model, record=short)
    run["model"] = args.output.name
    run["parameters"] = count_parameters(model)
    run["architecture"] = dict(model.arch)
    run["log"] = log
    if args.history:
        run["history"] = args.history
    run["strength_calibration"] = {"how": args.calibration, "chosen": args.strength}
    atomic_write_bytes(args.output.with_suffix(".json"), json.dumps(run, indent=1).encode())
    size = args.output.stat().st_size / 1e6
    print(f"wrote {args.output} ({size:.2f} MB, strength {args.strength:g}) and {args.output.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
