from __future__ import annotations

import imagecodecs
import numpy as np
import pytest

from qualipress.codecs.jpegtrellis import ZIGZAG, ac_symbols, bit_length, code_lengths
from qualipress.errors import InputError
from qualipress.io.jpegtables import ANNEX_K_CHROMA, ANNEX_K_LUMA, ijg_table
from qualipress.roi.encoder import (
    STD_LUMA,
    blockify,
    encode_blocks,
    fdct,
    quality_table,
    rdo_lambda,
    rdo_quantise,
    rgb_to_ycbcr,
)
from qualipress.roi.trellis import TrellisPlane, trellis_planes

from .test_encoder import read_dct


def _luma_coefs(px: np.ndarray) -> np.ndarray:
    return fdct(blockify(rgb_to_ycbcr(px)[..., 0].astype(np.float64) - 128.0))


def _cost(coefs: np.ndarray, levels: np.ndarray, table: np.ndarray, lam: float, lengths: np.ndarray) -> float:
    """The trellis's objective over all blocks: squared AC error in DCT units + lam × (symbol + magnitude bits)."""
    c = coefs.reshape(-1, 64)[:, ZIGZAG]
    lv = levels.reshape(-1, 64)[:, ZIGZAG]
    steps = table.reshape(-1)[ZIGZAG]
    dist = float(((c[:, 1:] - lv[:, 1:] * steps[1:]) ** 2).sum())
    bits = float((ac_symbols(lv) * lengths).sum() + bit_length(np.abs(lv[:, 1:])).sum())
    return dist + lam * bits


def test_trellis_lowers_the_rd_cost_of_rdo_levels_and_keeps_dc(textured):
    px = textured(64, 96)
    coefs = _luma_coefs(px)
    table = quality_table(STD_LUMA, 60)
    lam = rdo_lambda(60)
    start = rdo_quantise(coefs, table, lam, 2.0)
    start[..., 0, 0] = np.rint(coefs[..., 0, 0] / table[0, 0])
    plane = TrellisPlane(coefs, start, table, np.full(coefs.shape[:2], lam), 0)
    out = trellis_planes([plane], passes=1)[0]
    lengths = code_lengths(ac_symbols(start.reshape(-1, 64)[:, ZIGZAG]))
    assert _cost(coefs, out, table, lam, lengths) < 0.99 * _cost(coefs, start, table, lam, lengths)
    assert np.array_equal(out[..., 0, 0], start[..., 0, 0])
    # every level is the rounded one, one less in magnitude, or zero
    plain = np.rint(np.abs(coefs) / table)
    mag = np.abs(out)
    ac = np.ones((8, 8), bool)
    ac[0, 0] = False
    ok = (mag == plain) | (mag == plain - 1) | (mag == 0)
    assert ok[..., ac].all()


def test_trellis_leaves_blocks_without_multiplier_alone(textured):
    px = textured(64, 96)
    coefs = _luma_coefs(px)
    table = quality_table(STD_LUMA, 50)
    start = np.rint(coefs / table).astype(np.int32)
    lam = np.full(coefs.shape[:2], rdo_lambda(50))
    lam[:, :6] = -1.0
    out = trellis_planes([TrellisPlane(coefs, start, table, lam, 0)])[0]
    assert np.array_equal(out[:, :6], start[:, :6])
    assert not np.array_equal(out[:, 6:], start[:, 6:])
    with pytest.raises(InputError):
        trellis_planes([TrellisPlane(coefs, start, table, lam, 0)], passes=0)


