"""Grid settings that encode to the same file: a probe at one of them proves the others.

AVIF's 99 quality settings reach only 63 distinct quantizers (libavif maps its 0-100 quality onto AOM's 0-63
quantizer range), so 36 settings write exactly the file of the setting below them: on 12 photographs (Kodak 1-6,
BSD300 test 1-6) their exhaustive sweeps held byte-identical files at exactly the same 36 settings. A search that
probes such a setting learns nothing new, and one that finds the lowest passing setting of a group needs the
*group* below it as the failing neighbour, not the setting below it (``docs/search.md`` § Plateaus).

HEIF (x265 through libheif) moves its quantiser every second quality step: 52 of its 100 settings write the file of
the setting below on every image swept.

The groups are a property of the library version, not of the image: they are declared per codec and exact
:meth:`~qualipress.codecs.base.Codec.bitstream_version` string (:data:`SAME_FILE`; for HEIF it names the x265 build
as well as libheif, since x265 decides the quantiser), and a test encodes every grid setting of a small image and
checks that the settings of a group give the same bytes and neighbouring groups different ones. With another version
no groups are used (every setting is its own group, as before).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from qualipress.codecs import jxlicc
from qualipress.codecs.base import Codec

T = TypeVar("T")

#: Settings whose file is byte-identical to that of the grid setting just below, by (codec,
#: ``Codec.bitstream_version()``).
#: AVIF, measured by the exhaustive sweeps of ``qualipress bench search`` (12 photographs, 8-bit); HEIF (x265's
#: quantiser moves every second quality step, and 95-100 share one), by sweeps of every setting of three training
#: photographs (BSD300 train 100075 and 105019, Urban100) and a synthetic image (docs/benchmarks.md § Eighth pass
#: (search9)); both checked by ``tests/search/test_plateaus.py`` (8- and 10-bit).
SAME_FILE: dict[tuple[str, str], tuple[float, ...]] = {
    ("avif", "libavif 1.4.0 (imagecodecs 2026.3.6)"): (
        2, 4, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 36, 38, 41, 43, 46, 48, 51, 53, 57, 61, 65,
        69, 73, 77, 81, 85, 89, 93, 97),
    ("heif", "libheif 1.23.6 (pillow-heif 1.8.1); x265 HEVC encoder (4.3+1-e9b8812)"): (
        *range(2, 95, 2), 96, 97, 98, 99, 100),
}


def declared(table: Mapping[tuple[str, str], T], codec: Codec) -> T | None:
    """``table``'s entry for ``codec`` at its exact ``bitstream_version()``, or None; the version is asked only of a
    codec the table names (it may cost a call into the library)."""
    return table.get((codec.name, codec.bitstream_version())) if any(c == codec.name for c, _ in table) else None


def groups(codec: Codec, grid: Sequence[float], *, options: Mapping[str, Any] | None = None,
           bit_depth: int = 8) -> list[tuple[int, int]]:
    """For each grid index, the (first, last) grid index of the settings that write the same file.

    Parameters
    ----------
    grid : sequence of float
        The codec's quality grid, lowest quality first.
    options, bit_depth
        The search's encode options and the encoded image's depth: a JPEG XL whose ``metadata`` carries a profile
        that jxlpy writes (:func:`qualipress.codecs.jxlicc.writes`) rounds each distance to libjxl's integer
        quality, so the distances of one quality form a group (QA 13: 42 of the 96 grid distances).

    Returns
    -------
    list of (int, int)
        ``(i, i)`` for every index when the codec and its version have no declared groups.
    """
    n = len(grid)
    if codec.name == "jpegxl" and jxlicc.writes((options or {}).get("metadata"), bit_depth):
        return _runs([jxlicc.quality_for_distance(float(s)) for s in grid])
    same = declared(SAME_FILE, codec)
    if not same:
        return [(i, i) for i in range(n)]
    dup = {float(s) for s in same}
    first = [0] * n
    for i in range(1, n):
        first[i] = first[i - 1] if float(grid[i]) in dup and float(grid[i - 1]) == float(grid[i]) - 1 else i
    last = [0] * n
    for i in range(n - 1, -1, -1):
        last[i] = last[i + 1] if i + 1 < n and first[i + 1] == first[i] else i
    return list(zip(first, last, strict=True))


def _runs(keys: Sequence[Any]) -> list[tuple[int, int]]:
    """(first, last) index of the run of equal neighbouring ``keys`` each index belongs to."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            out += [(start, i - 1)] * (i - start)
            start = i
    return out
