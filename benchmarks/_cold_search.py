"""What the cold-search benchmarks share (``search_floor``, ``search_budget``, ``search_cold_ratio``).

Their command line (``DATASET [--limit N] [--codec NAME] [--targets "T;T"]``), the images they read (the first
``--limit`` files of ``DATASET`` by name, in the formats ``read_image`` reads), the targets they search, the warm-up
search kept out of their figures, and the encode their ratios divide by.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _timing import best_of

from qualipress import codecs as _codecs
from qualipress.codecs import Codec
from qualipress.io import IMAGE_SUFFIXES, Image, read_image
from qualipress.profiles import get_profile
from qualipress.search import SearchResult, Target, parse_target, search

#: SSIM at three levels and profile C1.
TARGETS = ("ssim>=0.90", "ssim>=0.95", "ssim>=0.99", "C1")


def image_files(dataset: Path, limit: int) -> list[Path]:
    """The first ``limit`` image files of ``dataset`` (not its subfolders) by name."""
    return sorted(p for p in dataset.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]


def cold_search_inputs(description: str, *, limit: int, codec: str) -> tuple[argparse.Namespace, list[Image], Codec]:
    """The parsed command line (defaults ``limit`` and ``codec``), the images read, and the codec."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--limit", type=int, default=limit)
    ap.add_argument("--codec", default=codec)
    ap.add_argument("--targets", default=";".join(TARGETS), help='";"-separated targets or profile names')
    args = ap.parse_args()
    return args, [read_image(f) for f in image_files(args.dataset, args.limit)], _codecs.get(args.codec)


def targets(text: str) -> list[tuple[str, Target]]:
    """``(text, target)`` of each ``;``-separated target (``ssim>=0.95``) or profile name (``C1``) of ``text``."""
    return [(t, get_profile(t).target if t.isalnum() else parse_target(t)) for t in text.split(";")]


def warm_up(image: Image, codec: Codec) -> None:
    """One search for profile C1, so that imports and the predictor's model load outside the figures."""
    search(image, codec, get_profile("C1").target)


def one_encode(codec: Codec, image: Image, result: SearchResult) -> float:
    """CPU seconds of one encode of ``image`` at the setting ``result`` chose, the best of 3."""
    return best_of(lambda: codec.encode(image, quality=result.setting, lossless=result.lossless), 3)
