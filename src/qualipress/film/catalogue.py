"""Ingest and catalogue: header fields, content type and analysis of every frame, sequence-level findings.

Header fields come from OpenImageIO (without decoding pixels) plus qualipress's own DPX header parser, which
also notices headers that disagree with the file (a file-size field that lies, pixel data beyond the end).
Content type: black-and-white vs colour from :func:`qualipress.film.analysis.colour`; text / subtitles from
:mod:`qualipress.detect` (PP-OCR text detector shipped in ``rapidocr-onnxruntime``). When that module or its
model is missing, ``text`` is ``None`` and ``text_note`` says why: the catalogue never guesses.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import InputError, NonFiniteError, QualipressError
from qualipress.film import analysis as _analysis
from qualipress.film.sequence import find_frames, group, parse_name
from qualipress.io import dpx, read_image, to_perceptual
from qualipress.io.readers import oiio_name, why_unreadable
from qualipress.pipeline.runner import run_tasks

#: OpenImageIO attributes copied into the catalogue, with the catalogue's own name.
HEADER_FIELDS = {
    "dpx:Transfer": "transfer", "oiio:ColorSpace": "colorspace", "dpx:Colorimetric": "colorimetric",
    "chromaticities": "chromaticities", "smpte:TimeCode": "timecode_raw", "dpx:TimeCode": "timecode",
    "dpx:FrameRate": "frame_rate", "FramesPerSecond": "frame_rate", "compression": "compression",
    "DateTime": "created", "dpx:SourceDateTime": "source_created", "Make": "camera_make", "Model": "camera_model",
    "Software": "software", "dpx:InputDevice": "scanner", "dpx:InputDeviceSerialNumber": "scanner_serial",
    "dpx:Packing": "packing", "dpx:ImageDescriptor": "descriptor", "openexr:lineOrder": "line_order",
}


def probe_header(path: str | Path) -> dict[str, Any]:
    """Header facts of one frame file without decoding its pixels.

    Returns
    -------
    dict
        ``format``, ``width``, ``height``, ``channels``, ``channel_names``, ``bit_depth``, ``sample_type``,
        ``file_bytes`` and whichever of :data:`HEADER_FIELDS` the file has; ``warnings`` lists inconsistencies
        (DPX size field, truncation).

    Raises
    ------
    InputError
        The file cannot be opened as an image at all.
    """
    p = Path(path)
    out: dict[str, Any] = {"file_bytes": p.stat().st_size, "warnings": []}
    head = p.open("rb").read(dpx.HEADER_SIZE)
    if head[:4] in (b"SDPX", b"XPDS"):
        _probe_dpx(head, out)
    try:
        import OpenImageIO as oiio
    except ImportError:  # pragma: no cover - openimageio is a film dependency
        oiio = None
    if oiio is not None:
        with oiio_name(p) as name:
            inp = oiio.ImageInput.open(name)
            if inp is not None:
                try:
                    spec = inp.spec()
                    out.update(format=inp.format_name(), width=spec.width, height=spec.height,
                               channels=spec.nchannels, channel_names=list(spec.channelnames),
                               sample_type=str(spec.format),
                               bit_depth=spec.get_int_attribute("oiio:BitsPerSample", 0) or None)
                    for attr in spec.extra_attribs:
                        key = HEADER_FIELDS.get(attr.name)
                        if key and key not in out:
                            v = attr.value
                            out[key] = v if isinstance(v, str | int | float) else str(v)
                finally:
                    inp.close()
            else:
                out["warnings"].append(f"OpenImageIO: {oiio.geterror().strip()}")
    if "width" not in out:
        from qualipress.io import read_image

        img = read_image(p)  # raises InputError with the reader's reason
        out.update(format=p.suffix.lstrip(".").lower(), width=img.width, height=img.height,
                   channels=img.n_channels, bit_depth=img.bit_depth, sample_type=str(img.pixels.dtype))
    return out


def _probe_dpx(head: bytes, out: dict[str, Any]) -> None:
    try:
        h = dpx.parse_header(head)
    except InputError as exc:
        out["warnings"].append(str(exc))
        return
    out["warnings"].extend(h.warnings)
    el = h.elements[0]
    out.update({
        "dpx_bit_size": el.bit_size, "dpx_packing": el.packing, "dpx_descriptor": el.descriptor,
        "dpx_transfer": dpx.TRANSFER_NAMES.get(el.transfer, str(el.transfer)),
        "dpx_byte_order": "big" if h.big_endian else "little", "dpx_elements": len(h.elements),
        **{k.replace("dpx:", "dpx_"): v for k, v in h.fields.items()},
    })
    actual = out["file_bytes"]
    if h.file_size not in (0, 0xFFFFFFFF) and h.file_size != actual:
        out["warnings"].append(f"DPX header says the file is {h.file_size} bytes; it is {actual}")
    try:
        lays = [lay for lay in dpx.layouts(h)]
    except QualipressError as exc:
        out["warnings"].append(f"pixel layout not modelled: {exc}")
        return
    if all(lay.offset + lay.length > actual for lay in lays):
        lay = lays[-1]
        out["warnings"].append(f"DPX pixel data truncated: the header implies {lay.offset + lay.length} bytes, "
                               f"the file has {actual}")


def detect_text(code: np.ndarray) -> tuple[dict[str, Any] | None, str]:
    """Text / subtitle presence with :mod:`qualipress.detect`, or ``(None, why not)``."""
    try:
        from qualipress.detect import detect_report
    except ImportError as exc:
        return None, f"text detection unavailable: qualipress.detect not importable ({exc})"
    rgb = code[..., :3] if code.shape[2] >= 3 else np.repeat(code[..., :1], 3, axis=2)
    rgb8 = np.ascontiguousarray(np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    try:
        rep = detect_report(rgb8, ("text",))
    except Exception as exc:  # ModelError or a runtime failure of the detector: reported, not fatal
        return None, f"text detection failed: {exc}"
    h, w = rgb8.shape[:2]
    area = 0.0
    for r in rep.regions:
        x0, y0, x1, y1 = r.box
        area += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    low = [r for r in rep.regions if r.box[1] > 0.6 * h]
    return {"present": bool(rep.regions), "regions": len(rep.regions), "area": round(area / (h * w), 4),
            "subtitle_like": bool(low), "backend": rep.backends.get("text")}, "ok"


def catalogue_frame(path: str | Path, *, text: bool = True) -> dict[str, Any]:
    """Catalogue one frame: name, sequence, number, header fields, content type, analysis.

    Never raises for a bad frame: the record gets ``status="error"`` and the reason.
    """
    p = Path(path)
    fn = parse_name(p)
    rec: dict[str, Any] = {"path": str(p), "name": p.name, "sequence": fn.sequence, "frame": fn.number}
    t0 = time.perf_counter()
    try:
        rec["header"] = probe_header(p)
        try:
            img = read_image(p)
        except NonFiniteError as exc:  # readable, not analysable: said as such, not "unreadable" (fix20film)
            _non_finite(rec, exc, t0)
            return rec
        if left := img.metadata.get("not_carried"):  # what the reader left out (an EXR's other parts or layers):
            rec["header"]["warnings"].append(f"analysed as read: {left}")  # qa20film: analysed with no word of it
        rec.update(width=img.width, height=img.height, channels=img.layout, bit_depth=img.stored_bit_depth,
                   transfer=img.transfer, analysis=None)
        block = _analysis.BLOCK
        if min(img.width, img.height) < block:  # a readable frame the analysis cannot cover: said, not failed
            rec.update(status="ok", note=f"smaller than one {block}x{block} analysis block: not analysed",
                       content={"colour": None}, seconds=round(time.perf_counter() - t0, 3))
            return rec
        arrays = _analysis.frame_arrays(img)
        ana = _analysis.analyse(img, arrays=arrays)
        ana["colour_grain"] = _analysis.colour_grain(img, arrays.stats)  # analyse command only (not per probe)
        rec["analysis"] = ana
        content: dict[str, Any] = {"colour": "black-and-white" if ana["colour"]["monochrome"] else "colour"}
        if text:
            found, note = detect_text(np.asarray(to_perceptual(img), np.float32))
            content["text"] = found
            if found is None:
                content["text_note"] = note
        rec["content"] = content
        rec["status"] = "ok"
    except QualipressError as exc:
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__)
    except OSError as exc:
        rec.update(status="error", error=f"{p}: {why_unreadable(p, exc)}", error_type="OSError")
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    return rec


def _non_finite(rec: dict[str, Any], exc: NonFiniteError, t0: float) -> None:
    """Fill the record of a frame that reads but holds NaN/Inf samples: its header's facts, the counts, and
    ``status="non_finite"`` (not analysed: the analysis and every lossy coder need finite samples)."""
    head = rec["header"]
    rec.update(status="non_finite", width=head.get("width"), height=head.get("height"),
               channels=head.get("channels"), transfer="linear", analysis=None,
               bit_depth=head.get("bit_depth") or {"half": 16}.get(str(head.get("sample_type")), 32),
               non_finite={"nan": exc.nan, "inf": exc.inf, "samples": exc.samples},
               error=f"{exc.nan} NaN and {exc.inf} Inf sample(s) of {exc.samples}: the file reads, but the frame "
                     "is not analysed; compress refuses it until they are replaced; archive keeps it bit-exact",
               error_type=type(exc).__name__, seconds=round(time.perf_counter() - t0, 3))


def _task(args: tuple[str, bool]) -> dict[str, Any]:
    return catalogue_frame(args[0], text=args[1])


def _held_links(key: str, frames: list[Any]) -> tuple[list[str], list[str], list[str]]:
    """``"link -> target"`` for each link named in a sequence's folder as one of its frames: those that point at
    one of its files (a held frame made with ``ln -s``; QA session 19: reported only as a missing number), those
    that point at a file in another folder (another shot's frame: analysed there, or here when that folder is not
    an input; qa20film: no word of it), and those that discovery left out for a file of another sequence in the
    same folder (analysed under that name; rev20b: only "1 missing frame(s)")."""
    own = {os.path.abspath(f.path) for f in frames}
    real = {os.path.realpath(p) for p in own}
    held, foreign, beside = [], [], []
    for folder in sorted({os.path.dirname(p) for p in own}):
        with os.scandir(folder) as it:
            for e in sorted(it, key=lambda e: e.name):
                if not e.is_symlink() or parse_name(Path(e.path)).sequence != key:
                    continue
                target = os.path.realpath(e.path)
                if e.path not in own and target in real:
                    held.append(f"{e.name} -> {os.readlink(e.path)}")
                elif os.path.isfile(target) and os.path.dirname(target) != os.path.realpath(folder):
                    foreign.append(f"{e.name} -> {os.readlink(e.path)}")
                elif e.path not in own and target not in real and os.path.isfile(target):
                    beside.append(f"{e.name} -> {os.readlink(e.path)}")
    return held, foreign, beside


def catalogue(inputs: Iterable[str | Path], *, text: bool = True, jobs: int = 1,
              scheduler: str | None = None) -> dict[str, Any]:
    """Catalogue every frame of the inputs and summarise each sequence.

    Returns
    -------
    dict
        ``frames`` (one record per file, sorted by path) and ``sequences`` (frames, first/last number, gaps,
        duplicates, resolutions, bit depths and ``problems``: missing frames, mixed resolutions, unreadable frames).
    """
    # absolute before anything is sent to a worker: a Dask worker runs in its own working directory
    paths = find_frames([os.path.abspath(i) for i in inputs])
    frames: list[dict[str, Any] | None] = [None] * len(paths)
    for i, rec in run_tasks(_task, [(str(p), text) for p in paths], jobs=jobs, scheduler=scheduler):
        if isinstance(rec, BaseException):
            rec = {"path": str(paths[i]), "name": paths[i].name, "status": "error", "error": str(rec)}
        frames[i] = rec
    by_path = {r["path"]: r for r in frames if r is not None}
    seqs = []
    for s in group(paths):
        summ = s.summary()
        recs = [by_path[str(f.path)] for f in s.frames]
        sizes: dict[str, list[int | None]] = {}
        depths: set[int] = set()
        for r in recs:
            if r.get("status") in ("ok", "non_finite"):
                sizes.setdefault(f"{r['width']}x{r['height']}", []).append(r.get("frame"))
                depths.add(int(r["bit_depth"]))
        problems = []
        if summ["missing"]:
            problems.append(f"{summ['missing']} missing frame(s): " +
                            ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in summ["gaps"]))
        held, foreign, beside = _held_links(s.key, s.frames)
        if held:  # discovery takes a file once: a link to a frame is not one
            problems.append(f"{len(held)} frame(s) are links to other frames of the shot (analysed once, under the "
                            f"target's number): {', '.join(held[:5])}{' …' if len(held) > 5 else ''}")
        if foreign:
            problems.append(f"{len(foreign)} frame(s) are links to files in another folder (another shot's frames, "
                            "analysed there when that folder is an input): "
                            f"{', '.join(foreign[:5])}{' …' if len(foreign) > 5 else ''}")
        if beside:
            problems.append(f"{len(beside)} frame(s) are links to another sequence's files in the same folder "
                            f"(analysed there, under their own names): {', '.join(beside[:5])}"
                            f"{' …' if len(beside) > 5 else ''}")
        if summ["duplicates"]:
            problems.append(f"frame numbers given by several files: {summ['duplicates']}")
        if summ["misnumbered"]:
            odd = summ["misnumbered"]
            problems.append(f"{len(odd)} frame number(s) not padded to {summ['padding']} digits like the others "
                            f"(a %0{summ['padding']}d pattern misses them): {', '.join(odd[:5])}"
                            f"{' …' if len(odd) > 5 else ''}")
        if len(sizes) > 1:
            problems.append("mixed resolutions: " + "; ".join(
                f"{k} ({len(v)} frame(s), first {min((x for x in v if x is not None), default=None)})"
                for k, v in sizes.items()))
        if len(depths) > 1:
            problems.append(f"mixed bit depths: {sorted(depths)}")
        odd = [r["name"] for r in recs if r.get("status") == "non_finite"]
        if odd:
            problems.append(f"{len(odd)} frame(s) hold NaN/Inf samples (readable, not analysed; compress refuses "
                            f"them): {', '.join(odd[:5])}{' …' if len(odd) > 5 else ''}")
        bad = [r["name"] for r in recs if r.get("status") not in ("ok", "non_finite")]
        if bad:
            problems.append(f"{len(bad)} unreadable frame(s): {', '.join(bad[:5])}{' …' if len(bad) > 5 else ''}")
        summ.update(resolutions=sorted(sizes), bit_depths=sorted(depths), problems=problems)
        seqs.append(summ)
    return {"frames": [r for r in frames if r is not None], "sequences": seqs}
