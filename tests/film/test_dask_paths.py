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


@pytest.mark.slow
def test_film_compress_and_failures_through_dask(dpx_sequence: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``compress`` with the film profile (seals, sidecars, manifest) and ``analyse -o`` land where the user asked
    with relative and absolute paths; a bad frame or a damaged archive gives exit code 1 through Dask too."""
    import json

    distributed = pytest.importorskip("distributed")
    worker_dir, client_dir = tmp_path / "worker_cwd", tmp_path / "client_cwd"
    worker_dir.mkdir()
    client_dir.mkdir()
    shutil.copytree(dpx_sequence, client_dir / "scans")
    bad = client_dir / "bad"
    bad.mkdir()
    (bad / "cut.0000001.dpx").write_bytes(b"SDPX" + bytes(100))  # a header that cannot be read
    shutil.copy(next(dpx_sequence.iterdir()), bad / "cut.0000002.dpx")
    frames = sorted(p.name for p in dpx_sequence.iterdir())
    monkeypatch.chdir(worker_dir)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        assert set(client.run(os.getcwd).values()) == {str(worker_dir)}
        monkeypatch.chdir(client_dir)
        addr = lc.scheduler_address
        for src, out, cat in (("scans", "film_r", "cat_r/"), (str(client_dir / "scans"), "film_m", "cat_m/"),
                              (str(client_dir / "scans"), str(client_dir / "film_a"), f"{client_dir / 'cat_a'}/")):
            assert main(["compress", src, "-o", out, "--codec", "htj2k", "--profile", "C1",
                         "--scheduler", addr]) == 0, out
            got = _tree(client_dir / Path(out).name)
            stems = {f.rsplit(".", 1)[0] for f in frames}
            assert {f.rsplit(".", 1)[0] for f in got if f.endswith(".jhc")} == stems, got
            assert {"manifest.jsonl", "SHA256SUMS"} <= got, got
            assert main(["analyse", src, "--no-text", "-o", cat, "--scheduler", addr]) == 0, cat
            written = json.loads((client_dir / Path(cat).name / "catalogue.json").read_text())
            assert sorted(f["name"] for f in written["frames"] if f["status"] == "ok") == frames
        assert main(["compress", "bad", "-o", "bad_out", "--codec", "htj2k", "--profile", "C1",
                     "--scheduler", addr]) == 1
        assert {f for f in _tree(client_dir / "bad_out") if f.endswith(".jhc")} == {"cut.0000002.jhc"}
        assert main(["analyse", "bad", "--no-text", "--scheduler", addr]) == 1
        assert main(["archive", "scans", "-o", "arch", "--scheduler", addr]) == 0
        first = client_dir / "arch" / f"{frames[0]}.qpl"
        blob = bytearray(first.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        first.write_bytes(bytes(blob))
        assert main(["restore", "arch", "-o", "back", "--scheduler", addr]) == 1
        assert _tree(client_dir / "back") == set(frames[1:])  # the damaged frame is never written
    written = {f for f in _tree(worker_dir) if not f.startswith("dask-")}
    assert written == set(), f"files written relative to the worker's directory: {written}"