@pytest.mark.parametrize("sub", ["444", "420"])
def test_roi_trellis_changes_roi_blocks_only_and_shrinks_the_file(textured, sub):
    img = textured(96, 128)
    mh = 16 if sub == "420" else 8
    levels = np.zeros((96 // mh, 128 // mh), np.uint8)
    levels[:, : levels.shape[1] // 2] = 1  # left half ROI
    opts = {"subsampling": sub, "fine_rdo": 1.0, "dc_rdo": 1.0}
    off, _ = encode_blocks(img, levels, {0: 30, 1: 80}, **opts)
    roi, _ = encode_blocks(img, levels, {0: 30, 1: 80}, trellis="roi", **opts)
    everywhere, _ = encode_blocks(img, levels, {0: 30, 1: 80}, trellis="all", **opts)
    assert len(roi) < len(off) and len(everywhere) < len(roi)
    a, b = read_dct(off), read_dct(roi)
    half = 128 // 8 // 2
    assert np.array_equal(a.Y[:, half:], b.Y[:, half:])  # background luma untouched
    assert not np.array_equal(a.Y[:, :half], b.Y[:, :half])
    assert np.array_equal(a.Y[..., 0, 0], b.Y[..., 0, 0])  # DC untouched
    for data in (roi, everywhere):  # any decoder opens it, pixels close to the source
        dec = imagecodecs.jpeg8_decode(data)
        assert dec.shape == img.shape
        assert np.abs(dec.astype(float) - img).mean() < 12


def test_trellis_option_is_checked(textured):
    img = textured(16, 16)
    with pytest.raises(InputError):
        encode_blocks(img, np.zeros((2, 2), np.uint8), {0: 50}, subsampling="444", trellis="everywhere")
    with pytest.raises(InputError):
        encode_blocks(img, np.zeros((2, 2), np.uint8), {0: 50}, subsampling="444", trellis="roi", trellis_scale=0)
    with pytest.raises(InputError):
        encode_blocks(img, np.zeros((2, 2), np.uint8), {0: 50}, subsampling="444", trellis="all", trellis_passes=0)


def test_second_trellis_pass_uses_the_first_passs_code_lengths(textured):
    # a second pass re-estimates the code lengths from the first pass's levels: other levels, a file no larger
    # under the codec's own option (given as text, as on the command line)
    from qualipress.io import as_image
    from qualipress.roi import RoiJpegCodec

    img = as_image(textured(96, 128))
    codec = RoiJpegCodec()
    mask = np.zeros((96, 128), bool)
    mask[:, :64] = True
    one = codec.encode_roi(img, quality=40, roi_mask=mask, trellis_passes="1").data
    two = codec.encode_roi(img, quality=40, roi_mask=mask, trellis_passes="2").data
    assert codec.encode_roi(img, quality=40, roi_mask=mask).data == two  # the default
    for bad in ({"trellis_passes": "abc"}, {"trellis_passes": "1.5"}, {"trellis_scale": "x"}):
        with pytest.raises(InputError, match="must be"):
            codec.encode_roi(img, quality=40, roi_mask=mask, **bad)
    assert two != one
    assert len(two) <= len(one) * 1.002
    assert imagecodecs.jpeg8_decode(two).shape == (96, 128, 3)


@pytest.mark.parametrize("q", [9, 23, 30, 37, 48])
def test_header_table_is_libjpegs_below_quality_50(textured, q):
    # libjpeg scales by the integer 5000 // q below quality 50; the file's DQT is what the decoder uses
    img = textured(16, 16)
    j = read_dct(imagecodecs.jpeg8_encode(img, level=q, subsampling="444"))
    assert np.array_equal(j.qt[0], quality_table(ANNEX_K_LUMA, q))
    assert np.array_equal(j.qt[1], quality_table(ANNEX_K_CHROMA, q))
    ours = read_dct(encode_blocks(img, np.zeros((2, 2), np.uint8), {0: q}, subsampling="444")[0])
    assert np.array_equal(ours.qt[0], j.qt[0]) and np.array_equal(ours.qt[1], j.qt[1])
    # the real-valued scale (kept for fractional qualities) differs from libjpeg's at these qualities
    assert not np.array_equal(ijg_table(ANNEX_K_LUMA, q), j.qt[0]) or not np.array_equal(
        ijg_table(ANNEX_K_CHROMA, q), j.qt[1])


def test_each_block_keeps_the_cheaper_of_rdo_and_trellis(textured):
    # a coarse multiplier on a fine grid: the RDO drops size classes, the trellis only one level, so per block the
    # model cost of the result is never above the RDO's start
    from tests.codecs.trellis_reference import _rd_cost

    px = textured(64, 96)
    coefs = _luma_coefs(px)
    table = quality_table(STD_LUMA, 90)
    lam = rdo_lambda(25)
    start = rdo_quantise(coefs, table, lam, 2.0)
    # one pass: the property holds under that pass's code lengths (a second pass re-estimates them)
    out = trellis_planes([TrellisPlane(coefs, start, table, np.full(coefs.shape[:2], lam), 0)], passes=1)[0]
    steps = table.reshape(-1)[ZIGZAG].astype(float)
    u = coefs.reshape(-1, 64)[:, ZIGZAG] / steps
    lengths = code_lengths(ac_symbols(start.reshape(-1, 64)[:, ZIGZAG]))
    a = _rd_cost(u, start.reshape(-1, 64)[:, ZIGZAG], steps**2, lam, lengths)
    b = _rd_cost(u, out.reshape(-1, 64)[:, ZIGZAG], steps**2, lam, lengths)
    assert (b <= a + 1e-6).all() and (b < a - 1e-6).any()


def test_rgb_weighting_spends_more_on_420_chroma(textured):
    # with 4:2:0 a chroma coefficient covers four pixels: weighed by its RGB error the trellis keeps more chroma
    img = textured(96, 128)
    levels = np.zeros((6, 8), np.uint8)
    plain, _ = encode_blocks(img, levels, {0: 40}, subsampling="420", trellis="all", fine_rdo=1.0)
    rgb, _ = encode_blocks(img, levels, {0: 40}, subsampling="420", trellis="all", fine_rdo=1.0, trellis_rgb=True)
    a, b = read_dct(plain), read_dct(rgb)
    assert np.array_equal(a.Y, b.Y)
    assert np.count_nonzero(b.Cb) + np.count_nonzero(b.Cr) > np.count_nonzero(a.Cb) + np.count_nonzero(a.Cr)


def test_codec_trellis_options_from_text(textured):
    from qualipress.io import as_image
    from qualipress.roi import RoiJpegCodec

    img = as_image(textured(64, 64))
    codec = RoiJpegCodec()
    mask = np.zeros((64, 64), bool)
    mask[:32] = True
    on = codec.encode_roi(img, quality=50, roi_mask=mask).data
    assert codec.encode_roi(img, quality=50, roi_mask=mask, trellis_rgb="true").data == on
    off = codec.encode_roi(img, quality=50, roi_mask=mask, trellis_rgb="false").data
    assert off != on
    assert codec.encode_roi(img, quality=50, roi_mask=mask, trellis="off").data != on


def test_compiled_plane_trellis_matches_the_numpy_reference(data_dir):
    # the compiled pass (trellis + keep-the-cheaper) chooses the levels the NumPy implementation chose, on a photo
    # with three multipliers and blocks left alone, starting from RDO levels as the encoder does
    from qualipress.io import read_image
    from qualipress.roi.trellis import _one_plane
    from tests.codecs.trellis_reference import reference_keep_cheaper

    px = read_image(data_dir / "kodak" / "kodim15.png").pixels
    coefs = _luma_coefs(px)
    table = quality_table(STD_LUMA, 85)
    rng = np.random.default_rng(0)
    lam = rng.choice([-1.0, rdo_lambda(85), rdo_lambda(60), rdo_lambda(30)], coefs.shape[:2])
    start = rdo_quantise(coefs, table, rdo_lambda(40), 2.0)
    plane = TrellisPlane(coefs, start, table, lam, 0)
    zz = start.reshape(-1, 64)[:, ZIGZAG].astype(np.int64)
    lengths = code_lengths(ac_symbols(zz))
    steps = table.reshape(-1)[ZIGZAG].astype(np.float64)
    ref = reference_keep_cheaper(coefs.reshape(-1, 64)[:, ZIGZAG] / steps, steps**2, lam.reshape(-1), lengths, zz)
    got = _one_plane(plane, zz, lengths)
    assert not np.array_equal(got, zz)
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("sub", ["444", "420"])
def test_dc_trellis_moves_dc_levels_by_at_most_one_step_and_saves_bits(textured, sub):
    from qualipress.codecs.jpegtrellis import DC_SYMBOLS, dc_symbols
    from qualipress.roi.encoder import scan_order

    img = textured(192, 256)
    mh = 16 if sub == "420" else 8
    levels = np.zeros((192 // mh, 256 // mh), np.uint8)
    levels[:, : levels.shape[1] // 2] = 1
    opts = {"subsampling": sub, "fine_rdo": 1.0, "trellis": "all"}
    plain, _ = encode_blocks(img, levels, {0: 30, 1: 60}, **opts)
    dc, _ = encode_blocks(img, levels, {0: 30, 1: 60}, trellis_dc=True, **opts)
    a, b = read_dct(plain), read_dct(dc)
    order = scan_order(a.Y.shape[:2], (mh // 8, mh // 8))

    def dc_bits(y):  # DPCM bits along the coding order under the chain's own optimal-ish code lengths
        counts = dc_symbols(y[..., 0, 0].reshape(-1)[order])
        return float((counts * (code_lengths(counts) + np.arange(DC_SYMBOLS))).sum())

    assert dc_bits(b.Y) < dc_bits(a.Y)
    assert len(dc) < 1.01 * len(plain)
    # ROI blocks (fine rounding before) move at most to the level on the other side of their coefficient
    coefs = _luma_coefs(img)[..., 0, 0] / a.qt[0][0, 0]
    half = 256 // 8 // 2
    assert (np.abs(b.Y[:, :half, 0, 0] - coefs[:, :half]) < 1.0).all()
    assert not np.array_equal(a.Y[:, :half, 0, 0], b.Y[:, :half, 0, 0])
    dec = imagecodecs.jpeg8_decode(dc)
    assert dec.shape == img.shape and np.abs(dec.astype(float) - img).mean() < 12


def test_background_chroma_multiplier_drops_background_chroma_only(textured):
    img = textured(96, 128)
    levels = np.zeros((12, 16), np.uint8)
    levels[:, :8] = 1  # left half ROI (4:4:4, 8×8 MCUs)
    opts = {"subsampling": "444", "trellis": "all", "fine_rdo": 1.0, "trellis_rgb": True}
    base, _ = encode_blocks(img, levels, {0: 30, 1: 70}, **opts)
    same, _ = encode_blocks(img, levels, {0: 30, 1: 70}, bg_chroma_lambda=1.0, **opts)
    coarse, _ = encode_blocks(img, levels, {0: 30, 1: 70}, bg_chroma_lambda=4.0, **opts)
    assert same == base and len(coarse) < len(base)
    a, b = read_dct(base), read_dct(coarse)
    assert np.array_equal(a.Y, b.Y)  # luma untouched
    # ROI chroma only moves through the image's shared code lengths and the DC chain; the background's drops
    changed = sum(np.count_nonzero(ca[:, :8] != cb[:, :8]) for ca, cb in ((a.Cb, b.Cb), (a.Cr, b.Cr)))
    assert changed < 0.01 * 2 * a.Cb[:, :8].size
    nz = lambda c: np.count_nonzero(c[:, 8:, :, :])  # noqa: E731
    assert nz(b.Cb) + nz(b.Cr) < 0.8 * (nz(a.Cb) + nz(a.Cr))
    # no ROI: one level, nothing to weigh differently
    uni, _ = encode_blocks(img, np.zeros_like(levels), {0: 40}, **opts)
    assert encode_blocks(img, np.zeros_like(levels), {0: 40}, bg_chroma_lambda=4.0, **opts)[0] == uni
