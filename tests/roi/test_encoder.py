from __future__ import annotations

import io
import os
import tempfile

import cv2
import imagecodecs
import jpeglib
import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.errors import InputError
from qualipress.io.jpegtables import dct_matrix
from qualipress.metrics import measure
from qualipress.roi.encoder import encode_blocks, fdct, mcu_size, quality_table


def markers(data: bytes) -> list[int]:
    """Marker codes up to the first SOS."""
    assert data[:2] == b"\xff\xd8"
    out, i = [], 2
    while i < len(data):
        assert data[i] == 0xFF
        code = data[i + 1]
        out.append(code)
        if code == 0xDA:
            break
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return out


def read_dct(data: bytes):
    fd, path = tempfile.mkstemp(suffix=".jpg")
    os.write(fd, data)
    os.close(fd)
    try:
        j = jpeglib.read_dct(path)
        j.load()
        return j
    finally:
        os.unlink(path)


def test_dct_roundtrip_and_dc_scaling():
    rng = np.random.default_rng(0)
    b = rng.normal(0, 50, (3, 8, 8))
    d = dct_matrix()
    assert np.allclose(d.T @ fdct(b) @ d, b)  # the inverse DCT gives the samples back
    flat = np.full((1, 8, 8), 10.0)
    c = fdct(flat)
    assert c[0, 0, 0] == pytest.approx(80.0)  # JPEG DC = 8 x mean of the level-shifted block
    assert np.abs(c[0].ravel()[1:]).max() < 1e-9


def test_quality_table_matches_libjpeg(textured):
    # libjpeg-turbo writes the same tables for the same quality
    img = textured(16, 16)
    ref = imagecodecs.jpeg8_encode(img, level=63, subsampling="444")
    j = read_dct(ref)
    from qualipress.roi.encoder import STD_CHROMA, STD_LUMA

    assert np.array_equal(j.qt[0], quality_table(STD_LUMA, 63))
    assert np.array_equal(j.qt[1], quality_table(STD_CHROMA, 63))


@pytest.mark.parametrize("sub", ["444", "420"])
def test_uniform_encode_matches_libjpeg_turbo(sub, textured):
    img = textured(120, 200)
    rows, cols = -(-120 // mcu_size(sub, 3)[0]), -(-200 // mcu_size(sub, 3)[1])
    ours, _ = encode_blocks(img, np.zeros((rows, cols), np.uint8), {0: 75}, subsampling=sub)
    turbo = imagecodecs.jpeg8_encode(img, level=75, subsampling=sub, optimize=True)
    p_ours = measure(img, imagecodecs.jpeg8_decode(ours), ("psnr",))["psnr"].value
    p_turbo = measure(img, imagecodecs.jpeg8_decode(turbo), ("psnr",))["psnr"].value
    assert abs(p_ours - p_turbo) < 0.3
    assert abs(len(ours) - len(turbo)) / len(turbo) < 0.05


def test_output_is_baseline_without_custom_markers(textured):
    img = textured()
    levels = np.zeros((12, 16), np.uint8)
    levels[2:6, 3:9] = 1
    data, stats = encode_blocks(img, levels, {0: 30, 1: 92}, subsampling="444")
    codes = markers(data)
    assert 0xC0 in codes  # SOF0 baseline
    assert not {0xC1, 0xC2, 0xC3} & set(codes)
    allowed = {0xE0, 0xDB, 0xC0, 0xC4, 0xDA}  # JFIF APP0, DQT, SOF0, DHT, SOS
    assert set(codes) <= allowed
    assert data.endswith(b"\xff\xd9")
    assert stats.roi_blocks == 24 and stats.header_quality == 92


def test_background_blocks_are_exact_multiples_of_the_coarse_step(textured):
    img = textured()
    levels = np.zeros((12, 16), np.uint8)
    levels[:, :8] = 1  # left half ROI
    data, _ = encode_blocks(img, levels, {0: 30, 1: 90}, subsampling="444", mode="multiples")
    j = read_dct(data)
    fine = quality_table(__import__("qualipress.roi.encoder", fromlist=["STD_LUMA"]).STD_LUMA, 90)
    coarse = quality_table(__import__("qualipress.roi.encoder", fromlist=["STD_LUMA"]).STD_LUMA, 30)
    assert np.array_equal(j.qt[0], fine)
    mult = np.maximum(1, np.rint(coarse / fine)).astype(int)
    bg = j.Y[:, 8:].astype(int)
    assert np.all(bg % mult == 0)
    roi = j.Y[:, :8].astype(int)
    assert np.any(roi % mult != 0)  # the ROI uses the fine steps
    # and the decoded ROI is much closer to the original than the background
    dec = imagecodecs.jpeg8_decode(data)
    left = measure(img[:, :64], dec[:, :64], ("psnr",))["psnr"].value
    right = measure(img[:, 64:], dec[:, 64:], ("psnr",))["psnr"].value
    assert left > right + 3


def test_decoders_agree_pixel_for_pixel(textured):
    img = textured(77, 101)
    levels = np.zeros((10, 13), np.uint8)
    levels[3:7, 4:9] = 1
    data, _ = encode_blocks(img, levels, {0: 35, 1: 90}, subsampling="444")
    a = imagecodecs.jpeg8_decode(data)
    b = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))
    c = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert a.shape == b.shape == c.shape == (77, 101, 3)
    assert np.abs(a.astype(int) - b).max() <= 1
    assert np.abs(a.astype(int) - c).max() <= 1


