import os

import pytest

from qualipress.errors import InputError
from qualipress.io import dataset_images, find_images, image_paths
from qualipress.io.files import json_strict


def _touch(*paths):
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_directories_globs_and_files(tmp_path):
    _touch(tmp_path / "a.png", tmp_path / "b.JPG", tmp_path / "notes.txt", tmp_path / ".hidden.png",
           tmp_path / "sub" / "c.tif", tmp_path / ".cache" / "d.png")
    assert [f.rel.as_posix() for f in find_images([tmp_path])] == ["a.png", "b.JPG", "sub/c.tif"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/*.tif"])] == ["sub/c.tif"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/*.png"])] == ["a.png"]
    only = find_images([tmp_path / "notes.txt"])  # a file named directly is taken whatever its suffix
    assert only[0].rel.as_posix() == "notes.txt" and only[0].path.is_absolute()
    assert len(find_images([tmp_path, tmp_path / "a.png"])) == 3  # each file once


def test_missing_inputs_are_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        find_images([tmp_path / "nope"])
    with pytest.raises(InputError, match="matches no file"):
        find_images([f"{tmp_path}/*.png"])


def test_image_paths_and_datasets(tmp_path):
    _touch(tmp_path / "d" / "b.png", tmp_path / "d" / "a.exr", tmp_path / "d" / "n.txt", tmp_path / "e" / "x.txt")
    assert [p.name for p in image_paths([tmp_path / "d"])] == ["a.exr", "b.png"]
    assert [p.name for p in image_paths([tmp_path / "d"], suffixes=(".png",))] == ["b.png"]
    assert [p.name for p in dataset_images(str(tmp_path / "d"), limit=1)] == ["a.exr"]
    with pytest.raises(InputError, match="does not exist"):
        dataset_images([tmp_path / "d", tmp_path / "nope"])
    with pytest.raises(InputError, match="empty dataset"):
        dataset_images([tmp_path / "e"])


def test_json_strict_takes_numbers_and_paths_only(tmp_path):
    import json

    import numpy as np

    rec = {"p": tmp_path, "n": np.int64(3), "a": np.arange(2), "s": "x"}
    assert json.loads(json.dumps(rec, default=json_strict)) == {"p": str(tmp_path), "n": 3, "a": [0, 1], "s": "x"}
    with pytest.raises(TypeError, match="not JSON serialisable"):
        json.dumps({"o": object()}, default=json_strict)


def test_symlink_loops_are_entered_once(tmp_path):
    _touch(tmp_path / "d" / "a.png")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    os.symlink(tmp_path, tmp_path / "d" / "up")
    for spec in ([tmp_path], [f"{tmp_path}/**/*.png"], [f"{tmp_path}/**"]):
        found = find_images(spec)
        assert len(found) == 1 and found[0].rel.as_posix() == "d/a.png"


def test_excluded_tree_is_skipped_unless_it_is_the_input(tmp_path):
    _touch(tmp_path / "a.png", tmp_path / "out" / "a.jpg")
    assert [f.rel.as_posix() for f in find_images([tmp_path], exclude=[tmp_path / "out"])] == ["a.png"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/*"], exclude=[tmp_path / "out"])] == ["a.png"]
    assert len(find_images([tmp_path / "out"], exclude=[tmp_path / "out"])) == 1


def test_a_folder_and_a_link_to_it_inside_the_input_give_the_real_paths(tmp_path):
    # qa15film: paths/links/dirlink -> ../scan and links/one.dpx -> ../scan/r.1.dpx, walked in name order: the
    # link came first, so the frames were found (and archived, and restored) under links/dirlink/ and the real
    # folder was never entered
    _touch(tmp_path / "scan" / "r.1.dpx", tmp_path / "scan" / "r.2.dpx")
    (tmp_path / "links").mkdir()
    os.symlink(tmp_path / "scan", tmp_path / "links" / "dirlink")
    os.symlink(tmp_path / "scan" / "r.1.dpx", tmp_path / "links" / "one.dpx")
    assert [f.rel.as_posix() for f in find_images([tmp_path])] == ["scan/r.1.dpx", "scan/r.2.dpx"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/*.dpx"])] == ["scan/r.1.dpx", "scan/r.2.dpx"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/links/*.dpx"])] == ["one.dpx"]  # named: taken
    # a link to a folder outside the input is still followed
    _touch(tmp_path / "elsewhere" / "x.dpx")
    os.symlink(tmp_path / "elsewhere", tmp_path / "scan" / "more")
    assert [f.rel.as_posix() for f in find_images([tmp_path / "scan"])] == ["more/x.dpx", "r.1.dpx", "r.2.dpx"]


def test_frame_patterns_name_the_frames_they_print(tmp_path):
    # qa15film: `compress shot.%04d.dpx` (ffmpeg / Nuke / RAWcooked style) said "no such file or directory"
    _touch(*(tmp_path / n for n in ("shot.0999.dpx", "shot.1000.dpx", "shot.12345.dpx", "shot.01002.dpx",
                                    "shot.99.dpx", "shot.1001.tif", "take.1001.dpx")))
    want = ["shot.0999.dpx", "shot.1000.dpx", "shot.12345.dpx"]
    assert [f.rel.as_posix() for f in find_images([tmp_path / "shot.%04d.dpx"])] == want
    assert [f.rel.as_posix() for f in find_images([tmp_path / "shot.####.dpx"])] == want
    assert [f.rel.as_posix() for f in find_images([tmp_path / "shot.%d.dpx"])] == ["shot.1000.dpx", "shot.12345.dpx",
                                                                                   "shot.99.dpx"]
    with pytest.raises(InputError, match="frame pattern matches no file"):
        find_images([tmp_path / "shot.%06d.dpx"])


def test_a_link_whose_target_the_walk_never_reaches_is_taken(tmp_path):
    # review rev2: a link to something inside the input was always left to its target, but a hidden folder is not
    # walked and a glob need not match the target's name, so those frames were silently lost
    _touch(tmp_path / ".cache" / "shot" / "f.1.dpx", tmp_path / "store" / "take_b.dpx", tmp_path / "seen" / "s.dpx")
    os.symlink(tmp_path / ".cache" / "shot", tmp_path / "shot")
    os.symlink(tmp_path / "store" / "take_b.dpx", tmp_path / "frame_b.dpx")
    os.symlink(tmp_path / "seen", tmp_path / "again")
    assert [f.rel.as_posix() for f in find_images([tmp_path])] == ["seen/s.dpx", "store/take_b.dpx", "shot/f.1.dpx"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/*.dpx"])] == [
        "seen/s.dpx", "store/take_b.dpx", "shot/f.1.dpx"]
    # the glob names the link, not its target: taken through the link
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/frame_*.dpx"])] == ["frame_b.dpx"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/sh*/*.dpx"])] == ["shot/f.1.dpx"]
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/**/f.*.dpx"])] == ["shot/f.1.dpx"]


def test_a_link_into_the_output_or_an_earlier_output_is_not_followed(tmp_path):
    # review rev4: links taken after the walk led into the run's own output folder (inside the input) and into an
    # earlier run's output folder (latest -> out/shot_a, current -> run1/shot_a), so a rerun compressed outputs again
    from qualipress.io.discover import LOCK_NAME, REPORT_NAME

    src = tmp_path / "in"
    _touch(src / "scan" / "f.1.dpx", src / "out" / "shot_a" / "f.1.dpx", src / "out" / "o.dpx",
           src / "run1" / "shot_a" / "f.1.dpx", tmp_path / "elsewhere" / "shot_b" / "f.2.dpx")
    (src / "out" / LOCK_NAME).write_bytes(b"")
    (src / "run1" / REPORT_NAME).write_bytes(b"")
    os.symlink(src / "out" / "shot_a", src / "latest")
    os.symlink(src / "out" / "o.dpx", src / "newest.dpx")
    os.symlink(src / "run1" / "shot_a", src / "current")
    os.symlink(src / "run1" / "shot_a" / "f.1.dpx", src / "first.dpx")
    os.symlink(tmp_path / "elsewhere", src / "more")  # outside the input: followed, unless excluded
    for spec in ([src], [f"{src}/**/*.dpx"], [f"{src}/**"]):
        earlier: list = []
        got = find_images(spec, exclude=[src / "out"], skipped_outputs=earlier)
        assert [f.rel.as_posix() for f in got] == ["more/shot_b/f.2.dpx", "scan/f.1.dpx"], spec
        assert earlier == [src / "run1"], spec
    got = find_images([src], exclude=[src / "out", tmp_path / "elsewhere" / "shot_b"])
    assert [f.rel.as_posix() for f in got] == ["scan/f.1.dpx"]  # reached through a link, still excluded
    # the output folder written next to its inputs (-o IN): the input's own folders are still walked
    assert [f.rel.as_posix() for f in find_images([src / "scan"], exclude=[src / "scan"])] == ["f.1.dpx"]


def test_a_link_into_an_output_folder_is_not_followed_under_any_pattern(tmp_path):
    # review rev5: a pattern without ** (IN/*/*.dpx, IN/*.dpx), a link to a folder outside the input inside an
    # earlier output folder (latest -> ../run1/shot_a) and a frame pattern followed links into output folders
    from qualipress.io.discover import REPORT_NAME

    src = tmp_path / "in"
    _touch(src / "scan" / "f.1.dpx", src / "run1" / "shot_a" / "f.1.dpx", tmp_path / "run0" / "shot_b" / "f.2.dpx",
           src / "out" / "shot.0002.dpx", src / "shot.0001.dpx")
    (src / "run1" / REPORT_NAME).write_bytes(b"")
    (tmp_path / "run0" / REPORT_NAME).write_bytes(b"")
    os.symlink(src / "run1" / "shot_a", src / "current")
    os.symlink(src / "run1" / "shot_a" / "f.1.dpx", src / "first.dpx")
    os.symlink(tmp_path / "run0" / "shot_b", src / "older")
    os.symlink(src / "out" / "shot.0002.dpx", src / "shot.0002.dpx")
    for spec, want in (([f"{src}/*/*.dpx"], ["scan/f.1.dpx"]), ([src], ["scan/f.1.dpx", "shot.0001.dpx"]),
                       ([f"{src}/*.dpx"], ["shot.0001.dpx"]), ([f"{src}/shot.%04d.dpx"], ["shot.0001.dpx"])):
        earlier: list = []
        got = find_images(spec, exclude=[src / "out"], skipped_outputs=earlier)
        assert [f.rel.as_posix() for f in got] == want, spec
    earlier = []
    find_images([src], exclude=[src / "out"], skipped_outputs=earlier)
    assert sorted(earlier) == sorted([src / "run1", tmp_path / "run0"])


def test_a_link_up_to_the_output_folder_holding_the_input_is_not_followed(tmp_path):
    # review rev5: -o IN with the input IN/scan: after bc67ee1 the link IN/scan/up -> IN led to this run's outputs
    src = tmp_path / "in"
    _touch(src / "scan" / "f.1.png", src / "f.1.jpg", src / "other" / "x.png")
    os.symlink(src, src / "scan" / "up")
    os.symlink(src / "other", src / "scan" / "ref")  # a folder beside the input is still followed
    got = find_images([src / "scan"], exclude=[src])
    assert [f.rel.as_posix() for f in got] == ["f.1.png", "ref/x.png"]


def test_a_pattern_rooted_in_an_earlier_output_folder_searches_it(tmp_path):
    # review rev5: run1/*.png and the folder run1 were searched (the user named them), run1/**/*.png said
    # "pattern matches no file"; folders below the root that are earlier outputs are still skipped
    from qualipress.io.discover import REPORT_NAME

    _touch(tmp_path / "run1" / "a.png", tmp_path / "run1" / "s" / "b.png", tmp_path / "run1" / "old" / "c.png")
    (tmp_path / "run1" / REPORT_NAME).write_bytes(b"")
    (tmp_path / "run1" / "old" / REPORT_NAME).write_bytes(b"")
    want = ["a.png", "s/b.png"]
    for spec in (tmp_path / "run1", f"{tmp_path}/run1/**/*.png", f"{tmp_path}/run1/**"):
        earlier: list = []
        assert [f.rel.as_posix() for f in find_images([spec], skipped_outputs=earlier)] == want, spec
        assert earlier == [tmp_path / "run1" / "old"], spec
    assert [f.rel.as_posix() for f in find_images([f"{tmp_path}/run1/*.png"])] == ["a.png"]
