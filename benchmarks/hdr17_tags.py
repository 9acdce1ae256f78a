"""What colour tag each output of a PQ/HLG AVIF or HEIF carries (hdr17): one ``compress`` per input and codec,
the output's tag read back (AVIF/HEIF ``nclx`` box, JPEG XL colour encoding through OpenImageIO/libjxl, PNG
``cICP``) and the run's ``hdr:``/``auto:`` decision. Prints a Markdown table.

Usage: ``PYTHONPATH=src python benchmarks/hdr17_tags.py OUT FILE...`` (files from
``benchmarks/qa17_web_material.py``: ``avif/pq_bt2020_10.avif``, ``avif/hlg_bt2020_10.avif``,
``heic/pq_bt2020_10.heic``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from qualipress.cli import main as cli
from qualipress.io.metadata import heif_cicp

CODECS = ("avif", "heif", "jpegxl", "png", "jpeg", "jpeg2000", "tiff", "auto")


def tag_of(path: Path) -> str:
    """The output's colour tag, as a reader sees it."""
    data = path.read_bytes()
    if path.suffix in (".avif", ".heic"):
        cicp = heif_cicp(data)
        return f"nclx {cicp[0]}/{cicp[1]}/{cicp[2]}" if cicp else "none"
    if path.suffix == ".jxl":
        import OpenImageIO as oiio

        inp = oiio.ImageInput.open(str(path))
        cicp = inp.spec().getattribute("CICP")
        inp.close()
        return f"CICP {cicp[0]}/{cicp[1]}" if cicp else "none"
    if path.suffix == ".png":
        at = data.find(b"cICP")
        return f"cICP {data[at + 4]}/{data[at + 5]}" if at > 0 else "none"
    return "none (format has no CICP)"


def row(src: Path, out: Path, codec: str) -> str:
    dest = out / f"{src.stem}_{src.suffix[1:]}_{codec}"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli(["compress", str(src), "-o", str(dest), "--codec", codec, "--allow-larger", "--json"])
    rec = json.loads(buf.getvalue())["per_file"][0]
    if not rec.get("output"):
        return f"| {src.name} | {codec} | exit {rc} | {rec.get('error')} | |"
    report = [json.loads(line) for line in (dest / "qualipress-report.jsonl").open()]
    decisions = next(r.get("decisions") or [] for r in report if r.get("output") == rec["output"])
    said = "; ".join(d for d in decisions if d.startswith(("hdr:", "auto: left out"))) or "-"
    output = Path(rec["output"])
    return f"| {src.name} | {codec} | {output.suffix} {rec['bytes']:,} B | {tag_of(output)} | {said} |"


def main() -> None:
    out, files = Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]
    print("| input | --codec | output | tag read back | decision |")
    print("|---|---|---|---|---|")
    for src in files:
        for codec in CODECS:
            print(row(src, out, codec), flush=True)


if __name__ == "__main__":
    main()
