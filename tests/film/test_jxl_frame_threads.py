"""Film frames are encoded as JPEG XL in the worker's own thread (``FilmHooks`` plan option ``threads=1``): the
same codestream as libjxl's thread pool writes, so the output decodes bit for bit as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualipress import codecs
from qualipress.cli import main
from qualipress.errors import InputError
from qualipress.film import manifest
from qualipress.film.hooks import FRAME_OPTIONS, ONE_THREAD_SAMPLES, FilmHooks, frame_options
from qualipress.io import Image, dpx, read_image
from qualipress.search import parse_target

from .synth import photo_like


def test_one_thread_writes_the_same_codestream_as_the_pool() -> None:
    # several 256-px groups, so the pool really splits the work
    img = Image(photo_like(h=544, w=800, seed=3), 10, transfer="log")
    jxl = codecs.get("jpegxl")
    for distance in (0.45, 1.6):
        pooled = jxl.encode(img, quality=distance)
        alone = jxl.encode(img, quality=distance, threads=1)
        assert alone == pooled
        assert np.array_equal(jxl.decode(alone).pixels, jxl.decode(pooled).pixels)


def test_threads_option_is_checked() -> None:
    img = Image(photo_like(), 10, transfer="log")
    with pytest.raises(InputError, match="threads"):
        codecs.get("jpegxl").encode(img, quality=1.0, threads=0)


def test_film_plan_encodes_jpegxl_in_the_calling_thread(tmp_path: Path) -> None:
    img = Image(photo_like(), 10, transfer="log")
    tgt = parse_target(["ssim>=0.95"])
    plan = FilmHooks().plan(img, path=tmp_path / "r_0001.dpx", codec="jpegxl", target=tgt, previous=None)
    assert plan.encode_options == {"jpegxl": FRAME_OPTIONS["jpegxl"]} == {"jpegxl": {"threads": 1}}
    other = FilmHooks().plan(img, path=tmp_path / "r_0001.dpx", codec="htj2k", target=tgt, previous=None)
    assert "jpegxl" not in other.encode_options


def test_large_frames_keep_the_pool() -> None:
    # 2K RGB (6.6 million samples) encodes in one thread, 4K (26.5 million) keeps libjxl's pool
    assert 2048 * 1080 * 3 < ONE_THREAD_SAMPLES < 3840 * 2160 * 3
    side = int((ONE_THREAD_SAMPLES // 3) ** 0.5) + 1
    big = Image(np.zeros((side, side, 3), np.uint16), 10, transfer="log")
    small = Image(np.zeros((side - 2, side - 2, 3), np.uint16), 10, transfer="log")
    assert frame_options(["jpegxl", "htj2k"], big) == {}
    assert frame_options(["jpegxl", "htj2k"], small) == {"jpegxl": {"threads": 1}}


def test_film_output_decodes_as_a_default_encode_at_its_setting(tmp_path: Path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    px = photo_like(h=272, w=400, seed=5)
    (src / "reel_1001.dpx").write_bytes(dpx.encode_dpx(px, frame_rate=24, frame=1001))
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--profile", "C1", "--codec", "jpegxl", "--film"]) == 0
    (rec,) = manifest.load(out)
    assert rec["params"]["threads"] == 1
    written = codecs.get("jpegxl").decode((out / "reel_1001.jxl").read_bytes()).pixels
    again = codecs.get("jpegxl").encode(read_image(src / "reel_1001.dpx"), quality=rec["params"]["distance"])
    assert np.array_equal(written, codecs.get("jpegxl").decode(again).pixels)
