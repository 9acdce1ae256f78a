"""QA 19 web: ``--dry-run`` names a WebP / AVIF cut short, whose container declares more bytes than the file has.

Found: a batch of 20 with ``cut.webp`` (the first 100 bytes of a 27 kB WebP) listed it as "would compress"; the run
then failed it ("cannot read WEBP data, the file is truncated or corrupt"). RIFF and ISO-BMFF boxes state their
sizes in the first bytes, so the dry run can tell without decoding.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import imagecodecs
import pytest
from PIL import Image as PILImage

from qualipress.cli import main
from tests.conftest import photo_like


def test_dry_run_names_a_cut_webp_and_avif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    arr = photo_like(64, 96, seed=3)
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "WEBP", quality=80)
    webp = buf.getvalue()
    (src / "good.webp").write_bytes(webp)
    (src / "cut.webp").write_bytes(webp[:100])
    avif = imagecodecs.avif_encode(arr, level=60)
    (src / "good.avif").write_bytes(avif)
    (src / "cut.avif").write_bytes(avif[: len(avif) - 40])
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run", "--json",
                 "--name-with-ext"]) == 0
    rows = {Path(f["input"]).name: f["would_fail"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert rows["good.webp"] is None and rows["good.avif"] is None
    assert "truncated" in rows["cut.webp"] and "truncated" in rows["cut.avif"]
    assert not (tmp_path / "out").exists()


def test_bytes_after_the_last_box_of_an_avif_or_heif_are_not_truncation(tmp_path: Path) -> None:
    # review of QA 19: 40 bytes appended after the mdat (a tool's trailer) were read as a box declaring gigabytes,
    # and the file, which libavif and libheif decode, was refused as "truncated" by the dry run and the run
    from qualipress.io import read_image
    from qualipress.io.readers import preflight

    avif = imagecodecs.avif_encode(photo_like(40, 56, seed=1), level=60)
    path = tmp_path / "trailer.avif"
    path.write_bytes(avif + b"trailing text some tool appended here....")
    assert preflight(path) == "avif"
    assert read_image(path).pixels.shape == (40, 56, 3)
    (tmp_path / "cut.avif").write_bytes(avif[:-40])
    with pytest.raises(Exception, match="truncated"):
        preflight(tmp_path / "cut.avif")


@pytest.mark.parametrize("kind", [b"etyp", b"imda", b"jumb", b"abcd"])
def test_a_cut_avif_with_an_unlisted_box_before_the_mdat_is_still_truncated(tmp_path: Path, kind: bytes) -> None:
    # review of rev19b: the walk stopped at the first box type not in its list, so a file cut inside its mdat
    # passed the dry run when a box of another type (a newer ISO-BMFF one, a vendor's) came before the mdat
    from qualipress.io.readers import preflight

    avif = imagecodecs.avif_encode(photo_like(40, 56, seed=1), level=60)
    ftyp = int.from_bytes(avif[:4], "big")
    path = tmp_path / "cut.avif"
    path.write_bytes(avif[:ftyp] + (38).to_bytes(4, "big") + kind + bytes(30) + avif[ftyp:-40])
    with pytest.raises(Exception, match="truncated"):
        preflight(path)


def test_dry_run_names_a_cut_jpeg_and_keeps_a_motion_photo(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # QA 19 web, left open there: a JPEG cut in its image data was listed as "would compress" and the run failed it
    # ("JPEG data ends before its end-of-image marker"); bytes after the end marker (a motion photo's video) are legal
    src = tmp_path / "in"
    src.mkdir()
    buf = io.BytesIO()
    PILImage.fromarray(photo_like(64, 96, seed=4)).save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    (src / "good.jpg").write_bytes(jpeg)
    (src / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (src / "motion.jpg").write_bytes(jpeg + b"\x00\x00\x00\x18ftypmp42" + bytes(5000))
    assert main(["compress", str(src), "-o", str(tmp_path / "out"), "--dry-run", "--json"]) == 0
    rows = {Path(f["input"]).name: f["would_fail"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert rows["good.jpg"] is None and rows["motion.jpg"] is None
    assert "end-of-image marker" in rows["cut.jpg"] and "truncated" in rows["cut.jpg"]
