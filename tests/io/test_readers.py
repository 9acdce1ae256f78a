import numpy as np
import pytest
import tifffile

from qualipress.errors import InputError
from qualipress.io import Image, as_image, read_image, to_perceptual, write_image
from qualipress.io.files import TEMP_PREFIX, _host_tag, atomic_write_bytes, remove_stale_temps
from tests.conftest import photo_like, shared_data


@pytest.mark.parametrize("bits", [8, 16])
def test_png_round_trip(tmp_path, bits):
    arr = photo_like(bits=bits)
    write_image(tmp_path / "a.png", as_image(arr))
    img = read_image(tmp_path / "a.png")
    assert img.bit_depth == bits and np.array_equal(img.pixels, arr)


def test_dpx_10bit_round_trip_keeps_real_values(tmp_path):
    arr = photo_like(bits=10).astype(np.uint16) >> 6 << 0  # values < 1024 after the next line
    arr = (photo_like(bits=16) >> 6).astype(np.uint16)
    write_image(tmp_path / "f.dpx", Image(arr, 10), bits=10, transfer="Printing density")
    img = read_image(tmp_path / "f.dpx")
    assert img.bit_depth == 10 and img.transfer == "log"
    assert int(img.pixels.max()) < 1024 and np.array_equal(img.pixels, arr)


def test_float_tiff_is_linear_and_perceptual_is_bounded(tmp_path):
    arr = (photo_like().astype(np.float32) / 255.0) * 8.0  # scene light above 1.0
    tifffile.imwrite(tmp_path / "f.tif", arr)
    img = read_image(tmp_path / "f.tif")
    assert img.is_float and img.transfer == "linear"
    p = to_perceptual(img)
    assert p.dtype == np.float32 and p.min() >= 0.0 and p.max() <= 1.0


def test_nan_in_float_tiff_is_refused(tmp_path):
    arr = np.ones((8, 8, 3), np.float32)
    arr[2, 3, 1] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", arr)
    with pytest.raises(InputError, match=r"nan\.tif: .*NaN"):  # the message names the file
        read_image(tmp_path / "nan.tif")


@pytest.mark.parametrize("content,match", [(b"", "empty"), (b"hello world, not an image", "not a recognised")])
def test_empty_and_garbage_files(tmp_path, content, match):
    p = tmp_path / "x.png"
    p.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_image(p)


def test_truncated_png_and_jpeg(tmp_path):
    from qualipress import codecs

    arr = photo_like()
    for name, data in (("t.png", codecs.get("png").encode(arr)), ("t.jpg", codecs.get("jpeg").encode(arr))):
        p = tmp_path / name
        p.write_bytes(data[: len(data) // 2])
        with pytest.raises(InputError):
            read_image(p)


def _jpeg_with_comment(comment: bytes) -> bytes:
    from qualipress import codecs

    data = codecs.get("jpeg").encode(photo_like(24, 32), quality=90)
    seg = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + seg + data[2:]


def test_truncated_jpeg_is_caught_even_with_ff_d9_in_a_comment(tmp_path):
    data = _jpeg_with_comment(b"ends \xff\xd9 here")
    assert len(data) < 4096  # the end-of-image bytes of the comment lie in the last 4 KB
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: int(len(data) * 0.7)])
    with pytest.raises(InputError, match=r"cut\.jpg: .*truncated"):
        read_image(p)


