"""``--codec auto`` without ``--for web`` may pick HEIF / JPEG 2000: the CLI says so and names ``--for web``."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress import codecs
from qualipress.cli import main
from qualipress.io import as_image, write_image
from qualipress.pipeline import hooks as pipeline_hooks
from qualipress.pipeline.delivery import not_shown_by_browsers
from tests.conftest import photo_like


def test_not_shown_by_browsers() -> None:
    recs = [{"codec": "heif", "output": "a.heic"}, {"codec": "jpeg2000", "output": "b.jp2"},
            {"codec": "avif", "output": "c.avif"}, {"codec": "transcode:jpegxl", "output": "d.jxl"},
            {"codec": "source:heif", "output": "e.heic"}, {"codec": "source:jpeg", "output": "f.jpg"},
            {"codec": "heif", "output": None, "error": "boom"}]
    assert not_shown_by_browsers(recs) == ["a.heic", "b.jp2", "e.heic"]


def test_auto_names_outputs_browsers_do_not_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "p.png"
    write_image(src, as_image(photo_like(48, 64, seed=1)))
    only = "heif" if codecs.get("heif").is_available() else "jpeg2000"
    monkeypatch.setattr(codecs, "auto_candidates", lambda: [only])  # auto's pick made deterministic
    monkeypatch.setattr(pipeline_hooks, "auto_candidates", lambda: [only])
    args = ["compress", str(src), "--codec", "auto", "--target", "ssim>=0.85", "--no-film", "--allow-larger"]
    assert main([*args, "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "web browsers do not show" in err and "--for web" in err
    monkeypatch.setattr(codecs, "auto_candidates", lambda: ["webp"])
    monkeypatch.setattr(pipeline_hooks, "auto_candidates", lambda: ["webp"])
    assert main([*args, "-o", str(tmp_path / "out2")]) == 0
    assert "web browsers do not show" not in capsys.readouterr().err
