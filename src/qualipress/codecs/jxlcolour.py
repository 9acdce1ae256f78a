"""JPEG XL files of 9–16-bit images that say what their samples mean.

imagecodecs' ``jpegxl_encode`` tags every non-8-bit image as *linear* sRGB (libjxl's
``JxlColorEncodingSetToLinearSRGB``) and has no colour-encoding argument, so a 16-bit sRGB photograph, a 10-bit log
scan or a PQ-coded EXR came out tagged linear light: headless Chromium showed a mid-grey (sRGB 0.5) 16-bit output
as 187 instead of 128, and OpenImageIO read the PQ-coded ``Desk.jxl`` with a mean of 0.39 where the EXR has 4.99
(issue 17 item 8). Deeper images are therefore written through OpenImageIO's JPEG XL writer, which takes a CICP tag
(:func:`cicp_for`): the same libjxl, told the real transfer function, so lossy XYB coding decodes back to the
samples that were measured and every viewer shows the intended light. The writer takes 16-bit samples (shifted up
from the image's depth) and stores the image's own depth in the file (``oiio:BitsPerSample``); libjxl decodes
such files to 16-bit samples, which the codec's ``scales_to_container`` shifts back (exact for lossless).

PQ and HLG images are not written this way: libjxl needs an intensity target for them (the writer offers none)
and with its default the decoded PQ samples of ``Desk.exr`` came back up to 240 codes too dark in the mid-tones,
so no lossy setting met C1 (``benchmarks/jxl_colour_tag.py``). Log film scans (``log``/``unknown``) have no CICP
code either; both keep imagecodecs' encode and its linear tag, and the film seal states their real encoding.

OpenImageIO's writer cannot write one-channel images: grey is written as three equal channels, which
:func:`qualipress.codecs.decode_like` folds back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from qualipress.errors import CodecError
from qualipress.io.image import Image

#: CICP transfer characteristic (ITU-T H.273) of the transfers written through OpenImageIO (:func:`tagged`):
#: ``gamma`` (an unstated display gamma) is tagged sRGB, the nearest code.
TRANSFER_CICP = {"srgb": 13, "bt709": 1, "gamma": 13}
#: CICP colour primaries by colorspace name (anything else: 1, BT.709 / sRGB).
PRIMARIES_CICP = {"bt2020": 9, "p3": 12, "display-p3": 12}
#: Bits per sample the writer is given and the decoder returns for a 9–16-bit image.
STORED_BITS = 16


def tagged(image: Image) -> bool:
    """Whether ``image`` is written through OpenImageIO with its colour tag: 9–16 bits, a transfer in
    :data:`TRANSFER_CICP`."""
    return image.bit_depth > 8 and image.transfer in TRANSFER_CICP


def cicp_for(image: Image) -> tuple[int, int, int, int]:
    """(colour primaries, transfer, matrix = 0 (RGB), full range) for a JPEG XL file of ``image``."""
    return (PRIMARIES_CICP.get(image.colorspace, 1), TRANSFER_CICP.get(image.transfer, 13), 0, 1)


def stored_pixels(image: Image) -> np.ndarray:
    """The samples handed to the writer: 16-bit (shifted up from the image's depth), grey as three channels,
    alpha kept."""
    px = image.pixels.astype(np.uint16)
    shift = STORED_BITS - image.bit_depth
    if shift > 0:
        px = px << np.uint16(shift)
    if image.n_channels in (1, 2):
        px = np.concatenate([np.repeat(px[..., :1], 3, axis=2), px[..., 1:]], axis=2)
    return np.ascontiguousarray(px)


def encode_tagged(image: Image, *, distance: float | None, effort: int = 7) -> bytes:
    """A JPEG XL file of a 9–16-bit ``image`` tagged with :func:`cicp_for` (lossless when ``distance`` is None).

    Raises
    ------
    CodecError
        OpenImageIO is missing or its writer failed.
    """
    try:
        import OpenImageIO as oiio
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise CodecError("JPEG XL of more than 8 bits needs OpenImageIO (pip install openimageio)") from exc
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