def test_jpeg_with_data_after_its_end_is_read(tmp_path):
    """Motion photos append a video after the JPEG's end-of-image marker."""
    data = _jpeg_with_comment(b"\xff\xd9")
    (tmp_path / "plain.jpg").write_bytes(data)
    (tmp_path / "motion.jpg").write_bytes(data + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    plain, motion = read_image(tmp_path / "plain.jpg"), read_image(tmp_path / "motion.jpg")
    assert np.array_equal(plain.pixels, motion.pixels)
    assert motion.metadata["trailing_bytes"] > 4096 and "trailing_bytes" not in plain.metadata


def _png_header_only(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + \
        chunk(b"IEND", b"")


def test_pillows_lower_limit_does_not_refuse_what_qualipress_allows(tmp_path):
    p = tmp_path / "huge.png"
    p.write_bytes(_png_header_only(20000, 10000))  # 200 Mpixel: above Pillow's 179, below qualipress's 268
    with pytest.raises(InputError) as err:
        read_image(p)
    assert "bomb" not in str(err.value)  # it got past the size checks; the data itself is short
    with pytest.raises(InputError, match=r"huge\.png: .*decompression bomb"):
        read_image(p, max_pixels=100_000_000)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    from qualipress import codecs

    p = tmp_path / "big.png"
    p.write_bytes(codecs.get("png").encode(np.zeros((64, 64, 3), np.uint8)))
    with pytest.raises(InputError, match="decompression bomb"):
        read_image(p, max_pixels=1000)


def test_wrong_extension_is_read_by_content_and_noted(tmp_path):
    from qualipress import codecs

    p = tmp_path / "photo.tif"
    p.write_bytes(codecs.get("png").encode(photo_like()))
    img = read_image(p)
    assert "extension_mismatch" in img.metadata


def test_palette_and_grey_and_alpha_png(tmp_path):
    from PIL import Image as PILImage

    rgb = PILImage.fromarray(photo_like())
    rgb.convert("P").save(tmp_path / "pal.png")
    rgb.convert("L").save(tmp_path / "grey.png")
    rgb.convert("RGBA").save(tmp_path / "rgba.png")
    assert read_image(tmp_path / "pal.png").layout == "rgb"
    assert read_image(tmp_path / "grey.png").layout == "gray"
    assert read_image(tmp_path / "rgba.png").has_alpha


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="directory"):
        read_image(tmp_path)


def test_atomic_write_leaves_no_partial_on_failure(tmp_path, monkeypatch):
    import os

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(Exception, match="No space"):
        atomic_write_bytes(tmp_path / "out.bin", b"x" * 100)
    assert not list(tmp_path.iterdir())


def test_remove_stale_temps_removes_only_our_dead_processes_files(tmp_path):
    import os
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()  # a process id that no longer exists
    (tmp_path / f"{TEMP_PREFIX}{child.pid}.{_host_tag()}.abc.a.jpg").write_bytes(b"x")
    (tmp_path / f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.abc.b.jpg").write_bytes(b"x")  # a live writer's
    (tmp_path / ".a.jpg.123.part").write_bytes(b"user")  # not ours
    assert remove_stale_temps(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".a.jpg.123.part", f"{TEMP_PREFIX}{os.getpid()}.{_host_tag()}.abc.b.jpg"])


def test_real_hdr_film_files_read():
    d = shared_data("hdr_film")
    crissy = read_image(d / "CrissyField.exr")  # luminance/chroma layout OpenImageIO refuses
    assert crissy.layout == "rgb" and crissy.is_float
    assert crissy.stored_bit_depth == 16  # half floats, before the conversion the Y/RY/BY path makes (review)
    dpx = read_image(d / "dpx_nuke_10bits_rgb.dpx")
    assert dpx.bit_depth == 10 and int(dpx.pixels.max()) <= 1023


def test_truncated_dpx_says_truncated(tmp_path):
    # QA: a DPX cut short used to fail with OpenImageIO's "Failed to read scanlines 0-47" (the size check ran
    # only after a successful read); the header's file size now explains it.
    arr = (np.arange(64 * 48 * 3, dtype=np.uint16).reshape(48, 64, 3) * 7) % 1024
    write_image(tmp_path / "f.dpx", Image(arr, 10), bits=10, transfer="Printing density")
    data = (tmp_path / "f.dpx").read_bytes()
    (tmp_path / "cut.dpx").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"DPX header says \d+ bytes but the file has \d+ \(truncated\)"):
        read_image(tmp_path / "cut.dpx")
    with pytest.raises(InputError, match=r"cut\.dpx"):
        read_image(tmp_path / "cut.dpx")


