"""An empty frame is archived byte for byte (nothing) and named as empty, not as 'not a DPX file (starts with
b'')' (QA)."""

from __future__ import annotations

from qualipress.film.lossless import model_file


def test_empty_frame_is_called_empty() -> None:
    model = model_file(b"", name="shot.0004.dpx")
    assert model.info.get("damaged") == "empty file (0 bytes)"
    assert model_file(b"\xff\xd8\xff\xe0 not a dpx", name="shot.0005.dpx").info["damaged"].startswith(
        "content is not a DPX file")
