"""Fixity check of a collection directory (``qualipress verify``).

1. **Hashes**: every file listed in ``SHA256SUMS`` exists and has its hash; frame files present but unlisted are
   reported; every ``ok`` manifest record's output is listed.
2. **Decodability**: every output is decoded: ``.qpl`` frames are fully restored in memory and the rebuilt bytes
   must have the source's SHA-256 (bit-exactness proven without the source); lossy outputs are decoded with their
   codec and their size compared with the record.
3. **Stored metrics**: for a deterministic sample of lossy outputs whose source is still at the recorded path
   with the recorded hash, SSIM/PSNR are measured again and must match the manifest within
   :data:`TOLERANCE`.
4. **Links**: every link record of an archive (a link to a frame, kept as a link: ``manifest.LINK``) must be
   restorable as a link inside the restored tree, name a frame (or another link) the archive holds, and match
   its ``# link`` line in ``SHA256SUMS``.
5. **Records**: every ``.qpl`` header must agree with its manifest record on every field both carry
   (:data:`ARCHIVE_FIELDS`); every lossy output's seal, embedded (JXL/JP2) or in its ``.xmp`` sidecar (AVIF/HEIF),
   must name the manifest on every field both carry (:data:`SEAL_FIELDS`); a sidecar the manifest names must exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress import codecs, metrics
from qualipress.errors import InputError, QualipressError
from qualipress.film import container, lossless, manifest
from qualipress.film.seal import parse_packet, read_seal
from qualipress.io import read_image, read_jsonl, sha256_bytes, sha256_file
from qualipress.io.discover import REPORT_NAME

#: Allowed difference between stored and re-measured metric values.
TOLERANCE = {"ssim": 1e-4, "psnr": 0.01, "ms-ssim": 1e-4}


@dataclass
class VerifyReport:
    """Findings of :func:`verify_collection`; ``ok`` is True when nothing is missing, altered or unreadable."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    metric_mismatch: list[str] = field(default_factory=list)
    remeasured: int = 0
    notes: list[str] = field(default_factory=list)
    links: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered or self.unreadable or self.metric_mismatch or self.unlisted)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "missing": self.missing, "altered": self.altered,
                "unlisted": self.unlisted, "unreadable": self.unreadable, "metric_mismatch": self.metric_mismatch,
                "remeasured": self.remeasured, "notes": self.notes, "links": self.links}


def _sample(n: int, fraction: float) -> set[int]:
    if n == 0 or fraction <= 0:
        return set()
    k = max(1, round(n * min(1.0, fraction)))
    return {round(i * (n - 1) / max(1, k - 1)) for i in range(k)} if k > 1 else {0}


def _decode_lossy(path: Path, rec: dict[str, Any]) -> Any:
    codec = rec.get("codec")
    if not codec:
        raise QualipressError("record names no codec")
    return codecs.get(str(codec)).decode(path.read_bytes())