def test_integer_image_to_exr_is_linear_light_or_refused(tmp_path):
    # QA: `decode out.jxl -o x.exr` wrote 16-bit codes as half floats: every code above 65504 became Inf.
    from qualipress.errors import UnsupportedError
    from qualipress.io import pq_decode

    codes = (photo_like(bits=16)).astype(np.uint16)
    with pytest.raises(UnsupportedError, match="EXR holds linear light"):
        write_image(tmp_path / "s.exr", Image(codes, 16, "srgb"))
    write_image(tmp_path / "pq.exr", Image(codes, 16, "pq"))
    back = read_image(tmp_path / "pq.exr")
    assert back.is_float and np.isfinite(back.pixels).all()
    assert np.allclose(back.pixels, pq_decode(codes / 65535.0), rtol=1e-5, atol=1e-7)
    write_image(tmp_path / "lin.exr", Image(codes, 16, "linear"))
    assert np.allclose(read_image(tmp_path / "lin.exr").pixels * 65535.0, codes, atol=1e-2)


@pytest.mark.parametrize(("name", "kw"), [("anim.webp", {"lossless": True}), ("anim.png", {})])
def test_animated_files_are_refused_not_cut_to_their_first_frame(tmp_path, name, kw):
    # QA: an animated WebP came out as a still WebP of its first frame, reported "ok"
    from PIL import Image as PILImage

    from qualipress.errors import UnsupportedError

    frames = [PILImage.fromarray(photo_like(32, 48, seed=k)) for k in range(3)]
    p = tmp_path / name
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0, **kw)
    with pytest.raises(UnsupportedError, match=r"animated .*\(3 frames\).*first frame"):
        read_image(p)
    still = tmp_path / ("still" + p.suffix)
    frames[0].save(still, **kw)
    assert read_image(still).width == 48


def test_an_animated_gif_is_refused_with_its_frame_count(tmp_path):
    """QA 20 web: a one-frame GIF is read now (tests/io/test_qa20web_gif_mpo.py); an animated one is refused as an
    animated WebP or APNG is, naming its frames."""
    from PIL import Image as PILImage

    from qualipress.errors import UnsupportedError

    p = tmp_path / "a.gif"
    frames = [PILImage.fromarray(photo_like(16, 16, seed=k)) for k in range(3)]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(UnsupportedError, match=r"animated GIF \(3 frames\)"):
        read_image(p)


def test_the_bomb_limit_is_named_and_can_be_raised_from_the_cli(tmp_path, capsys):
    from qualipress.cli import main

    p = tmp_path / "a.png"
    write_image(p, as_image(photo_like(300, 400)))
    with pytest.raises(InputError, match=r"0\.12 Mpixel, above the limit of 0\.1 Mpixel .*--max-mpixels"):
        read_image(p, max_pixels=100_000)
    out = tmp_path / "out"
    assert main(["compress", str(p), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.8",
                 "--max-mpixels", "0.1"]) == 1
    assert main(["compress", str(p), "-o", str(out), "--codec", "webp", "--target", "ssim>=0.8",
                 "--max-mpixels", "0.2"]) == 0


def test_multipage_tiff_says_its_further_pages_are_not_carried(tmp_path):
    # QA: a 3-page TIFF came out of compress as its first page alone, reported plain "ok" (HEIF's further images
    # and animations are named or refused; a TIFF's pages were dropped silently)
    arr = photo_like(32, 40)
    tifffile.imwrite(tmp_path / "three.tif", np.stack([arr, arr[::-1], arr[:, ::-1]]))
    img = read_image(tmp_path / "three.tif")
    assert np.array_equal(img.pixels, arr)
    assert "2 further page(s)" in img.metadata["not_carried"]
    tifffile.imwrite(tmp_path / "one.tif", arr)
    assert "not_carried" not in read_image(tmp_path / "one.tif").metadata


@pytest.mark.parametrize("codec", ["jpegls", "htj2k"])
def test_files_qualipress_writes_are_read_back(tmp_path, codec):
    # QA: `compare` / `info` / `decode` called a qualipress JPEG-LS output corrupt ("JPEG structure broken": it was
    # read as a JPEG), a folder of .jls / .jhc outputs had "no image files", and info flagged .jhc as a mismatch
    from qualipress import codecs
    from qualipress.io.discover import image_paths

    c = codecs.get(codec)
    img = as_image(photo_like(32, 40))
    path = tmp_path / ("out" + c.info.extension)
    path.write_bytes(c.encode(img, lossless=True))
    back = read_image(path)
    assert np.array_equal(back.pixels, img.pixels)
    assert "extension_mismatch" not in back.metadata
    assert image_paths([tmp_path]) == [path]
