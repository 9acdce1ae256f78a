"""Pipeline hooks that give ``roi:`` targets a mask, for any codec (ROI-weighted targets of other codecs).

``qualipress compress --codec jpeg --target "roi:ssim>=0.97"`` needs a ``"roi"`` mask for the search and for
the re-measurement after writing. :class:`RoiHooks` wraps the hooks of a run (default or film), computes the
ROI of each image (detector classes and/or a user mask, as ``jpeg-roi`` would) and adds it to the plan as
``masks["roi"]``. With ``jpeg-roi`` the same mask is what its rate control measures on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qualipress.io.image import Image
from qualipress.roi.mask import DEFAULT_ROI, analyse


class RoiHooks:
    """Wrap ``inner`` hooks; add ``masks["roi"]`` and the ROI analysis to every plan whose target needs it.

    Parameters
    ----------
    inner : PipelineHooks, optional
        Hooks to wrap (default: :class:`qualipress.pipeline.hooks.DefaultHooks`).
    classes : str or iterable of str
        Detector classes (``faces,persons,text,saliency``); empty for a user mask only.
    roi_mask : path, optional
        User mask PNG, the same for every image (must match each image's size).
    always : bool
        Compute the ROI even when the target has no ``roi:`` constraint (to record it in reports).
    """

    def __init__(
        self,
        inner: Any = None,
        *,
        classes: str | Iterable[str] = DEFAULT_ROI,
        roi_mask: str | Path | None = None,
        always: bool = False,
    ) -> None:
        if inner is None:
            from qualipress.pipeline.hooks import DefaultHooks

            inner = DefaultHooks()
        self.inner = inner
        self.classes = classes
        self.roi_mask = roi_mask
        self.always = always

    def plan(self, image: Image, *, path: Path, codec: str, target: Any, previous: dict | None) -> Any:
        plan = self.inner.plan(image, path=path, codec=codec, target=target, previous=previous)
        if "roi" in target.scoped_metrics() or self.always:
            res = analyse(image, self.classes, roi_mask=self.roi_mask)
            plan.masks["roi"] = res.mask if not res.empty else res.mask | True
            plan.analysis["roi"] = res.to_dict()
            if res.empty:
                plan.notes.append("no ROI found: roi: constraints are measured on the whole image")
        return plan

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        return self.inner.seal(data, codec=codec, record=record)  # type: ignore[no-any-return]

    def finish(self, outdir: Path, records: list[dict]) -> None:
        self.inner.finish(outdir, records)