def verify_collection(root: str | Path, *, sample: float = 0.1, remeasure: bool = True) -> VerifyReport:
    """Verify a collection written by ``qualipress archive`` or ``qualipress compress``.

    Parameters
    ----------
    root : path
        The collection directory (holding ``manifest.jsonl`` and ``SHA256SUMS``).
    sample : float
        Fraction of lossy outputs whose metrics are measured again (at least one when > 0).
    remeasure : bool
        Set False to skip step 3.

    Raises
    ------
    InputError
        ``root`` holds none of a collection's index files (``SHA256SUMS``, ``manifest.jsonl``, a compress report):
        not a collection, rather than a damaged one.
    """
    base = Path(root)
    rep = VerifyReport()
    link_sums: dict[str, str] = {}
    sums = manifest.read_sums(base, link_sums)
    records = manifest.current_entries(manifest.load(base))
    indexed = (base / manifest.SUMS).is_file() or (base / manifest.MANIFEST).is_file()
    if not sums and not records and not indexed:  # rev12: index files there but unreadable: a damaged collection
        if (base / REPORT_NAME).is_file():  # e.g. a --for web folder: no film manifest, but the run's report
            return _verify_report(base, rep, sample=sample, remeasure=remeasure)
        # misc18: this said "PROBLEMS FOUND", exit 1 (a damaged collection); `report` and `restore` refuse the same
        # mistake as a usage error (exit 2)
        raise InputError(f"{base}: no {manifest.SUMS}, {manifest.MANIFEST} or {REPORT_NAME} (not a qualipress "
                         "collection or compress output folder)")
    if not sums:
        rep.missing.append(manifest.SUMS)
    by_output = {r["output"]: r for r in records if r.get("status") == "ok" and r.get("output")}
    _check_links(rep, records, link_sums if sums or link_sums else None)
    for out in by_output:
        if out not in sums and sums:
            rep.unlisted.append(f"{out} (in the manifest, not in {manifest.SUMS})")
    listed = set(sums)
    # `compress DIR -o DIR`: the sources themselves live in the collection; they are recorded, not unlisted.
    sources = {str(Path(r["source_path"]).resolve()) for r in manifest.load(base) if r.get("source_path")}
    for p in sorted(base.rglob("*")):
        if not p.is_file() or p.name.startswith(".") or p.name in manifest.COLLECTION_FILES:
            continue
        if str(p.resolve()) in sources:
            continue
        rel = p.relative_to(base).as_posix()
        if rel not in listed and rel not in by_output and not rel.endswith(".xmp"):
            rep.unlisted.append(rel)
    lossy_seen = 0
    pick = _sample(sum(1 for o in sums if not o.endswith(lossless.SUFFIX)), sample)
    for name, sha in sorted(sums.items()):
        p = base / name
        data = _read_listed(rep, p, name, sha)
        if data is None:
            continue
        rec = by_output.get(name, {})
        if not rec and records:
            # listed, but no record names it: its manifest line was lost (damaged: read_jsonl skips a line that
            # does not parse) or edited, and nothing else here says what the file should hold (qa18film: an archive
            # verified OK, and a lossy output was reported as not decoding, "record names no codec")
            rep.missing.append(f"{name}: its record in {manifest.MANIFEST} (a line there may be damaged)")
            if not name.endswith(lossless.SUFFIX):
                continue
        if rec.get("output_sha256") not in (None, sha):  # two fixity records of one file disagree (QA session 19)
            rep.metric_mismatch.append(f"{name}: {manifest.MANIFEST} gives it SHA-256 {rec['output_sha256']!r}, "
                                       f"{manifest.SUMS} (and the file) {sha!r}: one of the two lists was changed")
        if name.endswith(lossless.SUFFIX):
            try:
                rebuilt = lossless.restore_bytes(data)
            except QualipressError as exc:
                rep.unreadable.append(f"{name}: {exc}")
                continue
            want = rec.get("source_sha256")
            if want and sha256_bytes(rebuilt) != want:
                rep.unreadable.append(f"{name}: restores to bytes that differ from the manifest's source hash")
            _check_archive_header(rep, name, rec, data)
            continue
        _check_seal(rep, p, name, rec, data)
        decoded = _decode_checked(rep, p, name, rec)
        if decoded is None:
            continue
        idx = lossy_seen
        lossy_seen += 1
        if remeasure and idx in pick:
            _remeasure(rep, name, rec, decoded, data)
    return rep


def _check_links(rep: VerifyReport, records: list[dict[str, Any]], listed: dict[str, str] | None) -> None:
    """Each link record must be restorable as a link (:func:`manifest.link_escape`), name an archived frame or
    another link record (a frame whose record was lost or that failed would leave it pointing at nothing), and
    match its line in ``SHA256SUMS`` (``listed``: :func:`manifest.link_digest` by name; None when there is no
    list), which must have no line whose record is gone. A list with no link line at all is from an archive
    written before link records were listed (qa20film): a note, not a finding."""
    held = {str(r.get("source")) for r in records
            if r.get("kind") != "lossy" and (r.get("status") == manifest.LINK or r.get("output"))
            and r.get("status") in ("ok", manifest.LINK)}
    links = [r for r in records if r.get("status") == manifest.LINK]
    if links and listed == {}:
        rep.notes.append(f"{len(links)} link record(s) are in no hash list (archived before they were listed in "
                         f"{manifest.SUMS}): rerun `archive` with the same inputs to list them")
        listed = None
    for r in links:
        rep.links += 1
        rel, target = str(r.get("source") or ""), str(r.get("target") or "")
        if (why := manifest.link_escape(rel, target)) is not None:
            rep.unreadable.append(f"{rel} -> {target}: link record that restore refuses ({why})")
        elif manifest.link_target(rel, target) not in held:
            rep.missing.append(f"{rel} -> {target}: link to a frame this archive does not hold")
        if listed is None:
            continue
        if rel not in listed:
            rep.unlisted.append(f"link {rel} -> {target} (in the manifest, not in {manifest.SUMS})")
        elif listed[rel] != manifest.link_digest(r):
            rep.altered.append(f"link {rel} -> {target}: its record in {manifest.MANIFEST} differs from the one "
                               f"{manifest.SUMS} lists (its name, target text or time was changed)")
    gone = set(listed or ()) - {str(r.get("source")) for r in links}
    rep.missing += [f"link {name}: its record in {manifest.MANIFEST} (a line there may be damaged)"
                    for name in sorted(gone)]


