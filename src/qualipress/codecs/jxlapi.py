"""JPEG XL through libjxl's own encoder API, for the colour encodings no Python writer here can state.

imagecodecs' ``jpegxl_encode`` tags deeper images linear light, and OpenImageIO's writer cannot tag a one-channel
image with anything but grey sRGB (:mod:`qualipress.codecs.jxlcolour`). libjxl itself takes any enumerated colour
encoding (``JxlEncoderSetColorEncoding``: grey or RGB, a CICP-numbered transfer function) and samples at their own
depth (``JxlEncoderSetFrameBitDepth``), so this module calls it through :mod:`ctypes`: the libjxl that imagecodecs'
wheel ships (``imagecodecs.libs/libjxl-*.so*``, loaded after ``imagecodecs._jpegxl`` so that its own dependencies
are already in the process). Where that library is not found (another platform's wheel, a system imagecodecs) or
is older than 0.9, :func:`available` is False and callers keep their other writer.

Used for 9–16-bit grey images (with or without alpha): one grey channel with the image's own transfer
(BT.709, sRGB, PQ, HLG) and depth, which imagecodecs decodes back at that depth.
"""

from __future__ import annotations

import ctypes
import glob
import os
from functools import lru_cache
from typing import Any

import numpy as np

from qualipress.errors import CodecError

#: JxlColorSpace values.
COLOUR_SPACE = {"rgb": 0, "grey": 1}
#: JxlEncoderFrameSettingId of the effort option.
_EFFORT = 0
#: JxlEncoderStatus values.
_SUCCESS, _NEED_MORE_OUTPUT = 0, 2
#: JxlDataType of 8- and 16-bit unsigned samples; JxlBitDepthType "from codestream" (samples are 0 .. 2^bits - 1).
_UINT8, _UINT16, _FROM_CODESTREAM = 2, 3, 1
#: Oldest libjxl version used (``JxlEncoderVersion``: major * 1e6 + minor * 1e3 + patch).
MIN_VERSION = 9000
#: Threads of libjxl's own pool per encode (imagecodecs' encodes use 2 too).
THREADS = 2

_u32, _int, _float = ctypes.c_uint32, ctypes.c_int, ctypes.c_float


class _BasicInfo(ctypes.Structure):
    _fields_ = [("have_container", _int), ("xsize", _u32), ("ysize", _u32), ("bits_per_sample", _u32),
                ("exponent_bits_per_sample", _u32), ("intensity_target", _float), ("min_nits", _float),
                ("relative_to_max_display", _int), ("linear_below", _float), ("uses_original_profile", _int),
                ("have_preview", _int), ("have_animation", _int), ("orientation", _int),
                ("num_color_channels", _u32), ("num_extra_channels", _u32), ("alpha_bits", _u32),
                ("alpha_exponent_bits", _u32), ("alpha_premultiplied", _int), ("preview", _u32 * 2),
                ("animation", _u32 * 4), ("intrinsic_xsize", _u32), ("intrinsic_ysize", _u32),
                ("padding", ctypes.c_uint8 * 100)]


class _ColourEncoding(ctypes.Structure):
    _fields_ = [("color_space", _int), ("white_point", _int), ("white_point_xy", ctypes.c_double * 2),
                ("primaries", _int), ("primaries_red_xy", ctypes.c_double * 2),
                ("primaries_green_xy", ctypes.c_double * 2), ("primaries_blue_xy", ctypes.c_double * 2),
                ("transfer_function", _int), ("gamma", ctypes.c_double), ("rendering_intent", _int)]


class _PixelFormat(ctypes.Structure):
    _fields_ = [("num_channels", _u32), ("data_type", _int), ("endianness", _int), ("align", ctypes.c_size_t)]


class _BitDepth(ctypes.Structure):
    _fields_ = [("type", _int), ("bits_per_sample", _u32), ("exponent_bits_per_sample", _u32)]


@lru_cache(maxsize=1)
def _libs() -> tuple[Any, Any] | None:
    """(libjxl, libjxl_threads) from imagecodecs' wheel with their signatures set, or None."""
    try:
        import imagecodecs
        import imagecodecs._jpegxl  # loads libjxl's own dependencies into the process
    except ImportError:
        return None
    libdir = os.path.dirname(imagecodecs.__file__) + ".libs"
    found = sorted(glob.glob(os.path.join(libdir, "libjxl-*.so*")))
    threads = sorted(glob.glob(os.path.join(libdir, "libjxl_threads-*.so*")))
    if not found or not threads:
        return None
    try:
        lib, thr = ctypes.CDLL(found[0]), ctypes.CDLL(threads[0])
        lib.JxlEncoderVersion.restype = _u32
        if lib.JxlEncoderVersion() < MIN_VERSION:
            return None
        vp = ctypes.c_void_p
        for name, res, args in (
                ("JxlEncoderCreate", vp, [vp]), ("JxlEncoderDestroy", None, [vp]),
                ("JxlEncoderInitBasicInfo", None, [vp]), ("JxlEncoderSetBasicInfo", _int, [vp, vp]),
                ("JxlEncoderSetColorEncoding", _int, [vp, vp]), ("JxlEncoderFrameSettingsCreate", vp, [vp, vp]),
                ("JxlEncoderFrameSettingsSetOption", _int, [vp, _int, ctypes.c_int64]),
                ("JxlEncoderSetFrameDistance", _int, [vp, _float]), ("JxlEncoderSetFrameLossless", _int, [vp, _int]),
                ("JxlEncoderSetFrameBitDepth", _int, [vp, vp]),
                ("JxlEncoderAddImageFrame", _int, [vp, vp, vp, ctypes.c_size_t]),
                ("JxlEncoderCloseInput", None, [vp]), ("JxlEncoderGetError", _int, [vp]),
                ("JxlEncoderProcessOutput", _int, [vp, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8)),
                                                   ctypes.POINTER(ctypes.c_size_t)]),
                ("JxlEncoderSetParallelRunner", _int, [vp, vp, vp])):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        thr.JxlThreadParallelRunnerCreate.restype = vp
        thr.JxlThreadParallelRunnerCreate.argtypes = [vp, ctypes.c_size_t]
        thr.JxlThreadParallelRunnerDestroy.argtypes = [vp]
    except (OSError, AttributeError):
        return None
    return lib, thr


