"""QA session 18: a source replaced while the run is compressing it (after it was hashed, before it was read)."""

from qualipress.io import as_image, sha256_file, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def test_source_replaced_after_hashing_is_an_error_not_a_record_with_the_old_hash(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        write_image(src / f"f{i}.png", as_image(photo_like(64, 80, seed=i)))
    real = batch.read_image

    def replaced_first(path, **kw):  # the file is rewritten between the run's hash and its read
        if path.name == "f1.png":
            write_image(path, as_image(photo_like(64, 80, seed=9)))
        return real(path, **kw)

    monkeypatch.setattr(batch, "read_image", replaced_first)
    out = tmp_path / "out"
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    summary = compress_paths([src], out, opts)
    (bad,) = summary.failures
    # before: f1.jpg made from the new content, recorded with the old content's SHA-256 (a false provenance)
    assert bad["input"].endswith("f1.png") and "changed while it was being processed" in bad["error"]
    assert not (out / "f1.jpg").exists() and (out / "f0.jpg").exists()
    monkeypatch.setattr(batch, "read_image", real)
    again = compress_paths([src], out, opts)  # the rerun compresses the file as it is now
    assert not again.failures and [r["input"].rsplit("/", 1)[-1] for r in again.records] == ["f1.png"]
    assert again.records[0]["input_sha256"] == sha256_file(src / "f1.png")
