"""File names and metadata are printed as text: ``[red]`` in a name is not Rich markup (QA: ``info '[red]x.jpg'``
printed ``file x.jpg``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def _named(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    write_image(p, as_image(photo_like(32, 40)))
    return p


def test_info_prints_a_bracketed_name_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _named(tmp_path, "[red]x.png")
    assert main(["info", str(src)]) == 0
    assert "[red]x.png" in capsys.readouterr().out


def test_encode_decode_and_dry_run_print_bracketed_names(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = _named(tmp_path, "[bold]y.png")
    enc = tmp_path / "[bold]y.webp"
    assert main(["encode", str(src), "-o", str(enc), "--quality", "80"]) == 0
    assert "[bold]y.webp" in capsys.readouterr().out
    dec = tmp_path / "[i]z.png"
    assert main(["decode", str(enc), "-o", str(dec)]) == 0
    assert "[i]z.png" in capsys.readouterr().out
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "[bold]y.png" in capsys.readouterr().out


def test_emoji_codes_in_names_and_keys_stay_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA 8: Rich turned ``:compression:`` into an emoji: ``info x.tif`` printed ``tiff🗜 ADOBE_DEFLATE`` for the
    key ``tiff:compression``, and a file named ``a:smile:b.png`` lost its name in ok lines."""
    src = _named(tmp_path, "a:smile:b.png")
    tif = _named(tmp_path, "t.tif")
    assert main(["info", str(tif)]) == 0
    out = capsys.readouterr().out
    assert "tiff:compression" in out and "\U0001f5dc" not in out
    assert main(["info", str(src)]) == 0
    assert "a:smile:b.png" in capsys.readouterr().out
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--codec", "webp", "--target", "ssim>=0.9",
                 "--no-film"]) == 0
    assert "a:smile:b.png" in capsys.readouterr().out
