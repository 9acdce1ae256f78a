"""QA session 13 (web): ``--dry-run`` names the outputs the real run would write, and refuses what it refuses.

Found: ``compress bad/ -o OUT --dry-run`` listed ``trunc.avif``, ``trunc.heic``, ``trunc.jxl`` and ``trunc.webp``
as four "would compress ... -> OUT/trunc.*" (exit 0) where the real run stops before any work ("inputs would
write the same output name"); and with ``--name-with-ext`` the dry run still showed ``OUT/trunc.*``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def _pair(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", as_image(photo_like(32, 40, seed=1)))
    write_image(src / "a.tif", as_image(photo_like(32, 40, seed=2)))
    return src


def test_dry_run_refuses_colliding_output_names_like_the_run(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    src = _pair(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run"]) == 2
    assert "same output name" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_dry_run_keeps_the_extension_with_name_with_ext(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = _pair(tmp_path)
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run", "--name-with-ext", "--json"]) == 0
    stems = sorted(Path(f["output_stem"]).name for f in json.loads(capsys.readouterr().out)["files"])
    assert stems == ["a.png", "a.tif"]
