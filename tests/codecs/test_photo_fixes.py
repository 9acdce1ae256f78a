"""Codec fixes from the photo pipeline issue: AVIF grey honours quality, aliases, unknown names up front."""

from __future__ import annotations

import numpy as np
import pytest

from qualipress import codecs
from qualipress.errors import UnsupportedError
from qualipress.io import as_image
from tests.conftest import photo_like


def test_avif_grey_honours_quality() -> None:
    avif = codecs.get("avif")
    grey = as_image(photo_like(128, 128, channels=1))
    low, high = avif.encode(grey, quality=20), avif.encode(grey, quality=90)
    assert len(low) < len(high) / 3
    decoded = codecs.decode_like(avif, high, grey)
    assert decoded.pixels.shape == grey.pixels.shape
    assert np.abs(decoded.pixels.astype(int) - grey.pixels).mean() < 3


@pytest.mark.parametrize(("alias", "name"), [("jxl", "jpegxl"), ("jpg", "jpeg"), ("JPG", "jpeg")])
def test_aliases(alias: str, name: str) -> None:
    assert codecs.resolve(alias) == [name]
    assert codecs.get(alias.lower()).name == name


def test_unknown_codec_suggests() -> None:
    with pytest.raises(UnsupportedError, match="did you mean 'webp'"):
        codecs.resolve("jpeg,wbp")
    with pytest.raises(UnsupportedError, match="unknown codec"):
        codecs.get("nonsense")
    assert codecs.resolve("auto") == ["auto"]


def test_jpegls_encodes_incompressible_images():
    """QA: JPEG-LS failed on noise ("destination buffer is too small"): CharLS's own buffer assumes the file
    shrinks."""
    import numpy as np

    from qualipress import codecs
    from qualipress.io import as_image

    px = np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    c = codecs.get("jpegls")
    assert np.array_equal(c.decode(c.encode(as_image(px), lossless=True)).pixels, px)


@pytest.mark.parametrize(("codec", "option", "value", "valid"), [
    ("avif", "speed", 99, "0-10"), ("jpegxl", "effort", 0, "1-10"), ("jpeg", "subsampling", 411, "'444'"),
    ("webp", "method", 7, "0-6"), ("jpeg", "subsampling", "fast", "'auto'"), ("avif", "speed", 2.5, "0-10"),
])
def test_codec_option_values_are_checked(codec: str, option: str, value: object, valid: str) -> None:
    """QA (qa2): ``--codec-opt speed=99`` (avif), ``effort=0`` (jpegxl), ``subsampling=411`` (jpeg) were
    accepted silently; the refusal names the valid range or choices."""
    import numpy as np

    from qualipress import codecs
    from qualipress.errors import InputError
    from qualipress.io import as_image

    c = codecs.get(codec)
    if not c.is_available():
        pytest.skip(f"{codec} not installed")
    with pytest.raises(InputError, match=rf"{option}={value}.*{valid}"):
        c.encode(as_image(np.full((16, 16, 3), 100, np.uint8)), **{option: value})


def test_cli_refuses_out_of_range_codec_option(tmp_path, capsys) -> None:
    import numpy as np

    from qualipress.cli import main
    from qualipress.io import as_image
    from qualipress.io.writers import encode_png

    src = tmp_path / "a.png"
    src.write_bytes(encode_png(as_image(np.full((16, 16, 3), 100, np.uint8))))
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "jpeg",
                 "--codec-opt", "subsampling=411"]) == 2
    err = capsys.readouterr().err
    assert "subsampling" in err and "'420'" in err and len(err.strip().splitlines()) == 1