def test_block_map_shape_is_checked(textured):
    with pytest.raises(InputError, match="MCU grid"):
        encode_blocks(textured(), np.zeros((3, 3), np.uint8), {0: 50})
    with pytest.raises(InputError, match="no quality"):
        encode_blocks(textured(), np.ones((12, 16), np.uint8), {0: 50}, subsampling="444")


def test_rdo_background_beats_exact_multiples(textured):
    img = textured(128, 192, seed=5)
    levels = np.zeros((16, 24), np.uint8)
    levels[:4, :4] = 1
    out = {}
    for mode in ("rdo", "multiples"):
        data, _ = encode_blocks(img, levels, {0: 30, 1: 90}, subsampling="444", mode=mode)
        dec = imagecodecs.jpeg8_decode(data)
        out[mode] = (len(data), measure(img[32:], dec[32:], ("psnr",))["psnr"].value)
    # RDO spends fewer bytes for a background of about the same fidelity
    assert out["rdo"][0] < out["multiples"][0]
    assert out["rdo"][1] > out["multiples"][1] - 0.5
    with pytest.raises(InputError):
        encode_blocks(img, levels, {0: 30, 1: 90}, mode="fast")


def test_scan_order_follows_interleaved_mcus():
    from qualipress.roi.encoder import scan_order

    assert scan_order((2, 3), (1, 1)).tolist() == [0, 1, 2, 3, 4, 5]
    # 4:2:0 luma: 2x2 blocks per MCU, MCU by MCU
    assert scan_order((2, 4), (2, 2)).tolist() == [0, 1, 4, 5, 2, 3, 6, 7]


def test_rdo_dc_trades_small_dc_steps_for_bounded_error():
    from qualipress.roi.encoder import rdo_dc, scan_order

    step = 3.0
    coefs = np.linspace(100, 160, 40)  # a gentle ramp: many small DC differences on a fine grid
    fine = np.rint(coefs / step).astype(int)
    order = scan_order((1, 40), (1, 1))
    kept = rdo_dc(fine, coefs, step, np.zeros(40), order)
    assert (kept == fine).all()  # lam 0: nothing changes
    lam = np.full(40, 200.0)
    lam[0] = 0.0  # a fixed (ROI) block keeps its value
    out = rdo_dc(fine, coefs, step, lam, order)
    assert out[0] == fine[0]
    assert np.count_nonzero(np.diff(out)) < np.count_nonzero(np.diff(fine))
    # each change saves at least one size class, so its squared error stays within lam * (bits saved)
    assert np.max(np.abs(coefs - out * step)) <= np.sqrt(200.0 * 2) + step


