"""Base configuration selection: which codecs to try and where each search starts.

Rules (each decision is returned as a note and recorded in the frame's report):

1. **Candidates.** A codec named by the user is used alone. ``auto`` starts from :data:`FILM_CODECS` and drops
   codecs that are not installed or cannot carry the frame's stored bit depth (AVIF and HEIF stop at 12 bits:
   16-bit TIFF and PQ-coded float frames go to JPEG XL / JPEG 2000 only).
2. **Sequence warm start.** When the previous frame of the same sequence was compressed with a lossy codec and
   this frame looks alike (same size; texture and smooth-gradient fractions within :data:`SIMILAR`; grain σ within
   :data:`ALIKE_GRAIN_RATIO` of each other unless both are below :data:`~qualipress.film.analysis.GRAIN_MIN`),
   only that codec is searched, starting from its setting: neighbouring frames need nearly the same setting, so
   the search usually ends after two probes. Every :data:`REOPEN_EVERY`-th frame of a sequence, or after a frame that
   differs, all candidates are searched again.
3. **Cold start.** Otherwise each codec starts at its grid default moved by the analysis: textured or grainy
   frames start a quarter of the grid higher in quality (they need more bits; grain counts from :data:`GRAINY`,
   lower for AVIF, :data:`GRAINY_FOR`), frames that are mostly smooth
   gradients start higher too (banding), flat clean frames start lower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qualipress import codecs
from qualipress.errors import QualipressError
from qualipress.film.analysis import GRAIN_MIN

#: Lossy codecs considered for film frames with ``--codec auto``, in order of preference.
FILM_CODECS = ("jpegxl", "jpeg2000", "avif", "heif")
#: Maximum change of texture / smooth-gradient fraction for two frames to count as alike.
SIMILAR = 0.15
#: Largest ratio of two frames' grain σ (``noise_sigma``) for them to count as alike, when either has grain above
#: :data:`~qualipress.film.analysis.GRAIN_MIN` (the grain checks' floor, ≈ 1.5 10-bit codes; not
#: :func:`~qualipress.film.analysis.grain_floor`, as the frames compared may differ in depth): a cut between a
#: grain-free card and grainy frames is not alike (qa13film: the grainy frames kept the card's AVIF, 107 kB a frame
#: where a cold search chose JPEG XL at 76 kB). Grain of one shot varies a few per cent from frame to frame.
ALIKE_GRAIN_RATIO = 1.5
#: Re-search every codec at least this often within a sequence.
REOPEN_EVERY = 24
#: Grain RMS (code values in [0, 1]) from which a frame's cold start moves up like a textured frame's (rule 3).
GRAINY = 0.01
#: Lower grain thresholds for codecs that smooth film grain away far above their default quality: on grainy 2K
#: frames (grain 3–6 10-bit code values) AVIF passed the grain check only at quality 88–90, and its cold start at 70
#: cost 4–7 encodes; from 94 it found the same settings in 4 (docs/film.md § auto against one codec). JPEG XL kept
#: its threshold: moved up the same way it needed 17 encodes instead of 8 on the same two frames.
GRAINY_FOR = {"avif": 0.0025}


@dataclass
class BaseConfig:
    codecs: list[str]
    start: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: True when the previous frame of the sequence is not alike this one (a cut) or was lossless: the frame
    #: keeps its cold starts, no hint from the previous frame (QA 14)
    differs: bool = False


def _available() -> set[str]:
    return set(codecs.available_names())


def _grid(codec: str) -> tuple[tuple[float, ...], float] | None:
    try:
        q = codecs.get(codec).info.quality
    except QualipressError:  # unknown or uninstalled codec: no grid to start from
        return None
    if q is None:
        return None
    return tuple(q.grid), float(q.default)


def _alike(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not a or not b or a.get("size") != b.get("size"):
        return False
    for key in ("texture", "smooth_gradient"):
        if abs(float(a.get(key, {}).get("fraction", 0)) - float(b.get(key, {}).get("fraction", 0))) > SIMILAR:
            return False
    ga, gb = sorted(max(float(x.get("noise_sigma") or 0.0), GRAIN_MIN) for x in (a, b))
    return gb <= ALIKE_GRAIN_RATIO * ga


def cold_start(codec: str, analysis: dict[str, Any]) -> tuple[float | None, str]:
    """Starting setting for a codec from the frame analysis (rule 3)."""
    g = _grid(codec)
    if g is None:
        return None, f"{codec}: no quality grid, search starts at its own default"
    grid, default = g
    i = min(range(len(grid)), key=lambda k: abs(grid[k] - default))
    tex = float(analysis.get("texture", {}).get("fraction", 0.0))
    smooth = float(analysis.get("smooth_gradient", {}).get("fraction", 0.0))
    grain = float(analysis.get("noise_sigma", 0.0))
    shift = 0
    why = []
    if tex > 0.3 or grain > GRAINY_FOR.get(codec, GRAINY):
        shift += len(grid) // 4
        why.append(f"texture {tex:.0%} / grain σ {grain:.4f}")
    if smooth > 0.3:
        shift += len(grid) // 8
        why.append(f"smooth gradients {smooth:.0%}")
    if not why and tex < 0.05 and grain < 0.002:
        shift -= len(grid) // 8
        why.append("flat, clean frame")
    j = max(0, min(len(grid) - 1, i + shift))
    return float(grid[j]), f"{codec}: cold start at {grid[j]:g} ({', '.join(why) or 'typical frame'})"


def select(analysis: dict[str, Any], *, codec: str = "auto", stored_bits: int = 16,
           previous: dict[str, Any] | None = None, position: int = 0) -> BaseConfig:
    """Candidate codecs and starting settings for one frame.

    Parameters
    ----------
    analysis : dict
        :func:`qualipress.film.analysis.analyse` of this frame.
    codec : str
        User's choice: one codec, a comma-separated list (searched as ``"auto"`` is, among these only), or
        ``"auto"``.
    stored_bits : int
        Bit depth the codec must store (16 for float frames, which are PQ-coded to 16 bits).
    previous : dict, optional
        Report record of the previous frame of the sequence (``codec``, ``setting``, ``lossless``,
        ``analysis``).
    position : int
        Index of the frame within its sequence (0 = first).
    """
    notes: list[str] = []
    if codec != "auto":
        cands = [c.strip() for c in codec.split(",") if c.strip()]
        notes.append(f"codec{'s' if len(cands) > 1 else ''} {', '.join(cands)} set by the user")
    else:
        avail = _available()
        cands = [c for c in FILM_CODECS if c in avail and codecs.get(c).info.max_bits >= stored_bits]
        dropped = [c for c in FILM_CODECS if c not in cands]
        notes.append(f"auto: candidates {', '.join(cands)}" +
                     (f" (not {', '.join(dropped)}: unavailable or < {stored_bits}-bit)" if dropped else ""))
    start: dict[str, float] = {}
    prev_codec = (previous or {}).get("codec")
    prev_setting = (previous or {}).get("setting")
    differs = previous is not None and (bool(previous.get("lossless"))
                                        or not _alike(analysis, previous.get("analysis") or {}))
    warm = (previous is not None and prev_codec in cands and prev_setting is not None
            and not differs and position % REOPEN_EVERY != 0)
    if warm:
        assert prev_codec is not None
        cands = [prev_codec]
        start[prev_codec] = float(prev_setting)
        notes.append(f"warm start: previous frame alike, search {prev_codec} only from {prev_setting:g}")
    else:
        if previous is not None:
            why = (f"re-opening all candidates every {REOPEN_EVERY} frames" if position % REOPEN_EVERY == 0
                   else "previous frame differs or was lossless")
            notes.append(f"no warm start: {why}")
        for c in cands:
            s, note = cold_start(c, analysis)
            if s is not None:
                start[c] = s
            notes.append(note)
    return BaseConfig(cands, start, notes, differs=differs)
