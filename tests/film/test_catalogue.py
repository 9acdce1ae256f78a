"""Ingest and catalogue: header fields, gaps, mixed resolutions, lying headers, NaN frames, text degrade."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qualipress.cli import main
from qualipress.film import catalogue as cat_mod
from qualipress.io import Image, dpx, write_image

from .synth import photo_like


def test_catalogue_reports_gaps_mixed_resolution_and_bad_frames(dpx_sequence: Path) -> None:
    (dpx_sequence / "reel.0001006.dpx").write_bytes(dpx.encode_dpx(photo_like(h=64, w=80), frame_rate=24))
    good = (dpx_sequence / "reel.0001001.dpx").read_bytes()
    (dpx_sequence / "reel.0001007.dpx").write_bytes(good[:3000])  # truncated
    cat = cat_mod.catalogue([dpx_sequence], text=False)
    (seq,) = cat["sequences"]
    assert seq["gaps"] == [[1003, 1003]]
    text = " | ".join(seq["problems"])
    assert "1 missing frame(s): 1003" in text
    assert "mixed resolutions" in text and "80x64" in text
    assert "unreadable frame(s): reel.0001007.dpx" in text
    frames = {f["name"]: f for f in cat["frames"]}
    assert frames["reel.0001007.dpx"]["status"] == "error"
    ok = frames["reel.0001001.dpx"]
    assert ok["bit_depth"] == 10 and ok["transfer"] == "log" and ok["header"]["timecode"] == "00:00:41:17"
    assert ok["header"]["frame_rate"] == 24.0 and ok["content"]["colour"] == "colour"
    assert ok["analysis"]["bits"]["used"] == 10


def test_lying_dpx_header_is_flagged(tmp_path: Path) -> None:
    data = bytearray(dpx.encode_dpx(photo_like(h=32, w=40)))
    data[16:20] = (len(data) - 500).to_bytes(4, "big")  # header claims fewer bytes than the file has
    p = tmp_path / "liar.dpx"
    p.write_bytes(bytes(data))
    head = cat_mod.probe_header(p)
    assert any("header says the file is" in w for w in head["warnings"])


def test_nan_exr_is_reported(tmp_path: Path) -> None:
    px = np.full((32, 32, 3), 0.5, np.float32)
    write_image(tmp_path / "ok.exr", Image(px, 32, transfer="linear"))
    px[3, 3, 1] = np.nan
    # write_image refuses nothing here: build the bad EXR through OpenImageIO directly
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(32, 32, 3, oiio.HALF)
    out = oiio.ImageOutput.create(str(tmp_path / "nan.exr"))
    out.open(str(tmp_path / "nan.exr"), spec)
    out.write_image(px)
    out.close()
    rec = cat_mod.catalogue_frame(tmp_path / "nan.exr", text=False)
    assert rec["status"] == "non_finite" and "1 NaN" in rec["error"]  # reads: not an "error" frame (fix20film)
    assert cat_mod.catalogue_frame(tmp_path / "ok.exr", text=False)["status"] == "ok"


def test_text_detection_degrades_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "qualipress.detect":
            raise ImportError("simulated absence")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    found, note = cat_mod.detect_text(np.zeros((64, 64, 3), np.float32))
    assert found is None and "unavailable" in note


@pytest.mark.slow
def test_text_detector_finds_rendered_text() -> None:
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("qualipress.detect")
    canvas = np.full((240, 640, 3), 40, np.uint8)
    cv2.putText(canvas, "THE END OF REEL ONE", (20, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (235, 235, 235), 3)
    found, note = cat_mod.detect_text(canvas.astype(np.float32) / 255)
    if found is None:
        pytest.skip(f"detector model unavailable: {note}")
    assert found["present"] and found["subtitle_like"]
    blank, _ = cat_mod.detect_text(np.full((240, 640, 3), 0.2, np.float32))
    assert blank is not None and not blank["present"]


def test_cli_analyse_json(dpx_sequence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cat.json"
    assert main(["analyse", str(dpx_sequence), "--no-text", "-o", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "problem: 1 missing frame(s): 1003" in shown
    data = json.loads(out.read_text())
    assert len(data["frames"]) == 4


def test_staged_data_catalogue(hdr_film: Path) -> None:
    rec = cat_mod.catalogue_frame(hdr_film / "dpx_nuke_16bits_rgba.dpx", text=False)
    assert rec["status"] == "ok" and rec["channels"] == "rgba"
    assert any("1050624" in w for w in rec["header"]["warnings"])


def test_a_frame_smaller_than_an_analysis_block_is_catalogued_not_unreadable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # qa15film: 17x9 and 9x17 DPX frames (readable, compress handles them) were listed as "UNREADABLE … smaller
    # than one 16x16 analysis block", counted as "unreadable frame(s)" and analyse exited 1
    for n in ("wide.1001.dpx", "wide.1002.dpx"):
        (tmp_path / n).write_bytes(dpx.encode_dpx(photo_like(h=9, w=17)))
    cat = cat_mod.catalogue([tmp_path], text=True)
    (seq,) = cat["sequences"]
    assert seq["problems"] == [] and seq["resolutions"] == ["17x9"] and seq["bit_depths"] == [10]
    rec = cat["frames"][0]
    assert rec["status"] == "ok" and rec["analysis"] is None and "16x16" in rec["note"]
    assert main(["analyse", str(tmp_path), "--no-text"]) == 0
    shown = capsys.readouterr()
    assert "UNREADABLE" not in shown.err and "wide.1001.dpx: 17x9 10-bit" in shown.out
    assert "not analysed" in shown.out


def test_analyse_names_a_held_frame_made_with_a_link(dpx_sequence: Path) -> None:
    # QA session 19: frame 1003, a link to 1002, was reported only as "1 missing frame(s): 1003"
    from qualipress.film.catalogue import catalogue

    (dpx_sequence / "reel.0001003.dpx").symlink_to("reel.0001002.dpx")
    (seq,) = catalogue([dpx_sequence], text=False)["sequences"]
    assert ("1 frame(s) are links to other frames of the shot (analysed once, under the target's number): "
            "reel.0001003.dpx -> reel.0001002.dpx") in seq["problems"]


def test_files_given_one_by_one_keep_the_frame_a_link_points_at(dpx_sequence: Path) -> None:
    # review of QA 19: `analyse shot/*.dpx` with a head handle `reel.0001000.dpx -> reel.0001005.dpx` took the
    # link (met first) and dropped the file it names, so frame 1005, which exists, was reported missing and the
    # link was not listed; a folder's walk takes the file itself
    from qualipress.film.catalogue import catalogue

    (dpx_sequence / "reel.0001000.dpx").symlink_to("reel.0001005.dpx")
    (seq,) = catalogue(sorted(dpx_sequence.glob("*.dpx")), text=False)["sequences"]
    assert "1 missing frame(s): 1003" in seq["problems"]  # the fixture's gap; 1005 is not missing
    assert not any("1005" in p for p in seq["problems"] if "missing" in p), seq["problems"]
    assert ("1 frame(s) are links to other frames of the shot (analysed once, under the target's number): "
            "reel.0001000.dpx -> reel.0001005.dpx") in seq["problems"]
