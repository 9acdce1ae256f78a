"""The CICP colour description (ITU-T H.273) an output of a PQ or HLG image is tagged with.

A PQ or HLG image (an AVIF/HEIF read with such an ``nclx`` box, or a float EXR coded as PQ for the codecs) holds
code values that mean light only with their transfer: an output that does not say PQ/HLG is shown as SDR, with
wrong tones, and one that says BT.709 primaries for BT.2020 samples is shown desaturated. The formats that can say
it (AVIF and HEIF ``nclx``, JPEG XL's colour encoding, PNG ``cICP``: :data:`CARRIES_HDR`) are written with
:func:`hdr_cicp`; the others (JPEG, JPEG 2000, TIFF, JPEG-LS, WebP) cannot, and the run names the loss
(:func:`qualipress.pipeline.delivery.hdr_loss`).
"""

from __future__ import annotations

from collections.abc import Collection

from qualipress.io.image import Image

#: CICP transfer characteristics of the transfers that are not display curves: SMPTE ST 2084 (PQ) and ARIB STD-B67
#: (HLG).
HDR_TRANSFER_CICP = {"pq": 16, "hlg": 18}
#: CICP colour primaries by colorspace name (anything else: 1, BT.709 / sRGB).
PRIMARIES_CICP = {"bt2020": 9, "p3": 12, "display-p3": 12}
#: CICP primaries that name no primaries (0 reserved, 2 unspecified): the colorspace decides instead.
_UNNAMED_PRIMARIES = (0, 2)
#: CICP matrix coefficients of the YCbCr outputs (AVIF, HEIF): BT.601, libavif's and libheif's default. The matrix
#: only codes RGB as YCbCr and back (a decoder undoes the one the file names, whatever the primaries); the source's
#: BT.2020 matrix (9) made a 10-bit BT.2020 PQ test image's HEIF at quality 95 measure 37.83 dB PSNR instead of
#: 38.24 dB at quality 93 with 6, so a target met before was missed.
YCBCR_MATRIX = 6
#: File extensions of the outputs that carry the CICP colour description of a PQ/HLG image.
CARRIES_HDR = frozenset({".avif", ".heic", ".heif", ".jxl", ".png"})


def primaries_of(image: Image, writable: Collection[int] | None = None) -> int:
    """CICP colour primaries of ``image``: the source file's own (``metadata["cicp"]``, an AVIF/HEIF ``nclx`` box)
    when it names some (and, given ``writable``, the writer can name them), else by its colorspace
    (:data:`PRIMARIES_CICP`, BT.709 otherwise)."""
    src = image.metadata.get("cicp")
    if src and int(src[0]) not in _UNNAMED_PRIMARIES and (writable is None or int(src[0]) in writable):
        return int(src[0])
    return PRIMARIES_CICP.get(image.colorspace, 1)


def hdr_cicp(image: Image) -> tuple[int, int, int] | None:
    """(colour primaries, transfer characteristics, matrix coefficients) for an output of a PQ or HLG ``image``, or
    None for any other transfer (its outputs keep their colour profile as before). The matrix is
    :data:`YCBCR_MATRIX`; an RGB output (JPEG XL, PNG) ignores it.
    """
    transfer = HDR_TRANSFER_CICP.get(image.transfer)
    if transfer is None:
        return None
    return primaries_of(image), transfer, YCBCR_MATRIX


def carries_hdr(extension: str) -> bool:
    """Whether an output with file ``extension`` carries :func:`hdr_cicp`'s colour description."""
    return extension.lower() in CARRIES_HDR
