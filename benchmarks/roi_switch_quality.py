"""Where ``jpeg-roi`` switches from 4:2:0 to 4:4:4 chroma on real photos (the per-image switch, ``adapt=True``).

For each photo: its fine chroma energy (``qualipress.roi.adapt.chroma_energy``, on the whole image as the codec
measures it) and the lowest quality that gets 4:4:4 (``qualipress.roi.mapping.switch_quality``; "never" for grey
photos, counted apart, and those that stay 4:2:0 up to 100). Grouped by the source's own chroma subsampling (a
JPEG's, read by Pillow; "png" for PNG sources), with the range of energies and of switch qualities per group.

    python benchmarks/roi_switch_quality.py [FOLDER ...]   # default: Kodak and the people photos

Reads pixels only, encodes nothing (a few seconds for the 60 default photos).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _paths import DATA
from PIL import Image, JpegImagePlugin

from qualipress.io import read_image
from qualipress.roi.adapt import chroma_energy
from qualipress.roi.mapping import switch_quality

SAMPLING = {0: "4:4:4 jpeg", 1: "4:2:2 jpeg", 2: "4:2:0 jpeg"}


def _source(path: Path) -> str:
    if path.suffix.lower() == ".png":
        return "png"
    with Image.open(path) as im:
        return SAMPLING.get(JpegImagePlugin.get_sampling(im), "other jpeg")


def main(folders: list[Path]) -> None:
    for folder in folders:
        groups: dict[str, list[tuple[float | None, int | None]]] = {}
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
                continue
            px = np.asarray(read_image(str(path)).pixels)
            if px.ndim != 3 or (np.array_equal(px[..., 0], px[..., 1]) and np.array_equal(px[..., 1], px[..., 2])):
                groups.setdefault("grey", []).append((None, None))  # no chroma: 4:2:0 costs nothing
                continue
            energy = chroma_energy(px[..., :3])
            groups.setdefault(_source(path), []).append((energy, switch_quality(energy)))
        for source, rows in sorted(groups.items()):
            energies = [e for e, _ in rows if e is not None]
            switches = [q for _, q in rows if q is not None]
            shown = f"energy {min(energies):.2f}-{max(energies):.2f}; " if energies else ""
            shown += f"switch at quality {min(switches)}-{max(switches)}" if switches else "no switch"
            print(f"{folder.name}: {source}, {len(rows)} photos; {shown} (never: {len(rows) - len(switches)})")


if __name__ == "__main__":
    given = [Path(a) for a in sys.argv[1:]]
    main(given or [DATA / "kodak", DATA / "people"])
