"""rev20d: a motion photo's video comes from an untrusted upload, and its timed metadata track's sample tables were
trusted. A chunk offset pointing at the ``ftyp`` (or ``moov``) box got the container's own bytes zeroed under
``--metadata strip-gps``; a 20-byte ``stsz`` claiming 2^32 one-byte samples was walked one by one (20 s and 4.4 GB
per call on a 20 MB file). Samples now count only inside an ``mdat`` payload and the tables may list at most
``_MAX_SAMPLES`` samples (more: UnsupportedError, which ``info`` shows as a fact and compress turns into re-encodes
only). A track of a format not read here loses every sample: compress's decisions say so, since a user asked for
the GPS alone."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from qualipress.errors import UnsupportedError
from qualipress.io.metadata import _boxes, scrub_jpeg

from .test_fix20web_timed_metadata_gps import GYRO, POSITION, _box, _full, _jpeg, _klv, _mp4


def _bare(fmt: bytes, handler: bytes, mdat: bytes, stsz: bytes, stco: bytes) -> bytes:
    """ftyp, mdat, moov with one track whose tables are the ones given, every chunk of one run of 2^32-1 samples."""
    stsd = _full(b"stsd", struct.pack(">I", 1) + _box(fmt, bytes(6) + struct.pack(">H", 1)))
    stsc = _full(b"stsc", struct.pack(">4I", 1, 1, 0xFFFFFFFF, 1))
    hdlr = _full(b"hdlr", bytes(4) + handler + bytes(12) + b"m\x00")
    trak = _box(b"trak", _box(b"mdia", hdlr + _box(b"minf", _box(b"stbl", stsd + stsc + stsz + stco))))
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + _box(b"mdat", mdat) + _box(b"moov", trak)


@pytest.mark.parametrize("at", [0, 8])
def test_a_sample_pointing_at_the_container_is_left_alone(at: int) -> None:
    video = _bare(b"mett", b"meta", b"lat=40.6892" * 4, _full(b"stsz", struct.pack(">III", 0, 1, 24)),
                  _full(b"stco", struct.pack(">II", 1, at)))
    assert scrub_jpeg(_jpeg() + video, "strip-gps") == _jpeg() + video
    moov = _boxes(video)[2][1]
    moov_video = _bare(b"mett", b"meta", b"x" * 8, _full(b"stsz", struct.pack(">III", 0, 1, 16)),
                       _full(b"stco", struct.pack(">II", 1, moov)))
    assert scrub_jpeg(_jpeg() + moov_video, "strip-gps") == _jpeg() + moov_video


def test_a_sample_count_of_two_to_the_32_is_refused_not_walked(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from qualipress.cli import main

    video = _bare(b"camm", b"camm", bytes(200_000), _full(b"stsz", struct.pack(">II", 1, 0xFFFFFFFF)),
                  _full(b"stco", struct.pack(">II", 1, 40)))
    with pytest.raises(UnsupportedError, match="more than 65,536 samples"):
        scrub_jpeg(_jpeg() + video, "strip-gps")
    (tmp_path / "a.jpg").write_bytes(_jpeg() + video)
    assert main(["info", str(tmp_path / "a.jpg"), "--json"]) == 0
    assert "more than 65,536" in json.loads(capsys.readouterr().out)["metadata"]["video_metadata_tracks"]
    # compress: re-encodes (which hold no video) still run, the source is not kept
    assert main(["compress", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--codec", "webp,source:jpeg",
                 "--metadata", "strip-gps"]) == 0
    record = json.loads((tmp_path / "o" / "qualipress-report.jsonl").read_text().splitlines()[0])
    assert record["codec"] == "webp" and any("the source is not kept" in d for d in record["decisions"])


def test_a_track_zeroed_whole_is_said(tmp_path: Path) -> None:
    from qualipress.cli import main

    src = tmp_path / "m.jpg"
    src.write_bytes(_jpeg() + _mp4(b"mett", b"meta", [b"lat=40.6892;" * 2] * 3))
    before = src.read_bytes()
    decisions = {}
    for name, video in (("a", src), ("b", tmp_path / "c.jpg")):
        if name == "b":  # a camm track: its motion samples stay, nothing to say
            video.write_bytes(_jpeg() + _mp4(b"camm", b"camm", [GYRO, POSITION, GYRO]))
        out = tmp_path / name
        assert main(["compress", str(video), "-o", str(out), "--codec", "source:jpeg", "--metadata",
                     "strip-gps"]) == 0
        record = json.loads((out / "qualipress-report.jsonl").read_text().splitlines()[0])
        decisions[name] = " ".join(record.get("decisions") or [])
    assert "every sample of the video's timed metadata track(s) meta (3 samples) zeroed" in decisions["a"]
    assert "timed metadata" not in decisions["b"]
    assert src.read_bytes() == before  # the input is never written


def test_a_gpmf_sample_that_does_not_parse_is_zeroed_whole() -> None:
    gps5 = struct.pack(">5i", 406892000, -740445000, 12000, 100, 100)
    accl = _klv(b"ACCL", b"s", 6, bytes(6))  # 8 + 8 bytes: cut to 8 + 4, its size now reads into GPS5's header
    sample = _klv(b"DEVC", b"\x00", 1, accl[:12] + _klv(b"GPS5", b"l", 20, gps5) + bytes(4))
    new = scrub_jpeg(_jpeg() + _mp4(b"gpmd", b"meta", [sample] * 3), "strip-gps")
    assert gps5 not in new


def test_mebx_keys_with_bytes_left_over_zero_every_item() -> None:
    place = b"+40.6892-074.0445+012.000/"
    keys = _box(b"keys", b"\x00\x00\x00\x03abc")  # no key box at all: the item below is not known to be harmless
    sample = _box(struct.pack(">I", 1), place)
    assert place not in scrub_jpeg(_jpeg() + _mp4(b"mebx", b"meta", [sample] * 3, entry=keys), "strip-gps")


def test_chunks_pointing_at_one_sample_again_and_again_are_refused() -> None:
    """1,000 chunks each holding the same 2 MB sample of a track of unknown format: zeroed 1,000 times (2.3 s)."""
    n = 1000
    video = _bare(b"mett", b"meta", bytes(range(256)) * 40, _full(b"stsz", struct.pack(">II", 10240, n)),
                  _full(b"stco", struct.pack(">I", n) + struct.pack(">I", 32) * n))
    video = video.replace(struct.pack(">4I", 1, 1, 0xFFFFFFFF, 1), struct.pack(">4I", 1, 1, 1, 1))  # one a chunk
    with pytest.raises(UnsupportedError, match="overlap"):
        scrub_jpeg(_jpeg() + video, "strip-gps")


def test_a_table_of_empty_chunks_is_not_walked_to_its_end() -> None:
    """70,000 chunks of no sample (``stsc`` says 0 a chunk): each was a step, and a 20 MB ``stco`` five million."""
    n = 70_000
    video = _bare(b"camm", b"camm", bytes(64), _full(b"stsz", struct.pack(">II", 4, 10)),
                  _full(b"stco", struct.pack(">I", n) + struct.pack(">I", 32) * n))
    video = video.replace(struct.pack(">4I", 1, 1, 0xFFFFFFFF, 1), struct.pack(">4I", 1, 1, 0, 1))
    with pytest.raises(UnsupportedError, match="samples or chunks"):
        scrub_jpeg(_jpeg() + video, "strip-gps")


@pytest.mark.parametrize("bits", [4, 8, 16])
def test_compact_sample_sizes_stz2_are_read(bits: int) -> None:
    """A track giving its sample sizes in ``stz2`` (4-, 8- or 16-bit entries) had its samples not found: its camm
    positions were kept under strip-gps."""
    # 4 bits hold sizes up to 15: a camm position sample cut short, its type 5 all that is read
    samples = [GYRO, POSITION] * 2 if bits > 4 else [b"\x00\x00\x05\x00" + b"\x07" * 8, b"\x00" * 15] * 2
    sizes = [len(s) for s in samples]
    table = (bytes([sizes[0] << 4 | sizes[1], sizes[2] << 4 | sizes[3]]) if bits == 4
             else b"".join(v.to_bytes(bits // 8, "big") for v in sizes))
    stz2 = _full(b"stz2", bytes([0, 0, 0, bits]) + struct.pack(">I", len(samples)) + table)
    video = _mp4(b"camm", b"camm", samples)
    stsz = _full(b"stsz", struct.pack(">II", 0, len(samples)) + b"".join(struct.pack(">I", v) for v in sizes))
    assert stsz in video
    grow = len(stz2) - len(stsz)
    video = video.replace(stsz, stz2)
    # the boxes holding it (moov, trak, mdia, minf, stbl) grow by the difference
    for kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
        at = video.index(kind) - 4
        video = video[:at] + struct.pack(">I", int.from_bytes(video[at : at + 4]) + grow) + video[at + 4 :]
    new = scrub_jpeg(_jpeg() + video, "strip-gps")
    marker = POSITION if bits > 4 else b"\x07" * 8
    assert marker in video and marker not in new
    assert (GYRO in new) if bits > 4 else True
