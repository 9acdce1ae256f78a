"""Grid settings where the metric can fall: a higher setting that measures worse than the one below it.

The search proves its result by the lowest passing setting and its failing neighbour, which assumes the metric
grows with the setting. Exhaustive sweeps show that this fails at a few settings of a given library, for every image
alike, not by chance: libjxl 0.11 at distance 0.4896 (the grid's 58th setting, the first one below 0.5) codes the
image differently, and SSIM there is lower than at 0.5199 on 11 of 12 Kodak photographs (up to 0.055 margin units,
about two grid steps; Kodak's kodim08 at SSIM >= 0.99: 0.5199 passes, 0.4896 fails, 0.4610 passes, and the search
returned 0.4610, 4.6 % larger). Elsewhere no JPEG XL, AVIF or JPEG setting of the Kodak sweeps measured below the
setting before it by more than a hundredth of a grid step (``benchmarks/search_drops.py``; ``docs/search.md`` §
Method 6). (JPEG *sources* re-encoded as JPEG drop above their own quality: that is handled by the source's own
rules, ``docs/search.md`` § JPEG sources, not here.)

So a proof whose failing end lies at such a setting, or within its *reach* above it (the grid steps over which the
setting before the drop was seen to measure better), is checked once more: the search probes the setting just below
the drop before it stops (:func:`guard`). As with :mod:`qualipress.search.plateaus`, the drops are a property of the
library version, declared per codec and exact version string; another version has none.
"""

from __future__ import annotations

from collections.abc import Sequence

from qualipress.codecs.base import Codec
from qualipress.search.plateaus import declared

#: Words in a search result's note when it probed below a drop (:func:`guard`; ``qualipress bench search`` counts them).
NOTE_MARK = "where the metric can drop"

#: By (codec, ``Codec.bitstream_version()``): (first setting after the drop, reach in grid steps). A proof whose failing
#: setting is at index ``d`` .. ``d + reach - 1`` (``d`` the drop's index) also probes index ``d - 1``. Measured on
#: the exhaustive sweeps of 12 Kodak photographs (SSIM, SSIM@min and PSNR; 12 BSD300 test JPEGs agree):
#: ``benchmarks/search_drops.py``.
DROPS: dict[tuple[str, str], tuple[tuple[float, int], ...]] = {
    ("jpegxl", "libjxl 0.11.2 (imagecodecs 2026.3.6)"): ((0.4896, 2),),
}


def drops(codec: Codec, grid: Sequence[float]) -> list[tuple[int, int]]:
    """The grid indices where the metric can fall below the setting before, each with its reach.

    Parameters
    ----------
    grid : sequence of float
        The codec's quality grid, lowest quality first.

    Returns
    -------
    list of (int, int)
        ``(index, reach)`` per declared drop found on ``grid`` (a setting matches within 1e-3 relative: the JPEG XL
        grid's distances are rounded here); empty for other codecs and versions.
    """
    out = []
    for setting, reach in declared(DROPS, codec) or ():
        hits = [i for i, g in enumerate(grid) if i > 0 and abs(float(g) - setting) <= 1e-3 * abs(setting)]
        out.extend((i, reach) for i in hits[:1])
    return out


def guard(drop_list: Sequence[tuple[int, int]], lo: int, probed: Sequence[int] | set[int]) -> int | None:
    """The grid index to probe before a proof with failing end ``lo`` stands, or None.

    Parameters
    ----------
    drop_list : sequence of (int, int)
        :func:`drops` of the codec and grid.
    lo : int
        The failing end of the proof (the highest failing grid index).
    probed : collection of int
        Grid indices already measured (passing or failing).

    Returns
    -------
    int or None
        The index just below a drop whose reach covers ``lo``, when it was not measured yet.
    """
    for d, reach in drop_list:
        if d <= lo < d + reach and (d - 1) not in probed:
            return d - 1
    return None
