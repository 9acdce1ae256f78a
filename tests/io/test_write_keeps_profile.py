"""``write_image`` to PNG keeps what the colours mean (ICC) and the photo's EXIF, with orientation 1."""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage

from qualipress.cli import main
from qualipress.io import read_image, write_image
from tests.conftest import photo_like
from tests.pipeline.test_jxl_icc import P3


def test_png_written_from_a_p3_image_keeps_its_profile(tmp_path: Path) -> None:
    src = tmp_path / "p3.png"
    PILImage.fromarray(photo_like(40, 48, seed=5)).save(src, icc_profile=P3)
    out = write_image(tmp_path / "copy.png", read_image(src))
    back = read_image(out)
    assert back.metadata.get("icc_profile") == P3
    assert (back.pixels == read_image(src).pixels).all()


def test_decode_and_preprocess_apply_keep_profile_and_exif(tmp_path: Path) -> None:
    """QA: ``decode x.avif -o x.png`` and ``preprocess apply`` of a Display P3 photo wrote untagged PNGs."""
    src = tmp_path / "p3.jpg"
    exif = PILImage.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "QA7"
    PILImage.fromarray(photo_like(40, 48, seed=6)).save(src, quality=92, icc_profile=P3, exif=exif.tobytes())
    dec = tmp_path / "dec.png"
    assert main(["decode", str(src), "-o", str(dec)]) == 0
    pre = tmp_path / "pre.png"
    assert main(["preprocess", "apply", str(src), "-o", str(pre), "--model", "nlm"]) == 0
    for p in (dec, pre):
        with PILImage.open(p) as im:
            assert im.info.get("icc_profile") == P3
            assert im.size == (40, 48)  # upright
            tags = im.getexif()
            assert tags.get(0x0112) == 1 and tags.get(0x010F) == "QA7"


def test_tiff_written_from_a_p3_image_keeps_its_profile(tmp_path: Path) -> None:
    """QA: ``preprocess apply`` / ``decode`` to ``.tif`` (16-bit sources) dropped the ICC profile too."""
    import numpy as np
    import tifffile

    src = tmp_path / "p3_16.tif"
    px = np.random.default_rng(0).integers(0, 65535, (24, 32, 3)).astype(np.uint16)
    tifffile.imwrite(src, px, photometric="rgb", iccprofile=P3)
    out = write_image(tmp_path / "copy.tif", read_image(src))
    back = read_image(out)
    assert back.metadata.get("icc_profile") == P3 and (back.pixels == px).all()
    grey = read_image(src).with_pixels(px[..., :1])  # an RGB profile on one grey channel is left out
    assert read_image(write_image(tmp_path / "grey.tif", grey)).metadata.get("icc_profile") is None
