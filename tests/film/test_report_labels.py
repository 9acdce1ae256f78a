"""The collection report labels a run given by constraints (no profile) with its target as written, not as a
Python list (``['ssim>=0.97', 'ssim@p5>=0.93']`` in the console lines, the HTML and the CSV)."""

from __future__ import annotations

from qualipress.film.report import normalise


def _record(**extra: object) -> dict[str, object]:
    return {"source": "s/a.png", "output": "o/a.jxl", "input_bytes": 1000, "bytes": 100, "codec": "jpegxl",
            "metrics": {"ssim": {"value": 0.97}}, **extra}


def test_a_target_without_profile_reads_as_written() -> None:
    row = normalise(_record(profile=None, target=["ssim>=0.97", "ssim@p5>=0.93"]))
    assert row is not None and row["profile"] == "ssim>=0.97 and ssim@p5>=0.93"


def test_a_profile_name_is_kept() -> None:
    row = normalise(_record(profile="C1", target=["ssim>=0.95"]))
    assert row is not None and row["profile"] == "C1"
