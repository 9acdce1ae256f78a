"""fix19: the check after reading a source re-hashes it only when its attributes moved since it was hashed."""

import os

import pytest

from qualipress.errors import InputError
from qualipress.io import as_image, files, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def _count_hashes(monkeypatch):
    calls = []
    real = files.sha256_file
    monkeypatch.setattr(files, "sha256_file", lambda p, **kw: calls.append(p) or real(p, **kw))
    return calls


def test_a_settled_unchanged_source_is_not_hashed_twice(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_SETTLED_S", 0)  # the test's files are new: let their attributes vouch at once
    src = tmp_path / "in"
    for i in range(2):
        write_image(src / f"f{i}.png", as_image(photo_like(48, 64, seed=i)))
    calls = _count_hashes(monkeypatch)  # require_unchanged's own hashes (the batch's first hash is not counted)
    summary = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg"))
    assert not summary.failures and len(summary.records) == 2
    assert calls == []  # before: each source read a second time in full after its compress


def test_rewritten_in_place_keeping_size_and_mtime_is_still_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_SETTLED_S", 0)
    f = tmp_path / "frame.dpx"
    f.write_bytes(b"a" * 4096)
    st = os.stat(f)
    state = files.file_state(f)
    sha = files.sha256_file(f)
    with f.open("r+b") as fh:  # same size, the mtime put back: only the inode change time tells
        fh.write(b"b")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(InputError, match="changed while"):
        files.require_unchanged(f, sha, state)


def test_a_file_changed_just_now_is_always_re_hashed(tmp_path, monkeypatch):
    f = tmp_path / "frame.dpx"
    f.write_bytes(b"a" * 4096)
    assert files.file_state(f) is None  # a write in the same timestamp tick would keep every attribute
    calls = _count_hashes(monkeypatch)
    files.require_unchanged(f, files.sha256_bytes(b"a" * 4096), files.file_state(f))
    assert len(calls) == 1


def test_source_replaced_after_hashing_is_caught_by_its_attributes(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_SETTLED_S", 0)
    src = tmp_path / "in"
    for i in range(2):
        write_image(src / f"f{i}.png", as_image(photo_like(48, 64, seed=i)))
    real = batch.read_image

    def replaced(path, **kw):
        if path.name == "f1.png":
            write_image(path, as_image(photo_like(48, 64, seed=9)))
        return real(path, **kw)

    monkeypatch.setattr(batch, "read_image", replaced)
    summary = compress_paths([src], tmp_path / "out", CompressOptions(target=parse_target("ssim>=0.9"), codec="jpeg"))
    (bad,) = summary.failures
    assert bad["input"].endswith("f1.png") and "changed while it was being processed" in bad["error"]
