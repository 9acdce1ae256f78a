"""Build the QA session 17 (web) material: JPEG/PNG/WebP/AVIF/HEIC inputs a web pipeline meets, made fresh.

Usage (from the repository root)::

    python benchmarks/qa17_web_material.py -o /tmp/qa17web/m

Sources: photos from ``shared/data/people`` (mmpose test data: ochuman, lapa, posetrack, crowdpose) and
``shared/data/train`` (urban100 x2 HR, BSD300 train), never Kodak and never the BSD300 test images earlier QA
sessions used. Nothing here is written by qualipress: JPEGs by Pillow, jpeglib (libjpeg 9e, for arithmetic
coding) and imagecodecs (12-bit), PNG/WebP by Pillow (APNG, Adam7 by OpenCV), AVIF by imagecodecs (libavif, with
its CICP fields) and HEIC by pillow-heif; ICC profiles are built by :func:`qualipress.io.iccmake.matrix_trc_profile`
(only the header bytes matter to the files' readers and Chromium). Each file's name says what it is; ``truth/``
holds the upright 8-bit pixels of every rotated/mirrored file as ``<stem>.png``.

Sets (``OUT/<set>/``):

* ``jpeg``: arithmetic-coded (SOF9) and arithmetic progressive (SOF10), 12-bit (imagecodecs), progressive 4:2:2,
  restart markers every row, an EXIF of about 60 kB (a big IFD1 thumbnail and UserComment) with GPS and
  orientation 6, orientations 5 and 7 (mirrored) with GPS, ProPhoto (D50, gamma 1.8) ICC, grey + grey ICC
  progressive; XMP with non-ASCII text and GPS written three ways (double-quoted ``exif:GPS*`` attributes,
  single-quoted attributes, ``exif:GPS*`` elements with an attribute), DJI-style ``drone-dji:GpsLatitude``, an
  Adobe Extended XMP (``HasExtendedXMP``) holding GPS in its APP1 extension segments, and a Photoshop APP13 IPTC
  block naming a city;
* ``png``: 16-bit RGB with ``sRGB`` + ``gAMA`` chunks, 16-bit with a ProPhoto ``iCCP``, an 8-bit photo with a
  90 kB XMP ``iTXt`` (too long for one JPEG APP1) and one with a 70 kB ``eXIf`` (too long for any JPEG APP1);
* ``webp``: lossless with a P3 ``ICCP`` and ``EXIF`` holding GPS; lossy with ``EXIF`` GPS and orientation 8;
* ``avif``: 10-bit BT.2020 PQ, 10-bit BT.2020 HLG, 10-bit BT.2020 SDR (BT.709 transfer), 12-bit sRGB with alpha,
  an 8-bit with Display P3 CICP (primaries 12) and no ICC;
* ``heic``: 10-bit HEIC with BT.2020 PQ CICP (pillow-heif), an 8-bit HEIC with EXIF GPS;
* ``odd``: 20000×12 and 70000×3 PNG strips, a 1×3000 JPEG column, an AVIF saved as ``.jpg``, a JPEG saved as
  ``.webp``.
"""

from __future__ import annotations

import argparse
import io
import struct
from pathlib import Path

import numpy as np
from _paths import DATA
from PIL import Image

from qualipress.io.iccmake import matrix_trc_profile

PEOPLE = DATA / "people" / "mmpose_testdata"
TRAIN = DATA / "train"
#: white x, y then red, green, blue x, y
P3 = (0.3127, 0.3290, 0.680, 0.320, 0.265, 0.690, 0.150, 0.060)
PROPHOTO = (0.3457, 0.3585, 0.7347, 0.2653, 0.1596, 0.8404, 0.0366, 0.0001)
GPS = {1: "N", 2: (48.0, 51.0, 29.5), 3: "E", 4: (2.0, 17.0, 40.2), 0: b"\x02\x02\x00\x00"}


def photo(rel: str, size: tuple[int, int] | None = None) -> Image.Image:
    im = Image.open(rel if rel.startswith("/") else DATA / rel).convert("RGB")
    return im.resize(size, Image.Resampling.LANCZOS) if size else im


def exif_with(orientation: int = 1, gps: bool = True, comment: bytes = b"", thumb: bytes = b"") -> bytes:
    ex = Image.Exif()
    ex[0x010F] = "QA17Cam"
    ex[0x0110] = "Model ÄÖ"  # non-ASCII in an ASCII tag: what some phones write
    if orientation != 1:
        ex[0x0112] = orientation
    if gps:
        ex[0x8825] = GPS
    if comment:
        ex.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + comment
    raw = ex.tobytes()
    if thumb:
        raw = add_thumbnail(raw, thumb)
    return raw