def test_background_dc_rdo_shrinks_the_file_and_leaves_roi_blocks_untouched(textured):
    img = textured(128, 192, seed=9)
    levels = np.zeros((16, 24), np.uint8)
    levels[4:10, 6:14] = 1
    plain, _ = encode_blocks(img, levels, {0: 30, 1: 90}, subsampling="444", dc_rdo=0.0)
    rdo, _ = encode_blocks(img, levels, {0: 30, 1: 90}, subsampling="444", dc_rdo=1.0)
    assert len(rdo) < len(plain)
    a, b = imagecodecs.jpeg8_decode(plain), imagecodecs.jpeg8_decode(rdo)
    assert (a[32:80, 48:112] == b[32:80, 48:112]).all()  # ROI blocks decode bit-identically
    assert measure(img, b, ("psnr",))["psnr"].value > measure(img, a, ("psnr",))["psnr"].value - 1.0


def test_rdo_symbol_bits_set_how_much_is_zeroed(textured):
    from qualipress.roi.encoder import rdo_quantise

    coefs = np.random.default_rng(3).normal(0, 40, (200, 8, 8))
    fine = np.full((8, 8), 8.0)
    nz = [np.count_nonzero(rdo_quantise(coefs, fine, 400.0, bits)[:, 1:]) for bits in (0.0, 2.0, 4.0, 8.0)]
    assert nz[0] > nz[1] > nz[2] > nz[3] > 0
    # the codec option reaches the encoder: a cheaper non-zero symbol keeps more coefficients, so more bytes
    from qualipress.io import as_image
    from qualipress.roi import RoiJpegCodec

    img = as_image(textured(64, 96))
    mask = np.zeros((64, 96), bool)
    mask[:, :48] = True
    sizes = [len(RoiJpegCodec().encode_roi(img, quality=80, roi_mask=mask, rdo_bits=b).data) for b in (1.0, 6.0)]
    assert sizes[0] > sizes[1]


def reference_rdo_dc(values: np.ndarray, coefs: np.ndarray, step: float, lam: np.ndarray,
                     order: np.ndarray) -> np.ndarray:
    """The Python loop that :func:`qualipress.codecs.trellis_kernels.dc_chain` replaced in :func:`rdo_dc`
    (same choices)."""
    out = np.asarray(values, np.int64).copy()
    vals = out[order].tolist()
    xs = (np.asarray(coefs, np.float64)[order] / step).tolist()
    lams = (np.asarray(lam, np.float64)[order] / (step * step)).tolist()  # in units of step**2 per bit
    prev = 0
    for i, lm in enumerate(lams):
        if lm > 0:
            x = xs[i]
            v = vals[i]
            d = v - prev
            if d:
                size = abs(d).bit_length()
                best_v, best_j = v, (x - v) ** 2 + lm * size
                sign = 1 if d > 0 else -1
                for s in (size - 1, size - 2):
                    if s < 0:
                        break
                    cand = prev + sign * ((1 << s) - 1)
                    j = (x - cand) ** 2 + lm * s
                    if j < best_j:
                        best_v, best_j = cand, j
                v = best_v
                vals[i] = v
        prev = vals[i]
    out[order] = vals
    return out


def test_compiled_dc_rule_matches_the_python_loop():
    from qualipress.roi.encoder import rdo_dc, scan_order

    rng = np.random.default_rng(8)
    for shape, per_mcu in (((12, 16), (1, 1)), ((16, 24), (2, 2)), ((9, 14), (1, 2))):
        n = shape[0] * shape[1]
        coefs = np.cumsum(rng.normal(0, 40, n)) + rng.normal(0, 8, n)
        step = float(rng.choice([2.0, 5.0, 16.0]))
        fine = np.rint(coefs / step).astype(np.int64)
        lam = np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.1, 3.0, n) * step * step)
        order = scan_order(shape, per_mcu)
        got = rdo_dc(fine, coefs, step, lam, order)
        assert np.array_equal(got, reference_rdo_dc(fine, coefs, step, lam, order))
        assert not np.array_equal(got, fine)


