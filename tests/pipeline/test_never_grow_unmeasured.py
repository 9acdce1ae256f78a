"""Never-grow candidates that cannot win are not measured (QA session 8).

QA: every ``compress`` of a PNG photograph measured ``source:png`` after the lossy search had already found a file
5-15x smaller, and a JPEG source measured ``transcode:jpeg`` and ``source:jpeg`` as well: 1-2 extra decodes and
SSIM passes per photo, counted in the report's ``encodes`` (PNG photos at ``ssim>=0.95``: 4.0 reported for 3.0
JPEG encodes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import REUSE_PREFIXES, PhotoHooks
from qualipress.search import parse_target
from tests.conftest import photo_like


def _photo(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    arr = photo_like(96, 128, seed=seed).astype(np.int16) + rng.integers(-6, 7, (96, 128, 3), dtype=np.int16)
    return np.clip(arr, 0, 255).astype(np.uint8)


def _unneeded(probes: list[dict]) -> list[dict]:
    """Never-grow probes measured after a smaller (or equal) file meeting the target was in hand."""
    out, best = [], None
    for p in probes:
        reuse = str(p["codec"]).startswith(REUSE_PREFIXES)
        if reuse and best is not None and p["bytes"] >= best:
            out.append(p)
        if p["passed"] and not reuse:
            best = p["bytes"] if best is None else min(best, p["bytes"])
    return out


def test_png_source_is_not_measured_when_the_lossy_file_is_smaller(tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    PILImage.fromarray(_photo(1)).save(src)
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec["codec"] == "jpeg" and rec["target_met"] and rec["bytes"] < src.stat().st_size
    assert not _unneeded(rec["probes"]), rec["probes"]
    assert rec["encodes"] == len(rec["probes"]) == sum(p["codec"] == "jpeg" for p in rec["probes"])


def test_jpeg_source_candidates_are_measured_only_when_they_can_win(tmp_path: Path) -> None:
    for q, target, name in ((95, "ssim>=0.90", "low.jpg"), (70, "psnr>=60", "high.jpg")):
        src = tmp_path / name
        PILImage.fromarray(_photo(2)).save(src, quality=q)
        opts = CompressOptions(target=parse_target(target), codec="jpeg", hooks=PhotoHooks())
        rec = compress_paths([src], tmp_path / f"out-{q}", opts).records[0]
        assert not _unneeded(rec["probes"]), rec["probes"]
        assert rec["bytes"] <= src.stat().st_size
        if q == 70:  # nothing lossy reaches 60 dB: the never-grow candidates are measured and one is kept
            assert str(rec["codec"]).startswith(REUSE_PREFIXES), rec["codec"]


def test_source_over_the_budget_is_not_measured_once_a_file_fits(tmp_path: Path) -> None:
    # QA: `--target "bytes<=20000"` on 225 kB PNG photos measured source:png (225,382 bytes, over the budget) after
    # an AVIF file within the budget had passed; a file over the budget cannot beat one within it
    src = tmp_path / "photo.png"
    PILImage.fromarray(_photo(3)).save(src)
    budget = src.stat().st_size // 3
    opts = CompressOptions(target=parse_target(f"bytes<={budget}"), codec="jpeg", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec["codec"] == "jpeg" and rec["target_met"] and rec["bytes"] <= budget
    assert not [p for p in rec["probes"] if str(p["codec"]).startswith(REUSE_PREFIXES)], rec["probes"]


def test_source_within_the_budget_is_still_kept(tmp_path: Path) -> None:
    # a source under the budget is the highest quality that fits: it must still be raced (and win)
    src = tmp_path / "photo.jpg"
    PILImage.fromarray(_photo(4)).save(src, quality=90)
    opts = CompressOptions(target=parse_target(f"bytes<={src.stat().st_size + 1000}"), codec="jpeg",
                           hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert str(rec["codec"]).startswith(REUSE_PREFIXES) and rec["bytes"] <= src.stat().st_size, rec["codec"]


def test_a_transcode_that_cannot_handle_the_source_is_skipped_not_fatal(tmp_path: Path, monkeypatch) -> None:
    """Sizing a reuse candidate encodes it: a JPEG the transcode cannot handle (arithmetic-coded, 12-bit, backend
    missing) must leave the image to the lossy file that passed, as the race did before (review)."""
    from qualipress.codecs.transcode import TranscodeCodec
    from qualipress.errors import UnsupportedError

    def refuse(self, *args, **kwargs):
        raise UnsupportedError("cannot transcode this JPEG")

    monkeypatch.setattr(TranscodeCodec, "_encode", refuse)
    src = tmp_path / "photo.jpg"
    PILImage.fromarray(_photo(2)).save(src, quality=95)
    opts = CompressOptions(target=parse_target("ssim>=0.90"), codec="jpeg", hooks=PhotoHooks())
    rec = compress_paths([src], tmp_path / "out", opts).records[0]
    assert rec["target_met"] and rec["codec"] == "jpeg", rec
    assert any("skipped transcode:jpeg" in d and "cannot transcode" in d for d in rec["decisions"]), rec["decisions"]