def available() -> bool:
    """True when libjxl's encoder API is reachable here (imagecodecs' wheel library, version 0.9 or later)."""
    return _libs() is not None


def encode(px: np.ndarray, *, bits: int, colour_space: str, transfer: int, distance: float | None,
           effort: int = 7) -> bytes:
    """A JPEG XL codestream of ``px`` (H×W×C samples of ``bits`` bits, uint8 up to 8 bits else uint16: C = 1 or 3
    colour channels, plus one alpha) with the colour encoding ``colour_space`` (``"grey"`` or ``"rgb"``, D65, sRGB
    primaries) and transfer ``transfer`` (a CICP / ``JxlTransferFunction`` code: 1 BT.709, 8 linear, 13 sRGB, 16 PQ,
    18 HLG).

    Parameters
    ----------
    bits : int
        Significant bits of the samples (8–16), stored as the file's depth.
    distance : float or None
        Butteraugli distance; None for a lossless file.
    effort : int
        libjxl effort 1–10.

    Raises
    ------
    CodecError
        libjxl is not reachable, or refused a setting (its error code is named).
    """
    libs = _libs()
    if libs is None:
        raise CodecError("libjxl's encoder API is not reachable here (imagecodecs' wheel library)")
    lib, thr = libs
    arr = np.ascontiguousarray(px, dtype=np.uint8 if bits <= 8 else np.uint16)
    h, w, c = arr.shape
    n_colour = 1 if colour_space == "grey" else 3
    enc = lib.JxlEncoderCreate(None)
    runner = thr.JxlThreadParallelRunnerCreate(None, THREADS)
    try:
        if not enc or not runner:
            raise CodecError("libjxl could not create an encoder (out of memory?)")
        def check(status: int, what: str) -> None:
            if status != _SUCCESS:
                raise CodecError(f"libjxl {what} failed (JxlEncoderError {lib.JxlEncoderGetError(enc)})")

        check(lib.JxlEncoderSetParallelRunner(enc, ctypes.cast(thr.JxlThreadParallelRunner, ctypes.c_void_p),
                                              runner), "SetParallelRunner")
        info = _BasicInfo()
        lib.JxlEncoderInitBasicInfo(ctypes.byref(info))
        info.xsize, info.ysize, info.bits_per_sample = w, h, bits
        info.num_color_channels = n_colour
        if c > n_colour:
            info.num_extra_channels, info.alpha_bits = 1, bits
        info.uses_original_profile = 1 if distance is None else 0  # lossless needs it; lossy codes XYB
        check(lib.JxlEncoderSetBasicInfo(enc, ctypes.byref(info)), "SetBasicInfo")
        colour = _ColourEncoding(color_space=COLOUR_SPACE[colour_space], white_point=1, primaries=1,
                                 transfer_function=int(transfer), rendering_intent=1)
        check(lib.JxlEncoderSetColorEncoding(enc, ctypes.byref(colour)), "SetColorEncoding")
        frame = lib.JxlEncoderFrameSettingsCreate(enc, None)
        if not frame:
            raise CodecError("libjxl could not create frame settings (out of memory?)")
        check(lib.JxlEncoderFrameSettingsSetOption(frame, _EFFORT, int(effort)), "effort")
        if distance is None:
            check(lib.JxlEncoderSetFrameLossless(frame, 1), "SetFrameLossless")
        else:
            check(lib.JxlEncoderSetFrameDistance(frame, float(distance)), "SetFrameDistance")
        check(lib.JxlEncoderSetFrameBitDepth(frame, ctypes.byref(_BitDepth(_FROM_CODESTREAM, 0, 0))),
              "SetFrameBitDepth")
        fmt = _PixelFormat(c, _UINT8 if arr.dtype == np.uint8 else _UINT16, 0, 0)
        check(lib.JxlEncoderAddImageFrame(frame, ctypes.byref(fmt), arr.ctypes.data, arr.nbytes), "AddImageFrame")
        lib.JxlEncoderCloseInput(enc)
        return _drain(lib, enc, check)
    finally:
        lib.JxlEncoderDestroy(enc)
        thr.JxlThreadParallelRunnerDestroy(runner)


def _drain(lib: Any, enc: Any, check: Any) -> bytes:
    """Collect the encoder's output, 1 MiB at a time."""
    size = 1 << 20
    buf = (ctypes.c_uint8 * size)()
    out = bytearray()
    while True:
        ptr = ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8))
        left = ctypes.c_size_t(size)
        status = lib.JxlEncoderProcessOutput(enc, ctypes.byref(ptr), ctypes.byref(left))
        out += bytes(memoryview(buf)[: size - left.value])
        if status != _NEED_MORE_OUTPUT:
            check(status, "ProcessOutput")
            return bytes(out)
