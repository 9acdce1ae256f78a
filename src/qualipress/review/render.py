"""Turn any image qualipress reads into an 8-bit PNG a browser can show, and say how.

Browsers show 8 bits per channel and cannot decode DPX, EXR, 16-bit TIFF or most JPEG XL files, so the
server decodes both images of a pair itself and sends PNGs made by one *display transform*:

1. ``qualipress.io.to_perceptual`` maps the samples to ``[0, 1]``: integer samples are divided by their
   peak ``2**bit_depth - 1`` (they are already display-referred: sRGB, BT.709, log...); float / linear
   samples go through SMPTE ST 2084 (PQ) with linear 1.0 = 100 cd/m² (so scene white sits near the middle
   of the display range and highlights up to 10 000 cd/m² stay visible instead of clipping).
2. The result is rounded to 8 bits, **without dithering** (dither noise would hide banding).

Both sides of a pair go through the same transform, so differences below one 8-bit step of the
perceptual signal are invisible in the page — said on the page next to the images.

**Film display rendering.** Log-coded film frames (DPX "Printing density"/"Logarithmic") shown as stored look
flat and grey, which is not how film is judged. For them (``display="auto"``, the default) and, on request
(``display="film"``), for float scene-linear frames, step 1 is replaced by the film display rendering of
:func:`qualipress.io.logcurves.display_rgb`: the code is decoded to scene-linear light (Cineon or ACEScct log,
PQ for float frames), tone-mapped with a filmic curve (linear 16 → white) and encoded with the Rec. 709 OETF —
the same rendering the film decision checks measure on. The compressed side of a pair is decoded with its
*original's* encoding (``like``), since a JPEG XL or JPEG 2000 file does not say its integers are log or PQ.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from qualipress.errors import InputError
from qualipress.io import Image, read_image, to_perceptual

#: One-line statement of the display transform, shown in the page.
TRANSFORM_STATEMENT = (
    "Display transform: both images are decoded by qualipress and sent as 8-bit PNG. Integer samples are "
    "divided by their peak (2^bits − 1) and shown as stored (display-referred); float/linear samples are "
    "encoded with SMPTE ST 2084 (PQ, linear 1.0 = 100 cd/m²). Rounded to 8 bits, no dithering: differences "
    "smaller than one 8-bit step of that signal cannot be seen here."
)


@dataclass(frozen=True)
class DisplayImage:
    """An image prepared for the browser."""

    png: bytes
    width: int
    height: int
    transform: str
    dtype: str = "uint8"
    bit_depth: int = 8
    transfer: str = "srgb"


def describe_pair(original: DisplayImage, compressed: DisplayImage) -> tuple[str, str]:
    """Transform descriptions of both sides of a pair.

    A float linear original is encoded by qualipress for integer codecs as PQ code values
    (``qualipress.io.to_perceptual_image``); a decoded integer output of such a frame therefore holds PQ,
    whatever transfer its container declares, and is labelled so (its pixels are shown the same way:
    value / peak).
    """
    compressed_text = compressed.transform
    if (original.dtype == "float32" and original.transfer == "linear" and compressed.dtype != "float32"
            and not compressed.transform.startswith("film display")):
        compressed_text = (
            f"{compressed.bit_depth}-bit PQ code values (qualipress's perceptual encoding of the float "
            f"original) → value/{(1 << compressed.bit_depth) - 1} → 8-bit (no dither)"
        )
    return original.transform, compressed_text


def describe_transform(dtype: str, bit_depth: int, transfer: str) -> str:
    """Short description of how one image is mapped to the 8-bit display signal.

    Parameters
    ----------
    dtype : str
        ``"uint8"``, ``"uint16"`` or ``"float32"``.
    """
    if dtype == "float32":
        if transfer == "linear":
            return "float linear → PQ (ST 2084, 1.0 = 100 cd/m²) → 8-bit (no dither)"
        return f"float {transfer}, clipped to [0, 1] → 8-bit (no dither)"
    if dtype == "uint8":
        return f"8-bit {transfer}, shown as stored"
    return f"{bit_depth}-bit {transfer} → value/{(1 << bit_depth) - 1} → 8-bit (no dither)"


def _decode(path: Path) -> tuple[np.ndarray, Image]:
    """Perceptual float pixels (alpha re-attached) and the decoded image."""
    image = read_image(path)
    perceptual = np.asarray(to_perceptual(image), dtype=np.float32)
    if perceptual.ndim == 2:
        perceptual = perceptual[..., None]
    if image.has_alpha:
        alpha = image.pixels[..., -1:].astype(np.float32) / np.float32(image.max_value)
        perceptual = np.concatenate([perceptual, np.clip(alpha, 0.0, 1.0)], axis=2)
    return perceptual, image


#: Display modes: ``auto`` (film rendering for log frames), ``stored`` (code values as stored / PQ),
#: ``film`` (film rendering for log and float linear frames).
DISPLAY_MODES = ("auto", "stored", "film")


def _film_reference(image: Image, display: str) -> Image | None:
    """The image whose encoding says how to render a pair in film display mode, or None for the plain one."""
    if display == "stored":
        return None
    if image.transfer == "log" and not image.is_float:
        return image
    if display == "film" and image.is_float and image.transfer == "linear":
        return image
    return None


def _film_render(perceptual: np.ndarray, reference: Image) -> tuple[np.ndarray, str] | None:
    from qualipress.io.logcurves import display_rgb, encoding_name

    colour = perceptual[..., :3] if perceptual.shape[2] >= 3 else np.repeat(perceptual[..., :1], 3, axis=2)
    shown = display_rgb(colour, reference)
    if shown is None:
        return None
    return shown, (f"film display: {encoding_name(reference)} → scene-linear → filmic curve (linear 16 = white) "
                   "→ Rec. 709 OETF → 8-bit (no dither)")


def render(path: str | Path, *, like: str | Path | None = None, display: str = "auto") -> DisplayImage:
    """Decode ``path`` and encode it as an 8-bit PNG through the display transform.

    Parameters
    ----------
    like : str or pathlib.Path, optional
        The original of the pair ``path`` belongs to: its encoding decides the film display rendering.
    display : str
        One of :data:`DISPLAY_MODES` (see module docstring).

    Raises
    ------
    QualipressError
        The file cannot be decoded (``InputError``, ``UnsupportedError``...).
    """
    if display not in DISPLAY_MODES:
        raise InputError(f"unknown display mode {display!r}; known: {', '.join(DISPLAY_MODES)}")
    path = Path(path)
    perceptual, image = _decode(path)
    dtype = str(image.pixels.dtype)
    if not np.isfinite(perceptual).all():
        perceptual = np.nan_to_num(perceptual, nan=0.0, posinf=1.0, neginf=0.0)
    transform = describe_transform(dtype, image.bit_depth, image.transfer)
    film_ref = _film_reference(read_image(like) if like is not None else image, display)
    film = _film_render(perceptual, film_ref) if film_ref is not None else None
    if film is not None:
        perceptual, transform = film
    eight = np.clip(np.rint(perceptual * 255.0), 0, 255).astype(np.uint8)
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}.get(eight.shape[2])
    if mode is None:
        raise InputError(f"{path.name}: {eight.shape[2]} channels cannot be displayed")
    arr = eight[..., 0] if mode == "L" else eight
    buf = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(arr), mode=mode).save(buf, format="PNG", compress_level=1)
    return DisplayImage(
        buf.getvalue(),
        int(eight.shape[1]),
        int(eight.shape[0]),
        transform,
        dtype,
        image.bit_depth,
        image.transfer,
    )


class DisplayCache:
    """Bounded in-memory cache of rendered images, keyed by path, size and modification time.

    Concurrent requests for the same file render it once (per-key lock).

    Parameters
    ----------
    max_bytes : int
        Upper bound on the PNG bytes kept.
    """

    def __init__(self, max_bytes: int = 512 * 1024 * 1024, *, display: str = "auto") -> None:
        self.max_bytes = max_bytes
        self.display = display
        self._items: OrderedDict[tuple[str, int, int, str], DisplayImage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, int, int, str], threading.Lock] = {}

    def get(self, path: str | Path, like: str | Path | None = None) -> DisplayImage:
        """The rendered image of ``path`` (rendered on first use); ``like`` is its pair's original.

        Raises
        ------
        InputError
            The file vanished or cannot be decoded.
        """
        path = Path(path)
        try:
            st = path.stat()
        except OSError as exc:
            raise InputError(f"{path.name} is no longer readable: {exc}") from exc
        key = (str(path), st.st_mtime_ns, st.st_size, str(like or ""))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    return hit
            shown = render(path, like=like, display=self.display)
            with self._lock:
                self._items[key] = shown
                self._bytes += len(shown.png)
                while self._bytes > self.max_bytes and len(self._items) > 1:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= len(old.png)
                self._key_locks.pop(key, None)
        return shown
