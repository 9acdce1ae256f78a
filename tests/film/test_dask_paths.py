"""Every film command (and ``compress``) through a Dask cluster whose workers run in another directory, with
relative and absolute paths: nothing may be read or written relative to a worker's working directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from qualipress.cli import main


def _write_png(path: Path) -> None:
    from PIL import Image

    yy, xx = np.mgrid[0:48, 0:64]
    rgb = np.stack([xx * 4, yy * 5, (xx + yy) * 2], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_commands_through_dask_with_workers_elsewhere(dpx_sequence: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    worker_dir, client_dir = tmp_path / "worker_cwd", tmp_path / "client_cwd"
    worker_dir.mkdir()
    client_dir.mkdir()
    shutil.copytree(dpx_sequence, client_dir / "scans")
    _write_png(client_dir / "pics" / "a.png")
    monkeypatch.chdir(worker_dir)  # the workers start here and keep this working directory
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        assert set(client.run(os.getcwd).values()) == {str(worker_dir)}
        monkeypatch.chdir(client_dir)
        addr = lc.scheduler_address
        variants = {
            "relative": ("scans", "arch_r", "back_r", "pics", "out_r"),
            "absolute source, relative output": (str(client_dir / "scans"), "arch_m", "back_m",
                                                 str(client_dir / "pics"), "out_m"),
            "absolute": tuple(str(client_dir / n) for n in ("scans", "arch_a", "back_a", "pics", "out_a")),
        }
        for name, (src, arch, back, pics, out) in variants.items():
            assert main(["archive", src, "-o", arch, "--scheduler", addr]) == 0, name
            assert _tree(client_dir / Path(arch).name) >= {f"{p.name}.qpl" for p in dpx_sequence.iterdir()}, name
            assert main(["restore", arch, "-o", back, "--scheduler", addr]) == 0, name
            for p in dpx_sequence.iterdir():
                assert (client_dir / Path(back).name / p.name).read_bytes() == p.read_bytes(), name
            assert main(["analyse", src, "--no-text", "--scheduler", addr]) == 0, name
            assert main(["compress", pics, "-o", out, "--codec", "jpeg", "--profile", "C2", "--no-film",
                         "--scheduler", addr]) == 0, name
            assert any(f.startswith("a.") for f in _tree(client_dir / Path(out).name)), name
    written = {f for f in _tree(worker_dir) if not f.startswith("dask-")}
    assert written == set(), f"files written relative to the worker's directory: {written}"
