"""Tiled and planar-separate TIFF frames are modelled like strip TIFFs (pixels through a lossless coder, the rest
as bytes) and restore bit-exact; compressed ones stay opaque and exact (fix20film: tiled and planar files were
stored whole, about 12 % larger than the same pixels in strips)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from qualipress.film import lossless

from .synth import photo_like

tifffile = pytest.importorskip("tifffile")


def _tiff(px: np.ndarray, **kw: object) -> bytes:
    buf = io.BytesIO()
    rgb = px.shape[-1] == 3
    if kw.get("planarconfig") == "separate":  # tifffile takes a planar image as (samples, rows, columns)
        px = np.moveaxis(px, -1, 0)
    tifffile.imwrite(buf, px, photometric="rgb" if rgb else "minisblack", **kw)
    return buf.getvalue()


def _roundtrip(data: bytes) -> dict:
    out, rec = lossless.archive_bytes(data, name="x.tif")
    assert lossless.restore_bytes(out) == data
    return rec


# tiles that do not divide the frame (edge tiles padded), planar in strips and in tiles, a big-endian file,
# one channel and 8 bits
LAYOUTS = {
    "tiled": {"tile": (32, 48)},
    "planar-strips": {"planarconfig": "separate", "rowsperstrip": 7},
    "planar-tiled": {"planarconfig": "separate", "tile": (16, 32)},
    "tiled-big-endian": {"tile": (32, 32), "byteorder": ">"},
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_tiled_and_planar_tiff_are_modelled_and_exact(name: str) -> None:
    px = photo_like(h=72, w=100, bits=16)
    data = _tiff(px, **LAYOUTS[name])
    model = lossless.model_file(data, name="x.tif")
    assert model.kind == "tiff" and model.residual is None
    assert np.array_equal(model.pixels, px)  # the samples where they belong, not the file order
    rec = _roundtrip(data)
    strip = _roundtrip(_tiff(px))
    assert rec["model"] == "tiff" and rec["residual_bytes"] == 0
    assert rec["pixel_bytes"] == strip["pixel_bytes"]  # the same pixels code to the same bytes


def test_grey_and_8_bit_tiles() -> None:
    grey = photo_like(h=40, w=50, bits=16)[..., :1]
    assert _roundtrip(_tiff(grey, tile=(16, 16)))["model"] == "tiff"
    rgb8 = (photo_like(h=40, w=50, bits=16) >> 8).astype(np.uint8)
    assert _roundtrip(_tiff(rgb8, tile=(16, 32), planarconfig="separate"))["model"] == "tiff"


def test_nonzero_tile_padding_survives() -> None:
    data = bytearray(_tiff(photo_like(h=40, w=50, bits=16), tile=(32, 32)))
    model = lossless.model_file(bytes(data))
    off, n = model.ranges[1]  # the first row's right-hand tile: columns 50..63 are padding
    data[off + n - 1] ^= 0x5A
    rec = _roundtrip(bytes(data))
    assert rec["model"] == "tiff" and rec["residual_bytes"] > 0


@pytest.mark.parametrize("compression", ["zlib", "lzw", "packbits"])
def test_compressed_tiles_stay_opaque_and_exact(compression: str) -> None:
    pytest.importorskip("imagecodecs")
    px = photo_like(h=40, w=50, bits=16)
    for kw in ({"tile": (16, 16)}, {"planarconfig": "separate"}):
        rec = _roundtrip(_tiff(px, compression=compression, **kw))
        assert rec["model"] == "opaque" and "compression" in rec["model_note"]


def test_sparse_tiles_are_opaque_not_damaged() -> None:
    """A tile with no bytes (offset 0, byte count 0: GDAL's SPARSE_OK) is a valid TIFF: stored whole and exact, not
    warned about as a damaged source (rev20c: "damaged: TIFF strips hold 16896 bytes, the image needs 18432")."""
    data = bytearray(_tiff(photo_like(h=40, w=50, bits=16), tile=(16, 16)))
    with tifffile.TiffFile(io.BytesIO(bytes(data))) as tif:
        tags = tif.pages[0].tags
        offs, counts = tags["TileOffsets"], tags["TileByteCounts"]
        fmt = tif.byteorder + {4: "I", 16: "Q"}[tif.tiff.offsetsize]
        for tag in (offs, counts):  # the first tile sparse
            data[tag.valueoffset:tag.valueoffset + tif.tiff.offsetsize] = np.zeros(1, fmt).tobytes()
    rec = _roundtrip(bytes(data))
    assert rec["model"] == "opaque" and rec["damaged"] is None and "sparse" in rec["model_note"]
