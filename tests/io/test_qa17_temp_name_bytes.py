"""QA session 17: a temporary file's name is cut in bytes, not characters."""

import os

from qualipress.io import as_image, atomic_write_bytes, read_image, write_image
from tests.conftest import photo_like


def test_a_name_at_the_limit_in_a_multibyte_script_can_be_written(tmp_path):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    n = (limit - 4) // 3
    name = "x" * (limit - 4 - 3 * n) + "フ" * n + ".png"  # exactly the limit, 3 bytes a character
    assert len(os.fsencode(name)) == limit
    # before: "cannot write here (File name too long)": the temporary name kept 80 characters = 240 bytes
    atomic_write_bytes(tmp_path / name, b"data")
    assert (tmp_path / name).read_bytes() == b"data"
    write_image(tmp_path / name, as_image(photo_like(16, 16, seed=1)))
    assert read_image(tmp_path / name).width == 16
    assert sorted(os.listdir(tmp_path)) == [name]
