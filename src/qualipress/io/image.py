"""The one image type every part of qualipress passes around."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, UnsupportedError

#: Channel layouts by channel count.
LAYOUTS = {1: "gray", 2: "graya", 3: "rgb", 4: "rgba"}

#: Transfer characteristics qualipress knows. Integer images default to ``"srgb"`` (display-referred),
#: float images to ``"linear"`` (scene-referred).
TRANSFERS = ("srgb", "bt709", "linear", "log", "pq", "hlg", "gamma", "unknown")

#: Metadata key: the float type a float image's samples were stored in at the source, ``"half"`` or ``"float"``
#: (the pixels are float32 either way; :attr:`Image.stored_bit_depth` reads it).
SAMPLE_TYPE = "sample_type"

#: Largest image accepted by default (pixels); larger inputs are refused as possible decompression bombs.
MAX_PIXELS = 16384 * 16384


@dataclass(frozen=True)
class Image:
    """Pixels plus what is needed to interpret them.

    Parameters
    ----------
    pixels : numpy.ndarray
        Always 3-D ``(height, width, channels)``; dtype ``uint8``, ``uint16`` or ``float32``.
    bit_depth : int
        Significant bits of integer samples (8, 10, 12, 14 or 16; values lie in ``0 .. 2**bit_depth - 1``),
        or, for float images, 32 as the readers set it (float32 pixels whatever the source stored; they name
        half floats in metadata :data:`SAMPLE_TYPE`, and :attr:`stored_bit_depth` says 16 for them).
    transfer : str
        Transfer characteristic, one of :data:`TRANSFERS`.
    colorspace : str
        Primaries, e.g. ``"srgb"``, ``"bt2020"``, ``"aces-ap0"`` or ``"unknown"``.
    metadata : dict
        Source metadata (format-specific keys, e.g. ``"dpx:Transfer"``, ``"exif"``, ``"icc_profile"``).
    source : pathlib.Path or None
        File the image was read from.
    """

    pixels: np.ndarray
    bit_depth: int
    transfer: str = "srgb"
    colorspace: str = "srgb"
    metadata: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def __post_init__(self) -> None:
        px = self.pixels
        if px.ndim != 3 or px.shape[2] not in LAYOUTS:
            raise InputError(f"pixels must be (H, W, 1..4), got shape {px.shape}")
        if px.shape[0] < 1 or px.shape[1] < 1:
            raise InputError(f"image has zero size: {px.shape[1]}x{px.shape[0]}")
        if px.dtype not in (np.uint8, np.uint16, np.float32):
            raise UnsupportedError(f"pixel dtype {px.dtype} is not supported (uint8, uint16, float32)")
        if px.dtype == np.uint8 and self.bit_depth != 8:
            raise InputError(f"uint8 pixels cannot have bit_depth {self.bit_depth}")
        if px.dtype == np.uint16 and not 9 <= self.bit_depth <= 16:
            raise InputError(f"uint16 pixels need bit_depth 9..16, got {self.bit_depth}")
        if self.transfer not in TRANSFERS:
            raise InputError(f"unknown transfer {self.transfer!r}; expected one of {TRANSFERS}")

    # -- shape -------------------------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def n_channels(self) -> int:
        return int(self.pixels.shape[2])

    @property
    def layout(self) -> str:
        """``"gray"``, ``"graya"``, ``"rgb"`` or ``"rgba"``."""
        return LAYOUTS[self.n_channels]

    @property
    def has_alpha(self) -> bool:
        return self.n_channels in (2, 4)

    @property
    def is_float(self) -> bool:
        return self.pixels.dtype == np.float32

    @property
    def max_value(self) -> float:
        """Nominal peak sample value: ``2**bit_depth - 1`` for integers, 1.0 for float."""
        return 1.0 if self.is_float else float((1 << self.bit_depth) - 1)

    # -- derived images ---------------------------------------------------------------------------------
    def color(self) -> Image:
        """The image without its alpha channel (itself when it has none)."""
        if not self.has_alpha:
            return self
        return replace(self, pixels=np.ascontiguousarray(self.pixels[..., :-1]))

    def alpha(self) -> np.ndarray | None:
        """The alpha plane ``(H, W)`` or None."""
        return self.pixels[..., -1] if self.has_alpha else None

    def with_pixels(self, pixels: np.ndarray, *, bit_depth: int | None = None) -> Image:
        """Same description, new pixel array (for processing steps that keep the format)."""
        return replace(self, pixels=pixels, bit_depth=self.bit_depth if bit_depth is None else bit_depth)

    @property
    def stored_bit_depth(self) -> int:
        """Bits per sample at the source: :attr:`bit_depth`, except 16 for a float image its reader found stored as
        half floats (metadata :data:`SAMPLE_TYPE`), whose pixels are float32 all the same."""
        if self.is_float and self.metadata.get(SAMPLE_TYPE) == "half":
            return 16
        return self.bit_depth

    def describe(self) -> dict[str, Any]:
        """Plain-data summary for reports and ``qualipress info`` (``bit_depth``: :attr:`stored_bit_depth`)."""
        out: dict[str, Any] = {
            "width": self.width,
            "height": self.height,
            "channels": self.layout,
            "dtype": str(self.pixels.dtype),
            "bit_depth": self.stored_bit_depth,
            "transfer": self.transfer,
            "colorspace": self.colorspace,
        }
        if self.is_float and self.metadata.get(SAMPLE_TYPE) == "half":
            out["stored_as"] = "16-bit half float (read as float32)"
        return out


def as_image(data: Image | np.ndarray, *, bit_depth: int | None = None, transfer: str | None = None) -> Image:
    """Wrap a NumPy array as an :class:`Image` (an Image is returned unchanged).

    Parameters
    ----------
    data : Image or numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` array of uint8, uint16 or float (float64 is converted to float32).
    bit_depth : int, optional
        Significant bits; defaults to 8 for uint8, 16 for uint16, 32 for float.
    transfer : str, optional
        Defaults to ``"srgb"`` for integers and ``"linear"`` for float arrays.
    """
    if isinstance(data, Image):
        return data
    arr = np.asarray(data)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.dtype == np.float64 or arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype == np.float32 and not np.isfinite(arr).all():
        raise InputError("float image contains NaN or Inf values")
    if bit_depth is None:
        bit_depth = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16}.get(arr.dtype, 32)
    if transfer is None:
        transfer = "linear" if arr.dtype == np.float32 else "srgb"
    return Image(np.ascontiguousarray(arr), bit_depth=bit_depth, transfer=transfer)


def check_dimensions(width: int, height: int, *, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse zero-size images and images so large they look like decompression bombs.

    Raises
    ------
    InputError
    """
    if width <= 0 or height <= 0:
        raise InputError(f"image has zero size ({width}x{height})")
    if width * height > max_pixels:
        mpx = width * height / 1e6
        raise InputError(  # 10,000 Mpixel, not '1e+04'
            f"image is {width}x{height} = {f'{mpx:,.0f}' if mpx >= 1000 else f'{mpx:.4g}'} Mpixel, above the limit of "
            f"{max_pixels / 1e6:.4g} Mpixel (possible decompression bomb; if intended, raise the limit: "
            "compress --max-mpixels, or max_pixels in the library)"
        )
