"""Frame numbering, sequence grouping and gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import InputError
from qualipress.film import sequence


def test_parse_name_variants() -> None:
    f = sequence.parse_name(Path("/a/reel1.0001234.dpx"))
    assert f.number == 1234 and f.padding == 7 and f.sequence == "/a/reel1.#.dpx"
    assert sequence.parse_name(Path("/a/shot_0012.TIF")).number == 12
    assert sequence.parse_name(Path("/a/still.dpx")).number is None


def test_gaps_duplicates_and_frame_order(tmp_path: Path) -> None:
    names = ["r.0001.dpx", "r.0002.dpx", "r.0005.dpx", "r.0009.dpx", "r.001.dpx", "other_01.tif"]
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    paths = sequence.find_frames([tmp_path])
    seqs = {s.key.rsplit("/", 1)[1]: s for s in sequence.group(paths)}
    r = seqs["r.#.dpx"]
    assert r.gaps() == [(3, 4), (6, 8)] and r.missing_count() == 5
    assert r.duplicates() == [1]
    assert [f.path.name for f in r.frames] == ["r.0001.dpx", "r.001.dpx", "r.0002.dpx", "r.0005.dpx", "r.0009.dpx"]
    assert [f.path.name for s in seqs.values() if s is not r for f in s.frames] == ["other_01.tif"]


def test_missing_input_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        sequence.find_frames([tmp_path / "nope"])
    with pytest.raises(InputError, match="no frame files"):
        sequence.find_frames([tmp_path])


def test_mixed_number_padding_is_named(tmp_path: Path) -> None:
    # qa13film: g_0001, g_0002, g_0004 (4 digits), g_00005 (5), g_7 (1) were one sequence with only "missing 3, 6";
    # a %04d pattern (ffmpeg, Nuke, RAWcooked) finds three of the five frames
    names = ["g_0001.dpx", "g_0002.dpx", "g_0004.dpx", "g_00005.dpx", "g_7.dpx",
             "r.0998.dpx", "r.0999.dpx", "r.1000.dpx", "r.12345.dpx",  # numbers outgrowing the padding: fine
             "u_1.dpx", "u_2.dpx", "u_10.dpx"]  # unpadded: fine
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    seqs = {s.key.rsplit("/", 1)[1]: s for s in sequence.group(sequence.find_frames([tmp_path]))}
    g = seqs["g_#.dpx"]
    assert g.padding() == 4
    assert [f.path.name for f in g.misnumbered()] == ["g_00005.dpx", "g_7.dpx"]
    assert g.summary()["padding"] == 4 and g.summary()["misnumbered"] == ["g_00005.dpx", "g_7.dpx"]
    for key in ("r.#.dpx", "u_#.dpx"):
        assert seqs[key].misnumbered() == [], key
    assert seqs["u_#.dpx"].padding() == 0 and seqs["r.#.dpx"].padding() == 4


def test_catalogue_names_mixed_padding(tmp_path: Path) -> None:
    from qualipress.film import catalogue
    from qualipress.io import dpx

    from .synth import photo_like

    frame = dpx.encode_dpx(photo_like(h=32, w=48))
    for n in ("g_0001.dpx", "g_0002.dpx", "g_00003.dpx"):
        (tmp_path / n).write_bytes(frame)
    (seq,) = catalogue.catalogue([tmp_path], text=False)["sequences"]
    assert any("padded to 4 digits" in p and "g_00003.dpx" in p for p in seq["problems"]), seq["problems"]


def test_one_odd_padded_name_among_four_digit_frame_numbers(tmp_path: Path) -> None:
    # qa15film: shot.1001 … shot.1005 (film numbering from 1001: four digits, no leading zero) and one
    # shot.01002.dpx: analyse said the four were "not padded to 5 digits like the others"; the odd one out is 01002
    for n in ("shot.1001.dpx", "shot.1002.dpx", "shot.1004.dpx", "shot.1005.dpx", "shot.01002.dpx"):
        (tmp_path / n).write_bytes(b"x")
    (s,) = sequence.group(sequence.find_frames([tmp_path]))
    assert s.padding() == 4
    assert [f.path.name for f in s.misnumbered()] == ["shot.01002.dpx"]
    assert s.duplicates() == [1002]


def test_negative_frame_numbers_are_one_shot_in_frame_order(tmp_path: Path) -> None:
    # qa18film: pre-roll frames shot.-002 ... shot.-001 before shot.0000 were a second sequence "shot.-#" with
    # frames 1 and 2 (so -1 came before -2), in analyse and in the workers' frame order
    from qualipress.pipeline.schedule import sequence_key

    names = ["shot.-002.dpx", "shot.-001.dpx", "shot.0000.dpx", "shot.0001.dpx", "take-0003.dpx"]
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    seqs = sequence.group(tmp_path / n for n in names)
    by_key = {Path(s.key).name: s for s in seqs}
    assert set(by_key) == {"shot.#.dpx", "take-#.dpx"}, by_key
    shot = by_key["shot.#.dpx"]
    assert shot.numbers == [-2, -1, 0, 1] and not shot.gaps()
    assert [sequence_key(tmp_path / n)[1] for n in names] == [-2, -1, 0, 1, 3]
    assert len({sequence_key(tmp_path / n)[0] for n in names[:4]}) == 1


def test_the_pattern_analyse_prints_names_the_sequence_as_an_input(tmp_path: Path) -> None:
    """``analyse`` printed ``reel.#.dpx`` for ``reel.0086400.dpx`` …; given back to ``compress``/``archive`` that
    pattern names unpadded numbers only ("frame pattern matches no file"). It now prints one ``#`` per digit
    (qa20readme)."""
    from qualipress.io import image_paths

    names = {"padded": ["reel.0086400.dpx", "reel.0086401.dpx", "reel.0100000.dpx"], "bare": ["b_7.tif", "b_12.tif"]}
    for group_names in names.values():
        for n in group_names:
            (tmp_path / n).write_bytes(b"x")
    (tmp_path / "still.dpx").write_bytes(b"x")
    seqs = {s.frames[0].path.name: s for s in sequence.group(sequence.find_frames([tmp_path]))}
    assert seqs["reel.0086400.dpx"].pattern() == f"{tmp_path}/reel.#######.dpx"
    assert seqs["b_7.tif"].pattern() == f"{tmp_path}/b_#.tif"
    assert seqs["still.dpx"].pattern() == f"{tmp_path}/still.dpx"
    for first, group_names in (("reel.0086400.dpx", names["padded"]), ("b_7.tif", names["bare"])):
        summary = seqs[first].summary()
        assert summary["pattern"] == seqs[first].pattern()
        assert sorted(p.name for p in image_paths([summary["pattern"]])) == sorted(group_names)
