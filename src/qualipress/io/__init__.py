"""Image I/O: one :class:`Image` type, content-sniffing readers, lossless atomic writers, perceptual transforms.

Examples
--------
>>> from qualipress.io import read_image, to_perceptual     # doctest: +SKIP
>>> img = read_image("frame.000100.dpx")                      # doctest: +SKIP
>>> img.bit_depth, img.transfer                               # doctest: +SKIP
(10, 'log')
"""

from qualipress.io.discover import Found, dataset_images, find_images, image_paths
from qualipress.io.files import (
    TEMP_PREFIX,
    append_jsonl,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    pixel_digest,
    read_jsonl,
    remove_stale_temps,
    sha256_bytes,
    sha256_file,
)
from qualipress.io.image import LAYOUTS, MAX_PIXELS, TRANSFERS, Image, as_image, check_dimensions
from qualipress.io.readers import EXTENSIONS, IMAGE_SUFFIXES, read_image, register_reader, sniff
from qualipress.io.transfer import (
    PQ_REFERENCE_NITS,
    alpha_premultiplied,
    pq_decode,
    pq_encode,
    seen_colour,
    to_perceptual,
    to_perceptual_image,
)
from qualipress.io.writers import encode_png, encode_tiff, write_image

__all__ = [
    "EXTENSIONS",
    "IMAGE_SUFFIXES",
    "LAYOUTS",
    "MAX_PIXELS",
    "PQ_REFERENCE_NITS",
    "TEMP_PREFIX",
    "TRANSFERS",
    "Found",
    "Image",
    "alpha_premultiplied",
    "append_jsonl",
    "as_image",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_dimensions",
    "dataset_images",
    "encode_png",
    "encode_tiff",
    "find_images",
    "image_paths",
    "pixel_digest",
    "pq_decode",
    "pq_encode",
    "read_image",
    "read_jsonl",
    "register_reader",
    "remove_stale_temps",
    "seen_colour",
    "sha256_bytes",
    "sha256_file",
    "sniff",
    "to_perceptual",
    "to_perceptual_image",
    "write_image",
]
