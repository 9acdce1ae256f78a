"""``bench search`` times searches after one untimed warm-up search per codec and target (QA: the first timed
search carried the process's one-time loads, 2.17 s against 0.02-0.03 s, and the JPEG row read '635.9x one
encode'; the first C1 search loaded the tile kernels, 0.60 s, '138.4x')."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.bench import search_bench
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_one_untimed_search_per_codec_before_the_timed_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "set"
    d.mkdir()
    for k in range(2):
        write_image(d / f"{k}.png", as_image(photo_like(48, 64, seed=k)))
    calls: list[str] = []
    real = search_bench.search

    def counting(img, codec, tgt, **kw):
        calls.append(codec)
        return real(img, codec, tgt, **kw)

    monkeypatch.setattr(search_bench, "search", counting)
    res = search_bench.run_search_bench(d, tmp_path / "out", codecs=("jpeg",), targets=("ssim>=0.93", "C1"),
                                        modes=("cold",), log=lambda _: None)
    assert len(res["rows"]) == 4
    assert len(calls) == len(res["rows"]) + 2  # one warm-up per target, not rows
