"""Find the (original, compressed) pairs to review in collections.

Two layouts are understood:

``qualipress compress`` output directory
    Contains ``qualipress-report.jsonl``: one JSON object per input with at least ``input``, ``output``,
    ``codec``, ``params``, ``target``, ``metrics`` and ``error`` (``profile`` when a profile was used).
    Paths are absolute or relative to the collection directory, or relative to the directory ``compress``
    ran in (``compress -o work/out`` records ``work/out/x.jpg``; that directory is inferred from the
    collection path, or taken to be the current one). Records with an ``error`` or without an
    ``output`` are skipped; when one output appears in several records (a resumed run) the last one wins.

Plain pair directory
    ``DIR/original/`` holds the originals; every other sub-directory of ``DIR`` is one *variant* (its
    name is reported as the codec, e.g. ``DIR/jpeg-q80/``), and a variant file is paired with the original
    of the same file stem (``original/a.png`` ↔ ``jpeg-q80/a.jpg``). Variant files must lie inside ``DIR``
    (symbolic links resolved); originals may be symbolic links to files elsewhere (no need to copy a scan).

Safety: compressed files must resolve (symbolic links followed) inside their collection directory; the
originals are the files the collection names — by the report, or by links in ``original/`` (the
collection owner's own record). Nothing here
takes a path from the network — the web app only ever refers to pairs by opaque ids.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualipress.errors import InputError
from qualipress.io import IMAGE_SUFFIXES
from qualipress.pipeline.batch import REPORT_NAME

#: Directory names accepted as the originals of a plain pair directory (first match wins).
ORIGINAL_DIRS = ("original", "originals", "reference")

#: Report fields copied into :attr:`Pair.facts`.
FACT_KEYS = ("bytes", "ratio", "bpp", "target_met")


@dataclass(frozen=True)
class Pair:
    """One original and one compressed version of it.

    Parameters
    ----------
    key : str
        Stable identifier (hash of the collection and the compressed file's real paths).
    collection : pathlib.Path
        Resolved collection directory.
    original : pathlib.Path
        Resolved path of the original.
    compressed : pathlib.Path
        Resolved path of the compressed file (inside ``collection``).
    codec : str
        Codec name (or variant directory name).
    profile : str or None
        Quality profile used, when any.
    params : dict
        Codec parameters from the report.
    target : Any
        Quality target from the report.
    metrics : dict
        Objective metrics from the report.
    facts : dict
        Other plain facts from the report shown to labelled (non-blind) evaluators: ``bytes``, ``ratio``,
        ``bpp``, ``target_met``.
    """

    key: str
    collection: Path
    original: Path
    compressed: Path
    codec: str
    profile: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    target: Any = None
    metrics: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Short display name: the compressed file relative to its collection."""
        return str(self.compressed.relative_to(self.collection))


@dataclass
class CollectionScan:
    """Pairs found in one or more collections, plus what was skipped and why."""

    pairs: list[Pair] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _pair_key(collection: Path, compressed: Path) -> str:
    digest = hashlib.sha256(f"{collection}\0{compressed}".encode()).hexdigest()
    return digest[:24]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _run_dir(output: Any, given: Path) -> Path | None:
    """Where ``compress`` probably ran, inferred from a relative output path and the collection path.

    ``compress -o work/out`` records ``work/out/x.jpg``; when the collection was given as ``/data/work/out``
    the run directory is ``/data``. None when the output's directories are not a suffix of the collection.
    """
    if not isinstance(output, str) or not output or Path(output).is_absolute():
        return None
    parent = Path(output).parent.parts
    if not parent or parent[0] in ("..", ".") or len(parent) >= len(given.parts):
        return None
    if given.parts[-len(parent) :] != parent:
        return None
    return Path(*given.parts[: -len(parent)])


def _resolve(value: Any, bases: list[Path]) -> Path | None:
    """An existing path named by a report: absolute, or relative to the first of ``bases`` where it exists."""
    if not isinstance(value, str) or not value or "\0" in value:
        return None
    p = Path(value)
    candidates = [p] if p.is_absolute() else [b / p for b in bases]
    for c in candidates:
        try:
            return c.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
    return None


def _bases(root: Path, given: Path, output: Any) -> list[Path]:
    """Directories relative report paths may be relative to: the collection, where ``compress`` ran (inferred
    from the output path), the current directory."""
    bases = [root]
    run_dir = _run_dir(output, given)
    if run_dir is not None:
        bases.append(run_dir)
    bases.append(Path.cwd())
    return bases


def _scan_report(root: Path, given: Path, report: Path, scan: CollectionScan) -> None:
    latest: dict[Path, tuple[int, dict[str, Any]]] = {}
    try:
        lines = report.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {report}: {exc}") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{report}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            scan.skipped.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict):
            scan.skipped.append(f"{where}: not a JSON object")
            continue
        if rec.get("error"):
            scan.skipped.append(f"{where}: input failed to compress ({rec.get('error')})")
            continue
        compressed = _resolve(rec.get("output"), _bases(root, given, rec.get("output")))
        if compressed is None:
            scan.skipped.append(f"{where}: output {rec.get('output')!r} is missing")
            continue
        if not _inside(compressed, root):
            scan.skipped.append(f"{where}: output {rec.get('output')!r} lies outside the collection; refused")
            continue
        latest[compressed] = (lineno, rec)
    for compressed, (lineno, rec) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        where = f"{report}:{lineno}"
        original = _resolve(rec.get("input"), _bases(root, given, rec.get("output")))
        if original is None or not original.is_file():
            scan.skipped.append(f"{where}: original {rec.get('input')!r} is missing")
            continue
        if not compressed.is_file():
            scan.skipped.append(f"{where}: output {rec.get('output')!r} is not a file")
            continue
        params = rec.get("params")
        metrics = rec.get("metrics")
        profile = rec.get("profile")
        scan.pairs.append(
            Pair(
                key=_pair_key(root, compressed),
                collection=root,
                original=original,
                compressed=compressed,
                codec=str(rec.get("codec") or "unknown"),
                profile=str(profile) if profile else None,
                params=params if isinstance(params, dict) else {},
                target=rec.get("target"),
                metrics=metrics if isinstance(metrics, dict) else {},
                facts={k: rec[k] for k in FACT_KEYS if isinstance(rec.get(k), int | float | bool)},
            )
        )


def _images_by_stem(directory: Path, root: Path, scan: CollectionScan, *, links_out: bool = False) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(directory.iterdir()):
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            real = p.resolve(strict=True)
        except (OSError, RuntimeError):
            scan.skipped.append(f"{p}: broken link")
            continue
        if not real.is_file() or not (links_out or _inside(real, root)):
            scan.skipped.append(f"{p}: not a regular file inside the collection; refused")
            continue
        if p.stem in found:
            scan.skipped.append(f"{p}: another file in {directory.name}/ has the stem {p.stem!r}; ignored")
            continue
        found[p.stem] = real
    return found


def _scan_pair_dir(root: Path, originals_dir: Path, scan: CollectionScan) -> None:
    originals = _images_by_stem(originals_dir, root, scan, links_out=True)
    for variant in sorted(root.iterdir()):
        if not variant.is_dir() or variant.name in ORIGINAL_DIRS or variant.name.startswith("."):
            continue
        for stem, compressed in _images_by_stem(variant, root, scan).items():
            original = originals.get(stem)
            if original is None:
                scan.skipped.append(f"{compressed}: no original named {stem}.* in {originals_dir.name}/")
                continue
            scan.pairs.append(
                Pair(
                    key=_pair_key(root, compressed),
                    collection=root,
                    original=original,
                    compressed=compressed,
                    codec=variant.name,
                )
            )


def scan_collection(path: str | Path, scan: CollectionScan | None = None) -> CollectionScan:
    """Find the pairs of one collection.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``qualipress compress`` output directory or a plain pair directory (see the module docstring).
    scan : CollectionScan, optional
        Accumulator to add to (a new one by default).

    Raises
    ------
    InputError
        ``path`` is not a directory, or is neither layout.
    """
    scan = scan if scan is not None else CollectionScan()
    try:
        root = Path(path).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise InputError(f"collection {path} does not exist") from exc
    if not root.is_dir():
        raise InputError(f"collection {path} is not a directory")
    report = root / REPORT_NAME
    if report.is_file():
        _scan_report(root, Path(os.path.abspath(path)), report, scan)
        return scan
    for name in ORIGINAL_DIRS:
        if (root / name).is_dir():
            _scan_pair_dir(root, root / name, scan)
            return scan
    raise InputError(
        f"{path} is not a collection: it has no {REPORT_NAME} (written by `qualipress compress`) and no "
        f"{'/, '.join(ORIGINAL_DIRS)}/ sub-directory"
    )


def scan_collections(paths: list[str] | list[Path]) -> CollectionScan:
    """Find the pairs of several collections (duplicates removed).

    Raises
    ------
    InputError
        A path is not a collection, or no pair was found at all.
    """
    if not paths:
        raise InputError("no collection given")
    scan = CollectionScan()
    for p in paths:
        scan_collection(p, scan)
    unique: dict[str, Pair] = {}
    for pair in scan.pairs:
        unique.setdefault(pair.key, pair)
    scan.pairs = list(unique.values())
    if not scan.pairs:
        detail = "; ".join(scan.skipped[:5])
        raise InputError(f"no reviewable pair in {', '.join(map(str, paths))}" + (f" ({detail})" if detail else ""))
    return scan