#: Fields a seal and its manifest record both carry, which must agree: the seal field and how to read the record's
#: value. A sidecar seal is in no hash list and the manifest in none either, so a change to one (by hand or by bit
#: rot) shows only as a disagreement with the other (QA session 18: a sidecar's target or metrics and the
#: manifest's metrics could be rewritten and still verified OK).
SEAL_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "source_sha256": lambda r: r.get("source_sha256"),
    "profile": lambda r: r.get("profile"),
    "codec": lambda r: r.get("codec"),
    "codec_version": lambda r: r.get("codec_version"),
    "target": lambda r: ",".join(r["target"]) if isinstance(r.get("target"), list) else r.get("target"),
    "params": lambda r: r.get("params"),
    "metrics": lambda r: r.get("metrics"),
    "source": lambda r: None if r.get("source") == "-" else r.get("source"),  # stdin: the seal names stdin.<ext>
    "encoding": lambda r: (r.get("film") or {}).get("encoding") if isinstance(r.get("film"), dict) else None,
}
_SEAL_WHAT = {"source_sha256": "source hash", "metrics": "set of metrics", "params": "set of parameters"}


def _check_seal(rep: VerifyReport, path: Path, name: str, rec: dict[str, Any], data: bytes) -> None:
    """The output's seal, embedded (JXL/JP2) or in the sidecar ``<output>.xmp`` (AVIF/HEIF: the record's ``seal``
    is "sidecar"), must agree with the record on every field both carry (:data:`SEAL_FIELDS`); a sidecar the record
    names must exist. Sidecars are not in ``SHA256SUMS``, so this is what protects them (and the manifest)."""
    seal = read_seal(data)
    where = "embedded seal"
    if rec.get("seal") == "sidecar":
        side = path.with_name(path.name + ".xmp")
        where = f"sidecar seal {side.name}"
        try:
            seal = parse_packet(side.read_bytes())
        except FileNotFoundError:
            rep.missing.append(f"{name}.xmp (its seal)")
            return
        except (OSError, ValueError, SyntaxError) as exc:  # ElementTree's ParseError is a SyntaxError
            rep.unreadable.append(f"{name}.xmp: its seal does not parse ({exc})")
            return
    if seal is None:
        return
    for key, of_record in SEAL_FIELDS.items():
        want = of_record(rec)
        if want not in (None, "", {}) and seal.get(key) not in (None, "") and seal[key] != want:
            rep.metric_mismatch.append(f"{name}: {where} names another {_SEAL_WHAT.get(key, key)} ({seal[key]!r}, "
                                       f"the manifest {want!r})")


def _sections(head: dict[str, Any]) -> dict[str, int]:
    return {str(s.get("name")): int(s.get("length", 0)) for s in head.get("sections", []) if isinstance(s, dict)}


#: Fields a ``.qpl`` header (or the file itself) and its manifest record both carry, which must agree: what to call
#: the field, the record's key, and how to read it from the header and the file's bytes. ``manifest.jsonl`` is in no
#: hash list, so an edit of it shows only as a disagreement with the header (QA session 18: a record's codec
#: rewritten to "jpgls" still verified OK).
ARCHIVE_FIELDS: tuple[tuple[str, str, Callable[[dict[str, Any], bytes], Any]], ...] = (
    ("source hash", "source_sha256", lambda h, d: h["source"].get("sha256")),
    ("source size", "source_bytes", lambda h, d: h["source"].get("size")),
    ("model", "model", lambda h, d: h["model"].get("kind")),
    ("model note", "model_note", lambda h, d: h["model"].get("reason")),
    ("damage", "damaged", lambda h, d: h["model"].get("damaged")),
    ("codec", "codec", lambda h, d: (h.get("pixels") or {}).get("codec")),
    ("set of codec sizes", "sizes", lambda h, d: (h.get("pixels") or {}).get("sizes", {})),
    ("pixel section size", "pixel_bytes", lambda h, d: _sections(h).get("pixels", 0)),
    ("rest section size", "rest_bytes", lambda h, d: _sections(h).get("rest", 0)),
    ("residual section size", "residual_bytes", lambda h, d: _sections(h).get("residual", 0)),
    ("archive size", "archive_bytes", lambda h, d: len(d)),
    ("output size", "output_bytes", lambda h, d: len(d)),
)


def _check_archive_header(rep: VerifyReport, name: str, rec: dict[str, Any], data: bytes) -> None:
    """A restorable ``.qpl`` must agree with its manifest record on every field of :data:`ARCHIVE_FIELDS` the
    record has (older manifests lack some) and on the source's file name."""
    if not rec:
        return
    head = container.read_header(data)  # restore_bytes read it already: it parses
    found = [(what, rec[key], of_header(head, data)) for what, key, of_header in ARCHIVE_FIELDS if key in rec]
    if rec.get("source"):
        found.append(("source file name", Path(str(rec["source"])).name, head["source"].get("name")))
    for what, want, got in found:
        if got != want:
            rep.metric_mismatch.append(f"{name}: its header names another {what} ({got!r}, the manifest {want!r})")


