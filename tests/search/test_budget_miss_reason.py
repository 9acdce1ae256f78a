"""QA session 13 (web): a byte budget missed because a decision check fails says which check.

Found: ``compress photo.tif --codec jpeg --target "bytes<=30000"`` (a TIFF goes through the film checks) exited 1
with "best jpeg under 30,000 bytes (27,347 bytes, setting 89.99) misses : " -- nothing after the colon: the target
had no quality floor, and the banding check that failed at every setting was not named.
"""

from __future__ import annotations

from qualipress import codecs
from qualipress.search import parse_target
from qualipress.search.budget import _why
from qualipress.search.search import CheckOutcome, Probe


def _probe(checks: list[CheckOutcome]) -> Probe:
    return Probe(setting=90.0, bytes=27_347, passed=False, margin=-0.001,
                 metrics={"ssim": 0.9713, "psnr": 41.31, "bytes": 27_347.0}, checks=checks)


def test_a_budget_miss_names_the_failing_check() -> None:
    p = _probe([CheckOutcome(True, "grain", "not applicable"),
                CheckOutcome(False, "banding", "23/34 smooth-gradient blocks gained a step")])
    why = _why(codecs.get("jpeg"), parse_target("bytes<=30000"), p, 30_000)
    assert "banding" in why and "23/34 smooth-gradient" in why, why
    assert "grain" not in why  # a passing check is not a reason
    assert not why.rstrip().endswith(":"), why


def test_a_budget_miss_still_names_the_quality_floor() -> None:
    p = _probe([])
    why = _why(codecs.get("jpeg"), parse_target("bytes<=30000 and ssim>=0.98"), p, 30_000)
    assert "ssim>=0.98" in why and "0.9713" in why, why
