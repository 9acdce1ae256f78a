"""``summary.json`` and the curve files are strict JSON (QA session 17, researcher: an ``n/a`` BD figure was
written as ``NaN``, which JavaScript's ``JSON.parse`` and other strict readers refuse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.rd.report import html_report, load_curves
from qualipress.rd.sweep import run_rd


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_na_figures_are_null_not_nan(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = run_rd(dataset, out, codecs=["jpeg", "pillow-jpeg"],
                 qualities={"jpeg": [20.0, 40.0, 60.0], "pillow-jpeg": [20.0, 40.0, 60.0, 80.0]}, metrics=["psnr"])
    assert res.bd["psnr-rgb"]["pillow-jpeg"]["pchip"]["note"].startswith("needs >= 4")
    summary = _strict((out / "summary.json").read_text())
    assert summary["bd"]["psnr-rgb"]["pillow-jpeg"]["pchip"]["bd_rate"] is None
    for f in out.glob("*.json"):
        _strict(f.read_text())
    assert "n/a" in html_report(out).read_text()
    assert set(load_curves([out])) == {"jpeg", "pillow-jpeg"}


def test_infinite_mean_is_written_as_null(tmp_path: Path) -> None:
    from qualipress.rd.sweep import finite_json

    text = finite_json({"a": [1.0, float("inf"), float("nan")], "b": {"c": float("-inf")}, "d": "x"})
    assert _strict(text) == {"a": [1.0, None, None], "b": {"c": None}, "d": "x"}
    with pytest.raises(ValueError):
        _strict('{"a": NaN}')
