"""Make two images of the same picture comparable: channel layout and bit depth brought to a common form."""

from __future__ import annotations

import numpy as np

from qualipress.errors import InputError
from qualipress.io.image import Image
from qualipress.io.transfer import alpha_premultiplied, to_perceptual_image


def align_pair(reference: Image, distorted: Image) -> tuple[Image, Image, list[str]]:
    """Bring ``distorted`` and ``reference`` to one layout and one integer depth, saying what was done.

    * a grey image compared with a colour one is repeated into three equal channels (grey + alpha against RGBA
      keeps its alpha: a WebP or AVIF of a grey + alpha PNG decodes as RGBA);
    * alpha is dropped from both when only one has it, or when their channel counts still differ; when both have it
      a note says how colour is measured (weighted by alpha, see :mod:`qualipress.metrics.core`);
    * a float (scene-linear) image against an integer one is brought to 16-bit PQ code, the encoding
      ``compress`` stores and measures float sources in;
    * integer images of different depths are both widened to 16 bits (``v * 65535 / max``, rounded), so
      an 8-bit and a 16-bit version of one picture compare as the same picture.

    Returns
    -------
    (Image, Image, list of str)
        The aligned reference, the aligned distorted image and notes (empty when nothing changed).

    Raises
    ------
    InputError
        The sizes differ.
    """
    notes: list[str] = []
    if (reference.height, reference.width) != (distorted.height, distorted.width):
        raise InputError(f"sizes differ: {reference.width}x{reference.height} vs "
                         f"{distorted.width}x{distorted.height}")
    if {reference.n_channels, distorted.n_channels} == {2, 4}:  # grey+alpha and its RGBA output: both keep alpha
        notes.append("grey image compared as three equal channels")
        reference, distorted = _rgb(reference), _rgb(distorted)
    if reference.n_channels != distorted.n_channels:
        if reference.has_alpha or distorted.has_alpha:
            notes.append("alpha ignored (only one image has it)")
        reference, distorted = reference.color(), distorted.color()
    if {reference.n_channels, distorted.n_channels} == {1, 3}:
        notes.append("grey image compared as three equal channels")
        reference, distorted = _rgb(reference), _rgb(distorted)
    if reference.is_float != distorted.is_float:
        # compress encodes a float source as SMPTE ST 2084 (PQ) integers and measures it that way: do the same
        notes.append("float image compared in PQ (SMPTE ST 2084) code values, as compress measures float sources")
        reference, distorted = (to_perceptual_image(x) if x.is_float else x for x in (reference, distorted))
    if not reference.is_float and (reference.bit_depth, reference.pixels.dtype) != (
            distorted.bit_depth, distorted.pixels.dtype):
        notes.append(f"{reference.bit_depth}-bit and {distorted.bit_depth}-bit samples compared at 16 bits")
        reference, distorted = _wide(reference), _wide(distorted)
    if reference.has_alpha and distorted.has_alpha:
        if alpha_premultiplied(reference):
            notes.append("premultiplied alpha: colour measured as stored, also where alpha is 0")
        else:
            seen = reference.alpha() > 0
            notes.append("colour weighted by alpha" + ("" if seen.all() else
                         f"; fully transparent pixels left out ({100 * seen.mean():.1f} % visible)"))
    return reference, distorted, notes


def _rgb(image: Image) -> Image:
    """Grey (+ alpha) as three equal colour channels (+ the same alpha); colour images as they are."""
    if image.n_channels not in (1, 2):
        return image
    px = image.pixels
    rgb = np.repeat(px[..., :1], 3, axis=2)
    return image.with_pixels(np.ascontiguousarray(np.concatenate([rgb, px[..., 1:]], axis=2)))


def _wide(image: Image) -> Image:
    if image.pixels.dtype == np.uint16 and image.bit_depth == 16:
        return image
    v = image.pixels.astype(np.float64) * (65535.0 / image.max_value)
    return image.with_pixels(np.rint(v).astype(np.uint16), bit_depth=16)
