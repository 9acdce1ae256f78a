"""Photo metadata: read ICC, EXIF and XMP, apply EXIF orientation, and write them into encoded files.

Reading happens in :func:`qualipress.io.read_image`: the pixels come out upright (EXIF orientation applied) and
``Image.metadata`` holds ``icc_profile``, ``exif`` (TIFF-structured bytes), ``xmp`` (bytes), ``orientation`` (the
tag the file had) and ``icc_description``. Writing is byte surgery on an encoded file: the pixels the search
measured are never touched, only metadata segments, chunks or boxes are added.

========  ==========================  ==============================  =====================
format    ICC                         EXIF                            XMP
========  ==========================  ==============================  =====================
JPEG      APP2 ``ICC_PROFILE``        APP1 ``Exif``                   APP1 Adobe XMP
PNG       ``iCCP``                    ``eXIf``                        ``iTXt`` XML:com.adobe.xmp
WebP      ``ICCP`` (VP8X)             ``EXIF`` (VP8X)                 ``XMP `` (VP8X)
AVIF      ``colr`` ``prof`` property  ``Exif`` item (``cdsc``)         ``mime`` item
JPEG XL   sRGB only (codestream)      ``Exif`` box (container)        ``xml `` box
JPEG 2000 ``colr`` box, method 2       ``uuid`` JpgTiffExif->JP2       ``uuid`` Adobe XMP
HEIF      by pillow-heif's encoder    by pillow-heif's encoder        by pillow-heif's encoder
TIFF      tag 34675 (tifffile)        IFD0 tags + Exif/GPS IFDs       tag 700 (tifffile)
========  ==========================  ==============================  =====================
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, UnsupportedError
from qualipress.io.iccmake import D50, cicp_profile, png_chunk_profile, rgb_from_grey
from qualipress.io.jpegtables import ANNEX_K_LUMA, ijg_table

#: Metadata policies of ``--metadata``.
POLICIES = ("keep", "strip", "strip-gps")

#: File formats (as :func:`qualipress.io.sniff` names them) whose decoders leave orientation to the caller. For
#: AVIF the orientation is the one equivalent to the primary item's ``irot``/``imir`` transforms
#: (:func:`avif_orientation`; libavif decodes the stored pixels), not an EXIF tag, as for browsers.
ORIENTED_FORMATS = frozenset({"jpeg", "png", "webp", "tiff", "avif"})

#: Which metadata each output format (by file extension) can carry here.
CARRIES: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"icc", "exif", "xmp", "comment"}),
    ".png": frozenset({"icc", "exif", "xmp"}),
    ".webp": frozenset({"icc", "exif", "xmp"}),
    ".avif": frozenset({"icc", "exif", "xmp"}),
    ".jxl": frozenset({"exif", "xmp"}),
    ".heic": frozenset({"icc", "exif", "xmp"}),
    ".tif": frozenset({"icc", "exif", "xmp"}),
    ".jp2": frozenset({"icc", "exif", "xmp"}),
}

_EXIF_PREFIX = b"Exif\x00\x00"
_XMP_NS = b"http://ns.adobe.com/xap/1.0/\x00"
_ICC_TAG = b"ICC_PROFILE\x00"
_ORIENTATION = 0x0112
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class Carry:
    """Metadata to write into an output (plain bytes, picklable).

    Attributes
    ----------
    icc : bytes or None
        ICC profile.
    exif : bytes or None
        EXIF as a TIFF structure (starts with ``II*`` or ``MM*``); a leading ``Exif\\0\\0`` is removed
        (:func:`bare_exif`).
    xmp : bytes or None
        XMP packet.
    comment : tuple of bytes
        A JPEG source's comment (COM) segments, each one's payload: only JPEG outputs hold them (fix17: every
        re-encode and the mozjpeg rewrite dropped them silently); other formats name them lost.
    """

    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    comment: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        # every writer adds the container's own framing, so the EXIF held here is always bare (QA 17)
        if self.exif:
            object.__setattr__(self, "exif", bare_exif(self.exif) or None)

    def fields(self) -> list[str]:
        """Names of the parts present (``icc``, ``exif``, ``xmp``, ``comment``)."""
        return [k for k in ("icc", "exif", "xmp", "comment") if getattr(self, k)]

    def __repr__(self) -> str:  # reports show sizes, not kilobytes of profile bytes
        size = {k: len(b"".join(self.comment)) if k == "comment" else len(getattr(self, k)) for k in self.fields()}
        parts = [f"{k} {n} B" for k, n in size.items()]
        return f"Carry({', '.join(parts) or 'nothing'})"

    __str__ = __repr__


def bare_exif(exif: bytes) -> bytes:
    """EXIF as the TIFF structure itself: any leading ``Exif\\0\\0`` markers removed (Pillow's ``Exif.tobytes()``
    and JPEG APP1 payloads start with one; some files hold two).

    Every output writer adds its format's own framing (JPEG APP1 and HEIF items the marker, AVIF and JPEG XL a
    4-byte offset), so a prefix left on the bytes came out doubled in JPEG and HEIF outputs and made the EXIF of
    AVIF and JPEG XL outputs unreadable (QA 17). :class:`Carry` applies it to what it is given.
    """
    while exif.startswith(_EXIF_PREFIX):
        exif = exif[len(_EXIF_PREFIX):]
    return exif


# -- reading ------------------------------------------------------------------------------------------------
def read_metadata(data: bytes | Path, fmt: str) -> dict[str, Any]:
    """ICC, EXIF, XMP and orientation of an encoded file, as ``Image.metadata`` entries.

    Parameters
    ----------
    data : bytes or pathlib.Path
        The file's bytes, or its path.
    fmt : str
        Its format as :func:`qualipress.io.sniff` names it.

    Returns
    -------
    dict
        Any of ``icc_profile``, ``icc_description``, ``exif``, ``xmp``, ``orientation`` (int, 1 when absent), and
        for JPEG ``jpeg_quality`` (estimated), ``jpeg_subsampling`` and ``comment`` (its COM segments' payloads, a
        tuple of bytes, when it has any; a GIF's comment extensions too), and ``icc_dropped`` (why a profile the
        file holds is not read: a JPEG's split profile with a piece missing, a GIF's). Empty when Pillow cannot
        open the format.
    """
    from PIL import Image as PILImage

    if fmt == "jpegxl":
        return _jxl_metadata(data if isinstance(data, bytes) else Path(data).read_bytes())
    if fmt == "jpeg2000":
        return _jp2_metadata(data if isinstance(data, bytes) else Path(data).read_bytes())
    if fmt == "heif":
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            return {}
    try:
        im = PILImage.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    except Exception:
        return _without_broken_icc(data) if fmt == "jpeg" else {}
    out: dict[str, Any] = {}
    with im:
        if fmt == "png":  # chunks after the image data (a late eXIf, XMP or text) reach im.info only when loaded:
            early = im.info.get("exif")  # rev13, a late eXIf's GPS survived --metadata strip in source:png
            with contextlib.suppress(Exception):
                im.load()
            if early:  # the first eXIf is the file's, as browsers and header_dimensions read it: not a late second
                im.info["exif"] = early
        icc = im.info.get("icc_profile")
        if not icc and fmt == "png" and "srgb" not in im.info and im.info.get("gamma"):
            # QA 13: browsers show gAMA/cHRM; outputs hold a profile, not the chunks (a grey PNG a grey profile,
            # QA 14: an RGB profile on grey samples stops JPEG XL and auto)
            icc = png_chunk_profile(float(im.info["gamma"]), im.info.get("chromaticity"),
                                    grey=im.mode not in ("RGB", "RGBA", "P", "PA"))
            if icc:
                out["icc_from"] = "the PNG's gAMA/cHRM chunks"
        if icc:
            out["icc_profile"] = bytes(icc)
            desc = icc_description(bytes(icc))
            if desc:
                out["icc_description"] = desc
        exif = im.info.get("exif") or (_tiff_exif(im) if fmt == "tiff" else None)
        if exif:
            out["exif"] = bytes(exif).removeprefix(_EXIF_PREFIX)
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        if xmp:
            out["xmp"] = xmp.encode() if isinstance(xmp, str) else bytes(xmp)
        try:
            orientation = int(im.getexif().get(_ORIENTATION, 1))
        except Exception:
            orientation = 1
        out["orientation"] = orientation if 1 <= orientation <= 8 else 1
        if fmt == "png" and out["orientation"] != 1 and png_exif_late(data):
            out["orientation"] = 1  # browsers ignore it, as the PNG specification asks (QA 18 web)
        if fmt in ("avif", "heif"):
            raw = data if isinstance(data, bytes) else Path(data).read_bytes()
            out.update(_nclx_metadata(raw, has_icc=bool(icc)))
        if fmt == "avif":
            out["orientation"] = avif_orientation(raw)
        if fmt == "jpeg":
            out.update(jpeg_settings(im))
            raw = data if isinstance(data, bytes) else Path(data).read_bytes()
            with contextlib.suppress(UnsupportedError):
                if comments := tuple(p for m, p in _jpeg_segments(raw)[0] if m == 0xFE):
                    out["comment"] = comments
                if broken := _icc_chunks_problem(_jpeg_segments(_hoisted(raw))[0]):
                    for key in ("icc_profile", "icc_description"):
                        out.pop(key, None)
                    out["icc_dropped"] = (f"the source JPEG's ICC profile is incomplete ({broken}): it cannot be "
                                          "rebuilt and no output carries it; viewers show such a file as sRGB, "
                                          "and the output is untagged (sRGB) too")
        if fmt == "gif":
            out.update(_gif_metadata(data if isinstance(data, bytes) else Path(data).read_bytes()))
    return out


def _without_broken_icc(data: bytes | Path) -> dict[str, Any]:
    """The metadata of a JPEG that Pillow cannot open because of its ICC segments (one cut short before its
    sequence number stops Pillow's reader), read with those segments left out, and ``icc_dropped`` saying so; {}
    when the JPEG has no ICC segment (Pillow failed for another reason). rev20d: its EXIF, GPS included, was not
    read at all, so ``info`` showed no location and ``keep`` dropped the EXIF without a word."""
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    try:
        icc = [(a, b) for m, a, b in _header_segments(raw) if m == 0xE2 and raw[a + 4 : b].startswith(_ICC_TAG)]
    except (struct.error, IndexError):
        return {}
    if not icc:
        return {}
    kept, at = [], 0
    for a, b in icc:
        kept.append(raw[at:a])
        at = b
    out = read_metadata(b"".join(kept) + raw[at:], "jpeg")
    if out:
        out["icc_dropped"] = ("the source JPEG's ICC profile segments are malformed: the profile cannot be read and "
                              "no output carries it; the output is untagged (sRGB)")
    return out


def _icc_chunks_problem(segs: list[tuple[int, bytes]]) -> str | None:
    """What is wrong with the way a JPEG's APP2 ``ICC_PROFILE`` segments (``segs``: its APPn segments) split its
    profile, None when they make it up (or there are none): each says its sequence number and the number of
    segments; all must state the same count, and the numbers must run 1 to it, once each. A profile with a piece
    missing cannot be rebuilt; Pillow dropped it without a word when the count disagreed, and joined the pieces it
    had when a number was repeated in place of a missing one."""
    chunks = [p[len(_ICC_TAG) : len(_ICC_TAG) + 2] for m, p in segs if m == 0xE2 and p.startswith(_ICC_TAG)]
    if not chunks:
        return None
    if any(len(c) < 2 for c in chunks):
        return "a segment without its sequence number"
    counts = sorted({c[1] for c in chunks})
    if len(counts) > 1:
        return f"its segments disagree on their count ({', '.join(map(str, counts))})"
    seqs = sorted(c[0] for c in chunks)
    if seqs != list(range(1, counts[0] + 1)):
        return f"segments numbered {', '.join(map(str, seqs))} of {counts[0]}"
    return None


def _gif_sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """The data of the GIF sub-blocks from ``pos`` (each a length byte and that many bytes, a zero length ending
    them) and the offset after their terminator."""
    parts = []
    while pos < len(data) and data[pos]:
        parts.append(data[pos + 1 : pos + 1 + data[pos]])
        pos += 1 + data[pos]
    return b"".join(parts), pos + 1


def _gif_metadata(data: bytes) -> dict[str, Any]:
    """A GIF's comment extensions (``comment``, a tuple of their texts, as a JPEG's COM segments: a JPEG output
    holds them), its XMP packet (the ``XMP DataXMP`` application extension, whose raw bytes end in a 258-byte
    "magic trailer" that turns them into sub-blocks) and a note when it holds an ICC profile (``ICCRGBG1012``),
    which is not read. QA 20 (web): a GIF's XMP and comments were dropped from every output without a word; Pillow
    reads neither its XMP nor its profile."""
    out: dict[str, Any] = {}
    if len(data) < 13 or not data.startswith((b"GIF87a", b"GIF89a")):
        return out
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    comments: list[bytes] = []
    while pos < len(data) and data[pos] != 0x3B:
        if data[pos] == 0x2C:  # an image: its descriptor, local colour table, LZW code size, then its data
            flags = data[pos + 9] if pos + 9 < len(data) else 0
            pos = _gif_sub_blocks(data, pos + 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0))[1]
        elif data[pos] == 0x21 and pos + 1 < len(data):
            label, start = data[pos + 1], pos + 2
            body, pos = _gif_sub_blocks(data, start)
            if label == 0xFE:
                comments.append(body)
            elif label == 0xFF and body.startswith(b"XMP DataXMP"):
                if span := next(_paired_tags(data, _VIDEO_XMP_OPEN, _VIDEO_XMP_CLOSE, start + 12, pos), None):
                    out["xmp"] = data[span[0] : span[1]]
            elif label == 0xFF and body.startswith(b"ICCRGBG1012"):
                out["icc_dropped"] = ("the source GIF's ICC profile (ICCRGBG1012 extension) is not read: the output "
                                      "is untagged (sRGB)")
        else:
            break  # not a block: the rest is not read
    if comments := [c for c in comments if c]:
        out["comment"] = tuple(comments)
    return out


#: IFD0 tags of a TIFF that describe the photo (not the file's layout), carried as its EXIF: ImageDescription,
#: Make, Model, Orientation, DateTime, Artist, Copyright; the Exif and GPS sub-IFDs come with them.
_TIFF_EXIF_TAGS = (0x010E, 0x010F, 0x0110, _ORIENTATION, 0x0132, 0x013B, 0x8298)
_EXIF_IFD = 0x8769


def _descriptive_exif(src: Any, *, keep_orientation: bool) -> Any:
    """A new Pillow ``Exif`` with the descriptive IFD0 tags of ``src`` (an ``Exif``) and its Exif/GPS sub-IFDs,
    without the nested pointers (the interoperability IFD: its offset would point into the old block)."""
    from PIL import Image as PILImage

    ex = PILImage.Exif()
    ex.update({t: src[t] for t in _TIFF_EXIF_TAGS if t in src and (keep_orientation or t != _ORIENTATION)})
    for ifd in (_EXIF_IFD, _GPS_IFD):
        sub = {k: v for k, v in (src.get_ifd(ifd) if ifd in src else {}).items()
               if k != 0xA005 and not isinstance(v, dict)}
        if sub:
            ex.get_ifd(ifd).update(sub)
    return ex


def _tiff_exif(im: Any) -> bytes | None:
    """The EXIF of an open TIFF (Pillow keeps none in ``info``: its tags are the file's IFD0): the descriptive IFD0
    tags and the Exif/GPS sub-IFDs as an EXIF block (:func:`_descriptive_exif`), without the TIFF's own layout tags
    (strip offsets, sizes, ..., meaningless in another file). None when the file has none of them (QA 8: a camera
    TIFF's EXIF was lost)."""
    try:
        ex = _descriptive_exif(im.getexif(), keep_orientation=True)
        if not (set(ex) - {_ORIENTATION}) and not any(ex.get_ifd(i) for i in (_EXIF_IFD, _GPS_IFD)):
            return None  # only an orientation tag (applied to the pixels) or nothing: no EXIF to carry
        return ex.tobytes()
    except Exception:  # odd or damaged tags: the image reads without them, as before
        return None


def _jxl_metadata(data: bytes) -> dict[str, Any]:
    """ICC and EXIF of a JPEG XL file that Pillow cannot open: the ICC profile of a losslessly transcoded JPEG
    (``jbrd`` box; the profile is read from the reconstructed JPEG) and the ``Exif`` box. libjxl applies the
    orientation itself, so the pixels are upright (orientation 1). ``xml `` boxes are not read (the film seal
    lives there, and it describes this file, not a derived one)."""
    out: dict[str, Any] = {"orientation": 1}
    try:
        boxes = _boxes(data) if data[4:8] == b"JXL " else []
    except UnsupportedError:
        return out
    kinds = {kind: (start, end) for kind, _, start, end in boxes}
    if (exif := _jxl_exif(data, boxes)) is not None:
        out["exif"] = exif[4:].removeprefix(_EXIF_PREFIX)  # 4-byte TIFF header offset first
    if b"jbrd" in kinds:
        try:
            import imagecodecs

            jpeg = read_metadata(bytes(imagecodecs.jpegxl_decode_jpeg(data)), "jpeg")
        except Exception:  # no reconstruction data after all: no profile to report
            jpeg = {}
        for key in ("icc_profile", "icc_description"):
            if key in jpeg:
                out[key] = jpeg[key]
    elif (icc := _jxl_codestream_icc(data)) is not None:
        out["icc_profile"], out["icc_description"] = icc, icc_description(icc)
    return out


def _jxl_exif(data: bytes, boxes: list[tuple[bytes, int, int, int]]) -> bytes | None:
    """Payload of the ``Exif`` box, also when libjxl stored it Brotli-compressed in a ``brob`` box (as its JPEG
    transcode does: QA found a transcoded camera JPEG whose EXIF ``info`` and ``read_image`` did not see)."""
    for kind, _, start, end in boxes:
        if kind == b"Exif":
            return data[start:end]
    for kind, _, start, end in boxes:
        if kind == b"brob" and data[start:start + 4] == b"Exif":
            try:
                import imagecodecs

                return bytes(imagecodecs.brotli_decode(data[start + 4:end]))
            except Exception:  # no Brotli decoder, or a damaged box: no EXIF to report
                return None
    return None


#: Descriptions libjxl gives the profile it rebuilds for an sRGB colour encoding (``RGB_D65_SRG_Rel_SRG``, and the
#: grey equivalent): such a file is sRGB.
_JXL_SRGB = re.compile(r"^(RGB|Gra)_D65_(SRG_)?\w+_SRG$")


def _jxl_codestream_icc(data: bytes) -> bytes | None:
    """The colour profile a JPEG XL codestream describes (libjxl rebuilds one for an enumerated colour encoding), or
    None when it is sRGB or jxlpy (optional, ``qualipress.codecs.jxlicc``) cannot read it."""
    try:
        import jxlpy

        icc = bytes(jxlpy.JXLPyDecoder(data).get_icc_profile() or b"")
    except Exception:
        return None
    if not icc or _JXL_SRGB.match(icc_description(icc) or ""):
        return None
    return icc


def icc_description(icc: bytes) -> str | None:
    """The profile's description (e.g. ``"sRGB IEC61966-2.1"``), or None when it cannot be read."""
    try:
        from PIL import ImageCms

        text = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except Exception:
        return None
    return text.strip() or None


def is_srgb(icc: bytes | None) -> bool:
    """True when the profile describes sRGB (by its description), or there is none (sRGB is assumed)."""
    if not icc:
        return True
    return "srgb" in (icc_description(icc) or "").lower()


#: Annex K luminance values in ascending order: what :func:`estimate_jpeg_quality` compares a table with.
_SORTED_LUMA = np.sort(ANNEX_K_LUMA.ravel())


def estimate_jpeg_quality(luma_table: Sequence[int] | np.ndarray) -> int:
    """IJG quality (1–100) whose scaled luminance table is closest to ``luma_table`` (64 values, any order).

    The one estimator (issue 11): file metadata (``info``) and the search's predictor feature use it. Sorted
    values are compared by mean absolute log ratio, so the order Pillow reports does not matter and a step that is
    off by one counts little where steps are large. Exact for libjpeg/libjpeg-turbo/Pillow tables at integer
    qualities (all 36 ``people`` JPEGs, qualities 1–100); the nearest integer for :mod:`qualipress.codecs.jpegq`
    fractional qualities; an approximation for encoders with their own tables (jpegli q1–100: mean error 12.5,
    where the earlier natural-order absolute rule of ``info`` was off by 18.0).

    Raises
    ------
    InputError
        When ``luma_table`` does not hold 64 values.
    """
    t = np.sort(np.asarray(luma_table, dtype=np.float64).ravel())
    if t.size != 64:
        raise InputError(f"a JPEG quantisation table has 64 values, not {t.size}")
    log_t = np.log(np.maximum(t, 1))
    errors = [float(np.mean(np.abs(np.log(ijg_table(_SORTED_LUMA, q)) - log_t))) for q in range(1, 101)]
    return 1 + int(np.argmin(errors))


def jpeg_settings(im: Any) -> dict[str, Any]:
    """Estimated quality and chroma subsampling of a Pillow JPEG image."""
    out: dict[str, Any] = {}
    tables = getattr(im, "quantization", None) or {}
    if 0 in tables:
        # Pillow (>= 8.3) returns the tables in natural order.
        out["jpeg_quality"] = estimate_jpeg_quality(np.asarray(tables[0], dtype=np.float64))
    ycck = im.mode == "CMYK" and im.info.get("adobe_transform") == 2  # Adobe APP14 transform 2: YCCK coding
    name = subsampling_name(getattr(im, "layer", None) or [], "YCCK" if ycck else im.mode)
    if name is not None:
        out["jpeg_subsampling"] = name
    return out


#: J:a:b names of (horizontal, vertical) chroma reduction factors.
_SUBSAMPLING = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (4, 1): "4:1:1", (1, 2): "4:4:0",
                (4, 2): "4:1:0"}


def subsampling_name(layers: Sequence[tuple[Any, ...]], mode: str = "RGB") -> str | None:
    """The chroma subsampling of a JPEG from its components' sampling factors (Pillow's ``layer``: (id, h, v,
    table) per component) and its Pillow mode.

    ``grey`` for one component; ``CMYK`` (4 full-resolution components), or ``CMYK, <factors>`` naming each
    component's factors when they differ (``YCCK`` for ``mode="YCCK"``: Adobe transform 2, QA 19); for three
    components the J:a:b name of the chroma reduction (4:4:4, 4:2:2, 4:2:0, 4:1:1, 4:4:0, 4:1:0), else the factors
    (QA 17: Pillow's ``get_sampling`` knows only the first three, so 4:1:1, 4:4:0 and CMYK JPEGs were shown
    without or with a wrong name). None without layers.
    """
    if not layers:
        return "grey" if mode == "L" else None
    factors = [(int(lay[1]), int(lay[2])) for lay in layers]
    if len(factors) == 1:
        return "grey"
    listed = ", ".join(f"{h}x{v}" for h, v in factors)
    if len(factors) == 4 or mode in ("CMYK", "YCCK"):
        coding = "YCCK" if mode == "YCCK" else "CMYK"
        return coding if len(set(factors)) == 1 else f"{coding}, {listed}"
    (h0, v0), chroma = factors[0], factors[1:]
    if len(factors) == 3 and len(set(chroma)) == 1 and h0 % chroma[0][0] == 0 and v0 % chroma[0][1] == 0:
        name = _SUBSAMPLING.get((h0 // chroma[0][0], v0 // chroma[0][1]))
        if name is not None:
            return name
    return listed


# -- orientation --------------------------------------------------------------------------------------------
def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Pixels as they display for an EXIF orientation (1–8): rotated/flipped so that orientation 1 is right.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W, ...)`` as stored in the file: pixels, or a mask / annotation map that must follow them.

    Returns
    -------
    numpy.ndarray
        Contiguous array; ``(W, H, ...)`` for orientations 5–8.
    """
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    if orientation not in ops:
        raise InputError(f"EXIF orientation {orientation} is not 1..8")
    return np.ascontiguousarray(ops[orientation](np.asarray(pixels)))


# -- policies -----------------------------------------------------------------------------------------------
def carry_for(metadata: dict[str, Any], policy: str = "keep", *, orientation: int = 1) -> Carry:
    """What to write into an output of an image with ``metadata`` (``Image.metadata``) under ``policy``.

    Parameters
    ----------
    metadata : dict
    policy : str
        ``keep`` (ICC, EXIF, XMP, a JPEG's comments), ``strip`` (ICC only: colour depends on it), ``strip-gps``
        (all but the GPS fields of EXIF and XMP).
    orientation : int
        Orientation tag to write (1 for upright pixels; the source's own for a copy of the source's pixels).
    """
    if policy not in POLICIES:
        raise UnsupportedError(f"unknown metadata policy {policy!r}; use one of {', '.join(POLICIES)}")
    icc = metadata.get("icc_profile") if isinstance(metadata.get("icc_profile"), bytes) else None
    exif = metadata.get("exif") if isinstance(metadata.get("exif"), bytes) else None
    xmp = metadata.get("xmp") if isinstance(metadata.get("xmp"), bytes) else None
    if policy == "strip":
        exif, xmp = None, None
        if orientation != 1:
            exif = _minimal_exif(orientation)
    if exif is not None and policy != "strip":
        exif = edit_exif(exif, orientation=orientation, drop_gps=policy == "strip-gps")
    if xmp is not None:
        xmp = edit_xmp(xmp, orientation=orientation, drop_gps=policy == "strip-gps")
    comment = () if policy == "strip" else tuple(bytes(c) for c in metadata.get("comment") or ())
    return Carry(icc or None, exif or None, xmp or None, comment)


def _minimal_exif(orientation: int) -> bytes:
    from PIL import Image as PILImage

    ex = PILImage.Exif()
    ex[_ORIENTATION] = orientation
    return ex.tobytes().removeprefix(_EXIF_PREFIX)


def edit_exif(exif: bytes, *, orientation: int | None = None, drop_gps: bool = False) -> bytes:
    """EXIF with its orientation tag set (when it has one or ``orientation`` is not 1) and the GPS IFD dropped.

    The bytes are returned unchanged when nothing needs to change (maker notes and odd layouts survive).
    """
    from PIL import Image as PILImage

    ex = PILImage.Exif()
    try:
        ex.load(exif)
    except Exception:
        return exif  # unreadable EXIF is passed through untouched rather than lost
    current = ex.get(_ORIENTATION)
    change_orientation = orientation is not None and (current or 1) != orientation
    change_gps = drop_gps and _GPS_IFD in ex
    if not change_orientation and not change_gps:
        return exif
    if change_orientation:
        ex[_ORIENTATION] = orientation
    if change_gps:
        ex.get_ifd(0x8769)  # load the Exif IFD so it is written back
        del ex[_GPS_IFD]
    return ex.tobytes().removeprefix(_EXIF_PREFIX)


_XMP_ORIENT = re.compile(rb'(tiff:Orientation\s*=\s*["\'])(\d)(["\'])|(<tiff:Orientation>)(\d)(</tiff:Orientation>)')
#: A location property in XMP: any namespace prefix, a local name starting GPS or Gps (EXIF's ``exif:GPSLatitude``,
#: DJI's ``drone-dji:GpsLatitude``, IPTC's location structures holding ``exif:GPS*``), as an attribute quoted either
#: way, an element (with or without attributes of its own) or an empty element (QA 17 web: single-quoted
#: attributes, ``<exif:GPSLatitude rdf:parseType=...>`` and DJI's fields were left in ``--metadata strip-gps`` files).
#: Not a namespace declaration (``xmlns:GPS="..."`` declares a prefix: removing it left the packet's uses of the
#: prefix unbound, not well-formed XML; rev7). Meta 18: also a name with no prefix (an element in a default
#: namespace, ``<GPSLatitude xmlns="http://ns.adobe.com/exif/1.0/">``, which is EXIF's very property) and a local
#: name in any letter case (``exif:gpslatitude``: XMP names are case-sensitive, so that is not EXIF's property,
#: but it still reads as a location to a person asking for locations to go; removing it costs nothing more).
_GPS_NAME = rb"(?!xmlns[:=\s])(?:[A-Za-z_][\w.-]*:)?(?i:gps)\w*"
_XMP_GPS_ATTR = re.compile(rb"\s+" + _GPS_NAME + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""")
#: A start tag (or empty-element tag), ``>`` inside quoted attribute values allowed: GPS attributes are removed
#: inside these only, never from text (rev7: a ``dc:description`` reading ``exif:GPSMode = "on"`` lost those words).
_XMP_START_TAG = re.compile(rb"""<[A-Za-z_][^<>"']*(?:(?:"[^"]*"|'[^']*')[^<>"']*)*>""")
#: A GPS element's start and end tags (paired by :func:`_paired_tags`) and an empty GPS element. A tag holds no
#: ``<``: rev20a, ``[^>]*`` and a lazy ``.*?`` to the end tag scanned on to the packet's end from each start tag
#: without a ``>`` or an end tag, quadratic (220 KB of them: 88 s).
_XMP_GPS_OPEN = re.compile(rb"<(" + _GPS_NAME + rb")(?:\s[^<>]*)?(?<!/)>")
_XMP_GPS_CLOSE = re.compile(rb"</(" + _GPS_NAME + rb")\s*>")
_XMP_GPS_EMPTY = re.compile(rb"<" + _GPS_NAME + rb"(?:\s[^<>]*)?/>")


def edit_xmp(xmp: bytes, *, orientation: int = 1, drop_gps: bool = False) -> bytes:
    """XMP with ``tiff:Orientation`` set to ``orientation`` and, optionally, its GPS fields removed (every
    ``prefix:GPS*`` / ``prefix:Gps*`` attribute or element, :data:`_XMP_GPS_ATTR`)."""

    def orient(m: re.Match[bytes]) -> bytes:
        if m.group(1):
            return m.group(1) + str(orientation).encode() + m.group(3)
        return m.group(4) + str(orientation).encode() + m.group(6)

    out = _XMP_ORIENT.sub(orient, xmp)
    return _without_gps(out) if drop_gps else out


def _without_gps(xmp: bytes, *, pad: bool = False) -> bytes:
    """XMP without its GPS properties (attributes inside tags, elements), the rest byte for byte; with ``pad``, each
    removed property becomes spaces of its length (XML whitespace), so the packet keeps its size."""
    cut: bytes | Callable[[re.Match[bytes]], bytes] = (lambda m: b" " * len(m.group(0))) if pad else b""
    out = _XMP_START_TAG.sub(lambda m: _XMP_GPS_ATTR.sub(cut, m.group(0)), xmp)
    parts, at = [], 0
    for a, b in _paired_tags(out, _XMP_GPS_OPEN, _XMP_GPS_CLOSE, 0, len(out)):
        parts += [out[at:a], b" " * (b - a) if pad else b""]
        at = b
    return _XMP_GPS_EMPTY.sub(cut, b"".join([*parts, out[at:]]))


def _paired_tags(data: bytes, start: re.Pattern[bytes], end: re.Pattern[bytes], lo: int,
                 hi: int) -> Iterator[tuple[int, int]]:
    """(from, to) of each element in ``data[lo:hi]`` from a tag matching ``start`` to the first tag matching ``end``
    of the same name (both patterns' group 1) after it, as a lazy ``<(name)...>.*?</\\1>`` finds them, but with the
    end tags found in one pass first: that search scanned on to ``hi`` from each start tag without an end tag,
    quadratic (rev20a: 220 KB of ``<x:xmpmeta `` in a JPEG's trailer took 26 s of ``info``, 1 MB ten minutes)."""
    ends: dict[bytes, tuple[list[int], list[int]]] = {}
    for m in end.finditer(data, lo, hi):
        froms, tos = ends.setdefault(m.group(1), ([], []))
        froms.append(m.start())
        tos.append(m.end())
    pos = lo
    while (m := start.search(data, pos, hi)) is not None:
        froms, tos = ends.get(m.group(1), ([], []))
        if (i := bisect.bisect_left(froms, m.end())) == len(froms):
            pos = m.end()
            continue
        yield m.start(), tos[i]
        pos = tos[i]


def gps_places(meta: dict[str, Any]) -> list[str]:
    """Where a file's metadata holds a location (``"exif"``: a GPS IFD, ``"xmp"``: a GPS property), what
    ``--metadata strip-gps`` removes, so that ``info`` shows whether a file still has one. A GPS block holding only
    its version (``GPSVersionID``, as cameras with location off write it) or nothing is no location (rev9)."""
    places = []
    exif, xmp = meta.get("exif"), meta.get("xmp")
    if isinstance(exif, bytes) and any(tag != _GPS_VERSION for tag in _gps_ifd(exif)):
        places.append("exif")
    if isinstance(xmp, bytes) and any(not name.lower().endswith(b"gpsversionid") for name in _xmp_gps_names(xmp)):
        places.append("xmp")
    return places


_GPS_VERSION = 0x0000  # GPSVersionID: the GPS block's version, not a location


def _gps_ifd(exif: bytes) -> dict[int, Any]:
    """The EXIF's GPS IFD (empty when it has none or cannot be read)."""
    from PIL import Image as PILImage

    ex = PILImage.Exif()
    try:
        with warnings.catch_warnings():  # QA 20 web: Pillow's "Corrupt EXIF data" reached info's output
            warnings.simplefilter("ignore")
            ex.load(exif)
            return dict(ex.get_ifd(_GPS_IFD)) if _GPS_IFD in ex else {}
    except Exception:
        return {}


def _xmp_gps_names(xmp: bytes) -> list[bytes]:
    """The GPS property names in an XMP packet, as :func:`edit_xmp` finds them to remove (attributes and elements
    inside tags, never text)."""
    names = []
    for tag in _XMP_START_TAG.finditer(xmp):
        text = tag.group(0)
        if m := re.match(rb"<(" + _GPS_NAME + rb")[\s/>]", text):
            names.append(m.group(1))
        names += [a.group(0).split(b"=")[0].strip() for a in _XMP_GPS_ATTR.finditer(text)]
    return names


# -- writing ------------------------------------------------------------------------------------------------
def icc_colour_space(icc: bytes) -> str:
    """The profile's data colour space from its header (``"RGB"``, ``"GRAY"``, ``"CMYK"``, ...)."""
    return icc[16:20].decode("ascii", "replace").strip() if len(icc) >= 20 else ""


#: Output formats that store one-channel images as grey; the others receive grey as RGB.
_NATIVE_GREY = frozenset({".jpg", ".png", ".jxl", ".jp2"})

#: How far off a component of the PCS illuminant an ICC profile's header states may be from D50 (ICC.1). QA 13:
#: Chromium refuses a whole AVIF whose profile is off by 0.02 and shows it at 0.01 (a JPEG's or WebP's it ignores).
_D50_TOLERANCE = 0.01


def icc_problem(icc: bytes) -> str | None:
    """What is malformed in the header of the ICC profile ``icc`` (None when nothing is).

    The checks are those that make Chromium refuse an AVIF holding the profile (QA 13): a header shorter than 128
    bytes or without the ``acsp`` signature, a declared size larger than the profile, a major version outside 2-4,
    a PCS illuminant that is not D50.
    """
    if len(icc) < 128 or icc[36:40] != b"acsp":
        return "no ICC header"
    if struct.unpack(">I", icc[:4])[0] > len(icc):
        return f"declares {struct.unpack('>I', icc[:4])[0]} bytes, holds {len(icc)}"
    if not 2 <= icc[8] <= 4:
        return f"version {icc[8]}"
    xyz = [v / 65536 for v in struct.unpack(">3i", icc[68:80])]
    if any(abs(v - d) > _D50_TOLERANCE for v, d in zip(xyz, D50, strict=True)):
        return "PCS illuminant ({:.4f}, {:.4f}, {:.4f}) is not D50".format(*xyz)
    return None


def icc_usable(icc: bytes) -> bool:
    """Whether the ICC profile ``icc`` may be written into an output (:func:`icc_problem` finds nothing)."""
    return icc_problem(icc) is None


def icc_for_samples(icc: bytes, channels: int) -> bytes | None:
    """The profile to write for pixels stored with ``channels`` samples (1-2 grey, 3-4 RGB) whose source profile
    is ``icc``: ``icc`` itself when it is well-formed and of their colour space, the RGB equivalent of a grey
    profile on RGB samples (:func:`qualipress.io.iccmake.rgb_from_grey`, issue 13: grey stored as RGB keeps its
    tone curve), else None (a viewer would misread the colours: an RGB profile on grey samples, CMYK)."""
    if not icc_usable(icc):
        return None
    space = icc_colour_space(icc)
    if channels in (1, 2):
        return icc if space == "GRAY" else None
    if space == "GRAY":
        return rgb_from_grey(icc)
    return icc if space == "RGB" else None


def icc_fits(icc: bytes, extension: str, channels: int) -> bool:
    """Whether ``icc`` (or its RGB equivalent, :func:`icc_for_samples`) may go into a file of the format named by
    ``extension`` holding an image of ``channels`` samples per pixel as encoded (grey is stored as RGB outside
    :data:`_NATIVE_GREY`)."""
    return icc_for_samples(icc, _stored_channels(extension, channels)) is not None


def _stored_channels(extension: str, channels: int) -> int:
    """Samples per pixel a file of the format named by ``extension`` stores for an image of ``channels``."""
    return channels if extension in _NATIVE_GREY else max(channels, 3)


def embed(data: bytes, extension: str, carry: Carry | None, *, channels: int = 3) -> bytes:
    """Write ``carry`` into an encoded file of the format named by its file ``extension`` (``".jpg"``, ...).

    Formats without a writer here (TIFF writes its own through its codec; the bare HTJ2K and JPEG-LS codestreams
    hold none) come back unchanged; see
    :data:`CARRIES` for what each format keeps. A grey profile on pixels stored as RGB is written as its RGB
    equivalent; an ICC profile whose colour space does not match the stored pixels otherwise (an RGB profile on
    grey, a CMYK profile) is left out: a viewer would misread the colours; so is a malformed one
    (:func:`icc_problem`: Chromium would not show an AVIF holding it).
    """
    if carry is None or not carry.fields():
        return data
    carry = _fit_icc(carry, extension, channels)
    if not carry.fields():
        return data
    writer = {".jpg": embed_jpeg, ".png": embed_png, ".webp": embed_webp, ".avif": embed_avif,
              ".jxl": embed_jxl, ".jp2": embed_jp2}.get(extension)
    return writer(data, carry) if writer else data


def _fit_icc(carry: Carry, extension: str, channels: int) -> Carry:
    """``carry`` with the ICC profile that fits the stored pixels (:func:`icc_for_samples`: its own, a grey
    profile's RGB equivalent, or none)."""
    if not carry.icc:
        return carry
    icc = icc_for_samples(carry.icc, _stored_channels(extension, channels))
    return carry if icc == carry.icc else replace(carry, icc=icc)


def embed_fields(carry: Carry, *, channels: int, extension: str) -> dict[str, bytes]:
    """``carry`` as keyword arguments for encoders that write metadata themselves (pillow-heif's ``save``)."""
    carry = _fit_icc(carry, extension, channels)
    out: dict[str, bytes] = {}
    if carry.icc:
        out["icc_profile"] = carry.icc
    if carry.exif:
        out["exif"] = _EXIF_PREFIX + carry.exif
    if carry.xmp:
        out["xmp"] = carry.xmp
    return out


def tiff_with_exif(data: bytes, exif: bytes | None) -> bytes:
    """A little-endian classic TIFF (tifffile's output) with ``exif`` added: its descriptive IFD0 tags (not the
    orientation: the pixels are upright) and its Exif/GPS sub-IFDs.

    tifffile will not write the Exif/GPS IFD pointer tags, so the first IFD is rewritten at the end of the file:
    its own entries byte for byte (their offsets still point to the same data) plus the EXIF's entries, whose data
    is laid out by Pillow right after the file at absolute offsets; the header then points to the new IFD. The
    pixels are untouched. ``data`` comes back unchanged when there is nothing to add or it is not such a TIFF.
    """
    from PIL import Image as PILImage

    if not exif or data[:4] != b"II*\x00":
        return data
    src = PILImage.Exif()
    try:
        src.load(exif)
    except Exception:
        return data
    ex = _descriptive_exif(src, keep_orientation=False)
    ex.endian = "<"  # the file's byte order, whatever the camera's
    if not len(ex):
        return data
    out = bytearray(data)
    if len(out) % 2:
        out.append(0)  # IFDs and their data start on word boundaries
    block = ex.tobytes(offset=len(out))[14:]  # "Exif\0\0" and an 8-byte header, then the IFD laid out there
    n_new = struct.unpack_from("<H", block)[0]
    new_entries = [block[2 + 12 * i:14 + 12 * i] for i in range(n_new)]
    out += block
    (first,) = struct.unpack_from("<I", data, 4)
    (n_old,) = struct.unpack_from("<H", data, first)
    old_entries = [data[first + 2 + 12 * i:first + 14 + 12 * i] for i in range(n_old)]
    next_ifd = data[first + 2 + 12 * n_old:first + 6 + 12 * n_old]
    added = {e[:2] for e in new_entries}
    entries = sorted([e for e in old_entries if e[:2] not in added] + new_entries,
                     key=lambda e: struct.unpack_from("<H", e)[0])
    if len(out) % 2:
        out.append(0)
    where = len(out)
    out += struct.pack("<H", len(entries)) + b"".join(entries) + next_ifd
    struct.pack_into("<I", out, 4, where)
    return bytes(out)


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """APPn/COM segments after SOI as (marker, payload) and the offset where the rest of the stream starts."""
    if data[:2] != b"\xff\xd8":
        raise UnsupportedError("not a JPEG stream")
    pos, segs = 2, []
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segs.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return segs, pos


def _header_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of every marker segment between SOI and EOI outside the scans' entropy-coded data
    (tables, frame, APPn, COM, and those between the scans of a progressive or multi-scan JPEG, in file order; fill
    bytes skipped), and the EOI marker itself last when the walk reaches it; the walk stops early at anything it
    cannot follow. fix18c: it stopped at the first SOS, so a
    comment or APPn segment between two scans survived ``--metadata strip``."""
    pos, out = 2, []
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9 or 0xD0 <= marker <= 0xD8 or marker in (0x00, 0x01):
            out += [(marker, pos, pos + 2)] if marker == 0xD9 else []
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if end > len(data):
            break
        if marker != 0xDA:
            out.append((marker, pos, end))
        pos = end if marker != 0xDA else _entropy_end(data, end)
    return out


def _entropy_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data of a scan that starts at ``pos`` ends: the next marker other than a stuffed
    zero (``FF 00``) or a restart marker (``FF D0``-``FF D7``); ``len(data)`` when there is none."""
    while (pos := data.find(b"\xff", pos)) != -1 and pos + 1 < len(data):
        nxt = data[pos + 1]
        if nxt == 0xFF:  # fill byte before a marker
            pos += 1
        elif nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
            pos += 2
        else:
            return pos
    return len(data)


def _hoisted(data: bytes) -> bytes:
    """``data`` with the APPn and COM segments that lie among or after its tables (DQT, DHT, SOF, ...: before the
    scan, where decoders still read them) moved up to the end of its leading APPn/COM segments, where
    :func:`scrub_jpeg` and :func:`embed_jpeg` find them; ``data`` itself when there are none. An MPF segment's
    image offsets (relative to its own header) follow it. Meta 18: under ``--metadata strip`` a comment or a
    Photoshop APP13 (IPTC) placed after the tables survived in the kept source and its transcodes."""
    rest = _jpeg_segments(data)[1]
    late = [(m, a, b) for m, a, b in _header_segments(data) if a >= rest and (0xE0 <= m <= 0xEF or m == 0xFE)]
    if not late:
        return data
    moved = b"".join(data[a:b] for _, a, b in late)
    tail, at = [], rest
    for _, a, b in late:
        tail.append(data[at:a])
        at = b
    out = data[:rest] + moved + b"".join(tail) + data[at:]
    for m, a, b in late:
        if m == 0xE2 and data[a + 4 : a + 8] == b"MPF\x00":
            now = rest + sum(b2 - a2 for _, a2, b2 in late if a2 < a)
            payload = _mpf_shifted(data[a + 4 : b], a - now, 0)
            out = out[: now + 4] + payload + out[now + 4 + len(payload) :]
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise UnsupportedError(f"JPEG segment of {len(payload)} bytes is too long")
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _mpf_header(segs: list[tuple[int, bytes]]) -> tuple[int, int] | None:
    """(index in ``segs``, file offset of its MP header) of the first MPF APP2 segment after SOI, or None."""
    pos = 2
    for i, (m, p) in enumerate(segs):
        if m == 0xE2 and p.startswith(b"MPF\x00"):
            return i, pos + 4 + 4
        pos += 4 + len(p)
    return None


def _mpf_shifted(payload: bytes, shift: int, grow: int) -> bytes:
    """An MPF APP2 payload with the offset of every image but the first (MP Entry, CIPA DC-007) moved by ``shift``
    bytes and the first image's size changed by ``grow``; unchanged when it cannot be parsed."""
    order = {b"MM": ">", b"II": "<"}.get(payload[4:6])
    try:
        if order is None:
            return payload
        head = payload[4:]
        ifd = struct.unpack(order + "I", head[4:8])[0]
        out = bytearray(payload)
        for k in range(struct.unpack(order + "H", head[ifd : ifd + 2])[0]):
            tag, _, count, value = struct.unpack(order + "HHII", head[ifd + 2 + 12 * k : ifd + 14 + 12 * k])
            if tag != 0xB002:
                continue
            for e in range(count // 16):
                at = 4 + value + 16 * e + 4
                size, offset = struct.unpack(order + "II", payload[at : at + 8])
                if offset:
                    out[at + 4 : at + 8] = struct.pack(order + "I", offset + shift)
                else:
                    out[at : at + 4] = struct.pack(order + "I", max(0, size + grow))
        return bytes(out)
    except struct.error:
        return payload


def _rebuilt_jpeg(data: bytes, rest: int, old: list[tuple[int, bytes]], new: list[tuple[int, bytes]]) -> bytes:
    """``data`` with its leading APPn/COM segments ``old`` (ending at ``rest``) replaced by ``new``. An MPF segment
    kept among them gets its images' offsets (relative to its own header, the images lying after the first one's
    EOI) moved by the bytes added or removed between the two: rev7, a COM after the MPF segment removed under
    ``--metadata strip`` left a camera preview's or an Ultra HDR gain map's offset pointing into the wrong bytes."""
    head = b"".join(_segment(m, p) for m, p in new)
    was, now = _mpf_header(old), _mpf_header(new)
    if was is not None and now is not None:
        grow = 2 + len(head) - rest
        if grow or now[1] != was[1]:
            new = [*new[: now[0]], (0xE2, _mpf_shifted(new[now[0]][1], grow - (now[1] - was[1]), grow)),
                   *new[now[0] + 1 :]]
            head = b"".join(_segment(m, p) for m, p in new)
    return b"\xff\xd8" + head + data[rest:]


#: APP1 signature of Adobe's Extended XMP: the part of an XMP packet too long for one segment, in pieces of
#: (32-byte GUID, total length, offset, bytes).
_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
#: APP13 signature of a Photoshop image-resource block (IPTC-IIM: by-line, city, caption, ...).
_PHOTOSHOP = b"Photoshop 3.0\x00"


def scrub_jpeg(data: bytes, policy: str) -> bytes:
    """A JPEG source as a kept or losslessly transcoded output may hold it under the metadata ``policy``: the parts of
    its metadata that :func:`embed_jpeg` does not replace, removed as the policy asks.

    ``keep``: unchanged. ``strip``: also without every APPn segment but JFIF, ICC, MPF (with an ISO 21496-1
    gain-map version: rev13) and Adobe APP14 (Extended XMP, Photoshop APP13 blocks (IPTC), FlashPix, an XMP under a
    non-standard ``XMP\0`` signature, ...: QA 18 web) and comments (COM). ``strip-gps``: each Extended XMP packet that
    holds a GPS property is rewritten without it (new segments, a new GUID: :func:`extended_xmp_renames`; the main
    packet's ``xmpNote:HasExtendedXMP`` follows, :func:`renamed_guids`); one whose pieces do not make up its stated
    length is dropped (its GPS cannot be told apart from the rest; readers ignore it anyway: rev11), and any other
    such segment holding an XMP GPS property is dropped (QA 18 web). JFIF, ICC, MPF and Adobe APP14 segments and
    everything from the frame on stay. Under ``strip`` and ``strip-gps``, APPn and COM segments placed after the
    tables are first moved up among the leading ones (:func:`_hoisted`), so they obey the policy too. QA 17 (web): a
    kept source and ``transcode:jpegxl`` (whose rebuilt JPEG is the source with :func:`embed_jpeg`'s segments) kept
    GPS held in Extended XMP under
    ``strip-gps`` and ``strip``, and IPTC and comments under ``strip``.
    """
    if policy == "keep":
        return data
    data = _video_places_blanked(_mpf_images_scrubbed(_hoisted(data), policy))
    segs, rest = _jpeg_segments(data)
    if policy == "strip":
        kept = [(m, p) for m, p in segs if m != 0xFE and _layout_or_embedded(m, p)]
        return data if len(kept) == len(segs) else _rebuilt_jpeg(data, rest, segs, kept)
    packets = _extended_xmp(segs)
    renames = _gps_renames(packets)
    broken = {guid for guid, packet in packets.items() if packet is None}  # cannot be edited: dropped

    def other_gps(marker: int, payload: bytes) -> bool:  # e.g. an XMP under a 'XMP\0' signature (QA 18 web)
        return (not (marker == 0xE1 and payload.startswith(_XMP_EXTENSION))
                and not _layout_or_embedded(marker, payload)
                and bool(_xmp_gps_names(payload) or _loose_exif_gps(payload)))

    if not renames and not broken and not any(other_gps(m, p) for m, p in segs):
        return data
    new: list[tuple[int, bytes]] = []
    written: set[bytes] = set()
    for m, p in segs:
        if other_gps(m, p):
            continue
        guid = p[len(_XMP_EXTENSION) : len(_XMP_EXTENSION) + 32] if p.startswith(_XMP_EXTENSION) else None
        if m == 0xE1 and guid in broken:
            continue
        if m == 0xE1 and guid in renames:
            if guid not in written:  # the rewritten packet goes where its first piece was
                written.add(guid)
                new += _extension_segments(_without_gps(packets[guid] or b""))
            continue
        new.append((m, renamed_guids(p, renames) if m == 0xE1 and p.startswith(_XMP_NS) else p))
    return _rebuilt_jpeg(data, rest, segs, new)


#: Where a video says it was shot: QuickTime's ``\xa9xyz`` and 3GPP's ``loci`` atoms (their type; the size precedes
#: it), and an ISO 6709 point as text (``+52.5000+004.9000/``; also the value of Apple's
#: ``com.apple.quicktime.location.ISO6709`` key) in degrees, degrees and minutes or degrees, minutes and seconds,
#: packed (``+402030+0740520/``) or dotted (``+40.20.30+074.05.20/``: QA 20 web, it was kept).
_VIDEO_ATOM = re.compile(rb"\xa9xyz|loci")
_ISO6709 = re.compile(rb"[+-]\d{2,6}(?:\.\d+){0,2}[+-]\d{3,7}(?:\.\d+){0,2}(?:[+-]\d+(?:\.\d+)?)?(?:CRS[\w:]*)?/")
#: The start and end tags of an XMP packet in the video (a ``uuid`` box, QuickTime's ``XMP_`` atom): its
#: ``x:xmpmeta`` element (any prefix; ``xapmeta`` of early toolkits) or, the wrapper being optional, a bare
#: ``rdf:RDF`` (rev20a: its GPS was kept) (:func:`_paired_tags`); and a QuickTime metadata key naming a place
#: (``com.apple.quicktime.location.ISO6709``, ``.name``, ``.body``, ``.note``...; any key with GPS in its name).
_VIDEO_XMP_OPEN = re.compile(rb"<((?:[\w.-]+:)?(?:x[am]pmeta|RDF))[\s>]")
_VIDEO_XMP_CLOSE = re.compile(rb"</((?:[\w.-]+:)?(?:x[am]pmeta|RDF))\s*>")
_PLACE_KEY = re.compile(rb"location|gps", re.I)


def _video_spans(data: bytes, end: int) -> list[tuple[int, int]]:
    """Where after ``end`` (the image's end) a motion photo's video may say where it was shot: each top-level box
    of the MP4 from its ``ftyp`` on but ``mdat`` (the media samples, where a chance ``loci`` or ISO 6709 text must
    not be zeroed: rev19c), and whatever follows the last box that parses (a maker's trailer); all of it when no
    ``ftyp`` box is found."""
    if (at := _video_start(data, end)) < end:
        return [(end, len(data))]
    spans = []
    while (box := _box_header(data, at, len(data))) is not None:
        kind, _, size = box
        spans += [] if kind == b"mdat" else [(at, at + size)]
        at += size
    return [*spans, (at, len(data))]


def _video_start(data: bytes, end: int) -> int:
    """Where the MP4 after ``end`` (the image's end) starts: its ``ftyp`` box (a size of 16 to 256 bytes before the
    type); -1 when there is none."""
    at = end
    while (at := data.find(b"ftyp", at + 4) - 4) >= end and not 16 <= int.from_bytes(data[at : at + 4]) <= 256:
        pass
    return at if at >= end else -1


def _video_places_blanked(data: bytes) -> bytes:
    """``data`` (a JPEG) with the location of the video after its image (a motion photo's MP4: Google's
    MicroVideo, Samsung's) blanked in place: each location atom (:data:`_VIDEO_ATOM`) made a ``free`` atom of zeros
    of the same size, any other ISO 6709 point zeroed, so no offset moves (the XMP's ``MicroVideoOffset``, MPF's);
    ``data`` when there is none. Meta 19: the video's location survived ``--metadata strip`` and ``strip-gps`` in
    ``source:jpeg`` and ``transcode:jpegxl``. Only outside the video's samples (:func:`_video_spans`)."""
    end = next((b for m, _, b in _header_segments(data) if m == 0xD9), len(data))
    out = bytearray(data)
    spans = _video_spans(data, end)
    for lo, hi in spans:
        for m in _VIDEO_ATOM.finditer(data, lo + 4, hi):  # the type, its size before it (a look-behind: 6x slower)
            at = m.start() - 4
            # 64-bit and open (0: to the end) sizes too (rev19a: such an atom stayed)
            if (box := _box_header(data, at, hi)) is not None:
                _, head, size = box
                out[at + 4 : at + 8], out[at + head : at + size] = b"free", bytes(size - head)
    for lo, hi in spans:  # QA 20 web: the video's XMP GPS and the values of Apple's location keys were kept
        for a, b in _paired_tags(data, _VIDEO_XMP_OPEN, _VIDEO_XMP_CLOSE, lo, hi):
            out[a:b] = _without_gps(data[a:b], pad=True)
        for m in re.compile(b"meta").finditer(data, lo + 4, hi):
            _place_values_zeroed(data, out, m.start() - 4, hi)
    blanked = bytes(out)  # one copy: one per box took seconds for a fragmented video's hundreds (rev19e)
    for m in (m for lo, hi in spans for m in _ISO6709.finditer(blanked, lo, hi)):
        out[m.start() : m.end()] = bytes(m.end() - m.start())
    if (start := _video_start(data, end)) >= 0:  # fix20 web: GPS samples of a timed metadata track were kept
        _timed_places_zeroed(data, out, start)
    return data if out == data else bytes(out)


#: Sample entry formats of timed metadata tracks: Google's camera motion metadata, GoPro's GPMF, Apple's boxed
#: metadata; a track whose handler is ``meta`` (or ``camm``) is one too, whatever its format.
_TIMED_METADATA = frozenset({b"camm", b"gpmd", b"mebx"})
#: Types of the camm samples that hold a position on Earth (5: latitude, longitude, altitude; 6: a GPS fix).
_CAMM_PLACES = frozenset({5, 6})


def _inside(data: bytes, lo: int, hi: int, *kinds: bytes) -> tuple[int, int] | None:
    """The payload (start, end) of the box reached from ``lo``-``hi`` through the first child of each of ``kinds``
    in turn; None when one is missing or the boxes do not parse."""
    for kind in kinds:
        try:
            found = next((p, b) for k, _, p, b in _boxes(data, lo, hi) if k == kind)
        except (UnsupportedError, StopIteration):
            return None
        lo, hi = found
    return lo, hi


def _timed_metadata_tracks(data: bytes, start: int) -> list[tuple[bytes, tuple[int, int], list[tuple[int, int]]]]:
    """The timed metadata tracks (:data:`_TIMED_METADATA`) of the MP4 at ``start``: for each, its sample entry's
    format (or handler type when the format is another), the entry's payload (start, end) and its samples' (start,
    end) in ``data``, found through ``stsz``, ``stsc`` and ``stco``/``co64`` (chunk offsets count from ``start``;
    samples not wholly inside a top-level ``mdat`` payload are left out: rev20d, a sample table pointing at the
    ``moov`` or ``ftyp`` box got the container zeroed). A fragmented video's samples (``moof``) are not found.

    Raises
    ------
    UnsupportedError
        When the tracks' tables list more than :data:`_MAX_SAMPLES` samples in all (rev20d: a 20-byte ``stsz`` claiming
        2^32 one-byte samples took 20 s and 4.4 GB per call on a 20 MB upload), or samples of more bytes than the
        ``mdat`` boxes hold (samples do not overlap; rev20d: 1,000 chunks pointing at one 2 MB sample took 2.3 s
        to zero, 65,536 of 20 MB would take minutes).
    """
    top, at = [], start
    while (box := _box_header(data, at, len(data))) is not None:
        top.append((box[0], at + box[1], at + box[2]))
        at += box[2]
    mdats = [(lo, hi) for kind, lo, hi in top if kind == b"mdat"]
    tracks, walked = [], [0, sum(hi - lo for lo, hi in mdats)]
    for lo, hi in (span for kind, *span in top if kind == b"moov"):
        try:
            traks = [b for b in _boxes(data, lo, hi) if b[0] == b"trak"]
        except UnsupportedError:  # a malformed moov: its tracks are not read
            continue
        for trak in traks:
            if (track := _metadata_track(data, start, trak[2], trak[3], mdats, walked)) is not None:
                tracks.append(track)
    return tracks


#: The most samples the timed metadata tracks of a video may list in all (a motion photo's few seconds of 1 kHz
#: motion samples are a few thousand): more, and its tables are not walked (:func:`_timed_metadata_tracks` raises).
_MAX_SAMPLES = 1 << 16


def _metadata_track(data: bytes, start: int, lo: int, hi: int, mdats: list[tuple[int, int]],
                    walked: list[int]) -> tuple[bytes, tuple[int, int], list[tuple[int, int]]] | None:
    """One ``trak`` payload (``lo``-``hi``) as :func:`_timed_metadata_tracks` describes it (``mdats``: the payloads
    of the MP4's ``mdat`` boxes; ``walked``: the samples listed by the tracks before, counted on, and the bytes
    their samples may still take, counted down), None when it is not a timed metadata track or its sample tables
    do not parse."""
    hdlr, stbl = _inside(data, lo, hi, b"mdia", b"hdlr"), _inside(data, lo, hi, b"mdia", b"minf", b"stbl")
    stsd = _inside(data, *stbl, b"stsd") if stbl else None
    if hdlr is None or stsd is None or stsd[1] < stsd[0] + 16:
        return None
    handler, fmt = data[hdlr[0] + 8 : hdlr[0] + 12], data[stsd[0] + 12 : stsd[0] + 16]
    if handler not in (b"meta", b"camm") and fmt not in _TIMED_METADATA:
        return None
    entry = (stsd[0] + 16, min(stsd[1], stsd[0] + 8 + int.from_bytes(data[stsd[0] + 8 : stsd[0] + 12])))
    kind = fmt if fmt in _TIMED_METADATA else handler
    stsz, stsc = _inside(data, *stbl, b"stsz") or _inside(data, *stbl, b"stz2"), _inside(data, *stbl, b"stsc")
    stco, co64 = _inside(data, *stbl, b"stco"), _inside(data, *stbl, b"co64")
    if stsz is None or stsc is None or (table := stco or co64) is None or stsz[1] < stsz[0] + 12:
        return kind, entry, []
    one, count = struct.unpack_from(">II", data, stsz[0] + 4)
    # stz2 (rev20d: its samples were not found): no common size, entries of 4, 8 or 16 bits
    bits = data[stsz[0] + 7] if data[stsz[0] - 4 : stsz[0]] == b"stz2" else 32
    one = 0 if bits != 32 else one
    if bits not in (4, 8, 16, 32):
        return kind, entry, []
    if not one:
        count = min(count, (stsz[1] - stsz[0] - 12) * 8 // bits)
    runs = range(stsc[0] + 8, stsc[1] - 11, 12)  # read as the chunks reach them: a table may be megabytes
    width = 4 if stco else 8
    starts = [a for a, _ in mdats]
    samples: list[tuple[int, int]] = []
    per, run, done = 0, 0, 0
    for chunk, at in enumerate(range(table[0] + 8, table[1] - width + 1, width), 1):
        if done >= count:
            break
        pos = start + int.from_bytes(data[at : at + width])
        while run < len(runs) and int.from_bytes(data[runs[run] : runs[run] + 4]) <= chunk:  # this chunk's run
            per, run = int.from_bytes(data[runs[run] + 4 : runs[run] + 8]), run + 1
        take = min(per, count - done)
        walked[0] += max(take, 1)  # an empty chunk costs a step too
        if walked[0] > _MAX_SAMPLES:
            raise UnsupportedError(f"a timed metadata track of the video lists more than {_MAX_SAMPLES:,} samples "
                                   "or chunks: its samples were not checked for a location")
        i = bisect.bisect_right(starts, pos) - 1  # a sample must lie in an mdat payload
        room = mdats[i][1] if i >= 0 and pos < mdats[i][1] else pos
        for k in range(done, done + take):
            at, nibble = stsz[0] + 12 + k * bits // 8, max(bits // 8, 1)
            size = one or int.from_bytes(data[at : at + nibble]) >> (4 * (k % 2 == 0) if bits == 4 else 0) & (
                (1 << bits) - 1)
            if pos < pos + size <= room:
                samples.append((pos, pos + size))
                walked[1] -= size
            pos += size
        done += take
        if walked[1] < 0:
            raise UnsupportedError("the timed metadata samples of the video overlap (more bytes than its mdat "
                                   "holds): they were not checked for a location")
    return kind, entry, samples


def _timed_places_zeroed(data: bytes, out: bytearray, start: int) -> None:
    """Zero in ``out`` where the timed metadata samples of the MP4 at ``start`` (:func:`_timed_metadata_tracks`)
    say where it was shot, every box keeping its size: a camm sample of a position type (:data:`_CAMM_PLACES`; its
    other fields, the motion samples, stay), the values of a GPMF sample's ``GPS*`` keys (:func:`_gpmf_gps_zeroed`),
    the values of a mebx sample's items whose key names a place (:data:`_PLACE_KEY`); every sample of a track of
    another format, or whose keys or items or GPMF entries do not parse (where a place is cannot be told apart)."""
    for kind, (elo, ehi), samples in _timed_metadata_tracks(data, start):
        ids = _mebx_place_ids(data, elo, ehi) if kind == b"mebx" else None
        for lo, hi in samples:
            if kind == b"camm":
                if int.from_bytes(data[lo + 2 : lo + 4], "little") in _CAMM_PLACES:
                    out[lo:hi] = bytes(hi - lo)
            elif kind == b"gpmd":
                if not _gpmf_gps_zeroed(data, out, lo, hi):  # where its GPS is cannot be told: all of it
                    out[lo:hi] = bytes(hi - lo)
            elif kind == b"mebx" and ids is not None:
                try:
                    items = _boxes(data, lo, hi)
                except UnsupportedError:
                    items = [(b"", lo, lo, hi)]  # unreadable: all of it
                for key, _, a, b in items:
                    if key in ids or not key:
                        out[a:b] = bytes(b - a)
            else:
                out[lo:hi] = bytes(hi - lo)


def _mebx_place_ids(data: bytes, lo: int, hi: int) -> set[bytes] | None:
    """The local key ids (item box types) that a ``mebx`` sample entry's payload (``lo``-``hi``: 8 bytes, then its
    ``keys`` box of one box per id, whose ``keyd`` holds a namespace and the key) gives to keys naming a place;
    None when its keys do not parse."""
    keys = _inside(data, lo + 8, hi, b"keys")
    if keys is None:
        return None
    try:
        entries = _boxes(data, *keys)
    except UnsupportedError:
        return None
    if (entries[-1][3] if entries else keys[0]) != keys[1]:  # bytes left over that are no key (rev20d: kept)
        return None
    ids = set()
    for local, _, a, b in entries:
        keyd = _inside(data, a, b, b"keyd")
        if keyd is None:
            return None
        if _PLACE_KEY.search(data[keyd[0] + 4 : keyd[1]]):
            ids.add(local)
    return ids


def _gpmf_gps_zeroed(data: bytes, out: bytearray, lo: int, hi: int, depth: int = 0) -> bool:
    """Zero in ``out`` the values of the GPMF entries (GoPro: a key, a type, a structure size and a repeat count,
    then the values padded to 4 bytes; type 0 nests entries) between ``lo`` and ``hi`` whose key starts ``GPS``;
    all of it past 8 levels of nesting (GoPro's files have 2 or 3). Returns whether they parse: every entry
    inside its container and nothing left over after the last; when not, a ``GPS`` entry may have been read past
    (rev20d: one entry's wrong size hid the next one's GPS values, which were kept)."""
    if depth > 8:
        out[lo:hi] = bytes(hi - lo)
        return True
    while lo + 8 <= hi:
        key, kind, size, repeat = struct.unpack_from(">4sBBH", data, lo)
        if (end := lo + 8 + size * repeat) > hi:
            return False
        if kind == 0 and not _gpmf_gps_zeroed(data, out, lo + 8, end, depth + 1):
            return False
        if kind != 0 and key.startswith(b"GPS"):
            out[lo + 8 : end] = bytes(end - lo - 8)
        lo += 8 + (size * repeat + 3) // 4 * 4
    return lo >= hi


def video_metadata_tracks(data: bytes, *, whole: bool = False) -> list[str]:
    """The timed metadata tracks of the video after a JPEG's image (``data``: a motion photo), each named by its
    format (``camm``, ``gpmd``, ``mebx``, or its handler ``meta``) and sample count, so ``info`` can say the
    video holds one: its samples may hold a position (zeroed by ``--metadata strip-gps``: :func:`scrub_jpeg`).
    ``whole``: only those whose every sample the scrub zeroes (a format not read here, a ``mebx`` track whose keys
    do not parse), so compress can say so: rev20d, a user asking for the GPS alone lost such a track's other
    contents without a word.

    Raises
    ------
    UnsupportedError
        When the tracks list too many samples to be checked (:func:`_timed_metadata_tracks`).
    """
    end = next((b for m, _, b in _header_segments(data) if m == 0xD9), len(data))
    if (start := _video_start(data, end)) < 0:
        return []
    tracks = [(kind, samples) for kind, (lo, hi), samples in _timed_metadata_tracks(data, start)
              if not whole or (samples and (kind not in _TIMED_METADATA
                                           or (kind == b"mebx" and _mebx_place_ids(data, lo, hi) is None)))]
    return [f"{kind.decode('latin-1')} ({len(samples)} samples)" for kind, samples in tracks]


def _place_values_zeroed(data: bytes, out: bytearray, at: int, end: int) -> None:
    """Zero in ``out`` the values of the QuickTime metadata items whose key names a place (:data:`_PLACE_KEY`): the
    ``meta`` atom at ``at`` (QuickTime's plain atom or ISO's full box) holding a ``keys`` atom (an ``mdta`` key
    list: a 1-based index per key) and an ``ilst``, whose items are typed by that index and hold ``data`` atoms
    (8 bytes of type and locale, then the value), in either order, other atoms between them (rev20a: with a
    ``free`` atom between, or the ``ilst`` first, the values were kept). Nothing when ``at`` holds no well-formed
    ``meta`` atom with both (a timed metadata track's ``keys`` lies in its sample entry, not in a ``meta``: its
    indexes are not an item list's); the atoms keep their sizes."""
    box = _box_header(data, at, end)
    if box is None or box[0] != b"meta" or data[at : at + 4] == bytes(4):  # an open size: a chance "meta" text
        return
    children: dict[bytes, tuple[int, int]] = {}
    for skip in (0, 4):  # QuickTime's meta atom, then ISO's full box (version and flags first)
        with contextlib.suppress(UnsupportedError):
            children = {kind: (a, b) for kind, _, a, b in _boxes(data, at + box[1] + skip, at + box[2])}
        if b"keys" in children and b"ilst" in children:
            break
    else:
        return
    (pos, stop), wanted = children[b"keys"], set()
    pos += 8  # version and flags, entry count
    for index in range(1, int.from_bytes(data[pos - 4 : pos]) + 1):
        size = int.from_bytes(data[pos : pos + 4])
        if size < 8 or pos + size > stop:
            return
        wanted |= {index} if _PLACE_KEY.search(data[pos + 8 : pos + size]) else set()
        pos += size
    with contextlib.suppress(UnsupportedError):  # a malformed item list: left as it is
        values = [(lo, hi) for kind, _, a, b in _boxes(data, *children[b"ilst"]) if int.from_bytes(kind) in wanted
                  for sub, _, lo, hi in _boxes(data, a, b) if sub == b"data" and hi >= lo + 8]
        for lo, hi in values:
            out[lo + 8 : hi] = bytes(hi - lo - 8)


def video_has_place(data: bytes) -> bool:
    """Whether the video after a JPEG's image (``data``: a motion photo) says where it was shot, in any form that
    ``--metadata strip-gps`` blanks (:func:`_video_places_blanked`), so ``info`` can name it (QA 20 web)."""
    return _video_places_blanked(data) is not data


def _loose_exif_gps(payload: bytes) -> bool:
    """Whether an APPn payload that is not a standard ``Exif\\0\\0`` APP1 is an EXIF block holding a location: a
    TIFF structure at its start (no signature) or after another 6-byte one (``Exif\\0\\xff``). Meta 19: Pillow
    reads neither as EXIF, so its GPS survived ``--metadata strip-gps`` in ``source:jpeg`` and ``transcode:jpeg``."""
    return any(payload[at : at + 4] in (b"II*\x00", b"MM\x00*") and gps_places({"exif": payload[at:]})
               for at in (0, 6))


def _mpf_entries(payload: bytes) -> list[tuple[int, int, int]]:
    """(position in ``payload`` of the entry's size field, size, offset) of each MP Entry (CIPA DC-007) of an MPF
    APP2 payload that names an image after the first (offset not 0); empty when it cannot be parsed."""
    order = {b"MM": ">", b"II": "<"}.get(payload[4:6])
    out: list[tuple[int, int, int]] = []
    try:
        if order is None:
            return out
        head = payload[4:]
        ifd = struct.unpack(order + "I", head[4:8])[0]
        for k in range(struct.unpack(order + "H", head[ifd : ifd + 2])[0]):
            tag, _, count, value = struct.unpack(order + "HHII", head[ifd + 2 + 12 * k : ifd + 14 + 12 * k])
            for e in range(count // 16 if tag == 0xB002 else 0):
                at = 4 + value + 16 * e + 4
                size, offset = struct.unpack(order + "II", payload[at : at + 8])
                if offset:
                    out.append((at, size, offset))
    except struct.error:
        return []
    return out


def _mpf_images_scrubbed(data: bytes, policy: str) -> bytes:
    """``data`` (a JPEG whose APPn segments are all leading, :func:`_hoisted`) with each further MPF image it
    holds (a depth map, a stereo view, a preview: JPEGs after the primary one) scrubbed as ``policy`` asks
    (:func:`_secondary_scrubbed`), the MP Entries' sizes and offsets following; ``data`` when it has none or
    they cannot be placed.

    rev11: they were kept as they were, their own EXIF with its GPS IFD too, in a kept source and its JPEG XL
    transcode under ``--metadata strip-gps`` and ``strip`` (meta 18's never grow ranks those outputs on the
    primary image, so they win more often)."""
    segs, _ = _jpeg_segments(data)
    found = _mpf_header(segs)
    if found is None:
        return data
    header = found[1]
    payload = segs[found[0]][1]
    entries = sorted(_mpf_entries(payload), key=lambda e: e[2])
    # an image ends where its size says, or where the next one starts / the file ends (Pillow writes sizes that
    # run past the file); its size field changes by what the scrub changed
    starts = [header + offset for _, _, offset in entries]
    spans = [(a, min(a + size, len(data), *starts[i + 1 : i + 2])) for i, (a, (_, size, _)) in
             enumerate(zip(starts, entries, strict=True))]
    if not spans or any(data[a : a + 2] != b"\xff\xd8" or b <= a for a, b in spans):
        return data
    fixed, parts = bytearray(payload), []
    pos = at = spans[0][0]
    for (field, size, _), (a, b) in zip(entries, spans, strict=True):
        image = _secondary_scrubbed(data[a:b], policy)
        parts += [data[at:a], image]
        pos += a - at
        struct.pack_into(("<" if payload[4:6] == b"II" else ">") + "II", fixed, field,
                         max(0, size + len(image) - (b - a)), pos - header)
        pos, at = pos + len(image), b
    start = header - 4  # the payload, after the segment's marker and length
    return data[:start] + bytes(fixed) + data[start + len(payload) : spans[0][0]] + b"".join(parts) + data[at:]


#: XMP namespaces of a gain map's parameters in its own MPF image: Ultra HDR / Adobe (``hdrgm``), Apple
#: (``apdi``, HDR gain map auxiliary image).
_GAIN_MAP_XMP = (b"http://ns.adobe.com/hdr-gain-map/1.0/", b"http://ns.apple.com/pixeldatainfo/1.0/",
                 b"http://ns.apple.com/HDRGainMap/1.0/")


def _gain_map_properties(xmp: bytes) -> bytes:
    """``xmp`` with only its gain-map properties (:data:`_GAIN_MAP_XMP`'s namespaces) in their RDF frame: every other
    property (attribute or element, its value with it) removed. rev19a: ``strip`` kept the gain map's whole XMP, so a
    creator, a city or a serial number a writer also put there survived."""
    kept = [b"x", b"rdf", b"xml", b"xmlns"] + [m.group(1) for m in re.finditer(
        rb"""xmlns:([\w.-]+)\s*=\s*["']([^"']*)["']""", xmp) if m.group(2) in _GAIN_MAP_XMP]
    other = rb"(?!(?:" + b"|".join(re.escape(k) for k in kept) + rb"):)[\w.-]+:[\w.-]+"
    attr = re.compile(rb"""\s+""" + other + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    out = _XMP_START_TAG.sub(lambda m: attr.sub(b"", m.group(0)), xmp)
    # empty elements first: an empty namesake inside (<ex:a><ex:a/>…</ex:a>) blocked the outer one (rev19e)
    out = re.sub(rb"<" + other + rb"(?:\s[^>]*)?/>", b"", out)
    # innermost first, to a fixpoint: a non-greedy match closed a nested namesake early (malformed XML, which
    # libultrahdr refuses); an element holding a gain-map property (a nested rdf:Description) stays (rev19c)
    elem = re.compile(rb"<(" + other + rb")(?:\s[^>]*)?(?<!/)>(?:(?!<\1[\s/>]).)*?</\1\s*>", re.S)
    gain = re.compile(rb"[<\s](?:" + b"|".join(re.escape(k) for k in kept[4:]) + rb"):")
    while (new := elem.sub(lambda m: m.group(0) if gain.search(m.group(0)) else b"", out)) != out:
        out = new
    return out


def _secondary_scrubbed(jpeg: bytes, policy: str) -> bytes:
    """A further MPF image (``jpeg``) as ``policy`` leaves it: its other segments as :func:`scrub_jpeg` leaves
    them, its EXIF and XMP without GPS (``strip-gps``) or gone (``strip``: an orientation other than 1 stays, in
    an EXIF of its own; an XMP holding gain-map parameters (:data:`_GAIN_MAP_XMP`) stays, rendering data as the
    ISO 21496-1 segment: meta19, ``strip`` left an XMP-only Ultra HDR gain map's bytes in the kept source with
    nothing to apply them, and libultrahdr refused it); unchanged when it cannot be read."""
    try:
        jpeg = scrub_jpeg(jpeg, policy)
        segs, rest = _jpeg_segments(jpeg)
    except UnsupportedError:
        return jpeg
    new: list[tuple[int, bytes]] = []
    for m, p in segs:
        if m == 0xE1 and p.startswith(_EXIF_PREFIX):
            if policy == "strip":
                orientation = _exif_orientation(p[len(_EXIF_PREFIX) :])
                if orientation == 1:
                    continue
                p = _EXIF_PREFIX + _minimal_exif(orientation)
            else:
                p = _EXIF_PREFIX + edit_exif(p[len(_EXIF_PREFIX) :], drop_gps=True)
        elif m == 0xE1 and p.startswith(_XMP_NS):
            if policy == "strip" and not any(ns in p for ns in _GAIN_MAP_XMP):
                continue
            body = _without_gps(p[len(_XMP_NS) :])
            p = _XMP_NS + (_gain_map_properties(body) if policy == "strip" else body)
        new.append((m, p))
    return _rebuilt_jpeg(jpeg, rest, segs, new)


def _exif_orientation(exif: bytes) -> int:
    """The orientation an EXIF block (without its ``Exif\\0\\0`` prefix) states: 1 when none or unreadable."""
    from PIL import Image as PILImage

    ex = PILImage.Exif()
    try:
        ex.load(exif)
        value = int(ex.get(_ORIENTATION) or 1)
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _extended_xmp(segs: list[tuple[int, bytes]]) -> dict[bytes, bytes | None]:
    """The Extended XMP packets among a JPEG's APPn segments, by GUID, their pieces put in place by their offsets;
    None for one whose pieces do not make up the length they state (a piece missing, overlapping or cut short).

    rev11: the pieces of such a packet were joined as if adjacent, so ``strip-gps`` wrote a spliced packet under
    a valid-looking GUID, and a GPS value whose start tag lay in the missing piece stayed in the output."""
    pieces: dict[bytes, dict[int, bytes]] = {}
    totals: dict[bytes, set[int]] = {}
    head = len(_XMP_EXTENSION)
    for m, p in segs:
        if m == 0xE1 and p.startswith(_XMP_EXTENSION):
            guid = p[head : head + 32]
            if len(p) < head + 40:
                totals.setdefault(guid, set()).add(-1)  # no room for its length and offset: not a piece
                continue
            total, offset = struct.unpack(">II", p[head + 32 : head + 40])
            pieces.setdefault(guid, {})[offset] = p[head + 40 :]
            totals.setdefault(guid, set()).add(total)
    out: dict[bytes, bytes | None] = {}
    for guid, total in totals.items():
        packet, at = b"", 0
        for offset, part in sorted(pieces.get(guid, {}).items()):
            packet, at = (packet + part, at + len(part)) if offset == at else (packet, -1)
        out[guid] = packet if len(total) == 1 and at == next(iter(total)) else None
    return out


def _xmp_guid(packet: bytes) -> bytes:
    """The GUID of an Extended XMP packet: its MD5 digest as 32 upper-case hex digits (XMP part 3, 1.1.3.1)."""
    return hashlib.md5(packet).hexdigest().upper().encode()


def _extension_segments(packet: bytes) -> list[tuple[int, bytes]]:
    """The APP1 segments holding the Extended XMP ``packet``: each its signature, GUID, the packet's full length
    and the piece's offset in it, then the piece (at most one segment's room)."""
    room = 0xFFFF - 2 - len(_XMP_EXTENSION) - 40
    guid = _xmp_guid(packet)
    return [(0xE1, _XMP_EXTENSION + guid + struct.pack(">II", len(packet), at) + packet[at : at + room])
            for at in range(0, max(len(packet), 1), room)]


def extended_xmp_renames(data: bytes) -> dict[bytes, bytes]:
    """The Extended XMP packets of the JPEG ``data`` (APPn segments anywhere before the scan) that hold a GPS
    property (:func:`_xmp_gps_names`), as old GUID -> the GUID of the packet ``strip-gps`` rewrites without it
    (:func:`scrub_jpeg`); pass it to :func:`renamed_guids` for the main packet written into the output.

    Meta 18: the test was ``edit_xmp(packet, drop_gps=True) != packet``, which also resets ``tiff:Orientation`` to
    1, so a packet with another orientation and no GPS was dropped too; and a packet with GPS was dropped whole,
    its other properties (edit history, a depth map's description) with it."""
    try:
        segs = _jpeg_segments(_hoisted(data))[0]
    except UnsupportedError:
        return {}
    return _gps_renames(_extended_xmp(segs))


def _gps_renames(packets: dict[bytes, bytes | None]) -> dict[bytes, bytes]:
    """Old GUID -> new GUID of each of the Extended XMP ``packets`` (by GUID) that holds a GPS property (an
    incomplete one, None, is dropped by :func:`scrub_jpeg` instead)."""
    return {g: _xmp_guid(_without_gps(x)) for g, x in packets.items() if x is not None and _xmp_gps_names(x)}


def renamed_guids(xmp: bytes, renames: dict[bytes, bytes]) -> bytes:
    """``xmp`` (a main XMP packet) with each Extended XMP GUID it names (``xmpNote:HasExtendedXMP``) replaced as
    ``renames`` says (:func:`extended_xmp_renames`)."""
    for old, new in renames.items():
        xmp = xmp.replace(old, new)
    return xmp


#: PNG chunks holding free text: comments, author, copyright, and ImageMagick's EXIF/XMP/IPTC written as
#: ``Raw profile type ...`` or ``exif:GPS...`` keywords (Pillow reads none of it as EXIF or XMP).
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")
#: The keyword of the PNG XMP packet, which :func:`embed_png` rewrites under the policy.
_PNG_XMP_KEY = b"XML:com.adobe.xmp"
#: The most text of a compressed PNG text chunk read to look for XMP GPS properties (Pillow's own limit).
_PNG_TEXT_MAX = 1 << 20
#: Keywords of text chunks that may hold a location: GPS fields, and raw EXIF/XMP profiles whose contents are not
#: parsed here (dropped whole under ``strip-gps``).
_PNG_GPS_KEY = re.compile(rb"gps|^raw profile type (exif|app1|xmp)$", re.IGNORECASE)


def scrub_png(data: bytes, policy: str) -> bytes:
    """A PNG source as a kept output may hold it under the metadata ``policy``: its text chunks (``tEXt``,
    ``zTXt``, ``iTXt``; the XMP packet excepted, which :func:`embed_png` and the kept-source rule handle) removed
    as the policy asks. ``keep``: unchanged. ``strip``: without any of them (comments, author, copyright, IPTC).
    ``strip-gps``: without those whose keyword names GPS or a raw EXIF/XMP profile (:data:`_PNG_GPS_KEY`), or
    whose text holds an XMP GPS property (:func:`_png_text_value`).
    QA 18 (web): a kept PNG held its comments and ImageMagick's ``exif:GPSLatitude`` text under ``strip``."""
    if policy == "keep" or data[:8] != b"\x89PNG\r\n\x1a\n":
        return data
    chunks = list(png_chunks(data))
    kept = [raw for kind, payload, raw in chunks if _png_text_key(kind, payload, policy) != b""]
    if len(kept) == len(chunks):
        return data
    return data[:8] + b"".join(kept)


def _png_text_key(kind: bytes, payload: bytes, policy: str) -> bytes | None:
    """The keyword of a PNG text chunk (not the XMP packet) that a kept PNG holds under ``policy``; ``b""`` for
    one :func:`scrub_png` removes; None for any other chunk."""
    key = payload.split(b"\x00", 1)[0]
    if kind not in _PNG_TEXT or key == _PNG_XMP_KEY:
        return None
    if policy == "strip" or (policy == "strip-gps" and (_PNG_GPS_KEY.search(key)
                                                         or _xmp_gps_names(_png_text_value(kind, payload)))):
        return b""
    return key


def _png_text_value(kind: bytes, payload: bytes) -> bytes:
    """The text of a ``tEXt``, ``zTXt`` or ``iTXt`` chunk, decompressed; ``b""`` when it cannot be read. Under
    ``strip-gps`` one holding an XMP GPS property goes whatever its keyword (rev13: an XMP packet under an ``XMP``
    keyword kept its GPS in ``source:png``; :func:`scrub_jpeg` does the same for an ``XMP\\0`` APP1)."""
    rest = payload.partition(b"\x00")[2]
    try:  # at most _PNG_TEXT_MAX bytes, as Pillow reads them (a small chunk may inflate to gigabytes)
        if kind == b"zTXt":
            return zlib.decompressobj().decompress(rest[1:], _PNG_TEXT_MAX)
        if kind == b"iTXt":
            flag, text = rest[:1], rest[2:].split(b"\x00", 2)[-1]
            return zlib.decompressobj().decompress(text, _PNG_TEXT_MAX) if flag == b"\x01" else text
    except zlib.error:
        return b""
    return rest


def png_texts(data: bytes, policy: str) -> list[str]:
    """Keywords of the text chunks (``tEXt``, ``zTXt``, ``iTXt``; not the XMP packet) that a PNG source kept as
    it is holds under ``policy`` (:func:`scrub_png`), in file order, each once; empty for another format. No
    other output carries them (QA 18 web: they were lost from every re-encode without a word)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return []
    keys = (_png_text_key(kind, payload, policy) for kind, payload, _ in png_chunks(data))
    return list(dict.fromkeys(k.decode("latin-1") for k in keys if k))


def with_source_segments(jpeg: bytes, source: bytes) -> bytes:
    """``jpeg``, a lossless re-coding of ``source`` by a coder that writes no APPn segments of the source's
    (mozjpeg), with the source's segments that :func:`embed_jpeg` does not write back: Photoshop APP13 (IPTC),
    Extended XMP and other APPn blocks, after ``jpeg``'s own. Not carried: JFIF/APP0 and Adobe APP14 (the coder
    writes its own), EXIF, XMP and ICC (:func:`embed_jpeg`'s) and MPF (its further images are not in ``jpeg``).
    ``source`` is already scrubbed for the policy (:func:`scrub_jpeg`). QA 18 (web): ``transcode:jpeg`` lost a
    press photo's IPTC by-line and copyright under ``--metadata keep`` without a word."""
    extra = _source_only_segments(source)
    if not extra:
        return jpeg
    segs, rest = _jpeg_segments(jpeg)
    return _rebuilt_jpeg(jpeg, rest, segs, [*segs, *extra])


#: APP2 signature of ISO 21496-1 gain-map metadata. In the primary image it holds only the version, and Chromium
#: (Skia) reads an ISO gain map named by the MPF segment only when that segment is there: it is rendering data,
#: not a description of the photo.
_ISO_GAINMAP = b"urn:iso:std:iso:ts:21496:-1\x00"


def _layout_or_embedded(marker: int, payload: bytes) -> bool:
    """Whether a JPEG APPn/COM segment is one a coder writes for the file's layout (JFIF APP0, Adobe APP14), MPF
    and the ISO 21496-1 gain-map version that goes with it (rev13: ``strip`` dropped it and Chromium no longer
    found a kept Ultra HDR photo's gain map, whose bytes stayed), or one :func:`embed_jpeg` writes under the policy
    (EXIF, XMP, ICC); COM segments count as embedded. Another APP0 is not layout: a JFXX thumbnail (a small copy
    of the photo, as EXIF's, which ``strip`` removes) survived ``strip`` (rev13)."""
    return (marker in (0xEE, 0xFE) or (marker == 0xE0 and payload.startswith(b"JFIF\x00"))
            or (marker == 0xE1 and payload.startswith((_EXIF_PREFIX, _XMP_NS)))
            or (marker == 0xE2 and payload.startswith((_ICC_TAG, b"MPF\x00", _ISO_GAINMAP))))


def _source_only_segments(source: bytes) -> list[tuple[int, bytes]]:
    """The APPn segments of a JPEG that no re-encode writes and :func:`embed_jpeg` does not carry (see
    :func:`with_source_segments`), those placed after the tables too (:func:`_hoisted`; rev13: under ``keep`` an
    IPTC block after the DQT was lost from ``transcode:jpeg`` without a word)."""
    return [(m, p) for m, p in _jpeg_segments(_hoisted(source))[0] if not _layout_or_embedded(m, p)]


def jpeg_source_only(data: bytes, policy: str) -> list[str]:
    """Names of what a JPEG source holds that only a file keeping its segments carries under ``policy``
    (``IPTC``: Photoshop APP13; ``Extended XMP``; ``APPn`` for others), each once; empty for another format or a
    JPEG without them. Re-encodes lose them: QA 18 (web) found a press photo's IPTC by-line and copyright lost
    from a WebP under ``--metadata keep`` while the report said only that EXIF was carried."""
    try:
        segs = _source_only_segments(scrub_jpeg(data, policy))
    except UnsupportedError:
        return []
    names = ("IPTC" if m == 0xED and p.startswith(_PHOTOSHOP) else "Extended XMP"
             if m == 0xE1 and p.startswith(_XMP_EXTENSION) else f"APP{m - 0xE0}" for m, p in segs)
    return list(dict.fromkeys(names))


def jpeg_too_long(carry: Carry) -> list[str]:
    """The fields of ``carry`` that a JPEG cannot hold: an EXIF or an XMP packet longer than one APP1 segment
    (65,533 bytes with its signature; Extended XMP is not written here), a comment longer than one COM segment.
    :func:`embed_jpeg` leaves them out and ``pipeline.delivery.lost_fields`` names them (QA 17 web: a PNG's 90 kB
    XMP was dropped from its JPEG output while the report said "carried", and a 70 kB EXIF failed every JPEG encode
    of the image; rev20d: a GIF's 66 kB comment failed them too)."""
    limit = 0xFFFF - 2
    return [name for name, value, head in (("exif", carry.exif, _EXIF_PREFIX), ("xmp", carry.xmp, _XMP_NS))
            if value and len(head) + len(value) > limit] + (
        ["comment"] if any(len(c) > limit for c in carry.comment) else [])


def embed_jpeg(data: bytes, carry: Carry) -> bytes:
    """JPEG with APP1 EXIF, APP1 XMP and APP2 ICC segments replaced by ``carry``'s (after any JFIF APP0); an EXIF or
    XMP too long for a segment (:func:`jpeg_too_long`) is left out. ``carry``'s comments, when it has any, replace
    the stream's COM segments (after the APPn segments). APPn/COM segments placed after the tables are moved up
    among the leading ones first (:func:`_hoisted`), so they are replaced too. rev11: under ``--metadata keep``
    (where :func:`scrub_jpeg` leaves the source as it is) a kept source whose ICC profile lay after its DQT got a
    second ICC segment 1 of 1 written before it, and readers (Pillow, libjpeg's ``read_icc_profile``) then saw no
    profile at all; an EXIF or comment there was written twice."""
    data = _hoisted(data)
    segs, rest = _jpeg_segments(data)
    keep = [(m, p) for m, p in segs
            if not (m == 0xE1 and (p.startswith(_EXIF_PREFIX) or p.startswith(_XMP_NS)))
            and not (m == 0xE2 and p.startswith(_ICC_TAG)) and not (m == 0xFE and carry.comment)]
    new: list[tuple[int, bytes]] = []
    too_long = jpeg_too_long(carry)
    if carry.exif and "exif" not in too_long:
        new.append((0xE1, _EXIF_PREFIX + carry.exif))
    if carry.xmp and "xmp" not in too_long:
        new.append((0xE1, _XMP_NS + carry.xmp))
    if carry.icc:
        chunk = 65519
        parts = [carry.icc[i : i + chunk] for i in range(0, len(carry.icc), chunk)]
        if len(parts) > 255:
            raise UnsupportedError("ICC profile too large for JPEG APP2 segments")
        new += [(0xE2, _ICC_TAG + bytes([i + 1, len(parts)]) + part) for i, part in enumerate(parts)]
    app0 = [s for s in keep if s[0] == 0xE0]
    others = [s for s in keep if s[0] != 0xE0]
    comments = () if "comment" in too_long else carry.comment
    return _rebuilt_jpeg(data, rest, segs, [*app0, *new, *others, *((0xFE, c) for c in comments)])


def png_exif_late(data: bytes | Path) -> bool:
    """Whether a PNG's ``eXIf`` chunk comes after its image data (``IDAT``). The PNG specification (3rd edition)
    requires it before, and browsers (CSS Images: metadata after the image data is ignored) then ignore its
    orientation, so the reader does too: QA 18 (web) found such a PNG turned by the reader where Chromium shows
    it as stored, so its outputs showed turned."""
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    kinds = [kind for kind, _, _ in png_chunks(raw)]
    return b"eXIf" in kinds and b"IDAT" in kinds and kinds.index(b"IDAT") < kinds.index(b"eXIf")


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, ``payload`` and CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(type, payload, the whole chunk) of each chunk of a PNG stream after its signature, in order."""
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length], data[pos : pos + 12 + length]
        pos += 12 + length


def embed_png(data: bytes, carry: Carry) -> bytes:
    """PNG with ``iCCP``, ``eXIf`` and XMP ``iTXt`` chunks inserted after IHDR (replacing sRGB/gAMA/cHRM when an
    ICC profile is written, as the PNG specification asks)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise UnsupportedError("not a PNG stream")
    chunks = [(kind, raw) for kind, _, raw in png_chunks(data)]
    drop = {b"iCCP", b"sRGB", b"gAMA", b"cHRM"} if carry.icc else set()
    if carry.exif:
        drop.add(b"eXIf")
    new = b""
    if carry.icc:
        new += png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(carry.icc, 9))
    if carry.exif:
        new += png_chunk(b"eXIf", carry.exif)
    if carry.xmp:
        new += png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + carry.xmp)
    out = [data[:8]]
    for kind, raw in chunks:
        if kind in drop or (carry.xmp and kind == b"iTXt" and raw[8:26] == b"XML:com.adobe.xmp\x00"):
            continue
        out.append(raw)
        if kind == b"IHDR":
            out.append(new)
    return b"".join(out)


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise UnsupportedError("not a WebP stream")
    pos, out = 12, []
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append((kind, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def _webp_size(chunks: list[tuple[bytes, bytes]]) -> tuple[int, int, bool]:
    """Canvas width, height and whether it has alpha, from the first image chunk."""
    for kind, body in chunks:
        if kind == b"VP8X":
            w = int.from_bytes(body[4:7], "little") + 1
            h = int.from_bytes(body[7:10], "little") + 1
            return w, h, bool(body[0] & 0x10)
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", body[6:10])
            return w & 0x3FFF, h & 0x3FFF, False
        if kind == b"VP8L":
            bits = int.from_bytes(body[1:5], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise UnsupportedError("WebP stream has no image chunk")


def embed_webp(data: bytes, carry: Carry) -> bytes:
    """WebP in the extended format (VP8X) with ``ICCP``, ``EXIF`` and ``XMP `` chunks from ``carry``; a file with
    nothing to add or remove comes back as it is (QA: a kept 4,480 B simple WebP grew 18 B of empty VP8X header)."""
    chunks = _riff_chunks(data)
    if not carry.fields() and not any(kind in (b"ICCP", b"EXIF", b"XMP ") for kind, _ in chunks):
        return data
    width, height, alpha = _webp_size(chunks)
    flags = 0x10 if alpha else 0
    old_flags = next((body[0] for kind, body in chunks if kind == b"VP8X"), 0)
    flags |= old_flags & 0x12  # alpha, animation
    body = [(k, b) for k, b in chunks if k not in (b"VP8X", b"ICCP", b"EXIF", b"XMP ")]
    if carry.icc:
        flags |= 0x20
    if carry.exif:
        flags |= 0x08
    if carry.xmp:
        flags |= 0x04
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    ordered = [(b"VP8X", vp8x)]
    if carry.icc:
        ordered.append((b"ICCP", carry.icc))
    ordered += body
    if carry.exif:
        ordered.append((b"EXIF", carry.exif))
    if carry.xmp:
        ordered.append((b"XMP ", carry.xmp))
    payload = b"WEBP" + b"".join(k + struct.pack("<I", len(b)) + b + (b"\x00" if len(b) & 1 else b"")
                                 for k, b in ordered)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _box_header(data: bytes, pos: int, end: int) -> tuple[bytes, int, int] | None:
    """(type, header length, size) of the ISO-BMFF box at ``pos``: a 64-bit size after the type when the size
    field is 1, the rest up to ``end`` when it is 0; None when the box does not fit before ``end``."""
    if pos + 8 > end:
        return None
    size, kind = struct.unpack(">I4s", data[pos : pos + 8])
    head = 8
    if size == 1 and pos + 16 <= end:
        size, head = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
    elif size == 0:
        size = end - pos
    return (kind, head, size) if head <= size <= end - pos else None


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int, int]]:
    """ISO-BMFF boxes between ``start`` and ``end`` as (type, box start, payload start, box end)."""
    end = len(data) if end is None else end
    pos, out = start, []
    while pos + 8 <= end:
        if (box := _box_header(data, pos, end)) is None:
            raise UnsupportedError(f"malformed box {data[pos + 4 : pos + 8]!r} at {pos}")
        kind, head, size = box
        out.append((kind, pos, pos + head, pos + size))
        pos += size
    return out


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def embed_jxl(data: bytes, carry: Carry) -> bytes:
    """JPEG XL with ``Exif`` and ``xml `` boxes (a bare codestream is wrapped in the container first).

    The ICC profile lives in the codestream header, which imagecodecs' encoder does not let us set: 8-bit RGB is
    signalled as sRGB, so sRGB sources keep their colour and other profiles are reported as not carried.
    """
    extra = b""
    if carry.exif:
        extra += _box(b"Exif", b"\x00\x00\x00\x00" + carry.exif)
    if carry.xmp:
        extra += _box(b"xml ", carry.xmp)
    if not extra:
        return data
    if data[:2] == b"\xff\x0a":
        sig = _box(b"JXL ", b"\r\n\x87\n")
        ftyp = _box(b"ftyp", b"jxl \x00\x00\x00\x00jxl ")
        return sig + ftyp + extra + _box(b"jxlc", data)
    kept = b"".join(data[s:e] for kind, s, _, e in _boxes(data) if kind not in (b"Exif", b"xml "))
    return kept + extra


#: The first 12 bytes of a JP2 file (its signature box).
JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
#: ``uuid`` box identifiers of JP2 metadata: Adobe's XMP (the film seal's packet uses it too), and EXIF as a TIFF
#: structure ("JpgTiffExif->JP2").
JP2_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_JP2_EXIF_UUID = b"JpgTiffExif->JP2"


def _icc_colr(data: bytes, kind: bytes, body: int, end: int) -> bool:
    """Whether the box ``kind`` at ``body``..``end`` of ``data`` is a ``colr`` box holding an ICC profile (method 2,
    restricted, or 3, any)."""
    return kind == b"colr" and end - body > 3 and data[body] in (2, 3)


def embed_jp2(data: bytes, carry: Carry) -> bytes:
    """JP2 with the ICC profile in its ``colr`` box (method 2, restricted ICC: the matrix/TRC profiles of photos
    and greys), and EXIF / XMP as ``uuid`` boxes before the codestream. A bare codestream is returned unchanged.

    OpenJPEG writes an enumerated colour space (``colr`` method 1, sRGB or greyscale); it is replaced. QA 6-8: a
    Display P3 photo's JPEG 2000 output lost the profile and showed desaturated.
    """
    if data[:12] != JP2_SIGNATURE:
        return data
    out = bytearray()
    for kind, start, body, end in _boxes(data):
        if kind == b"uuid" and data[body:body + 16] in (JP2_XMP_UUID, _JP2_EXIF_UUID):
            continue  # replaced below
        if kind == b"jp2h" and carry.icc:
            inner = b"".join(_box(b"colr", b"\x02\x00\x00" + carry.icc) if k == b"colr" else data[s:e]
                             for k, s, _, e in _boxes(data, body, end))
            out += _box(b"jp2h", inner)
            continue
        if kind == b"jp2c":
            if carry.exif:
                out += _box(b"uuid", _JP2_EXIF_UUID + carry.exif)
            if carry.xmp:
                out += _box(b"uuid", JP2_XMP_UUID + carry.xmp)
        out += data[start:end]
    return bytes(out)


def jp2_stored(data: bytes) -> bytes:
    """``data`` with a ``colr`` ICC profile replaced by the enumerated colour space OpenJPEG itself writes (sRGB,
    greyscale for one or two components), so a decoder gives the stored samples: imagecodecs applies a JP2's
    ICC profile, converting the pixels to sRGB, where every other format here decodes what is stored and leaves
    the profile to the metadata (a Display P3 output then measured against its P3 source as if it were sRGB)."""
    if data[:12] != JP2_SIGNATURE:
        return data
    try:
        boxes = _boxes(data)
        head = next(((b, e) for k, _, b, e in boxes if k == b"jp2h"), None)
        inner = [] if head is None else _boxes(data, *head)
    except UnsupportedError:
        return data
    colr = [(s, b, e) for k, s, b, e in inner if _icc_colr(data, k, b, e)]
    ihdr = [b for k, _, b, e in inner if k == b"ihdr" and e - b >= 14]
    if not colr or not ihdr:
        return data  # nothing to neutralise, or a damaged header the decoder will name
    components = struct.unpack_from(">H", data, ihdr[0] + 8)[0]
    enum = _box(b"colr", b"\x01\x00\x00" + struct.pack(">I", 16 if components >= 3 else 17))
    out = bytearray()
    for kind, start, _, end in boxes:
        if kind == b"jp2h":
            out += _box(b"jp2h", b"".join(enum if (s, b, e) in colr else data[s:e] for _, s, b, e in inner))
        else:
            out += data[start:end]
    return bytes(out)


def _jp2_metadata(data: bytes) -> dict[str, Any]:
    """ICC (a ``colr`` box with method 2 or 3), EXIF and XMP (``uuid`` boxes) of a JP2 file; empty for a bare
    codestream or an unreadable layout. Orientation 1: JPEG 2000 has no orientation tag."""
    out: dict[str, Any] = {"orientation": 1}
    try:
        boxes = _boxes(data) if data[:12] == JP2_SIGNATURE else []
        for kind, _, body, end in boxes:
            if kind == b"jp2h":
                for k, _, b, e in _boxes(data, body, end):
                    if _icc_colr(data, k, b, e):
                        out["icc_profile"] = bytes(data[b + 3:e])
                        desc = icc_description(out["icc_profile"])
                        if desc:
                            out["icc_description"] = desc
            elif kind == b"uuid" and data[body:body + 16] == _JP2_EXIF_UUID:
                out["exif"] = bytes(data[body + 16:end]).removeprefix(_EXIF_PREFIX)
            elif kind == b"uuid" and data[body:body + 16] == JP2_XMP_UUID:
                out["xmp"] = bytes(data[body + 16:end])
    except UnsupportedError:
        return {}
    return out


def embed_avif(data: bytes, carry: Carry) -> bytes:
    """AVIF with the ICC profile as a ``colr``/``prof`` property of the primary item, and EXIF / XMP as ``Exif`` /
    ``mime`` items describing it (``cdsc`` references), their bytes in an ``mdat`` box appended at the end.

    The ``meta`` box grows, so every ``iloc`` file offset behind it moves by the same amount.
    """
    if carry.icc:
        data = _avif_icc(data, carry.icc)
    items = []
    if carry.exif:
        items.append((b"Exif", b"\x00\x00\x00\x00" + carry.exif, b""))
    if carry.xmp:
        items.append((b"mime", carry.xmp, b"application/rdf+xml\x00"))
    return _avif_items(data, items) if items else data


_Boxes = list[tuple[bytes, int, int, int]]


def _avif_meta(data: bytes, needs: tuple[bytes, ...] = (b"iloc", b"iinf", b"pitm"),
               ) -> tuple[int, int, int, dict[bytes, tuple[int, int, int]], _Boxes]:
    """The top-level ``meta`` box (start, payload, end), its children by kind and in order; refuses a file
    whose meta box lacks one of ``needs``."""
    meta = next((b for b in _boxes(data) if b[0] == b"meta"), None)
    if meta is None:
        raise UnsupportedError("AVIF without a meta box")
    _, m_start, m_payload, m_end = meta
    children = _boxes(data, m_payload + 4, m_end)
    kinds = {k: (s, p, e) for k, s, p, e in children}
    if any(k not in kinds for k in needs):
        raise UnsupportedError(f"AVIF meta box lacks {'/'.join(k.decode() for k in needs)}")
    return m_start, m_payload, m_end, kinds, children


def _primary_item(data: bytes, kinds: dict[bytes, tuple[int, int, int]]) -> int:
    """The primary item id from ``pitm`` (16-bit in version 0, 32-bit otherwise)."""
    _, p_p, _ = kinds[b"pitm"]
    return int.from_bytes(data[p_p + 4 : p_p + (8 if data[p_p] != 0 else 6)], "big")


def _avif_items(data: bytes, items: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """Add metadata items (type, payload, MIME content type) that describe the primary item."""
    m_start, m_payload, m_end, kinds, children = _avif_meta(data)
    primary = _primary_item(data, kinds)
    wide_ids = data[kinds[b"pitm"][1]] != 0  # pitm version 1: 32-bit item ids
    # existing item ids, from iinf
    _, i_p, i_e = kinds[b"iinf"]
    i_version = data[i_p]
    count_size = 2 if i_version == 0 else 4
    entries = _boxes(data, i_p + 4 + count_size, i_e)
    ids = []
    for kind, _, e_p, _ in entries:
        if kind == b"infe" and data[e_p] >= 2:
            id_size = 2 if data[e_p] == 2 else 4
            ids.append(int.from_bytes(data[e_p + 4 : e_p + 4 + id_size], "big"))
    new_ids = [max([primary, *ids]) + 1 + k for k in range(len(items))]
    if max(new_ids) > 0xFFFF:
        raise UnsupportedError("too many AVIF items")
    infes = b"".join(_box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", i, 0) + kind + b"\x00" + ctype)
                     for i, (kind, _, ctype) in zip(new_ids, items, strict=True))
    old_count = int.from_bytes(data[i_p + 4 : i_p + 4 + count_size], "big")
    iinf = _box(b"iinf", data[i_p : i_p + 4] + (old_count + len(items)).to_bytes(count_size, "big")
                + data[i_p + 4 + count_size : i_e] + infes)
    # content-describes references to the primary item
    id_fmt = ">I" if wide_ids else ">H"
    refs = b"".join(_box(b"cdsc", struct.pack(id_fmt, i) + struct.pack(">H", 1) + struct.pack(id_fmt, primary))
                    for i in new_ids)
    if b"iref" in kinds:
        _, r_p, r_e = kinds[b"iref"]
        if (data[r_p] != 0) != wide_ids:
            raise UnsupportedError("AVIF iref and pitm disagree on item id size")
        iref = _box(b"iref", data[r_p:r_e] + refs)
    else:
        iref = _box(b"iref", (b"\x01" if wide_ids else b"\x00") + b"\x00\x00\x00" + refs)

    def build(offsets: list[int], delta: int) -> bytes:
        out = []
        for k, s, _, e in children:
            if k == b"iinf":
                out.append(iinf)
            elif k == b"iloc":
                out.append(_iloc_add(_shift_iloc(data[s:e], delta, m_end), new_ids, offsets,
                                     [len(p) for _, p, _ in items]))
            elif k == b"iref":
                out.append(iref)
            else:
                out.append(data[s:e])
        if b"iref" not in kinds:
            out.append(iref)
        return _box(b"meta", data[m_payload : m_payload + 4] + b"".join(out))

    trial = build([0] * len(items), 0)
    delta = len(trial) - (m_end - m_start)
    start = len(data) + delta + 8
    offsets, pos = [], start
    for _, payload, _ in items:
        offsets.append(pos)
        pos += len(payload)
    meta = build(offsets, delta)
    return data[:m_start] + meta + data[m_end:] + _box(b"mdat", b"".join(p for _, p, _ in items))


def _iloc_add(box: bytes, ids: list[int], offsets: list[int], lengths: list[int]) -> bytes:
    """An ``iloc`` box with one single-extent entry (file offset, length) per new item."""
    head = 16 if struct.unpack(">I", box[:4])[0] == 1 else 8
    payload = bytearray(box[head:])
    version = payload[0]
    offset_size, length_size = payload[4] >> 4, payload[4] & 15
    base_size = payload[5] >> 4
    index_size = (payload[5] & 15) if version in (1, 2) else 0
    if offset_size == 0 or length_size == 0:
        raise UnsupportedError("AVIF iloc without offsets or lengths")
    count_size = 2 if version < 2 else 4
    count = int.from_bytes(payload[6 : 6 + count_size], "big")
    payload[6 : 6 + count_size] = (count + len(ids)).to_bytes(count_size, "big")
    for i, off, length in zip(ids, offsets, lengths, strict=True):
        entry = i.to_bytes(2 if version < 2 else 4, "big")
        if version in (1, 2):
            entry += b"\x00\x00"  # construction method 0: file offset
        entry += b"\x00\x00" + bytes(base_size) + struct.pack(">H", 1) + bytes(index_size)
        entry += off.to_bytes(offset_size, "big") + length.to_bytes(length_size, "big")
        payload += entry
    return _box(b"iloc", bytes(payload))


def _avif_icc(data: bytes, icc: bytes) -> bytes:
    m_start, m_payload, m_end, kinds, children = _avif_meta(data, needs=(b"iprp", b"iloc", b"pitm"))
    primary = _primary_item(data, kinds)
    ip_s, ip_p, ip_e = kinds[b"iprp"]
    props = {k: (s, p, e) for k, s, p, e in _boxes(data, ip_p, ip_e)}
    _, co_p, co_e = props[b"ipco"]
    existing = _boxes(data, co_p, co_e)
    if any(k == b"colr" and data[p : p + 4] in (b"prof", b"rICC") for k, _, p, _ in existing):
        return data
    ipco = _box(b"ipco", data[co_p:co_e] + _box(b"colr", b"prof" + icc))
    index = len(existing) + 1
    _, ma_p, ma_e = props[b"ipma"]
    ipma = _box(b"ipma", _add_association(data[ma_p:ma_e], primary, index))
    iprp_payload = b"".join(
        ipco if k == b"ipco" else ipma if k == b"ipma" else data[s:e] for k, s, _, e in _boxes(data, ip_p, ip_e))
    iprp = _box(b"iprp", iprp_payload)
    delta = len(iprp) - (ip_e - ip_s)
    new_children = []
    for k, s, _, e in children:
        if k == b"iprp":
            new_children.append(iprp)
        elif k == b"iloc":
            new_children.append(_shift_iloc(data[s:e], delta, m_end))
        else:
            new_children.append(data[s:e])
    new_meta = _box(b"meta", data[m_payload : m_payload + 4] + b"".join(new_children))
    return data[:m_start] + new_meta + data[m_end:]


def _associations(payload: bytes, item: int) -> list[int]:
    """Property indices (1-based, in order) that an ``ipma`` payload associates with ``item``."""
    version, flags = payload[0], int.from_bytes(payload[1:4], "big")
    wide = flags & 1
    count = struct.unpack(">I", payload[4:8])[0]
    pos = 8
    id_size = 2 if version < 1 else 4
    for _ in range(count):
        item_id = int.from_bytes(payload[pos : pos + id_size], "big")
        n = payload[pos + id_size]
        pos += id_size + 1
        idx = []
        for _ in range(n):
            if wide:
                idx.append(int.from_bytes(payload[pos : pos + 2], "big") & 0x7FFF)
                pos += 2
            else:
                idx.append(payload[pos] & 0x7F)
                pos += 1
        if item_id == item:
            return idx
    return []


def _primary_properties(data: bytes) -> list[tuple[bytes, int, int]]:
    """The properties an AVIF/HEIF file associates with its primary item, in order, as (type, payload start,
    payload end). Raises for a file this parser cannot read."""
    _, _, _, kinds, _ = _avif_meta(data, needs=(b"iprp", b"pitm"))
    primary = _primary_item(data, kinds)
    _, ip_p, ip_e = kinds[b"iprp"]
    props = {k: (p, e) for k, _, p, e in _boxes(data, ip_p, ip_e)}
    if b"ipco" not in props or b"ipma" not in props:
        return []
    boxes = _boxes(data, *props[b"ipco"])
    return [(boxes[i - 1][0], boxes[i - 1][2], boxes[i - 1][3])
            for i in _associations(data[props[b"ipma"][0] : props[b"ipma"][1]], primary) if 1 <= i <= len(boxes)]


def heif_cicp(data: bytes) -> tuple[int, int, int, bool] | None:
    """The primary item's ``nclx`` colour description (ITU-T H.273 colour primaries, transfer characteristics,
    matrix coefficients, full range) in an AVIF or HEIF file, or None (none, an ICC ``colr`` only, unreadable)."""
    try:
        for kind, p, e in _primary_properties(data):
            if kind == b"colr" and e - p >= 11 and data[p : p + 4] == b"nclx":
                pri, trc, mat = struct.unpack(">HHH", data[p + 4 : p + 10])
                return pri, trc, mat, bool(data[p + 10] & 0x80)
    except (UnsupportedError, IndexError, struct.error, ValueError, KeyError):
        return None
    return None


#: CICP transfer characteristics that are not display curves: the image's ``transfer`` (``--for web`` refuses).
CICP_HDR_TRANSFERS = {16: "pq", 18: "hlg"}

#: ITU-T H.273 code points by name: colour primaries, transfer characteristics, matrix coefficients
#: (:func:`describe_cicp`).
CICP_NAMES: tuple[dict[int, str], dict[int, str], dict[int, str]] = (
    {1: "BT.709/sRGB", 2: "unspecified", 4: "BT.470 M", 5: "BT.601 625", 6: "BT.601 525", 7: "SMPTE 240M",
     8: "generic film", 9: "BT.2020", 10: "SMPTE ST 428 (XYZ)", 11: "DCI-P3", 12: "Display P3", 22: "EBU 3213"},
    {1: "BT.709", 2: "unspecified", 4: "gamma 2.2", 5: "gamma 2.8", 6: "BT.601", 7: "SMPTE 240M", 8: "linear",
     9: "log 100:1", 10: "log 316:1", 11: "xvYCC", 12: "BT.1361", 13: "sRGB", 14: "BT.2020 10-bit",
     15: "BT.2020 12-bit", 16: "PQ (SMPTE ST 2084)", 17: "SMPTE ST 428", 18: "HLG (ARIB STD-B67)"},
    {0: "identity (RGB)", 1: "BT.709", 2: "unspecified", 4: "FCC", 5: "BT.601 625", 6: "BT.601 525",
     7: "SMPTE 240M", 8: "YCgCo", 9: "BT.2020 non-constant", 10: "BT.2020 constant", 11: "SMPTE ST 2085",
     12: "chromaticity-derived non-constant", 13: "chromaticity-derived constant", 14: "ICtCp"},
)


def describe_cicp(cicp: Sequence[int | bool]) -> str:
    """A ``cicp`` list (``[primaries, transfer, matrix, full range]``, as :func:`read_image` puts it in an image's
    metadata) in words with its numbers, e.g. ``"primaries BT.2020 (9), transfer PQ (SMPTE ST 2084) (16), matrix
    identity (RGB) (0), full range"``; a code point H.273 reserves is said as such."""
    parts = [f"{what} {names.get(int(code), 'reserved')} ({int(code)})"
             for what, names, code in zip(("primaries", "transfer", "matrix"), CICP_NAMES, cicp, strict=False)]
    if len(cicp) > 3:
        parts.append("full range" if cicp[3] else "limited (video) range")
    return ", ".join(parts)


def _nclx_metadata(data: bytes, *, has_icc: bool) -> dict[str, Any]:
    """``cicp`` of an AVIF/HEIF file, and without an ICC profile the profile its primaries need
    (:func:`qualipress.io.iccmake.cicp_profile`, ``icc_from``); QA 17 (web): BT.2020, Display P3, PQ and HLG
    AVIFs were read as sRGB and their outputs tagged so."""
    cicp = heif_cicp(data)
    if cicp is None:
        return {}
    out: dict[str, Any] = {"cicp": list(cicp)}
    made = None if has_icc else cicp_profile(cicp[0], cicp[1])
    if made is not None:
        out["icc_profile"] = made
        out["icc_description"] = icc_description(made)
        out["icc_from"] = f"the file's CICP colour description (primaries {cicp[0]}, transfer {cicp[1]})"
    return out


def avif_transforms(data: bytes) -> list[tuple[str, int]]:
    """The primary item's ``irot`` (``("irot", quarter turns anticlockwise)``) and ``imir``
    (``("imir", axis)``: 0 exchanges top and bottom, 1 left and right, ISO/IEC 23008-12:2022) in the order the
    file associates them, which is the order they apply. Empty for a file without them or one this parser cannot
    read."""
    try:
        out = []
        for kind, p, e in _primary_properties(data):
            if kind == b"irot" and e > p:
                out.append(("irot", data[p] & 3))
            elif kind == b"imir" and e > p:
                out.append(("imir", data[p] & 1))
        return out
    except (UnsupportedError, IndexError, struct.error, ValueError):
        return []


def avif_orientation(data: bytes) -> int:
    """The EXIF orientation (1–8) whose display transform equals the AVIF's ``irot``/``imir`` (1: none)."""
    ops = avif_transforms(data)
    if not ops:
        return 1
    probe = np.arange(6).reshape(2, 3, 1)
    shown = probe
    for kind, value in ops:
        if kind == "irot":
            shown = np.rot90(shown, value)  # anticlockwise, as irot's angle
        else:
            shown = shown[::-1] if value == 0 else shown[:, ::-1]
    for orientation in range(1, 9):
        mine = apply_orientation(probe, orientation)
        if mine.shape == shown.shape and np.array_equal(mine, shown):
            return orientation
    return 1


def _add_association(payload: bytes, item: int, index: int) -> bytes:
    version, flags = payload[0], int.from_bytes(payload[1:4], "big")
    wide = flags & 1
    count = struct.unpack(">I", payload[4:8])[0]
    pos, out = 8, bytearray(payload[:8])
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        item_id = int.from_bytes(payload[pos : pos + id_size], "big")
        n = payload[pos + id_size]
        size = id_size + 1 + n * (2 if wide else 1)
        entry = bytearray(payload[pos : pos + size])
        if item_id == item:
            if not wide and index > 127:
                raise UnsupportedError("too many AVIF properties for a narrow ipma")
            entry[id_size] = n + 1
            entry += index.to_bytes(2, "big") if wide else bytes([index])
        out += entry
        pos += size
    return bytes(out)


def _shift_iloc(box: bytes, delta: int, boundary: int) -> bytes:
    """An ``iloc`` box with every file offset at or after ``boundary`` moved by ``delta``."""
    buf = bytearray(box)
    head = 16 if struct.unpack(">I", box[:4])[0] == 1 else 8
    p = head
    version = buf[p]
    p += 4
    offset_size, length_size = buf[p] >> 4, buf[p] & 15
    base_size, index_size = buf[p + 1] >> 4, (buf[p + 1] & 15) if version in (1, 2) else 0
    p += 2
    count_size = 2 if version < 2 else 4
    count = int.from_bytes(buf[p : p + count_size], "big")
    p += count_size

    def shift(at: int, size: int) -> None:
        if size == 0:
            return
        value = int.from_bytes(buf[at : at + size], "big")
        if value >= boundary:
            buf[at : at + size] = (value + delta).to_bytes(size, "big")

    for _ in range(count):
        p += 2 if version < 2 else 4
        method = 0
        if version in (1, 2):
            method = int.from_bytes(buf[p : p + 2], "big") & 15
            p += 2
        p += 2  # data_reference_index
        base_at = p
        p += base_size
        extents = int.from_bytes(buf[p : p + 2], "big")
        p += 2
        if method == 0:
            shift(base_at, base_size)
        for _ in range(extents):
            p += index_size
            if method == 0 and base_size == 0:
                shift(p, offset_size)
            p += offset_size + length_size
    return bytes(buf)


def present(data: bytes, fmt: str) -> dict[str, bool]:
    """Which of ICC, EXIF and XMP an encoded file holds (read back with Pillow; for tests and reports)."""
    meta = read_metadata(data, fmt)
    return {"icc": "icc_profile" in meta, "exif": "exif" in meta, "xmp": "xmp" in meta}
