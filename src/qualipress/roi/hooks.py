"""Pipeline hooks for ROI work in ``qualipress compress``: masks for ``roi:`` targets, shared detection, masks saved.

``qualipress compress --codec jpeg --target "roi:ssim>=0.97"`` needs a ``"roi"`` mask for the search and for
the re-measurement after writing. :class:`RoiHooks` wraps the hooks of a run (default or film), computes the
ROI of each image once (detector classes and/or a user mask or boxes, exactly as ``jpeg-roi`` would) and

* adds it to the plan as ``masks["roi"]`` when the target has a ``roi:`` constraint (any codec);
* hands the same analysis to ``jpeg-roi`` (``encode_options["jpeg-roi"]["analysis"]``), so detection runs once;
* with ``save_mask``, asks the pipeline to write ``<output stem>.roi-mask.png`` next to the output: the ROI
  *blocks* ``jpeg-roi`` encoded finely when it won, otherwise the pixel ROI the ``roi:`` constraints used.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qualipress.detect import mask_png
from qualipress.io.image import Image
from qualipress.roi.mask import RoiAnalysis, analyse, roi_classes

#: Suffix of the saved ROI mask, appended to the output's stem.
MASK_SUFFIX = ".roi-mask.png"


class RoiHooks:
    """Wrap ``inner`` hooks; add the ROI of every image to the plans that need it.

    Parameters
    ----------
    inner : PipelineHooks, optional
        Hooks to wrap (default: :class:`qualipress.pipeline.hooks.DefaultHooks`).
    classes : str or iterable of str, optional
        Detector classes (``faces,persons,text,saliency``). Default: ``faces,persons,text``, or none when only a
        user mask or boxes are given.
    roi_mask : path, optional
        User mask PNG, the same for every image (must match each image's size).
    roi_boxes : path, optional
        User boxes JSON, the same for every image.
    save_mask : bool
        Write ``<output stem>.roi-mask.png`` next to each output.
    options : dict, optional
        ``jpeg-roi`` encode options (``roi_quality``, ``bg_quality``, ``block_threshold``, ...; see
        :class:`qualipress.roi.RoiJpegCodec`), given to ``jpeg-roi`` only.
    always : bool
        Compute the ROI even when neither the target nor the codecs need it (to record it in reports).
    """

    def __init__(
        self,
        inner: Any = None,
        *,
        classes: str | Iterable[str] | None = None,
        roi_mask: str | Path | None = None,
        roi_boxes: str | Path | None = None,
        save_mask: bool = False,
        options: dict[str, Any] | None = None,
        always: bool = False,
    ) -> None:
        if inner is None:
            from qualipress.pipeline.hooks import DefaultHooks

            inner = DefaultHooks()
        self.inner = inner
        self.classes = roi_classes(classes, user_input=roi_mask is not None or roi_boxes is not None)
        self.roi_mask = None if roi_mask is None else str(roi_mask)
        self.roi_boxes = None if roi_boxes is None else str(roi_boxes)
        self.save_mask = save_mask
        self.options = dict(options or {})
        self.always = always

    def sidecar_suffixes(self) -> tuple[str, ...]:
        """The sidecars every output gets (``OUTPUT_STEM`` + suffix): the mask with ``save_mask``; ``--dry-run``
        checks them as the run's output guard does (:func:`qualipress.pipeline.batch.predict_outcomes`)."""
        return (MASK_SUFFIX,) if self.save_mask else ()

    def settings(self) -> dict[str, Any]:
        """What changes the outputs (part of the pipeline's resume key)."""
        inner = getattr(self.inner, "settings", None)
        return {
            "hooks": type(self).__name__,
            "inner": inner() if callable(inner) else type(self.inner).__name__,
            "classes": list(self.classes),
            "roi_mask": self.roi_mask,
            "roi_boxes": self.roi_boxes,
            "save_mask": self.save_mask,
            "options": self.options,
        }

    def plan(self, image: Image, *, path: Path, codec: str, target: Any, previous: dict | None) -> Any:
        plan = self.inner.plan(image, path=path, codec=codec, target=target, previous=previous)
        scoped = "roi" in target.scoped_metrics()
        roi_codec = "jpeg-roi" in plan.codecs
        if not (scoped or roi_codec or self.save_mask or self.always):
            return plan
        res = analyse(image, self.classes, roi_mask=self.roi_mask, roi_boxes=self.roi_boxes)
        plan.analysis["roi"] = res.to_dict()
        if scoped:
            plan.masks["roi"] = res.mask if not res.empty else res.mask | True
            if res.empty:
                plan.notes.append("no ROI found: roi: constraints are measured on the whole image")
        if roi_codec:
            plan.encode_options.setdefault("jpeg-roi", {}).update(self.options, analysis=res)
        if self.save_mask:
            plan.sidecars[MASK_SUFFIX] = _MaskSidecar(res)
        return plan

    def seal(self, data: bytes, *, codec: str, record: dict) -> bytes:
        return self.inner.seal(data, codec=codec, record=record)  # type: ignore[no-any-return]

    def finish(self, outdir: Path, records: list[dict]) -> None:
        self.inner.finish(outdir, records)


class _MaskSidecar:
    """The mask PNG for the winning result: ``jpeg-roi``'s ROI blocks, or the pixel ROI for other codecs."""

    def __init__(self, analysis: RoiAnalysis) -> None:
        self.analysis = analysis

    def __call__(self, best: Any) -> bytes:
        shape = self.analysis.mask.shape
        enc = getattr(best, "roi", None)
        return mask_png(enc.block_mask(shape) if enc is not None else self.analysis.mask)
