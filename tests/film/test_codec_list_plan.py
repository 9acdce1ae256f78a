"""A list of codecs (``--codec jpegxl,avif``) on film frames is searched as ``auto`` is, among its codecs only."""

from __future__ import annotations

from pathlib import Path

from qualipress.film.hooks import FilmHooks
from qualipress.io import Image
from qualipress.search import parse_target

from .synth import photo_like


def test_a_codec_list_plans_and_reports_only_its_own_codecs(tmp_path: Path) -> None:
    # qa18film: a list ran auto's selection over every film codec, so the report said "auto: candidates jpegxl,
    # jpeg2000, avif, heif" and gave HEIF a cold start; on the next frame "warm start: ... search avif only" while
    # the whole list was searched
    tgt = parse_target(["ssim>=0.95"])
    first = Image(photo_like(h=256, w=320, seed=4), 10, transfer="log")
    plan = FilmHooks().plan(first, path=tmp_path / "r.1001.dpx", codec="jpegxl,avif", target=tgt, previous=None)
    assert plan.codecs == ["jpegxl", "avif"]
    assert not any("heif" in n or "auto:" in n for n in plan.notes), plan.notes
    assert any(n == "codecs jpegxl, avif set by the user" for n in plan.notes), plan.notes
    previous = {"input": str(tmp_path / "r.1001.dpx"), "codec": "avif", "setting": 60.0, "params": {},
                "analysis": plan.analysis}
    nxt = FilmHooks().plan(first, path=tmp_path / "r.1002.dpx", codec="jpegxl,avif", target=tgt, previous=previous)
    warm = [n for n in nxt.notes if n.startswith("warm start")]
    assert warm and nxt.codecs == ["avif"], (nxt.codecs, nxt.notes)