def _read_listed(rep: VerifyReport, p: Path, name: str, sha: str) -> bytes | None:
    """The bytes of a listed output, or None after recording it as missing or altered."""
    rep.checked += 1
    if not p.is_file():
        rep.missing.append(name)
        return None
    data = p.read_bytes()
    if sha256_bytes(data) != sha:
        rep.altered.append(name)
        return None
    return data


def _decode_checked(rep: VerifyReport, p: Path, name: str, rec: dict[str, Any]) -> Any:
    """A lossy output decoded with its record's codec, or None after recording it as unreadable (no decode, or
    not the recorded size)."""
    try:
        decoded = _decode_lossy(p, rec)
    except Exception as exc:  # any decoder failure is a finding, not a crash
        rep.unreadable.append(f"{name}: does not decode ({exc})")
        return None
    size = rec.get("size") or rec.get("source_size")
    if isinstance(size, list | tuple) and len(size) == 2 and [decoded.width, decoded.height] != list(size):
        rep.unreadable.append(f"{name}: decodes to {decoded.width}x{decoded.height}, recorded {size}")
        return None
    return decoded


def _verify_report(base: Path, rep: VerifyReport, *, sample: float, remeasure: bool) -> VerifyReport:
    """Verify a folder that has only the compress run's report (no ``SHA256SUMS``/manifest, as with ``--for web``
    or ``--no-film``): each reported output must exist with its recorded hash, decode at its recorded size, and
    (for a sample whose source is unchanged) measure as recorded."""
    latest: dict[str, dict[str, Any]] = {}
    for r in read_jsonl(base / REPORT_NAME):
        if r.get("output") and r.get("output_sha256") and not r.get("error"):
            out = Path(str(r["output"]))
            name = (out.relative_to(base.resolve()) if out.is_absolute() and out.is_relative_to(base.resolve())
                    else Path(out.name)).as_posix()
            latest[name] = r  # a later line for the same output (a rerun) supersedes an earlier one
    rep.notes.append(f"no {manifest.SUMS}: verified against {REPORT_NAME}")
    pick = _sample(len(latest), sample)
    for idx, (name, r) in enumerate(sorted(latest.items())):
        p = base / name
        data = _read_listed(rep, p, name, r["output_sha256"])
        if data is None:
            continue
        rec = {"codec": r.get("codec"), "source_path": r.get("input"), "source_sha256": r.get("input_sha256"),
               "size": [r.get("width"), r.get("height")],
               "metrics": {m: v["value"] for m, v in (r.get("metrics") or {}).items()
                           if isinstance(v, dict) and isinstance(v.get("value"), int | float)}}
        _check_seal(rep, p, name, rec, data)
        decoded = _decode_checked(rep, p, name, rec)
        if decoded is None:
            continue
        if remeasure and idx in pick:
            _remeasure(rep, name, rec, decoded, data, bit_depth=r.get("bit_depth"))
    return rep


def _remeasure(rep: VerifyReport, name: str, rec: dict[str, Any], decoded: Any, data: bytes, *,
               bit_depth: Any = None) -> None:
    """Measure a lossy output against its source again (read once; the output decoded once, by the caller) and
    record a mismatch with the stored figures. ``bit_depth``: the depth the run measured at, when recorded (a
    ``--bit-depth`` run measured another depth than the source's: not re-measured)."""
    src = rec.get("source_path")
    stored = rec.get("metrics") or {}
    if not src or not Path(src).is_file():
        rep.notes.append(f"{name}: source {src!r} not available; metrics not re-measured")
        return
    if rec.get("source_sha256") and sha256_file(src) != rec["source_sha256"]:
        rep.notes.append(f"{name}: source file changed since compression; metrics not re-measured")
        return
    names = [m for m in ("ssim", "psnr") if isinstance(stored.get(m), int | float)]
    if not names:
        rep.notes.append(f"{name}: no stored SSIM/PSNR to compare")
        return
    ref = read_image(src)
    if bit_depth is not None and ref.bit_depth != bit_depth:
        rep.notes.append(f"{name}: measured at {bit_depth} bits (--bit-depth); not re-measured")
        return
    if rec.get("codec") and not ref.is_float:
        # as the search measured it: a codec that stores a shallow image scaled into a deeper container
        # (10-bit in 12-bit JPEG or 16-bit HTJ2K) is scaled back to the source's depth first (the output
        # decoded above, not a second time)
        decoded = codecs.decode_like(codecs.get(str(rec["codec"])), data, ref, decoded=decoded)
    got = metrics.measure(ref, decoded, names)
    rep.remeasured += 1
    for m in names:
        if abs(got[m].value - float(stored[m])) > TOLERANCE.get(m, 1e-3):
            rep.metric_mismatch.append(f"{name}: {m} stored {stored[m]:.6f}, measured {got[m].value:.6f}")
