"""``bench ssim`` refuses a run count it cannot time (QA: ``--repeats 0`` ended in a ValueError traceback)."""

from __future__ import annotations

import pytest

from qualipress.cli import main


def test_zero_repeats_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "ssim", "--width", "64", "--height", "48", "--repeats", "0"]) == 2
    err = capsys.readouterr().err
    assert "--repeats 0" in err and "Traceback" not in err


def test_one_repeat_agrees_with_scikit_image(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "ssim", "--width", "64", "--height", "48", "--repeats", "1"]) == 0
    assert "best of 1" in capsys.readouterr().out
