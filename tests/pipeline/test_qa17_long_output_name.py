"""QA session 17: an output name that grows past the file system's name limit (255 bytes)."""

import os

from qualipress.io import as_image, write_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def test_output_name_over_the_limit_is_a_clear_error_and_others_proceed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    limit = os.pathconf(src, "PC_NAME_MAX")
    n = (limit - 4) // 3
    long_name = "x" * (limit - 4 - 3 * n) + "フ" * n + ".png"  # the source fits; its ".webp" output does not
    assert len(os.fsencode(long_name)) <= limit < len(os.fsencode(long_name[:-4] + ".webp"))
    write_image(src / long_name, as_image(photo_like(64, 80, seed=1)))
    write_image(src / "short.png", as_image(photo_like(64, 80, seed=2)))
    s = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.9"), codec="webp"))
    (bad,) = s.failures
    # before: "unexpected OSError: [Errno 36] File name too long: ..."
    assert "unexpected" not in bad["error"] and f"over this file system's {limit}-byte limit" in bad["error"]
    assert [r["output"].rsplit("/", 1)[-1] for r in s.records if not r["error"]] == ["short.webp"]
