"""A check whose verdict flips back and forth as the setting rises (banding on grainy film: a count of blocks past
a threshold): the setting chosen must not depend on where the search probed (issue 18, C2 on Desk.0086401)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from qualipress import codecs
from qualipress.io import as_image
from qualipress.metrics import measure
from qualipress.search import CheckOutcome, Hint, search
from qualipress.search.search import FLICKER_STEPS

IMG = as_image(data.astronaut()[::2, ::2].copy())


def _flickering(k0: int, islands: tuple[int, ...] = (1,), steady: int = 4):
    """A check failing every grid index up to ``k0``, passing ``k0 + i`` for ``i`` in ``islands`` and from
    ``k0 + steady`` on, failing in between (Desk.0086401's banding, coarse to fine: 3.3436 fails, 3.1488 passes,
    2.9653 and 2.7925 fail, ... 2.1963 and everything finer pass). The index a probe was made at is found from its
    PSNR."""
    cdc = codecs.get("jpeg")
    grid = cdc.info.quality.grid
    psnr = np.array([measure(IMG, codecs.decode_like(cdc, cdc.encode(IMG, quality=q), IMG), ("psnr",))["psnr"].value
                     for q in grid])

    def check(ref, dec):
        i = int(np.argmin(np.abs(psnr - measure(ref, dec, ("psnr",))["psnr"].value)))
        ok = i - k0 in islands or i >= k0 + steady
        return CheckOutcome(ok, "flicker", f"index {i}", monotone=False)

    return grid, check


@pytest.mark.parametrize(("islands", "steady"), [((1,), 4), ((1,), 3), ((1, 2), 4)])
def test_a_flickering_check_gives_the_same_setting_cold_and_warm(islands, steady):
    k0 = 40
    grid, check = _flickering(k0, islands, steady)
    cold = search(IMG, "jpeg", "ssim>=0.5", checks=[check], predict=False)
    # the previous frame ended at k0 + 1 with k0 failing the check: the warm start probes k0 + 1's neighbour
    # (passes) first; the search that bisected from far above lands past the failures instead
    warm = search(IMG, "jpeg", "ssim>=0.5", checks=[check], start=Hint(float(k0), 1.0, checked=True))
    assert cold.met and warm.met
    best = k0 + steady
    assert cold.setting == warm.setting == grid[best]
    for res in (cold, warm):
        # the result's coarser neighbour fails and its FLICKER_STEPS finer ones pass (probed, or known): the proof
        settled = {p.setting: p for p in res.probes}
        assert not settled[grid[best - 1]].passed
        assert all(settled[grid[best + k]].passed for k in range(1, FLICKER_STEPS + 1))
        assert len(settled) == len(res.probes), "a setting was probed twice"


def test_a_steady_check_costs_no_extra_probe():
    # the same pattern from a check that says it is monotone: the search trusts the first bracket, as before
    k0 = 40
    grid, check = _flickering(k0)

    def steady(ref, dec):
        out = check(ref, dec)
        return CheckOutcome(out.passed, out.name, out.detail)

    warm = search(IMG, "jpeg", "ssim>=0.5", checks=[steady], start=Hint(float(k0), 1.0, checked=True))
    assert warm.setting == grid[k0 + 1] and warm.encodes == 2


def test_a_finer_setting_that_failed_a_steady_check_is_not_probed_again():
    # review of session 11: a finer setting that failed only a monotone check was forgotten as stale and looked
    # unknown, so the confirmation asked for it again and again (23 probes of one setting, warm)
    k0 = 40
    grid, flick = _flickering(k0)
    cdc = codecs.get("jpeg")
    psnr = np.array([measure(IMG, codecs.decode_like(cdc, cdc.encode(IMG, quality=q), IMG), ("psnr",))["psnr"].value
                     for q in grid])

    def other(ref, dec):  # says it is monotone, fails only at k0 + 2
        i = int(np.argmin(np.abs(psnr - measure(ref, dec, ("psnr",))["psnr"].value)))
        return CheckOutcome(i != k0 + 2, "other", f"index {i}")

    for start in (None, Hint(float(k0), 1.0, checked=True)):
        res = search(IMG, "jpeg", "ssim>=0.5", checks=[other, flick], start=start, predict=False)
        settings = [p.setting for p in res.probes]
        assert len(set(settings)) == len(settings), "a setting was probed twice"
        assert res.met and not res.lossless


def test_a_set_aside_pass_is_kept_when_nothing_finer_passes():
    # review of session 11: at the top of the grid the only setting passing every check was set aside for its
    # flickering finer neighbours, and the search fell back to a lossless file although a lossy one met it all
    n = len(codecs.get("jpeg").info.quality.grid)
    k0 = n - 4  # fails up to n - 4, passes n - 3, fails above
    grid, flick = _flickering(k0, (1,), 99)
    for start in (None, Hint(float(k0), 1.0, checked=True)):
        res = search(IMG, "jpeg", "ssim>=0.5", checks=[flick], start=start, predict=False)
        assert res.met and not res.lossless
        assert res.setting == grid[k0 + 1]
