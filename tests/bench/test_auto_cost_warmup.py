"""``benchmarks/auto_cost.py`` loads the compiled kernels and warms up before its timed rows (warm19).

Under the automatic kernel rule a process switches to the compiled kernels at its 100th measurement, and that
switch (0.55 s, or a compile of 8-18 s in a fresh checkout) used to land inside one timed race
(docs/benchmarks.md § Warm starts and auto (warm19)).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from PIL import Image as PILImage

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("_auto_cost_tool", ROOT / "benchmarks" / "auto_cost.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_kernels_load_and_every_candidate_is_searched_before_the_timed_rows(tmp_path, monkeypatch) -> None:
    tool = _tool()
    rng = np.random.default_rng(3)
    PILImage.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    events: list[tuple[str, Any]] = []
    real_import, real_best_of = tool.importlib.import_module, tool.best_of

    def import_module(name: str, *args: Any) -> Any:
        events.append(("import", name))
        return real_import(name, *args)

    def best_of(image: Any, cands: Any, target: Any, **kw: Any) -> Any:
        events.append(("best_of", kw.get("race", True)))
        return real_best_of(image, ["jpeg", "webp"], target, **kw)

    monkeypatch.setattr(tool, "importlib", SimpleNamespace(import_module=import_module))
    monkeypatch.setattr(tool, "best_of", best_of)
    monkeypatch.setattr(tool.metrics_core, "USE_FUSED", None)
    tool.run(tmp_path, ["ssim>=0.9"], 1, full=False)
    assert events[:3] == [("import", "qualipress.metrics.fused"), ("best_of", False), ("best_of", True)]