def add_thumbnail(raw: bytes, thumb: bytes) -> bytes:
    """Append an IFD1 holding a JPEG thumbnail to EXIF ``raw`` (``Exif\\0\\0`` + TIFF, either byte order)."""
    tiff = bytearray(raw[6:])
    e = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack_from(e + "I", tiff, 4)[0]
    n = struct.unpack_from(e + "H", tiff, ifd0)[0]
    next_at = ifd0 + 2 + 12 * n
    ifd1 = len(tiff) + (len(tiff) & 1)
    tiff += b"\x00" * (ifd1 - len(tiff))
    data_at = ifd1 + 2 + 2 * 12 + 4
    entries = [(0x0201, 4, 1, data_at), (0x0202, 4, 1, len(thumb))]
    tiff += struct.pack(e + "H", len(entries)) + b"".join(struct.pack(e + "HHII", *t) for t in entries) + bytes(4)
    tiff += thumb
    struct.pack_into(e + "I", tiff, next_at, ifd1)
    return b"Exif\x00\x00" + bytes(tiff)


XMP_HEAD = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">')
XMP_TAIL = b"</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"


def xmp(body: bytes, attrs: bytes = b"") -> bytes:
    return (XMP_HEAD + b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            b'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
            b'xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" ' + attrs + b">"
            + '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Straße – 東京 – Ωμέγα</rdf:li></rdf:Alt></dc:title>'
            .encode() + body + b"</rdf:Description>" + XMP_TAIL)


def app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def insert_segments(jpeg: bytes, segments: bytes) -> bytes:
    """Put ``segments`` right after SOI (and a JFIF APP0 when there is one)."""
    pos = 2
    if jpeg[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos] + segments + jpeg[pos:]


def extended_xmp(main: bytes, extension: bytes) -> bytes:
    """APP1 segments of an Adobe Extended XMP: ``main`` (which must name the GUID) and ``extension`` split."""
    import hashlib

    guid = hashlib.md5(extension).hexdigest().upper().encode()
    main = main.replace(b"GUIDHERE", guid)
    out = app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + main)
    chunk = 65000
    for off in range(0, len(extension), chunk):
        head = b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(extension), off)
        out += app(0xE1, head + extension[off:off + chunk])
    return out


def iptc_app13(city: str) -> bytes:
    """A Photoshop APP13 with an IPTC-IIM block (record 2: by-line, city, country)."""
    def ds(tag: int, text: str) -> bytes:
        val = text.encode()
        return bytes([0x1C, 2, tag]) + struct.pack(">H", len(val)) + val

    iim = ds(80, "Jane Photographer") + ds(90, city) + ds(101, "France")
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    block += b"\x00" * (len(iim) & 1)
    return app(0xED, b"Photoshop 3.0\x00" + block)


def stored_for(upright: Image.Image, orientation: int) -> Image.Image:
    """The stored pixels whose EXIF ``orientation`` displays as ``upright``."""
    t = Image.Transpose
    inverse = {2: [t.FLIP_LEFT_RIGHT], 3: [t.ROTATE_180], 4: [t.FLIP_TOP_BOTTOM], 5: [t.TRANSPOSE],
               6: [t.ROTATE_90], 7: [t.TRANSVERSE], 8: [t.ROTATE_270]}
    out = upright
    for op in inverse.get(orientation, []):
        out = out.transpose(op)
    return out


