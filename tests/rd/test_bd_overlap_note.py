"""The BD note for curves that overlap little is in the tool's words (QA: it told ``bench rd`` users to set
``min_overlap=0``, a keyword of a library they do not call)."""

from __future__ import annotations

from qualipress.rd.bd import bd_pair


def test_small_overlap_note_names_the_cli_remedy() -> None:
    rate = [0.25, 0.5, 1.0, 2.0, 4.0]
    anchor = [28.0, 31.0, 34.0, 37.0, 40.0]
    test = [36.0, 38.0, 40.0, 42.0, 44.0]  # overlaps the anchor on 36-40 dB only
    r = bd_pair(rate, anchor, rate, test, method="pchip")
    assert "min_overlap" not in r["note"] and "--qualities" in r["note"], r["note"]
    assert "% of their quality range" in r["note"] or "% of their bit-rate range" in r["note"]


def test_small_overlap_note_does_not_claim_extrapolation() -> None:
    """bjontegaard integrates over the shared range only; the note said 'the figure extrapolates'."""
    r = bd_pair([0.25, 0.5, 1.0, 2.0, 4.0], [28.0, 31.0, 34.0, 37.0, 40.0], [0.25, 0.5, 1.0, 2.0, 4.0],
                [36.0, 38.0, 40.0, 42.0, 44.0])
    assert "extrapolat" not in r["note"] and "shared" in r["note"], r["note"]


def test_overlap_on_both_axes_is_one_sentence() -> None:
    """Curves short on both the quality and the bit-rate range get one note naming both, with the remedy once; it
    said 'widen --qualities so they overlap more' twice in one table cell (UX 17)."""
    anchor_rate, anchor = [0.25, 0.5, 1.0, 2.0, 4.0], [28.0, 31.0, 34.0, 37.0, 40.0]
    test_rate, test = [0.1, 0.15, 0.25, 0.4, 0.6], [26.0, 28.0, 30.0, 31.5, 33.0]
    r = bd_pair(anchor_rate, anchor, test_rate, test, method="pchip")
    assert "% of their quality range" in r["note"] and "% of their bit-rate range" in r["note"], r["note"]
    assert r["note"].count("--qualities") == 1, r["note"]
