"""Fingerprints of the JPEG trellis's output, to show that a faster implementation chooses the same levels.

Hashes (SHA-256, first 16 hex digits) of:

* ``random``: :func:`qualipress.codecs.jpegtrellis.trellis` on random blocks (several λ, zero thresholds, one weight
  per position and one per block);
* ``roi/<image>/q<Q>``: the bytes of ``jpeg-roi`` files (codec defaults, detected ROI) of the 24 Kodak and the people
  photos at qualities 30, 60 and 85 (4:2:0 and 4:4:4 profiles, trellis on every block);
* ``rdoq/<image>``: the pixels :func:`qualipress.preprocess.rdoq.rdoq` writes (it calls the same trellis) for
  Kodak 1–4 at quality 50 with its default settings (texture masking: a weight per block) and with the DC
  trellis on and no masking.

    python benchmarks/roi_trellis_identity.py --out ref.json                 # record
    python benchmarks/roi_trellis_identity.py --out new.json --compare ref.json

``--compare`` prints every fingerprint that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from _paths import DATA


def digest(data: bytes | np.ndarray) -> str:
    raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
    return hashlib.sha256(raw).hexdigest()[:16]


def random_cases() -> dict[str, str]:
    from qualipress.codecs.jpegtrellis import ac_symbols, code_lengths, trellis

    out = {}
    rng = np.random.default_rng(2026)
    for case in range(12):
        n = int(rng.integers(1, 3000))
        u = rng.laplace(0, rng.uniform(0.3, 6.0), (n, 64))
        u[rng.random((n, 64)) < 0.3] = 0.0
        lengths = code_lengths(ac_symbols(np.floor(np.abs(u) + 0.5).astype(np.int64)))
        weight = rng.uniform(0.5, 300.0, (n, 64)) if case % 3 == 0 else rng.uniform(0.5, 300.0, 64)
        lam = float(rng.uniform(0.0, 400.0))
        zero = float(rng.choice([0.5, 0.62, 0.8]))
        out[f"random/{case}"] = digest(trellis(u, weight, lam, lengths, zero))
    return out


def roi_cases(limit: int) -> dict[str, str]:
    from qualipress.io import read_image
    from qualipress.roi import RoiJpegCodec

    codec = RoiJpegCodec()
    paths = sorted((DATA / "kodak").glob("*.png"))[:limit]
    people = DATA / "people"
    paths += sorted(p for p in people.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:limit]
    out = {}
    for p in paths:
        im = codec.prepare(read_image(p))
        an = codec.analyse(im)
        for q in (30, 60, 85):
            enc = codec.encode_roi(im, quality=q, analysis=an)
            out[f"roi/{p.relative_to(DATA)}/q{q}"] = digest(enc.data)
        print(p.name, file=sys.stderr, flush=True)
    return out


def rdoq_cases() -> dict[str, str]:
    from dataclasses import replace

    from qualipress.io import read_image
    from qualipress.preprocess.rdoq import RdoqSettings, rdoq

    out = {}
    for p in sorted((DATA / "kodak").glob("*.png"))[:4]:
        im = read_image(p)
        edited, _ = rdoq(im, 50)
        out[f"rdoq/{p.name}"] = digest(edited.pixels)
        s = replace(RdoqSettings(), dc=True, masking=0.0)
        edited, _ = rdoq(im, 50, settings=s)
        out[f"rdoq-dc-unmasked/{p.name}"] = digest(edited.pixels)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", default="")
    ap.add_argument("--limit", type=int, default=1000, help="images per folder")
    args = ap.parse_args()
    prints = {**random_cases(), **rdoq_cases(), **roi_cases(args.limit)}
    Path(args.out).write_text(json.dumps(prints, indent=1))
    if not args.compare:
        print(f"{len(prints)} fingerprints -> {args.out}")
        return 0
    ref = json.loads(Path(args.compare).read_text())
    diff = sorted(k for k in set(ref) | set(prints) if ref.get(k) != prints.get(k))
    for k in diff:
        print(f"DIFFERS {k}: {ref.get(k)} -> {prints.get(k)}")
    print(f"{len(prints) - len(diff)} of {len(set(ref) | set(prints))} fingerprints identical")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
