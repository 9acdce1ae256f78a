"""JPEG XL files of 9–16-bit images that say what their samples mean.

imagecodecs' ``jpegxl_encode`` tags every non-8-bit image as *linear* sRGB and has no colour-encoding argument, so
viewers showed such outputs with wrong tones. Deeper images are therefore written through OpenImageIO's JPEG XL
writer, which takes a CICP tag (:func:`cicp_for`): the same libjxl, told the real transfer function, so lossy XYB
coding decodes back to the samples that were measured. The writer takes 16-bit samples (shifted up from the
image's depth) and stores the image's own depth (``oiio:BitsPerSample``); libjxl decodes such files to 16-bit
samples, which the codec's ``scales_to_container`` shifts back (exact for lossless).

PQ and HLG images (at 8 bits too) are written the same way, tagged with their own transfer (CICP 16 and 18). Tagged
PQ costs bytes: libjxl codes PQ in XYB as absolute light, so a lossy setting meets an SSIM/PSNR target on the PQ
codes only at a small distance or not at all (then the search falls back to lossless): ``docs/benchmarks.md``
§ Review fixes, session 6: JPEG XL colour tags of PQ images. Log film scans have no CICP code: they keep
imagecodecs' encode and its linear tag, as ``unknown`` and ``linear`` images do, and the film seal states their
real encoding.

Grey images (with or without alpha) are written as one grey channel with their own transfer and depth through
libjxl's encoder API (:mod:`qualipress.codecs.jxlapi`): OpenImageIO's writer cannot tag a one-channel image and
takes extra channels only after three colour ones. Where that API is not reachable: sRGB (or unstated gamma) grey
as one channel through OpenImageIO, BT.709/PQ/HLG grey and grey with alpha as three equal colour channels, which
:func:`qualipress.codecs.decode_like` folds back. What one channel saves: ``docs/benchmarks.md`` § JPEG XL grey.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from qualipress.codecs import jxlapi
from qualipress.codecs.hdrtag import primaries_of
from qualipress.errors import CodecError
from qualipress.io.image import Image

#: CICP transfer characteristic (ITU-T H.273) of the transfers written through OpenImageIO (:func:`tagged`):
#: ``gamma`` (an unstated display gamma) is tagged sRGB, the nearest code; PQ (SMPTE ST 2084) 16, HLG 18.
TRANSFER_CICP = {"srgb": 13, "bt709": 1, "gamma": 13, "pq": 16, "hlg": 18}
#: CICP primaries given for a grey file: 2, unspecified (any other code makes OpenImageIO ask libjxl for an RGB
#: encoding of one channel, which fails; the file is then tagged grey sRGB, see :func:`one_channel`).
GREY_PRIMARIES = 2
#: CICP primaries libjxl's colour encoding names (sRGB/BT.709, BT.2100, DCI-P3, Display P3). OpenImageIO's writer
#: ignores a CICP tag with any other primaries whole and writes sRGB: a PQ AVIF with BT.470M primaries (4) came out
#: tagged 1/13, shown as SDR; such a source gets its colorspace's primaries with its own transfer instead.
JXL_PRIMARIES = frozenset({1, 9, 11, 12})
#: Bits per sample the writer is given and the decoder returns for a 9–16-bit image.
STORED_BITS = 16


#: Transfers tagged at 8 bits too (imagecodecs tags an 8-bit image sRGB, right for the others).
TAGGED_AT_8_BITS = ("pq", "hlg")


def tagged(image: Image) -> bool:
    """Whether ``image`` is written with its colour tag (through OpenImageIO, or libjxl's API for grey): 9–16 bits
    and a transfer in :data:`TRANSFER_CICP`, or a PQ/HLG image of any depth."""
    return image.transfer in TRANSFER_CICP and (image.bit_depth > 8 or image.transfer in TAGGED_AT_8_BITS)


def native(image: Image) -> bool:
    """Whether ``image`` is written through libjxl's encoder API (:mod:`~qualipress.codecs.jxlapi`): a tagged grey
    image, with or without alpha, when that API is reachable. Such files hold the image's own depth."""
    return tagged(image) and image.n_channels in (1, 2) and jxlapi.available()


def decoded_depth(image: Image) -> int:
    """Bits per sample the decoder returns for a JPEG XL file of ``image``: :data:`STORED_BITS` for one written
    through OpenImageIO, else the image's own depth."""
    return STORED_BITS if tagged(image) and not native(image) else image.bit_depth


def cicp_for(image: Image) -> tuple[int, int, int, int]:
    """(colour primaries, transfer, matrix = 0 (RGB), full range) for a JPEG XL file of ``image``; primaries
    :data:`GREY_PRIMARIES` for a one-channel image, else the source file's own (an AVIF/HEIF ``nclx`` box) or its
    colorspace's (:func:`qualipress.codecs.hdrtag.primaries_of`); a
    source's primaries outside :data:`JXL_PRIMARIES` give way to the colorspace's."""
    primaries = GREY_PRIMARIES if one_channel(image) else primaries_of(image, JXL_PRIMARIES)
    return (primaries, TRANSFER_CICP.get(image.transfer, 13), 0, 1)


def one_channel(image: Image) -> bool:
    """Whether ``image`` is written as one grey channel: grey without alpha whose transfer is tagged sRGB (the
    only tag a grey file from OpenImageIO's writer gets)."""
    return image.n_channels == 1 and TRANSFER_CICP.get(image.transfer) == TRANSFER_CICP["srgb"]


def stored_pixels(image: Image) -> np.ndarray:
    """The samples handed to the writer: 16-bit (shifted up from the image's depth), grey as one channel when
    :func:`one_channel`, otherwise as three equal channels (alpha kept)."""
    px = image.pixels.astype(np.uint16)
    if px.ndim == 2:
        px = px[:, :, None]
    shift = STORED_BITS - image.bit_depth
    if shift > 0:
        px = px << np.uint16(shift)
    if image.n_channels in (1, 2) and not one_channel(image):
        px = np.concatenate([np.repeat(px[..., :1], 3, axis=2), px[..., 1:]], axis=2)
    return np.ascontiguousarray(px)


def encode_tagged(image: Image, *, distance: float | None, effort: int = 7) -> bytes:
    """A JPEG XL file of a 9–16-bit ``image``, or an 8-bit PQ/HLG one, tagged with its transfer (lossless when
    ``distance`` is None): through libjxl's API for grey (:func:`native`), else through OpenImageIO with
    :func:`cicp_for`.

    Raises
    ------
    CodecError
        OpenImageIO is missing or its writer failed.
    """
    if native(image):
        return jxlapi.encode(image.pixels, bits=image.bit_depth, colour_space="grey",
                             transfer=TRANSFER_CICP[image.transfer], distance=distance, effort=effort)
    try:
        import OpenImageIO as oiio
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise CodecError("a tagged JPEG XL (more than 8 bits, or PQ/HLG) needs OpenImageIO "
                         "(pip install openimageio)") from exc
    px = stored_pixels(image)
    h, w, c = px.shape
    spec = oiio.ImageSpec(w, h, c, "uint16")
    spec.attribute("CICP", "int[4]", cicp_for(image))
    if image.bit_depth < STORED_BITS:
        spec.attribute("oiio:BitsPerSample", int(image.bit_depth))
    spec.attribute("jpegxl:effort", int(effort))
    if distance is None:
        spec.attribute("compression", "lossless")
        spec.attribute("jpegxl:distance", 0.0)
    else:
        spec.attribute("jpegxl:distance", float(distance))
    if c == 4:
        spec.alpha_channel = 3
    fd, name = tempfile.mkstemp(prefix="qualipress-jxl-", suffix=".jxl")
    os.close(fd)
    path = Path(name)
    try:
        out = oiio.ImageOutput.create(str(path))
        if out is None or not out.open(str(path), spec):
            raise CodecError(f"JPEG XL writer: {oiio.geterror() or (out.geterror() if out else 'unavailable')}")
        ok = out.write_image(px)
        out.close()
        data = path.read_bytes()
        if not ok or not data:
            raise CodecError(f"JPEG XL writer wrote nothing: {out.geterror() or oiio.geterror()}")
        return data
    finally:
        path.unlink(missing_ok=True)
