"""QA session 17: a source replaced between two runs of the same settings (a rescanned frame)."""

from qualipress.io import as_image, sha256_file, write_image
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def test_rerun_says_which_source_changed_and_overwrite_redoes_only_it(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_image(src / f"f{i}.png", as_image(photo_like(64, 80, seed=i)))
    out = tmp_path / "out"
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    first = compress_paths([src], out, opts)
    assert not first.failures
    kept = sha256_file(out / "f0.jpg")
    write_image(src / "f1.png", as_image(photo_like(64, 80, seed=7)))  # replaced between the runs
    again = compress_paths([src], out, opts)
    (bad,) = again.failures
    # before: "exists and was not made by this run's settings (an earlier run with other settings ...)"
    assert "f1.png: changed since these settings made" in bad["error"] and "--overwrite" in bad["error"]
    assert bad["blocking_output"].endswith("f1.jpg") and sha256_file(out / "f0.jpg") == kept
    redo = compress_paths([src], out, CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg",
                                                      overwrite=True))
    assert [r["input"].rsplit("/", 1)[-1] for r in redo.records] == ["f1.png"] and not redo.failures
    assert len(redo.skipped) == 1
