"""The CICP colour description (ITU-T H.273) an output of a PQ or HLG image is tagged with.

A PQ or HLG image (an AVIF/HEIF read with such an ``nclx`` box, or a float EXR coded as PQ for the codecs) holds
code values that mean light only with their transfer: an output that does not say PQ/HLG is shown as SDR, with
wrong tones, and one that says BT.709 primaries for BT.2020 samples is shown desaturated. The formats that can say
it (AVIF and HEIF ``nclx``, JPEG XL's colour encoding, PNG ``cICP``: :data:`CARRIES_HDR`) are written with
:func:`hdr_cicp`; the others (JPEG, JPEG 2000, TIFF, JPEG-LS, WebP) cannot, and the run names the loss
(:func:`qualipress.pipeline.delivery.hdr_loss`). hdr17, 2026-12-02: a PQ AVIF compressed with ``--codec avif``
came out tagged unspecified (2, 2, 6), its JPEG XL with BT.709 primaries.
"""

from __future__ import annotations

from qualipress.io.image import Image

#: CICP transfer characteristics of the transfers that are not display curves: SMPTE ST 2084 (PQ) and ARIB STD-B67
#: (HLG).
HDR_TRANSFER_CICP = {"pq": 16, "hlg": 18}
#: CICP colour primaries by colorspace name (anything else: 1, BT.709 / sRGB).
PRIMARIES_CICP = {"bt2020": 9, "p3": 12, "display-p3": 12}
#: CICP primaries that name no primaries (0 reserved, 2 unspecified): the colorspace decides instead.
_UNNAMED_PRIMARIES = (0, 2)
#: CICP matrix coefficients a YCbCr output may be coded with (BT.709, BT.601 625/525, BT.2020 non-constant).
_YCBCR_MATRICES = (1, 5, 6, 9)
#: File extensions of the outputs that carry the CICP colour description of a PQ/HLG image.
CARRIES_HDR = frozenset({".avif", ".heic", ".heif", ".jxl", ".png"})


def primaries_of(image: Image) -> int:
    """CICP colour primaries of ``image``: the source file's own (``metadata["cicp"]``, an AVIF/HEIF ``nclx`` box)
    when it names some, else by its colorspace (:data:`PRIMARIES_CICP`, BT.709 otherwise)."""
    src = image.metadata.get("cicp")
    if src and int(src[0]) not in _UNNAMED_PRIMARIES:
        return int(src[0])
    return PRIMARIES_CICP.get(image.colorspace, 1)


def hdr_cicp(image: Image) -> tuple[int, int, int] | None:
    """(colour primaries, transfer characteristics, matrix coefficients) for an output of a PQ or HLG ``image``, or
    None for any other transfer (its outputs keep their colour profile as before).

    The matrix is the source's when it is a YCbCr one (:data:`_YCBCR_MATRICES`), else BT.2020's for BT.2020
    primaries and BT.709's for others; an RGB output (JPEG XL, PNG) ignores it.
    """
    transfer = HDR_TRANSFER_CICP.get(image.transfer)
    if transfer is None:
        return None
    primaries = primaries_of(image)
    src = image.metadata.get("cicp")
    if src and int(src[2]) in _YCBCR_MATRICES:
        matrix = int(src[2])
    else:
        matrix = 9 if primaries == 9 else 1
    return primaries, transfer, matrix


def carries_hdr(extension: str) -> bool:
    """Whether an output with file ``extension`` carries :func:`hdr_cicp`'s colour description."""
    return extension.lower() in CARRIES_HDR
