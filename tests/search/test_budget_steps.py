"""Byte budgets on a setting whose file size moves in steps (libjxl's distance, WebP's fractional quality)."""

from __future__ import annotations

from types import SimpleNamespace

from qualipress.search import parse_target
from qualipress.search.budget import _refine


class _StepRunner:
    """Files of two sizes only: the larger one below ``edge``, the smaller from it on (one quantiser step)."""

    def __init__(self, size) -> None:
        self.size = size
        self.probes: list[float] = []

    def run(self, value: float) -> SimpleNamespace:
        self.probes.append(value)
        nbytes = self.size(value)
        return SimpleNamespace(setting=value, bytes=nbytes, passed=True,
                               metrics={"ssim": SimpleNamespace(value=1.0 - value / 100)})

    def result(self, p: SimpleNamespace, met: bool) -> SimpleNamespace:
        return SimpleNamespace(metrics=p.metrics, met=met, bytes=p.bytes, setting=p.setting)


def test_refine_stops_once_both_neighbours_files_recur() -> None:
    # QA (qa11): `compress photo.jpg --codec jpegxl --target "bytes<=41234"` probed 11 times; the 8 refinement
    # encodes between distances 1.3586 (42,077 B) and 1.4427 (40,819 B) found only those two files again.
    target = parse_target(["bytes<=41234"])
    runner = _StepRunner(lambda v: 42077 if v < 1.405249 else 40819)
    best = runner.run(1.4427)
    runner.probes.clear()
    out = _refine(runner, 1.4427, 1.3586, best, 41234, target, over_bytes=42077)
    assert out.bytes == 40819
    assert len(runner.probes) <= 3


def test_refine_still_finds_a_file_between_the_neighbours() -> None:
    target = parse_target(["bytes<=41234"])
    runner = _StepRunner(lambda v: int(45000 - 50000 * (v - 1.35)))
    best = runner.run(1.45)
    out = _refine(runner, 1.45, 1.35, best, 41234, target, over_bytes=45000)
    assert 41234 * 0.99 <= out.bytes <= 41234


def test_refine_stops_when_the_ends_recur_after_a_new_size() -> None:
    # QA (qa11): bytes<=25000 with JPEG XL: between 2.6298 (25,994 B) and 2.7925 (24,178 B) the refinement found
    # 25,319 B once, then only 25,319 and 24,178 B in 6 more encodes.
    target = parse_target(["bytes<=25000"])
    runner = _StepRunner(lambda v: 25994 if v < 2.7 else (25319 if v < 2.7553 else 24178))
    best = runner.run(2.7925)
    runner.probes.clear()
    out = _refine(runner, 2.7925, 2.6298, best, 25000, target, over_bytes=25994)
    assert out.bytes == 24178
    assert len(runner.probes) <= 3


def test_budget_steps_by_the_measured_slope_until_bracketed() -> None:
    # QA (qa11): `--codec webp --target "bytes<=25000"` stepped 54, 52, 50, 48, 47, ..., 41 (12 encodes): WebP's
    # files grew ~1.5 % per quality step here, and every step assumed 7 %.
    from qualipress.search.budget import budget_search

    grid = [float(q) for q in range(101)]
    codec = SimpleNamespace(name="fake", info=SimpleNamespace(lossy=True, quality=SimpleNamespace(
        grid=grid, continuous=False)))

    runner = _StepRunner(lambda v: int(10000 * 1.015 ** v))
    runner.encodable = None
    target = parse_target(["bytes<=25000"])
    out = budget_search(runner, codec, target)
    assert out.bytes <= 25000 and int(10000 * 1.015 ** (out.setting + 1)) > 25000
    assert len(runner.probes) <= 6