def test_fancy_upsampling_model_matches_libjpeg_turbo():
    # a 4:2:0 JPEG whose chroma is flat per 16x16 MCU except one smooth ramp: decode it with libjpeg-turbo and
    # with our model of its upsampling from the decoded chroma samples the encoder wrote
    from qualipress.roi.encoder import rgb_to_ycbcr, upsample_fancy

    rng = np.random.default_rng(3)
    small = rng.uniform(40, 215, (8, 12))
    cb = cv2.resize(small, (24, 16), interpolation=cv2.INTER_LINEAR)
    up = upsample_fancy(cb, 2, 2)
    assert up.shape == (32, 48)
    assert np.allclose(upsample_fancy(np.full((4, 6), 77.0), 2, 2), 77.0)
    assert np.allclose(upsample_fancy(np.full((4, 6), 5.0), 2, 1), 5.0) and upsample_fancy(cb, 2, 1).shape == (16, 48)
    # the model on real decodes: libjpeg-turbo's chroma of a grey-luma image at quality 100
    y = np.full((32, 48), 128.0)
    ycc = np.stack([y, up, np.full_like(up, 128.0)], -1)
    rgb = np.clip(np.round(cv2.transform(ycc[None].astype(np.float32)[0], np.array(
        [[1, 0, 1.402, -179.456], [1, -0.344136, -0.714136, 135.458816], [1, 1.772, 0, -226.816]], np.float32))),
        0, 255).astype(np.uint8)
    from qualipress.roi.encoder import subsample_chroma

    # what libjpeg-turbo rebuilds from exact chroma samples: compare model and decoder on the Cb plane
    data, _ = encode_blocks(rgb, np.zeros((2, 3), np.uint8), {0: 100}, subsampling="420", chroma_fit=0)
    dec_cb = rgb_to_ycbcr(imagecodecs.jpeg8_decode(data))[..., 1].astype(np.float64)
    model = upsample_fancy(subsample_chroma(rgb_to_ycbcr(rgb)[..., 1].astype(np.float64), 2, 2, 0), 2, 2)
    nearest = np.repeat(np.repeat(subsample_chroma(rgb_to_ycbcr(rgb)[..., 1].astype(np.float64), 2, 2, 0), 2, 0), 2, 1)
    assert np.abs(dec_cb - model).mean() < 0.5 * np.abs(dec_cb - nearest).mean()


def test_chroma_fit_rebuilds_colour_edges_better(textured):
    from qualipress.roi.encoder import rgb_to_ycbcr, subsample_chroma, upsample_fancy

    img = textured(96, 128)
    cb = rgb_to_ycbcr(img)[..., 2].astype(np.float64)
    errs = [float(((upsample_fancy(subsample_chroma(cb, 2, 2, n), 2, 2) - cb) ** 2).mean()) for n in (0, 1, 2, 4)]
    assert errs[3] <= errs[2] <= errs[1] < 0.95 * errs[0]  # gradient steps never increase the error
    # and through the real decoder, at a quality where quantisation hardly matters
    levels = np.zeros((6, 8), np.uint8)
    err = []
    for n in (0, 2):
        data, _ = encode_blocks(img, levels, {0: 100}, subsampling="420", chroma_fit=n)
        err.append(float(((imagecodecs.jpeg8_decode(data).astype(np.float64) - img) ** 2).mean()))
    assert err[1] < 0.9 * err[0]
    with pytest.raises(InputError):
        from qualipress.io import as_image
        from qualipress.roi import RoiJpegCodec

        RoiJpegCodec().encode_roi(as_image(img), quality=50, roi_mask=np.ones((96, 128), bool), chroma_fit=-1)


def test_upsampling_adjoint_is_its_transpose():
    from qualipress.roi.encoder import _upsample_adjoint, upsample_fancy

    rng = np.random.default_rng(5)
    for sx, sy in ((2, 2), (2, 1)):
        a, r = rng.normal(size=(7, 5)), rng.normal(size=(7 * sy, 5 * sx))
        lhs = float((upsample_fancy(a, sx, sy).astype(np.float64) * r).sum())
        rhs = float((a * _upsample_adjoint(r, sx, sy).astype(np.float64)).sum())
        assert lhs == pytest.approx(rhs, rel=1e-4)
        # and the upsampling is the triangle filter: interior samples 3/4 own + 1/4 neighbour along x
        up = upsample_fancy(a, sx, sy)
        assert up[0, 2] == pytest.approx(0.75 * a[0, 1] + 0.25 * a[0, 0], abs=1e-5) or sy == 2
