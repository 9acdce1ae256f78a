"""A JPEG source's comment (COM segments) under ``--metadata keep`` (fix17): every re-encode and the mozjpeg
lossless rewrite (``transcode:jpeg``) dropped it, and the report's ``metadata.carried`` and decisions did not say
so. JPEG outputs now hold it; other formats name it lost; ``strip`` drops it as before."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import carry_for, embed_jpeg, read_metadata
from qualipress.pipeline import CompressOptions, compress_paths
from qualipress.pipeline.delivery import PhotoHooks
from qualipress.search import parse_target
from tests.conftest import photo_like

_NOTE = b"scanned by the archive, box 12"


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    src = tmp_path / "c.jpg"
    PILImage.fromarray(photo_like(48, 64, seed=3)).save(src, quality=92, comment=_NOTE)
    assert _comment(src) == _NOTE
    return src


def _comment(path: Path | bytes) -> bytes | None:
    """The JPEG's comment as Pillow reads it (independent of qualipress's reader)."""
    with PILImage.open(io.BytesIO(path) if isinstance(path, bytes) else path) as im:
        return im.info.get("comment")


def _run(src: Path, out: Path, *, target: str, codec: str, policy: str = "keep", allow_larger: bool = False) -> dict:
    opts = CompressOptions(target=parse_target(target), codec=codec,
                           hooks=PhotoHooks(metadata=policy, allow_larger=allow_larger))
    rec = compress_paths([src], out, opts).records[0]
    assert not rec.get("error"), rec
    return rec


def test_lossless_rewrite_keeps_the_comment(commented: Path, tmp_path: Path) -> None:
    rec = _run(commented, tmp_path / "t", target="psnr>=70", codec="jpeg")
    assert rec["codec"] == "transcode:jpeg", rec
    assert _comment(Path(rec["output"])) == _NOTE
    assert "comment" in rec["metadata"]["carried"]


@pytest.mark.parametrize("policy", ["keep", "strip-gps", "strip"])
def test_jpeg_reencode_carries_the_comment_unless_stripped(commented: Path, tmp_path: Path, policy: str) -> None:
    rec = _run(commented, tmp_path / policy, target="ssim>=0.9", codec="jpeg", policy=policy, allow_larger=True)
    assert rec["codec"] == "jpeg", rec
    assert _comment(Path(rec["output"])) == (None if policy == "strip" else _NOTE)
    assert ("comment" in rec["metadata"]["carried"]) == (policy != "strip")


def test_other_formats_name_the_comment_lost(commented: Path, tmp_path: Path) -> None:
    rec = _run(commented, tmp_path / "w", target="ssim>=0.9", codec="webp", allow_larger=True)
    assert "comment" not in rec["metadata"]["carried"]
    assert any(d.startswith("metadata: webp cannot carry") and "comment" in d for d in rec["decisions"]), rec


def test_embed_jpeg_replaces_comments_once() -> None:
    """A kept source (its COM already there) gets the carried comments once, not twice."""
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(16, 16)).save(buf, "JPEG", comment=_NOTE)
    data = buf.getvalue()
    again = embed_jpeg(data, carry_for(read_metadata(data, "jpeg")))
    assert read_metadata(again, "jpeg")["comment"] == (_NOTE,) and again.count(_NOTE) == 1