def make_jpeg(out: Path) -> None:
    import imagecodecs
    import jpeglib

    d = out / "jpeg"
    d.mkdir(parents=True, exist_ok=True)
    a = photo(str(PEOPLE / "ochuman" / "000817.jpg"))
    px = np.asarray(a)
    with jpeglib.version("9e"):
        jpeglib.from_spatial(px).write_spatial(str(d / "arith_q85.jpg"), qt=85, flags=["+ARITH_CODE"])
        jpeglib.from_spatial(px).write_spatial(str(d / "arith_prog_q85.jpg"), qt=85,
                                               flags=["+ARITH_CODE", "+PROGRESSIVE_MODE"])
    b = photo(str(PEOPLE / "lapa" / "10773046825_0.jpg"))
    px16 = (np.asarray(b).astype(np.uint16) * 16 + 8)
    (d / "twelve_bit.jpg").write_bytes(imagecodecs.jpeg8_encode(px16, level=90, bitspersample=12))
    c = photo(str(PEOPLE / "crowdpose" / "106848.jpg"))
    c.save(d / "prog422.jpg", quality=88, progressive=True, subsampling=1)
    c.save(d / "restart_rows.jpg", quality=80, restart_marker_rows=1)
    # huge EXIF: orientation 6, GPS, a 20 kB UserComment and a 36 kB thumbnail
    up = photo(str(TRAIN / "urban100_x2hr" / sorted(p.name for p in (TRAIN / "urban100_x2hr").iterdir()
                                                    if p.suffix == ".png")[3]), (900, 600))
    up.save(out / "truth" / "huge_exif_o6.png")
    buf = io.BytesIO()
    up.resize((450, 300)).save(buf, "JPEG", quality=95, subsampling=0)
    thumb = buf.getvalue()[:36000] if len(buf.getvalue()) > 36000 else buf.getvalue()
    raw = exif_with(6, comment="é".encode("utf-16-le") * 10000, thumb=thumb)
    print("huge exif bytes", len(raw))
    stored_for(up, 6).save(d / "huge_exif_o6.jpg", quality=90, exif=raw)
    for o in (5, 7):
        stored_for(up, o).save(d / f"mirror_o{o}_gps.jpg", quality=85, exif=exif_with(o))
        up.save(out / "truth" / f"mirror_o{o}_gps.png")
    e = photo(str(PEOPLE / "posetrack18" / "images" / "val" / "012834_mpii_test" / "000000.jpg"))
    e.save(d / "prophoto.jpg", quality=90, icc_profile=matrix_trc_profile("ProPhoto RGB (QA17)", PROPHOTO, 1.8))
    grey = matrix_trc_profile("x", P3, 2.2)  # placeholder replaced below by a real grey profile
    from qualipress.io.iccmake import grey_trc_profile

    grey = grey_trc_profile("Grey gamma 2.2 (QA17)", 2.2)
    e.convert("L").save(d / "grey_icc_prog.jpg", quality=85, progressive=True, icc_profile=grey)
    # XMP variants, each with GPS in the XMP only (no EXIF GPS), and EXIF without GPS
    variants = {
        "xmp_gps_dq": xmp(b"", b'exif:GPSLatitude="48,51.49N" exif:GPSLongitude="2,17.67E"'),
        "xmp_gps_sq": xmp(b"", b"exif:GPSLatitude='48,51.49N' exif:GPSLongitude='2,17.67E'"),
        "xmp_gps_elem_attr": xmp(b'<exif:GPSLatitude rdf:parseType="Literal">48,51.49N</exif:GPSLatitude>'
                                 b'<exif:GPSLongitude rdf:parseType="Literal">2,17.67E</exif:GPSLongitude>'),
        "xmp_dji": xmp(b"", b'drone-dji:GpsLatitude="48.858200" drone-dji:GpsLongitude="2.294500" '
                            b'drone-dji:AbsoluteAltitude="+95.20"'),
    }
    for stem, packet in variants.items():
        jpeg = io.BytesIO()
        e.save(jpeg, "JPEG", quality=85, exif=exif_with(1, gps=False), xmp=packet)
        (d / f"{stem}.jpg").write_bytes(jpeg.getvalue())
    main = xmp(b"", b'xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="GUIDHERE"')
    ext = XMP_HEAD + (b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
                      b'exif:GPSLatitude="48,51.49N" exif:GPSLongitude="2,17.67E"><exif:UserComment>'
                      + b"x" * 70000 + b"</exif:UserComment></rdf:Description>" + XMP_TAIL)
    jpeg = io.BytesIO()
    e.save(jpeg, "JPEG", quality=85)
    (d / "xmp_extended_gps.jpg").write_bytes(insert_segments(jpeg.getvalue(), extended_xmp(main, ext)))
    (d / "iptc_app13.jpg").write_bytes(insert_segments(jpeg.getvalue(), iptc_app13("Paris")
                                                       + app(0xFE, b"shot at 48.8582N 2.2945E")))


def make_png(out: Path) -> None:
    d = out / "png"
    d.mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (TRAIN / "bsd300_train200").iterdir() if p.suffix == ".png")
    a = np.asarray(photo(str(names[5])), dtype=np.uint16) * 257
    import cv2

    cv2.imwrite(str(d / "p16_plain.png"), a[..., ::-1])
    raw = (d / "p16_plain.png").read_bytes()
    srgb = png_chunk(b"sRGB", b"\x00") + png_chunk(b"gAMA", struct.pack(">I", 45455))
    (d / "p16_srgb_gama.png").write_bytes(raw[:33] + srgb + raw[33:])
    import zlib

    icc = matrix_trc_profile("ProPhoto RGB (QA17)", PROPHOTO, 1.8)
    (d / "p16_prophoto.png").write_bytes(raw[:33] + png_chunk(b"iCCP", b"ProPhoto\x00\x00" + zlib.compress(icc))
                                         + raw[33:])
    (d / "p16_plain.png").unlink()
    b = photo(str(names[6]))
    big = xmp(b"<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" + "ü".encode() * 45000
              + b"</rdf:li></rdf:Alt></dc:description>")
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", big.decode())
    b.save(d / "big_xmp.png", pnginfo=info)
    ex = exif_with(1, comment="Ä".encode("utf-16-le") * 35000)
    b.save(d / "big_exif.png", exif=ex)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    import zlib

    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_webp(out: Path) -> None:
    d = out / "webp"
    d.mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (TRAIN / "bsd300_train200").iterdir() if p.suffix == ".png")
    a = photo(str(names[7]))
    a.save(d / "lossless_p3_gps.webp", lossless=True, icc_profile=matrix_trc_profile("Display P3 (QA17)", P3, 2.2),
           exif=exif_with(1))
    up = photo(str(names[8]))
    up.save(out / "truth" / "lossy_o8_gps.png")
    stored_for(up, 8).save(d / "lossy_o8_gps.webp", quality=80, exif=exif_with(8))


