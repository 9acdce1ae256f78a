"""Every grid setting of a codec over a range on one film frame: bytes and the verdict of each film check.

Usage (from the repository root)::

    python benchmarks/film_check_sweep.py /tmp/docs10/ff-2k/dpx/Desk/Desk.0086401.dpx --profile C2 \
        --codec jpegxl --low 1.8 --high 3.6

Shows whether a check's verdict moves steadily with the setting or flips back and forth (the banding check on
grainy frames: ``docs/search.md`` step 6, "Checks that flicker"). The frame is planned by ``FilmHooks`` for the
profile (its checks and encode options, as ``compress`` would use them) without a previous frame, so the temporal
check is not run. Prints one line per setting (coarse to fine as the grid runs): bytes, the checks that failed, and
the banding check's detail.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("frame", type=Path)
    ap.add_argument("--profile", default="C2")
    ap.add_argument("--codec", default="jpegxl")
    ap.add_argument("--low", type=float, required=True, help="lowest setting (native units) swept")
    ap.add_argument("--high", type=float, required=True, help="highest setting swept")
    args = ap.parse_args()
    from qualipress import codecs
    from qualipress.film.hooks import FilmHooks
    from qualipress.io import read_image
    from qualipress.profiles import get_profile
    from qualipress.search.probe import encodable

    prof = get_profile(args.profile)
    image = read_image(args.frame)
    plan = FilmHooks(profile=prof.name).plan(image, path=args.frame, codec=args.codec, target=prof.target,
                                             previous=None)
    cdc = codecs.get(args.codec)
    q = cdc.info.quality
    if q is None:
        raise SystemExit(f"{args.codec} has no quality setting")
    plain = encodable(image)
    for setting in (g for g in q.grid if args.low <= g <= args.high):
        data = cdc.encode(plain, quality=setting, **plan.encode_options.get(args.codec, {}))
        decoded = codecs.decode_like(cdc, data, plain)
        outcomes = [check(image, decoded) for check in plan.checks]
        failed = [o.name for o in outcomes if not o.passed]
        banding = next((o.detail for o in outcomes if o.name == "banding"), "-")
        print(f"{setting:g}\t{len(data)} B\tfailed: {', '.join(failed) or 'none'}\t| banding: {banding}", flush=True)


if __name__ == "__main__":
    main()
