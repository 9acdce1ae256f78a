"""QA session 18: an archive rerun called a ``.qpl`` damaged in place (same size) "already done"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.film import manifest
from qualipress.film.archive import archive_paths, restore_archive
from qualipress.film.verify import verify_collection


def _flip_middle_byte(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert path.stat().st_size == size


def test_a_rerun_rearchives_an_output_damaged_in_place(dpx_sequence: Path, tmp_path: Path) -> None:
    arch, back = tmp_path / "arch", tmp_path / "back"
    archive_paths([dpx_sequence], arch)
    damaged = sorted(arch.glob("*.qpl"))[1]
    _flip_middle_byte(damaged)
    assert not verify_collection(arch).ok
    again = archive_paths([dpx_sequence], arch)
    assert [r["output"] for r in again.records] == [damaged.name] and len(again.skipped) == 3
    assert verify_collection(arch).ok
    restore_archive(arch, back)
    assert {p.name: p.read_bytes() for p in back.glob("*.dpx")} == \
        {p.name: p.read_bytes() for p in dpx_sequence.glob("*.dpx")}


def test_outputs_are_hashed_only_when_their_times_moved(dpx_sequence: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reruns stay cheap: an untouched archive is judged on file times; a manifest written before the output
    times were recorded costs one hash of each output, once."""
    import qualipress.film.archive as archive_mod

    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    lines = (arch / manifest.MANIFEST).read_text().splitlines()
    old = [{k: v for k, v in json.loads(x).items() if k not in ("output_mtime_ns", "output_ctime_ns")}
           for x in lines]
    (arch / manifest.MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in old))
    hashed: list[str] = []
    real = archive_mod.sha256_file
    monkeypatch.setattr(archive_mod, "sha256_file", lambda p: (hashed.append(Path(p).name), real(p))[1])
    first = archive_paths([dpx_sequence], arch)
    assert first.records == [] and len(first.skipped) == 4
    assert sorted(hashed) == sorted(p.name for p in arch.glob("*.qpl"))
    hashed.clear()
    second = archive_paths([dpx_sequence], arch)
    assert second.records == [] and len(second.skipped) == 4 and hashed == []
    assert verify_collection(arch).ok