def make_avif(out: Path) -> None:
    import imagecodecs

    d = out / "avif"
    d.mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (TRAIN / "urban100_x2hr").iterdir() if p.suffix == ".png")
    px = np.asarray(photo(str(names[8]), (768, 512)), dtype=np.uint32)
    ten = (px * 1023 // 255).astype(np.uint16)
    for stem, (pri, trc, mat) in {"pq_bt2020_10": (9, 16, 9), "hlg_bt2020_10": (9, 18, 9),
                                  "sdr_bt2020_10": (9, 1, 9)}.items():
        (d / f"{stem}.avif").write_bytes(imagecodecs.avif_encode(ten, level=80, speed=8, bitspersample=10,
                                                                 primaries=pri, transfer=trc, matrix=mat))
    rgb = np.asarray(photo(str(names[9]), (640, 480)), dtype=np.uint32)
    alpha = np.clip(np.linspace(0, 2, 640)[None, :] * 4095, 0, 4095).astype(np.uint16).repeat(480, 0)
    rgba = np.dstack([rgb * 4095 // 255, alpha]).astype(np.uint16)
    (d / "alpha_12.avif").write_bytes(imagecodecs.avif_encode(rgba, level=85, speed=8, bitspersample=12))
    p8 = np.asarray(photo(str(PEOPLE / "lapa" / "13609937564_5.jpg"), (640, 480)))
    (d / "p3_cicp_8.avif").write_bytes(imagecodecs.avif_encode(p8, level=85, speed=8, primaries=12, transfer=13,
                                                               matrix=6))


def make_heic(out: Path) -> None:
    import pillow_heif

    d = out / "heic"
    d.mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (TRAIN / "urban100_x2hr").iterdir() if p.suffix == ".png")
    px = np.asarray(photo(str(names[11]), (768, 512)), dtype=np.uint32) * 1023 // 255
    hf = pillow_heif.from_bytes(mode="RGB;16", size=(768, 512), data=(px.astype(np.uint16) << 6).tobytes())
    hf.save(str(d / "pq_bt2020_10.heic"), quality=80, color_primaries=9, transfer_characteristics=16,
            matrix_coefficients=9, full_range_flag=1)
    pillow_heif.register_heif_opener()
    photo(str(names[12]), (640, 480)).save(d / "gps_8.heic", quality=80, exif=exif_with(1))


def make_odd(out: Path) -> None:
    d = out / "odd"
    d.mkdir(parents=True, exist_ok=True)
    names = sorted(p for p in (TRAIN / "urban100_x2hr").iterdir() if p.suffix == ".png")
    strip = np.asarray(photo(str(names[13])))
    wide = np.tile(strip[:12], (1, 20000 // strip.shape[1] + 1, 1))[:, :20000]
    Image.fromarray(wide).save(d / "wide_20000x12.png")
    wider = np.tile(strip[:3], (1, 70000 // strip.shape[1] + 1, 1))[:, :70000]
    Image.fromarray(wider).save(d / "wide_70000x3.png")
    Image.fromarray(np.tile(strip[:, :1], (3, 1, 1))[:3000]).save(d / "column_1x3000.jpg", quality=90)
    (d / "avif_named.jpg").write_bytes((out / "avif" / "p3_cicp_8.avif").read_bytes())
    (d / "jpeg_named.webp").write_bytes((out / "jpeg" / "prog422.jpg").read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    out = ap.parse_args().out
    (out / "truth").mkdir(parents=True, exist_ok=True)
    for make in (make_jpeg, make_png, make_webp, make_avif, make_heic, make_odd):
        make(out)
    for p in sorted(out.rglob("*")):
        if p.is_file() and "truth" not in p.parts:
            print(f"{p.relative_to(out)}\t{p.stat().st_size}")


if __name__ == "__main__":
    main()
