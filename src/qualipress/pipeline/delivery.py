"""Photo and web delivery around any other hooks: metadata, ``--for web``, ``--bit-depth 8``, never grow.

:class:`PhotoHooks` wraps the hooks ``compress`` would use otherwise (film, ROI, default) and adds:

- **metadata**: every candidate encode carries the source's ICC profile, EXIF and XMP as the policy says
  (``keep``, ``strip``, ``strip-gps``; see :func:`qualipress.io.metadata.carry_for`). Pixels were made upright
  by :func:`qualipress.io.read_image`, so the written EXIF orientation is 1.
- **web**: only codecs whose files the browser renders (:data:`WEB_CODECS`), 8-bit, display-referred input.
- **bit depth**: deeper integer sources are reduced to 8 bits with ordered dithering (:func:`reduce_bit_depth`)
  before anything is searched; quality is then measured against the 8-bit image.
- **never grow**: for a compressed source the candidates include the source itself (``source:<format>``) and
  lossless JPEG transcodes (``transcode:jpeg``, ``transcode:jpegxl``), so the chosen file is never larger than the
  input; :meth:`PhotoHooks.seal` records the choice and every lossless fallback.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qualipress import codecs as _codecs
from qualipress.codecs import auto_candidates, jxlicc
from qualipress.codecs.base import Codec
from qualipress.codecs.hdrtag import carries_hdr, hdr_cicp
from qualipress.codecs.transcode import SOURCE_FORMATS, SourceBytes
from qualipress.errors import QualipressError, UnsupportedError
from qualipress.io.image import LAYOUTS, Image
from qualipress.io.metadata import (
    CARRIES,
    POLICIES,
    carry_for,
    extended_xmp_renames,
    icc_description,
    icc_fits,
    icc_problem,
    is_srgb,
    jpeg_source_only,
    jpeg_too_long,
    png_texts,
    renamed_guids,
    scrub_jpeg,
    scrub_png,
    video_metadata_tracks,
)
from qualipress.io.readers import PALETTE_EXPANDED
from qualipress.io.transfer import PERCEPTUAL_BITS
from qualipress.pipeline.batch import _sealed, lossless_kind
from qualipress.pipeline.hooks import DefaultHooks, Plan
from qualipress.search.targets import Target

#: Codecs whose files headless Chromium renders here (checked by ``tests/pipeline/test_photo_browser.py``).
#: HEIF and JPEG 2000 are not rendered; 12-bit JPEG is not either, hence the 8-bit rule.
WEB_CODECS = ("jpeg", "jpegli", "webp", "avif", "jpegxl", "png", "jpeg-roi")
#: File formats (as :func:`qualipress.io.sniff` names them) a browser shows, for keeping a web source as it is.
WEB_FORMATS = frozenset({"jpeg", "png", "webp", "avif", "jpegxl"})
#: Encode options this module adds that are not settings (kept out of the report's ``params``).
_RUN_OPTIONS = frozenset({"metadata", "source", "source_metadata"})
#: Prefixes of the never-grow candidates.
REUSE_PREFIXES = ("source:", "transcode:")


def not_shown_by_browsers(records: list[dict[str, Any]]) -> list[str]:
    """Outputs of ``records`` in a format browsers do not show (HEIF, JPEG 2000, ...), for the ``auto`` note.

    ``--codec auto`` without ``--for web`` picks the smallest file among every ``auto`` codec, HEIF and JPEG 2000
    included (an archive or a camera-roll pipeline wants that); the CLI then names how many outputs a browser
    would not show and suggests ``--for web``.
    """
    out = []
    for rec in records:
        name = str(rec.get("codec") or "")
        if rec.get("error") or not rec.get("output") or not name:
            continue
        shown = name.partition(":")[2] in WEB_FORMATS if name.startswith(REUSE_PREFIXES) else name in WEB_CODECS
        if not shown:
            out.append(str(rec["output"]))
    return out


def reduce_bit_depth(image: Image, bits: int = 8) -> Image:
    """Integer image reduced to ``bits`` with a 4x4 ordered (Bayer) dither, so gradients do not band.

    Parameters
    ----------
    image : Image
        Integer image deeper than ``bits``.
    bits : int
        Only 8 is supported (uint8 result).
    """
    if bits != 8:
        raise UnsupportedError("only --bit-depth 8 is supported")
    if image.is_float:
        raise UnsupportedError("float images need a transfer to 8 bits, not a bit-depth reduction")
    if image.bit_depth <= 8:
        return image
    bayer = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) + 0.5) / 16
    h, w = image.height, image.width
    threshold = np.tile(bayer, (h // 4 + 1, w // 4 + 1))[:h, :w, None]
    scaled = image.pixels.astype(np.float32) * (255.0 / image.max_value)
    out = np.clip(np.floor(scaled + threshold), 0, 255).astype(np.uint8)
    meta = dict(image.metadata, bit_depth_reduced=f"{image.bit_depth} -> 8 bits (ordered dither)")
    return Image(out, 8, image.transfer, image.colorspace, meta, image.source)


class PhotoHooks:
    """Metadata, web delivery, bit depth and never-grow around ``inner`` hooks (see the module docstring).

    Parameters
    ----------
    inner : PipelineHooks, optional
        Hooks to wrap (film, ROI); :class:`DefaultHooks` when None.
    metadata : str
        ``keep``, ``strip`` or ``strip-gps``.
    allow_larger : bool
        Do not add the source and lossless transcodes as candidates (outputs may be larger than the input).
    web : bool
        Only codecs browsers render, 8-bit output.
    bit_depth : int, optional
        Reduce deeper sources to this many bits (8) before searching.
    extensions : frozenset of str, optional
        Output file extensions allowed (``-o small.avif`` allows ``.avif`` only): never-grow candidates of other
        formats are left out.
    """

    def __init__(self, inner: Any = None, *, metadata: str = "keep", allow_larger: bool = False, web: bool = False,
                 bit_depth: int | None = None, extensions: frozenset[str] | None = None) -> None:
        if metadata not in POLICIES:
            raise UnsupportedError(f"--metadata {metadata}: use one of {', '.join(POLICIES)}")
        if bit_depth not in (None, 8):
            raise UnsupportedError("--bit-depth: only 8 is supported")
        self.inner = inner if inner is not None else DefaultHooks()
        self.metadata = metadata
        self.allow_larger = allow_larger
        self.web = web
        self.bit_depth = 8 if web else bit_depth
        self.extensions = extensions

    def settings(self) -> dict[str, Any]:
        inner = getattr(self.inner, "settings", None)
        return {"inner": inner() if callable(inner) else type(self.inner).__name__, "metadata": self.metadata,
                "allow_larger": self.allow_larger, "web": self.web, "bit_depth": self.bit_depth}

    @staticmethod
    def check_codecs(names: list[str], *, web: bool) -> None:
        """Refuse, before any work, codecs a ``--for web`` run cannot use."""
        if web:
            bad = [n for n in names if n != "auto" and n not in WEB_CODECS]
            if bad:
                raise UnsupportedError(f"--for web: browsers do not show {', '.join(bad)} files; "
                                       f"use {', '.join(WEB_CODECS)} or auto")

    # -- hooks ---------------------------------------------------------------------------------------------
    def adapt(self, image: Image, record: dict[str, Any]) -> Image:
        """Reduce the bit depth (``--bit-depth 8`` / ``--for web``) and refuse what a browser cannot show."""
        refused = web_refusal(is_float=image.is_float, transfer=image.transfer) if self.web else None
        if refused:
            raise UnsupportedError(refused)
        if self.bit_depth == 8 and not image.is_float and image.bit_depth > 8:
            reduced = reduce_bit_depth(image, 8)
            record.setdefault("warnings", []).append(
                f"reduced {image.bit_depth}-bit source to 8 bits with ordered dithering; quality is measured "
                "against the 8-bit image")
            record["bit_depth_reduced"] = True
            return reduced
        return image

    def plan(self, image: Image, *, path: Path, codec: str, target: Target, previous: dict | None) -> Plan:
        plan = self.inner.plan(image, path=path, codec=codec, target=target, previous=previous)
        notes = plan.notes
        if self.web:
            if codec == "auto":
                plan.codecs = [c for c in plan.codecs if c in WEB_CODECS] or \
                    [c for c in auto_candidates() if c in WEB_CODECS]
            dropped = [c for c in plan.codecs if c not in WEB_CODECS]
            plan.codecs = [c for c in plan.codecs if c in WEB_CODECS]
            if dropped:
                notes.append(f"--for web: left out {', '.join(dropped)} (browsers do not show them)")
            if not plan.codecs:
                raise UnsupportedError("--for web: none of the requested codecs is shown by browsers")
        check_source_depth(plan.codecs, is_float=image.is_float, bit_depth=image.bit_depth,
                           reduce_asked=self.bit_depth == 8)
        meta = image.metadata
        orientation = int(meta.get("orientation", 1) or 1)
        if orientation != 1:
            # a kept source is the input's bytes, tag included: it shows as the input does in every viewer (Chromium
            # ignores the tag in WebP, in the input as in the copy); growing the file to turn it is not asked for
            notes.append(f"pixels rotated by EXIF orientation {orientation}: re-encoded outputs are upright with "
                         f"orientation 1; a source kept as it is keeps its tag")
        carry = carry_for(meta, self.metadata)
        problem = icc_problem(carry.icc) if carry.icc else None
        if problem:  # Chromium shows no AVIF holding it; viewers ignore it in the source
            notes.append(f"metadata: the source's ICC profile is malformed ({problem}); not carried")
            carry = replace(carry, icc=None)
        wants_jxl = "jpegxl" in plan.codecs
        requested = list(plan.codecs)
        _drop_mistagging(plan, carry, image)
        if codec == "auto":
            _auto_keeps_profile(plan, carry, PERCEPTUAL_BITS if image.is_float else image.bit_depth, image.n_channels)
        _hdr_tag_notes(plan, image, auto=codec == "auto")
        if carry.fields():
            for name in plan.codecs:
                plan.encode_options.setdefault(name, {})["metadata"] = carry
            notes += _carry_notes(plan.codecs, carry, self.metadata,
                                  PERCEPTUAL_BITS if image.is_float else image.bit_depth, image.n_channels)
        fmt = meta.get("format")
        source = path.read_bytes() if fmt in SOURCE_FORMATS else b""  # once: the notes and the kept source read it
        if fmt == "jpeg" and (extras := jpeg_extras_note(meta)) is not None:
            notes.append(extras)
        if fmt == "png" and (texts := png_texts(source, self.metadata)):
            notes.append(f"metadata: the source PNG's text chunks ({', '.join(texts)}) are kept only if the output "
                         "is source:png; no other output carries them")
        if fmt == "jpeg" and (blocks := jpeg_source_only(source, self.metadata)):
            notes.append(f"metadata: the source JPEG's {', '.join(blocks)} segments are kept only if the output is "
                         "source:jpeg, transcode:jpeg or transcode:jpegxl; no re-encode carries them")
        left_out = _source_left_out(meta, image) if fmt in SOURCE_FORMATS else None
        if (not self.allow_larger and fmt in SOURCE_FORMATS and left_out is None
                and (not self.web or fmt in WEB_FORMATS)
                and meta.get("pil_mode", "RGB") in ("1", "L", "LA", "P", "PA", "RGB", "RGBA")
                and any(_supports(c, image) for c in requested)):  # else fail saying why, not copy the input
            options = self._source_options(source, meta, orientation, notes)
            rewritable = fmt in ("jpeg", "webp") or self.metadata == "keep" or not (meta.get("exif") or meta.get("xmp"))
            extra = [f"source:{fmt}"] if rewritable else []  # a kept file must obey --metadata too
            if fmt == "jpeg":
                extra.insert(0, "transcode:jpeg")
                if wants_jxl:  # the JPEG's own ICC segments travel with its bit-exact reconstruction data
                    extra.insert(0, "transcode:jpegxl")
            if self.extensions is not None:
                extra = [n for n in extra if _extension(n) in self.extensions]
            for name in extra:
                if name not in plan.codecs:
                    plan.codecs.append(name)
                    plan.encode_options[name] = dict(options)
            _rank_on_primary(plan, meta, extra)
        elif not self.allow_larger and left_out:
            notes.append(f"{_LEFT_OUT_NOTE} ({left_out}); the output may be larger than the input")
        if not any(not c.startswith("source:") for c in plan.codecs):
            # every requested codec was left out: keeping the input as it is would not be what was asked
            raise UnsupportedError(next((n for n in reversed(notes) if n.startswith(_MISTAG)), "no codec left"))
        return plan

    def _source_options(self, data: bytes, meta: dict[str, Any], orientation: int,
                        notes: list[str]) -> dict[str, Any]:
        """Encode options of the never-grow candidates: the source's bytes ``data`` (a JPEG's other segments and a
        PNG's text chunks obey --metadata too: :func:`~qualipress.io.metadata.scrub_jpeg` and
        :func:`~qualipress.io.metadata.scrub_png`) and the metadata written into them. Under ``strip-gps`` an
        Extended XMP packet holding GPS is rewritten without it under a new GUID, which the main packet names."""
        carry = carry_for(meta, self.metadata, orientation=orientation)
        if meta.get("format") == "png":  # its text chunks obey --metadata too
            return {"source": SourceBytes(scrub_png(data, self.metadata)), "source_metadata": carry}
        if meta.get("format") != "jpeg":
            return {"source": SourceBytes(data), "source_metadata": carry}
        renames = extended_xmp_renames(data) if self.metadata == "strip-gps" else {}
        if renames:
            if carry.xmp:
                carry = replace(carry, xmp=renamed_guids(carry.xmp, renames))
            notes.append(f"metadata strip-gps: {len(renames)} Extended XMP packet(s) of the source held GPS "
                         "properties: the kept source and its lossless transcodes hold them rewritten without "
                         "(new GUID); re-encodes hold no Extended XMP")
        try:
            source = scrub_jpeg(data, self.metadata)
            whole = video_metadata_tracks(data, whole=True) if self.metadata != "keep" else []
        except UnsupportedError as exc:  # rev20d: a video whose tables cannot be walked: only re-encodes, no video
            notes.append(f"metadata {self.metadata}: {exc}: the source is not kept (nor losslessly transcoded); "
                         "re-encodes hold no video")
            return {"source_metadata": carry}
        if whole:
            notes.append(f"metadata {self.metadata}: every sample of the video's timed metadata track(s) "
                         f"{', '.join(whole)} zeroed in the kept source and its lossless transcodes (a format whose "
                         "location cannot be told apart from the rest)")
        return {"source": SourceBytes(source), "source_metadata": carry}

    def seal(self, data: bytes, *, codec: str, record: dict[str, Any]) -> bytes:
        return self._seal(codec, record, lambda: self.inner.seal(data, codec=codec, record=record))

    def seal_result(self, result: Any, *, record: dict[str, Any], tile: int) -> bytes:
        """:meth:`seal` of the search's result through the inner hooks' ``seal_result`` when they have one (film:
        the search's pixels and metrics reused, no second decode); their ``seal`` otherwise."""
        return self._seal(result.codec, record, lambda: _sealed(self.inner, result, record, tile))

    def verified(self, output: Any, *, record: dict[str, Any], digest: bytes | None = None) -> None:
        """Pass the written file's pixels on to the inner hooks' ``verified`` (see ``pipeline.batch``)."""
        inner = getattr(self.inner, "verified", None)
        if callable(inner):
            inner(output, record=record, digest=digest)

    def _seal(self, codec: str, record: dict[str, Any], inner_seal: Any) -> bytes:
        """What :meth:`seal` does around the inner hooks' seal (``inner_seal()``, the sealed bytes)."""
        params = record.get("params") or {}
        carried = params.get("metadata") or params.get("source_metadata")
        record["params"] = {k: v for k, v in params.items() if k not in _RUN_OPTIONS} or None
        channels = {v: k for k, v in LAYOUTS.items()}.get(str(record.get("channels")), 3)
        lost = [] if carried is None else lost_fields(codec, carried, int(record.get("bit_depth") or 8), channels)
        kept = [] if carried is None else [f for f in carried.fields() if f not in lost]
        record["metadata"] = {"policy": self.metadata, "carried": kept}
        data = inner_seal()
        decisions = list(record.get("decisions") or [])
        probes = record.get("probes") or []
        # lossless files the search compared with a passing lossy one are in its own notes already
        fallbacks = sorted({f"{p['codec']} ({p['bytes']:,} bytes)" for p in probes
                            if p.get("lossless") and not str(p.get("codec", "")).startswith(REUSE_PREFIXES)
                            and lossless_kind(probes, p["codec"]) == "fallback"})
        if fallbacks:
            decisions.append("lossless fallback tried: " + ", ".join(fallbacks))
        if codec.startswith(REUSE_PREFIXES):
            what = {"source": "kept the source file", "transcode:jpeg": "lossless JPEG optimisation (mozjpeg)",
                    "transcode:jpegxl": "lossless JPEG -> JPEG XL transcode (the JPEG can be rebuilt bit-exactly)"}
            label = what.get(codec, what["source"] if codec.startswith("source:") else codec)
            lossy = [p for p in record.get("probes") or []
                     if p.get("passed") and not str(p.get("codec", "")).startswith(REUSE_PREFIXES)]
            smallest = min((p["bytes"] for p in lossy), default=None)
            why = (f"smallest re-encode meeting the target was {smallest:,} bytes" if smallest is not None
                   else "no re-encode met the target")
            message = f"{label}: {len(data):,} bytes vs input {record.get('input_bytes', 0):,}"
            message += _primary_terms(codec, len(data), record) + f" ({why})"
            record["fallback"] = f"{record['fallback']}; {message}" if record.get("fallback") else message
            decisions.append(f"never grow: {message}")
        elif self._grew(len(data), record):
            why = next((d for d in decisions if d.startswith(_LEFT_OUT_NOTE)), None) if self.extensions is None \
                else _named_output_why(probes, len(data))
            record.setdefault("warnings", []).append(
                f"the output ({len(data):,} bytes) is larger than the input ({int(record['input_bytes']):,} bytes): "
                f"{why or 'no smaller candidate'} (pass --allow-larger when a larger output is wanted)")
        if (fate := _extras_fate(codec, decisions, len(data), record)) is not None:
            decisions.append(fate)
        if (lost := _hdr_fate(codec, record.get("transfer"))) is not None:
            record.setdefault("warnings", []).append(lost)
        record["decisions"] = decisions or None
        return data

    def _grew(self, size: int, record: dict[str, Any]) -> bool:
        """Whether the output came out larger than the input file, unasked, with no never-grow candidate in the
        race: a named output file (``-o small.avif`` keeps the candidates of other formats out) or a source that
        cannot be kept as it is (a CMYK JPEG)."""
        if self.allow_larger or not size > int(record.get("input_bytes") or 0) > 0:
            return False
        raced = any(str(p.get("codec", "")).startswith(REUSE_PREFIXES) for p in record.get("probes") or [])
        return self.extensions is not None or not raced

    def finish(self, outdir: Path, records: list[dict]) -> None:
        self.inner.finish(outdir, records)


_MISTAG = "left out"
#: Start of the decision that says why a compressed source could not compete as it is (never grow).
_LEFT_OUT_NOTE = "never grow: the source cannot be kept as it is"
#: Start of the decision naming what a JPEG source holds besides its primary image (:func:`jpeg_extras_note`).
_EXTRAS_NOTE = "the source JPEG holds"
#: Candidates whose file keeps a JPEG source's bytes after its primary image (MPF images, trailing data): the
#: source itself, and libjxl's transcode, whose reconstruction data rebuild them (proven by ``check_rebuilds``).
KEEPS_JPEG_EXTRAS = ("source:jpeg", "transcode:jpegxl")


def jpeg_extras_note(meta: dict[str, Any]) -> str | None:
    """What a JPEG source holds after its primary image, from :func:`qualipress.io.read_image`'s metadata: further
    MPF images (``mpf_images``: a phone's depth map or secondary image, a stereo view) and other bytes after the
    end-of-image marker (``trailing_bytes``: e.g. a motion photo's video). None when nothing.

    Only the primary image is compressed; the decision says so, and which outputs keep them
    (:data:`KEEPS_JPEG_EXTRAS`), instead of losing them silently.
    """
    mpf, tail = int(meta.get("mpf_images") or 0), int(meta.get("trailing_bytes") or 0)
    if not (mpf or tail):
        return None
    what = (f"{mpf} further MPF image(s) (multi-picture: e.g. an HDR gain map, a depth map, a stereo view)" if mpf
            else "data after its end-of-image marker (e.g. a motion photo's video)")
    return (f"{_EXTRAS_NOTE} {what}, {tail:,} bytes after the primary image: only the primary image is "
            f"compressed; they are kept only if the output is {' or '.join(KEEPS_JPEG_EXTRAS)}")


def _extras_fate(codec: str, decisions: list[str], size: int | None = None,
                 record: dict[str, Any] | None = None) -> str | None:
    """The decision that says whether the chosen output (``codec``, of ``size`` bytes) kept what
    :func:`jpeg_extras_note` named; with the sizes to compare it with when ``record``'s analysis has them
    (:func:`_rank_on_primary`)."""
    if not any(d.startswith(_EXTRAS_NOTE) for d in decisions):
        return None
    if codec in KEEPS_JPEG_EXTRAS:
        return f"{codec} keeps the bytes after the source JPEG's primary image (MPF images, trailing data)"
    extras = int(((record or {}).get("analysis") or {}).get(_EXTRAS_KEY) or 0)
    primary = int((record or {}).get("input_bytes") or 0) - extras
    sizes = (f" ({size:,} bytes against the {primary:,} bytes of the source's primary image, not the input's "
             f"{primary + extras:,})" if extras and size is not None and primary > 0 else "")
    return (f"{codec} holds the primary image only: the source JPEG's further images / trailing data are "
            f"dropped{sizes}")


#: Key of :attr:`Plan.analysis <qualipress.pipeline.hooks.Plan.analysis>` holding the bytes after a JPEG source's
#: primary image (MPF images, trailing data) when the never-grow candidates are ranked on the primary image.
_EXTRAS_KEY = "jpeg_extras_bytes"


def _rank_on_primary(plan: Plan, meta: dict[str, Any], added: list[str]) -> None:
    """Rank the never-grow candidates that keep a JPEG source's MPF images / trailing data (``meta``'s
    ``trailing_bytes``; :data:`KEEPS_JPEG_EXTRAS` among ``added``) without those bytes, so every candidate is
    compared on the primary image it holds (:attr:`~qualipress.pipeline.hooks.Plan.rank_discount`), not won by
    dropping a motion photo's video or a depth map. The JPEG XL transcode holds those bytes nearly as they are, so
    it is ranked the same way.
    """
    extras = int(meta.get("trailing_bytes") or 0)
    keepers = [n for n in added if n in KEEPS_JPEG_EXTRAS and n in plan.codecs]
    if meta.get("format") != "jpeg" or not extras or not keepers:
        return
    for name in keepers:
        plan.rank_discount[name] = extras
    plan.analysis[_EXTRAS_KEY] = extras
    plan.notes.append(f"never grow: candidates are compared on the primary image: {', '.join(keepers)} "
                      f"{'is' if len(keepers) == 1 else 'are'} ranked without the {extras:,} bytes after it, which "
                      f"{'it keeps' if len(keepers) == 1 else 'they keep'} and the other outputs drop")


def _primary_terms(codec: str, size: int, record: dict[str, Any]) -> str:
    """For the never-grow message of a kept or transcoded JPEG source with bytes after its primary image
    (:func:`_rank_on_primary`): how the output's ``size`` compares on the primary image."""
    extras = int((record.get("analysis") or {}).get(_EXTRAS_KEY) or 0)
    if not extras:
        return ""
    primary = int(record.get("input_bytes") or 0) - extras
    if codec in KEEPS_JPEG_EXTRAS:
        return (f", both holding the {extras:,} bytes after the primary image; {size - extras:,} bytes against "
                f"{primary:,} for the primary image")
    return f"; {primary:,} bytes for the primary image alone, which is all this output holds"


def _source_left_out(meta: dict[str, Any], image: Image) -> str | None:
    """Why a source in a format that could be kept (:data:`SOURCE_FORMATS`) is not a never-grow candidate, or None
    when another rule (``--for web``, a named output, no codec able to carry it) is the reason."""
    if meta.get("converted") not in (None, PALETTE_EXPANDED):
        return f"{meta['converted']}: the file's own pixels are not the ones measured"
    if meta.get("bit_depth_reduced"):
        return "reduced to 8 bits"
    if image.bit_depth != 8:
        return f"{image.bit_depth}-bit source"
    return None


def _drop_mistagging(plan: Plan, carry: Any, image: Image) -> None:
    """Leave out the codecs that would label a non-sRGB source as sRGB (JPEG XL here), with a note saying why.

    imagecodecs' ``jpegxl_encode`` takes no ICC profile (and ``cjxl`` is not used), so libjxl signals sRGB: a
    Display P3 or Adobe RGB photo would show desaturated. The never-grow ``transcode:jpegxl`` keeps the JPEG's
    own profile and is not affected (:func:`_would_mistag`, the test :func:`refuse_mistagging` uses too).
    """
    depth = PERCEPTUAL_BITS if image.is_float else image.bit_depth  # the depth the codec is given
    bad = [name for name in plan.codecs if _would_mistag(name, carry, depth)]
    if not bad:
        return
    plan.codecs = [c for c in plan.codecs if c not in bad]
    plan.notes.append(f"{_MISTAG} {', '.join(bad)}: {_mistag_reason(carry.icc)}")


def _auto_keeps_profile(plan: Plan, carry: Any, bit_depth: int, channels: int) -> None:
    """``--codec auto``: leave out the candidates whose files would drop the source's non-sRGB colour profile
    (JPEG 2000, HTJ2K, ...) while another candidate keeps it, with a note. A codec named on the command line is
    encoded as asked (its decisions say the profile is not carried)."""
    if not carry.icc or is_srgb(carry.icc):
        return
    lossy = [name for name in plan.codecs if "icc" in lost_fields(name, carry, bit_depth, channels)]
    if lossy and len(lossy) < len(plan.codecs):
        plan.codecs = [c for c in plan.codecs if c not in lossy]
        desc = icc_description(carry.icc) or "an unnamed profile"
        plan.notes.append(f"auto: left out {', '.join(lossy)} (their files here cannot carry the source's colour "
                          f"profile {desc!r})")


def hdr_loss(names: list[str], image: Image) -> tuple[list[str], str] | None:
    """The codecs among ``names`` whose files cannot say that ``image`` is PQ or HLG (JPEG, JPEG 2000, TIFF, ...:
    :func:`qualipress.codecs.hdrtag.carries_hdr`), and the tag they lose in words; None when ``image`` is not
    PQ/HLG as the codecs get it (a linear float image is coded as PQ) or every one keeps the tag. The kept source
    and transcodes keep their own."""
    coded = replace(image, transfer="pq") if image.is_float and image.transfer == "linear" else image
    cicp = hdr_cicp(coded)
    if cicp is None:
        return None
    lossy = [n for n in names if not n.startswith(REUSE_PREFIXES) and (c := _codec_or_none(n)) is not None
             and not carries_hdr(c.info.extension)]
    what = f"the {coded.transfer.upper()} transfer (CICP primaries {cicp[0]}, transfer {cicp[1]})"
    return (lossy, what) if lossy else None


def _hdr_tag_notes(plan: Plan, image: Image, *, auto: bool) -> None:
    """Name the candidates whose files would drop a PQ/HLG image's transfer tag (:func:`hdr_loss`), so a viewer
    shows them as SDR with wrong tones; under ``auto`` an integer source (an AVIF/HEIF with such an
    ``nclx`` box) leaves them out while a candidate that keeps the tag remains. Float sources (EXR, coded as PQ)
    and codecs named on the command line are encoded as asked, with the note."""
    found = hdr_loss(plan.codecs, image)
    if found is None:
        return
    lossy, what = found
    encodes = [c for c in plan.codecs if not c.startswith(REUSE_PREFIXES)]
    if auto and not image.is_float and len(lossy) < len(encodes):
        plan.codecs = [c for c in plan.codecs if c not in lossy]
        plan.notes.append(f"auto: left out {', '.join(lossy)} (their files cannot carry {what})")
        return
    plan.notes.append(f"hdr: {', '.join(lossy)} cannot carry {what}: viewers show "
                      f"{'its' if len(lossy) == 1 else 'their'} output as SDR with wrong tones (avif, heif, jpegxl "
                      "and png carry it)")


def _hdr_fate(codec: str, transfer: Any) -> str | None:
    """The warning for an output of a PQ/HLG *display* image (``transfer``: an AVIF/HEIF source's, not a linear
    EXR's, which film runs code as PQ and describe in their seal) whose codec drops the tag (the codecs
    :func:`hdr_loss` names, as :func:`_hdr_tag_notes` says in the decisions): the file is written as asked, and the
    run says so on its line, not only in the report (lead 14: a named ``--codec jpeg`` of a PQ AVIF said it in the
    decisions alone)."""
    if transfer not in ("pq", "hlg") or codec.startswith(REUSE_PREFIXES):
        return None
    found = _codec_or_none(codec)
    if found is None or carries_hdr(found.info.extension):
        return None
    return (f"the output ({codec}) does not carry the source's {str(transfer).upper()} transfer: viewers show it as "
            "SDR with wrong tones (avif, heif, jpegxl and png carry it)")


def _mistag_reason(icc: bytes) -> str:
    """Why a JPEG XL output of a source with the non-sRGB profile ``icc`` would show wrong colours."""
    desc = icc_description(icc) or "an unnamed profile"
    return (f"the source's colour profile is {desc!r} and JPEG XL output here can only be tagged sRGB (imagecodecs' "
            "jpegxl_encode takes no ICC profile; jxlpy, which writes it, takes 8-bit images and is "
            f"{'installed' if _jxlpy_installed() else 'not installed'}), so its colours would be shown wrong; choose "
            "avif, webp, jpeg or png (they carry the profile) or convert the image to sRGB first")


def _jxlpy_installed() -> bool:
    return jxlicc.available()


def refuse_mistagging(codec: str, carry: Any, bit_depth: int = 8) -> None:
    """Raise when encoding with ``codec`` would label the source's non-sRGB profile (``carry.icc``) as sRGB.

    Parameters
    ----------
    codec : str
        A registered codec name.
    carry : Carry
        The metadata the output is to keep (:func:`qualipress.io.metadata.carry_for`).
    bit_depth : int
        The image's; 8-bit JPEG XL keeps the profile when jxlpy is installed.

    Raises
    ------
    UnsupportedError
        For a JPEG XL re-encode (not the ``transcode:`` of a JPEG) of a source tagged with a non-sRGB profile.
    """
    if _would_mistag(codec, carry, bit_depth):
        raise UnsupportedError(f"{codec}: {_mistag_reason(carry.icc)}")


def _would_mistag(codec: str, carry: Any, bit_depth: int) -> bool:
    """Whether encoding a ``bit_depth``-bit image with ``codec`` would label the non-sRGB profile ``carry.icc`` as
    sRGB: a JPEG XL re-encode (not the ``transcode:`` of a JPEG, which keeps its own profile) that jxlpy cannot
    write with the profile (:func:`qualipress.codecs.jxlicc.can_carry`). Unknown codec names are not judged here."""
    if not carry.icc or is_srgb(carry.icc) or codec.startswith(REUSE_PREFIXES) or jxlicc.can_carry(bit_depth):
        return False
    found = _codec_or_none(codec)
    return found is not None and found.info.extension == ".jxl"


def _named_output_why(probes: list[dict[str, Any]], size: int) -> str:
    """Why a named output file (``-o x.jxl``) grew: its format left no smaller candidate, or the bit-exact JPEG ->
    JPEG XL transcode was smaller but missed the target (libjxl decodes JPEG data differently from libjpeg-turbo)."""
    missed = [p for p in probes if p.get("codec") == "transcode:jpegxl" and not p.get("passed")
              and 0 < int(p.get("bytes") or 0) < size]
    if missed:
        p = min(missed, key=lambda m: int(m["bytes"]))
        measured = ", ".join(f"{k} {float(v):.4g}" for k, v in (p.get("metrics") or {}).items())
        return (f"the lossless JPEG -> JPEG XL transcode ({int(p['bytes']):,} bytes) was smaller but missed the "
                f"target as decoded by libjxl ({measured}; libjxl decodes JPEG data differently from "
                "libjpeg-turbo)")
    return "the named output's format leaves no smaller candidate"


#: Transfers a browser shows as they are stored: ``--for web`` refuses images in any other (and float ones).
WEB_TRANSFERS = ("srgb", "bt709", "gamma")


def web_refusal(*, is_float: bool, transfer: str) -> str | None:
    """Why ``--for web`` refuses an image with this sample type and ``transfer`` (float, log, linear, unknown:
    not display-referred), or None; the run and ``--dry-run`` say it in these words."""
    if is_float or transfer not in WEB_TRANSFERS:
        return (f"--for web needs a display-referred image; this one is {transfer} "
                f"{'float' if is_float else 'integer'} (grade it to sRGB first)")
    return None


def check_source_depth(names: list[str], *, is_float: bool, bit_depth: int, reduce_asked: bool = False) -> None:
    """:func:`check_depth` for a source as the run gives it to the codecs: a float image as
    :data:`~qualipress.io.transfer.PERCEPTUAL_BITS`-bit perceptual integers (``reduce_asked``: ``--bit-depth 8``
    was given, which does not apply to it), an integer one at its ``bit_depth`` when deeper than 8 bits."""
    if is_float:
        check_depth(names, PERCEPTUAL_BITS, float_source=True, reduce_asked=reduce_asked)
    elif bit_depth > 8:
        check_depth(names, bit_depth)


def check_depth(names: list[str], bit_depth: int, *, float_source: bool = False,
                 reduce_asked: bool = False) -> None:
    """Refuse, with the remedy, a deep image none of the requested codecs can store.

    ``float_source``: the image is float, given to codecs as ``bit_depth``-bit perceptual integers, which
    ``--bit-depth 8`` (``reduce_asked``) does not reduce: that would need a tone map.
    """

    depths = []
    for name in names:
        codec = _codec_or_none(name)
        if codec is None:
            return  # unknown here: let the search report it
        depths.append(max(codec.info.bit_depths))
    if not depths or max(depths) >= bit_depth:
        return
    deeper = [n for n in _codecs.available_names()
              if n in auto_candidates() and max(_codecs.get(n).info.bit_depths) >= bit_depth]
    choose = f"choose a codec storing {bit_depth}-bit samples ({', '.join(deeper) or 'none installed'})"
    head = f"{', '.join(names)} store{'s' if len(names) == 1 else ''} at most {max(depths)}-bit samples and "
    if float_source:
        raise UnsupportedError(
            head + f"float sources are coded as {bit_depth}-bit perceptual integers"
            + ("; --bit-depth 8 does not apply to float sources (it would need a tone map)" if reduce_asked
               else "") + f": {choose}, or convert it to a display-referred integer image first")
    raise UnsupportedError(head + f"this image is {bit_depth}-bit: add --bit-depth 8 (dithered) or {choose}")


def _extension(codec: str) -> str:

    ext = _codecs.get(codec).info.extension
    return {".jpeg": ".jpg"}.get(ext, ext)


def _codec_or_none(name: str) -> Codec | None:
    """The codec registered as ``name``, or None when it cannot be looked up here (unknown, or its backend not
    installed): the plan's checks pass such a name on, to be encoded as asked, and the search says why it cannot."""
    try:
        return _codecs.get(name)
    except QualipressError:
        return None


def _supports(name: str, image: Image) -> bool:
    """Whether codec ``name`` can encode ``image`` (names :func:`_codec_or_none` cannot look up: assumed so)."""
    codec = _codec_or_none(name)
    return codec is None or codec.supports(image)


def lost_fields(name: str, carry: Any, bit_depth: int, channels: int = 3) -> list[str]:
    """The parts of ``carry`` (``icc``, ``exif``, ``xmp``, sorted) that an output of codec ``name`` does not hold
    (a kept or transcoded source keeps its own; compress's decisions and ``encode`` say them); JPEG XL signals an
    sRGB profile in its codestream and writes another one through jxlpy (8-bit). A profile that does not fit the
    stored pixels (``channels`` of the source, grey replicated to RGB by a codec without grey: a grey profile goes
    in as its RGB equivalent, a grey LUT profile without a curve cannot; :func:`qualipress.io.metadata.icc_fits`)
    is lost too. A name :func:`_codec_or_none` cannot look up loses nothing."""
    codec = None if name.startswith(REUSE_PREFIXES) else _codec_or_none(name)
    if codec is None:
        return []
    ext = codec.info.extension
    lost = set(carry.fields()) - CARRIES.get(ext, frozenset())
    if ext == ".jxl" and "icc" in lost and (is_srgb(carry.icc) or jxlicc.can_carry(bit_depth)):
        lost.remove("icc")
    stored = channels if channels in codec.info.channels or channels > 2 else channels + 2
    if carry.icc and not icc_fits(carry.icc, ext, stored):
        lost.add("icc")
    if ext in (".jpg", ".jpeg"):
        lost.update(jpeg_too_long(carry))
    return sorted(lost)


def _carry_notes(codecs: list[str], carry: Any, policy: str, bit_depth: int, channels: int) -> list[str]:
    """One note per codec that cannot hold part of the metadata."""

    notes = []
    for name in codecs:
        lost = lost_fields(name, carry, bit_depth, channels)
        if lost:
            notes.append(f"metadata: {name} cannot carry {', '.join(lost)} here")
    if policy != "keep":
        notes.append(f"metadata policy {policy}")
    return notes
