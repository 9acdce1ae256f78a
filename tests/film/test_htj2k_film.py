"""HTJ2K on 10-bit film frames: compress meets the profile, and ``verify`` re-measures it as the search did
(the 10-bit frame is stored scaled into 16 bits and must be scaled back before measuring)."""

from __future__ import annotations

from pathlib import Path

from qualipress.cli import main
from qualipress.film import manifest


def test_htj2k_compress_then_verify_remeasures_at_the_source_depth(dpx_sequence: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["compress", str(dpx_sequence), "-o", str(out), "--codec", "htj2k", "--profile", "C1"]) == 0
    recs = [r for r in manifest.load(out) if r.get("codec") == "htj2k"]
    assert len(recs) == 4 and all(r["target_met"] for r in recs)
    assert all((out / Path(r["output"]).name).suffix == ".jhc" for r in recs)
    assert main(["verify", str(out), "--sample", "1"]) == 0
