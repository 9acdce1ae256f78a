"""One frame-number rule (``io.discover.frame_number``) for the batch scheduler and the film sequences (fix20film).

Before, ``pipeline.schedule`` and ``film.sequence`` each had their own expression. They agreed on DPX/EXR/TIFF names
but not on a numbered file of another extension: ``shot.1001.png`` was frame 1001 of ``shot.#.png`` to the
scheduler (which ran the frames in order on one worker, as a shot) and a sequence of one without a number to the film
manifest and report, which listed every frame of that shot as a shot of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.film.sequence import parse_name
from qualipress.pipeline.schedule import sequence_key

#: name -> (pattern, number, padding)
CASES = {
    "shot.1001.dpx": ("shot.#.dpx", 1001, 4),
    "shot_1001.dpx": ("shot_#.dpx", 1001, 4),
    "shot1001.dpx": ("shot#.dpx", 1001, 4),
    "shot.v2.1001.exr": ("shot.v2.#.exr", 1001, 4),  # the version is part of the name, not the number
    "shot.999.dpx": ("shot.#.dpx", 999, 3),  # a padding change keeps the sequence ...
    "shot.1000.dpx": ("shot.#.dpx", 1000, 4),
    "shot.0999.DPX": ("shot.#.dpx", 999, 4),
    "shot.-001.exr": ("shot.#.exr", -1, 4),  # pre-roll, as Nuke writes it
    "shot_-012.exr": ("shot_#.exr", -12, 4),
    "shot-001.exr": ("shot-#.exr", 1, 3),  # '-' as the separator
    "shot.1001.png": ("shot.#.png", 1001, 4),  # where the two expressions disagreed
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler_and_film_read_the_same_number(name: str) -> None:
    pattern, number, padding = CASES[name]
    film = parse_name(Path("/d") / name)
    assert (film.sequence, film.number, film.padding) == (f"/d/{pattern}", number, padding)
    assert sequence_key(Path("/d") / name) == (f"/d/{pattern}", number)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_lives_in_io(name: str) -> None:
    from qualipress.io.discover import frame_number  # here: the two layers above read their numbers from it

    assert frame_number(name) == CASES[name]


def test_names_without_a_number() -> None:
    from qualipress.io.discover import frame_number

    for name in ("poster.png", "still.dpx", "shot.1001"):
        assert frame_number(name) is None
        assert parse_name(Path("/d") / name).number is None
        assert sequence_key(Path("/d") / name) == (f"/d/{name}", None)
