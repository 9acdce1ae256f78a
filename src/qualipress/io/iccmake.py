"""Small ICC v2 display profiles (matrix/TRC) for tone curves and primaries that a file states without a profile.

Browsers colour-manage a PNG's ``gAMA`` and ``cHRM`` chunks when it has no ``sRGB`` or ``iCCP`` chunk
(Chromium shows a gAMA 1.0 PNG up to 73 code values brighter than the same samples untagged). Outputs hold ICC
profiles, not PNG chunks, so :func:`png_chunk_profile` turns the chunks into the profile that shows the samples
the same way: the chunk's primaries (sRGB's without ``cHRM``) adapted to D50 with the Bradford transform, and a
pure power-law curve of exponent ``1 / gAMA`` in every channel.

:func:`rgb_from_grey` turns a grey profile into the RGB matrix/TRC profile that shows equal R, G and B
samples as the grey profile shows the grey sample, for formats that store grey as RGB (AVIF, WebP, HEIF, jpegli)
and for lossy JPEG XL (whose decoders return a grey-profiled lossy file in linear light).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

#: The profile connection space's white (ICC.1).
D50 = (0.9642, 1.0, 0.8249)

#: White point and primaries of sRGB / BT.709 as ``cHRM`` orders them: white x, y, red x, y, green x, y, blue x, y.
SRGB_CHROMATICITY = (0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06)

#: A ``gAMA`` this close to 1/2.2 (with sRGB's primaries or no ``cHRM``) is shown as sRGB: Chromium draws gAMA
#: 0.44-0.46 identically to an untagged PNG (measured), so such a file needs no profile.
SRGB_GAMMA, SRGB_GAMMA_TOLERANCE = 1 / 2.2, 0.015
#: How far a ``cHRM`` value may be from sRGB's and still count as sRGB.
CHROMATICITY_TOLERANCE = 0.01

_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def colorants(chromaticity: Sequence[float]) -> np.ndarray:
    """D50-adapted XYZ of the red, green and blue primaries (columns of a 3x3 matrix) for ``chromaticity``
    (white x, y, then red, green, blue x, y, as in ``cHRM``)."""
    wx, wy, rx, ry, gx, gy, bx, by = (float(v) for v in chromaticity)
    primaries = np.stack([_xyz(rx, ry), _xyz(gx, gy), _xyz(bx, by)], axis=1)
    white = _xyz(wx, wy)
    to_xyz = primaries * np.linalg.solve(primaries, white)  # columns scaled so R + G + B = white
    cone = _BRADFORD @ white
    adapt = np.linalg.inv(_BRADFORD) @ np.diag((_BRADFORD @ np.array(D50)) / cone) @ _BRADFORD
    return adapt @ to_xyz


def _tag_desc(text: str) -> bytes:
    ascii_ = text.encode("ascii", "replace") + b"\x00"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(4 + 4 + 2 + 1 + 67)


def _tag_xyz(xyz: Sequence[float]) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in xyz)


def matrix_trc_profile(description: str, chromaticity: Sequence[float], exponent: float) -> bytes:
    """An ICC v2 RGB display profile: the primaries of ``chromaticity`` and a power curve ``exponent`` (decoding:
    linear = sample ** exponent) in every channel."""
    return _assemble(b"RGB ", [*_display_tags(description), *_matrix_tags(chromaticity, _curve(exponent))])


def _matrix_tags(chromaticity: Sequence[float], curve: bytes) -> list[tuple[bytes, bytes]]:
    """The colorant and curve tags of a matrix/TRC profile: the primaries of ``chromaticity`` (D50-adapted) and
    the curve tag ``curve`` in every channel."""
    rgb = colorants(chromaticity)
    return [(b"rXYZ", _tag_xyz(rgb[:, 0])), (b"gXYZ", _tag_xyz(rgb[:, 1])), (b"bXYZ", _tag_xyz(rgb[:, 2])),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]


def _display_tags(description: str) -> list[tuple[bytes, bytes]]:
    """The tags every profile here starts with: description, copyright, D50 media white."""
    return [(b"desc", _tag_desc(description)), (b"cprt", b"text" + bytes(4) + b"no copyright\x00"),
            (b"wtpt", _tag_xyz(D50))]


def _curve(exponent: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">I", 1) + struct.pack(">H", min(round(exponent * 256), 65535)) + bytes(2)


def _assemble(space: bytes, tags: Sequence[tuple[bytes, bytes]], version: bytes = bytes([2, 0x10, 0, 0])) -> bytes:
    """An ICC display profile (``version``: the header's four version bytes, v2.1 unless told) of data colour space
    ``space`` holding ``tags`` (signature, data)."""
    table_len = 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for sig, data in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", 128 + table_len + len(body), len(data))
        body += data
    size = 128 + table_len + len(body)
    header = (struct.pack(">I", size) + bytes(4) + version + b"mntr" + space + b"XYZ " + bytes(12)
              + b"acsp" + bytes(4 + 4 + 4 + 4 + 8 + 4) + b"".join(_s15(v) for v in D50))
    return header + bytes(128 - len(header)) + table + body


#: CICP colour primaries (ITU-T H.273) → chromaticity as ``cHRM`` orders it: BT.470 System B/G (5), BT.601 525
#: (6, 7), BT.2020 (9), DCI-P3 (11, its own white), Display P3 (12).
CICP_PRIMARIES: dict[int, tuple[float, ...]] = {
    5: (0.3127, 0.3290, 0.64, 0.33, 0.29, 0.60, 0.15, 0.06),
    6: (0.3127, 0.3290, 0.630, 0.340, 0.310, 0.595, 0.155, 0.070),
    7: (0.3127, 0.3290, 0.630, 0.340, 0.310, 0.595, 0.155, 0.070),
    9: (0.3127, 0.3290, 0.708, 0.292, 0.170, 0.797, 0.131, 0.046),
    11: (0.314, 0.351, 0.680, 0.320, 0.265, 0.690, 0.150, 0.060),
    12: (0.3127, 0.3290, 0.680, 0.320, 0.265, 0.690, 0.150, 0.060),
}
#: CICP transfer characteristics of SDR video and sRGB (BT.709, BT.601, BT.2020 10/12-bit, sRGB) and 2,
#: unspecified: shown with the sRGB curve, as browsers show an AVIF or HEIF tagged with them.
CICP_SDR_TRANSFERS = frozenset({1, 2, 6, 13, 14, 15})


def _srgb_table(n: int = 256) -> bytes:
    """A ``curv`` tag of ``n`` entries sampling the sRGB decoding curve (IEC 61966-2-1)."""
    v = np.linspace(0.0, 1.0, n)
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return b"curv" + bytes(4) + struct.pack(">I", n) + np.round(lin * 65535).astype(">u2").tobytes()


def cicp_profile(primaries: int, transfer: int) -> bytes | None:
    """The profile that shows samples tagged with CICP ``primaries`` and an SDR ``transfer`` (an AVIF's or HEIF's
    ``nclx`` colour box) as browsers show them, or None when none is needed (BT.709 / sRGB or unspecified
    primaries) or none can be made here (other primaries; PQ, HLG and other transfers, which are not display
    curves of this kind: :func:`qualipress.io.readers.read_image` marks those images' transfer instead)."""
    chroma = CICP_PRIMARIES.get(primaries)
    if chroma is None or transfer not in CICP_SDR_TRANSFERS:
        return None
    return _assemble(b"RGB ", [*_display_tags(f"CICP primaries {primaries}, sRGB curve"),
                               *_matrix_tags(chroma, _srgb_table())])


def grey_trc_profile(description: str, exponent: float) -> bytes:
    """An ICC v2 grey display profile: a power curve ``exponent`` (linear = sample ** exponent) on D50 white."""
    return _assemble(b"GRAY", [*_display_tags(description), (b"kTRC", _curve(exponent))])


def _tag_table(icc: bytes) -> dict[bytes, bytes] | None:
    """The tags of profile ``icc`` (signature: data), or None when its tag table runs past its bytes."""
    if len(icc) < 132:
        return None
    count = struct.unpack_from(">I", icc, 128)[0]
    if 132 + 12 * count > len(icc):
        return None
    tags = {}
    for i in range(count):
        sig, offset, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
        if offset + size > len(icc):
            return None
        tags[sig] = icc[offset:offset + size]
    return tags


#: Tags through which colour management maps a profile's samples before (or instead of) its TRC curves.
_LUT_TAGS = (b"A2B0", b"A2B1", b"A2B2", b"D2B0")


def rgb_from_grey(icc: bytes) -> bytes | None:
    """The RGB matrix/TRC profile equivalent to the grey profile ``icc``, or None when it has no usable grey curve.

    A grey profile maps a sample ``v`` to the neutral ``grayTRC(v)`` times the PCS white (ICC.1). The RGB profile
    has that curve (the ``kTRC`` tag's bytes, ``curv`` or ``para``) in each channel and sRGB's primaries adapted
    to D50, whose sum is the PCS white: equal R, G and B samples ``v`` map to the same neutral. The source's
    description, copyright, media white point and header version are kept (a v4 profile's ``mluc`` and ``para``
    stay in a v4 header).

    None as well for a grey profile whose curve is not the whole story: one with a Lab PCS (its curve gives L*/100,
    not Y) or with a LUT (``A2B0``/``A2B1``/``A2B2``/``D2B0``: colour management uses the LUT before ``kTRC``,
    which ICC.1 asks every grey profile to carry anyway). Such a profile is dropped and named, not misread.
    """
    if icc[16:20] != b"GRAY" or icc[20:24] != b"XYZ ":
        return None
    tags = _tag_table(icc)
    if tags is None or any(sig in tags for sig in _LUT_TAGS):
        return None
    curve = tags.get(b"kTRC", b"")
    if curve[:4] not in (b"curv", b"para"):
        return None
    if tags.get(b"wtpt", b"")[:4] != b"XYZ " or len(tags[b"wtpt"]) != 20:
        tags.pop(b"wtpt", None)
    head = [(sig, tags.get(sig) or made) for sig, made in _display_tags("RGB equivalent of a grey profile")]
    return _assemble(b"RGB ", [*head, *_matrix_tags(SRGB_CHROMATICITY, curve)], version=icc[8:12])


def png_chunk_profile(gamma: float, chromaticity: Sequence[float] | None = None, *,
                      grey: bool = False) -> bytes | None:
    """The profile that shows a PNG with ``gAMA`` = ``gamma`` (and ``cHRM`` = ``chromaticity``) as browsers show
    it, or None when they show it as sRGB (:data:`SRGB_GAMMA_TOLERANCE`, :data:`CHROMATICITY_TOLERANCE`). For a
    ``grey`` PNG a grey profile with the curve alone (Chromium draws a grey gAMA PNG by its curve; an RGB profile
    on grey samples would be misread)."""
    if not gamma or gamma <= 0:
        return None
    if grey:
        return None if abs(gamma - SRGB_GAMMA) <= SRGB_GAMMA_TOLERANCE else grey_trc_profile(
            f"PNG gAMA {gamma:.5g}", 1.0 / gamma)
    chroma = tuple(chromaticity) if chromaticity is not None and len(chromaticity) == 8 else None
    if chroma is not None and not (all(np.isfinite(chroma)) and all(y > 0 for y in chroma[1::2])):
        chroma = None  # a broken cHRM (zeros, NaN): the primaries are unknown, sRGB's are assumed
    srgb_primaries = chroma is None or all(abs(a - b) <= CHROMATICITY_TOLERANCE
                                           for a, b in zip(chroma, SRGB_CHROMATICITY, strict=True))
    if srgb_primaries and abs(gamma - SRGB_GAMMA) <= SRGB_GAMMA_TOLERANCE:
        return None
    description = f"PNG gAMA {gamma:.5g}" + ("" if chroma is None else ", cHRM")
    try:
        return matrix_trc_profile(description, chroma or SRGB_CHROMATICITY, 1.0 / gamma)
    except np.linalg.LinAlgError:  # collinear primaries: no matrix maps them to the white point
        return matrix_trc_profile(f"PNG gAMA {gamma:.5g}", SRGB_CHROMATICITY, 1.0 / gamma)
