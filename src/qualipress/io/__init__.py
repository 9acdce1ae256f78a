"""Image I/O: one :class:`Image` type, content-sniffing readers, lossless atomic writers, perceptual transforms.

Examples
--------
>>> from qualipress.io import read_image, to_perceptual     # doctest: +SKIP
>>> img = read_image("frame.000100.dpx")                      # doctest: +SKIP
>>> img.bit_depth, img.transfer                               # doctest: +SKIP
(10, 'log')
"""

from qualipress.io.files import atomic_write_bytes, remove_partials, sha256_bytes, sha256_file
from qualipress.io.image import LAYOUTS, MAX_PIXELS, TRANSFERS, Image, as_image, check_dimensions
from qualipress.io.readers import EXTENSIONS, IMAGE_SUFFIXES, read_image, register_reader, sniff
from qualipress.io.transfer import PQ_REFERENCE_NITS, pq_decode, pq_encode, to_perceptual, to_perceptual_image
from qualipress.io.writers import encode_png, encode_tiff, write_image

__all__ = [
    "EXTENSIONS",
    "IMAGE_SUFFIXES",
    "LAYOUTS",
    "MAX_PIXELS",
    "PQ_REFERENCE_NITS",
    "TRANSFERS",
    "Image",
    "as_image",
    "atomic_write_bytes",
    "check_dimensions",
    "encode_png",
    "encode_tiff",
    "pq_decode",
    "pq_encode",
    "read_image",
    "register_reader",
    "remove_partials",
    "sha256_bytes",
    "sha256_file",
    "sniff",
    "to_perceptual",
    "to_perceptual_image",
    "write_image",
]
