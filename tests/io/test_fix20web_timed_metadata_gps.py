"""fix20 (web): ``--metadata strip-gps`` kept the positions a motion photo's video holds in a timed metadata track:
samples in ``mdat`` of a ``camm`` (Google's camera motion metadata), ``gpmd`` (GoPro's GPMF) or ``mebx`` (Apple's
boxed metadata) track, or of any track whose handler is ``meta``. Their samples are found through the track's
``stsz``, ``stsc`` and ``stco``/``co64`` and the positions zeroed in place (a camm sample of type 5 or 6, the values
of GPMF ``GPS*`` keys, the items of mebx keys naming a location; all samples of a track of another format): no box
changes size, the other samples and the video's own stay. ``info`` names the track.

The MP4s are built here byte by byte (ffmpeg writes no camm track) and put after a JPEG as Google's and Samsung's
motion photos are."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import _boxes, scrub_jpeg

VIDEO_SAMPLE = b"\x11" * 40  # another track's chunk between the metadata chunks: never touched


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, bytes(4) + payload)


def _camm(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", 0, kind) + body


GYRO = _camm(2, struct.pack("<3f", 0.1, 0.2, 0.3))
ACCEL = _camm(3, struct.pack("<3f", 0.0, 9.8, 0.1))
POSITION = _camm(5, struct.pack("<3d", 40.6892, -74.0445, 12.0))
FIX = _camm(6, struct.pack("<di2d7f", 1.7e9, 3, 40.6892, -74.0445, 12.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.5))


def _mp4(fmt: bytes, handler: bytes, samples: list[bytes], *, entry: bytes = b"", wide: bool = False) -> bytes:
    """ftyp, mdat (the samples in two chunks, two then the rest, with :data:`VIDEO_SAMPLE` between), moov with one
    track: hdlr ``handler``, an stsd entry of format ``fmt`` (``entry`` after its 8 bytes), stsz, stsc and stco
    (co64 when ``wide``)."""
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isommp41")
    first, second = b"".join(samples[:2]), b"".join(samples[2:])
    mdat = _box(b"mdat", first + VIDEO_SAMPLE + second)
    offsets = [len(ftyp) + 8, len(ftyp) + 8 + len(first) + len(VIDEO_SAMPLE)]
    stsd = _full(b"stsd", struct.pack(">I", 1) + _box(fmt, bytes(6) + struct.pack(">H", 1) + entry))
    stsz = _full(b"stsz", struct.pack(">II", 0, len(samples)) + b"".join(struct.pack(">I", len(s)) for s in samples))
    stsc = _full(b"stsc", struct.pack(">7I", 2, 1, 2, 1, 2, len(samples) - 2, 1))  # chunk 1: two samples, 2: the rest
    stts = _full(b"stts", struct.pack(">III", 1, len(samples), 100))
    stco = (_full(b"co64", struct.pack(">I", 2) + b"".join(struct.pack(">Q", o) for o in offsets)) if wide
            else _full(b"stco", struct.pack(">I", 2) + b"".join(struct.pack(">I", o) for o in offsets)))
    stbl = _box(b"stbl", stsd + stts + stsc + stsz + stco)
    dref = _full(b"dref", struct.pack(">I", 1) + _box(b"url ", b"\x00\x00\x00\x01"))  # data in this file
    minf = _box(b"minf", _full(b"nmhd", b"") + _box(b"dinf", dref) + stbl)
    hdlr = _full(b"hdlr", bytes(4) + handler + bytes(12) + b"metadata\x00")
    mdia = _box(b"mdia", _full(b"mdhd", struct.pack(">4I2H", 0, 0, 1000, 100 * len(samples), 0x55C4, 0)) + hdlr + minf)
    mvhd = _full(b"mvhd", struct.pack(">5I", 0, 0, 1000, 100 * len(samples), 1 << 16) + bytes(76) + b"\0\0\0\2")
    tkhd = _box(b"tkhd", b"\x00\x00\x00\x03" + struct.pack(">3I", 0, 0, 1) + bytes(68))
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd + mdia))
    return ftyp + mdat + moov


def _jpeg() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _scrubbed(video: bytes, policy: str = "strip-gps") -> bytes:
    data = _jpeg() + video
    out = scrub_jpeg(data, policy)
    assert len(out) == len(data) and out[: -len(video)] == data[: -len(video)]
    new = out[-len(video) :]
    assert [(k, a, b) for k, a, _, b in _boxes(new)] == [(k, a, b) for k, a, _, b in _boxes(video)]
    moov = _boxes(video)[2]
    assert new[moov[1] :] == video[moov[1] :]  # the track's boxes are not touched: only samples are
    assert VIDEO_SAMPLE in new
    return new


@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("handler", [b"camm", b"meta"])
def test_camm_position_samples_zeroed_motion_kept(wide: bool, handler: bytes) -> None:
    samples = [GYRO, POSITION, ACCEL, FIX, GYRO]
    video = _mp4(b"camm", handler, samples, wide=wide)
    new = _scrubbed(video)
    for gone in (POSITION, FIX, struct.pack("<d", 40.6892), struct.pack("<d", -74.0445)):
        assert gone not in new
    assert new.count(GYRO) == 2 and ACCEL in new
    mdat = _boxes(new)[1]
    assert new[mdat[2] : mdat[3]] == b"".join([GYRO, bytes(len(POSITION)), VIDEO_SAMPLE, ACCEL, bytes(len(FIX)),
                                              GYRO])


def _klv(key: bytes, kind: bytes, size: int, values: bytes) -> bytes:
    repeat = len(values) // size if size else 0
    padded = values + bytes(-len(values) % 4)
    return key + kind + bytes([size]) + struct.pack(">H", repeat) + padded


def test_gpmf_gps_values_zeroed_other_sensors_kept() -> None:
    gps5 = struct.pack(">5i", 406892000, -740445000, 12000, 100, 100) * 2
    accl = struct.pack(">3h", 100, 980, 5) * 3
    strm_gps = _klv(b"STRM", b"\x00", 1, _klv(b"STNM", b"c", 1, b"GPS (Lat., Long.)")
                    + _klv(b"GPSU", b"U", 16, b"260512101010.100") + _klv(b"GPS5", b"l", 20, gps5))
    strm_accl = _klv(b"STRM", b"\x00", 1, _klv(b"ACCL", b"s", 6, accl))
    sample = _klv(b"DEVC", b"\x00", 1, strm_accl + strm_gps)
    new = _scrubbed(_mp4(b"gpmd", b"meta", [sample, sample, sample]))
    assert gps5 not in new and b"260512101010.100" not in new
    assert new.count(accl) == 3 and new.count(b"GPS5") == 3 and b"GPS (Lat., Long.)" in new


def test_mebx_location_items_zeroed_others_kept() -> None:
    def key(local: int, name: bytes) -> bytes:
        return _box(struct.pack(">I", local), _box(b"keyd", b"mdta" + name))

    keys = _box(b"keys", key(1, b"com.apple.quicktime.location.ISO6709")
                + key(2, b"com.apple.quicktime.still-image-time"))
    place, still = b"+40.6892-074.0445+012.000/", b"\xff"
    sample = _box(struct.pack(">I", 1), place) + _box(struct.pack(">I", 2), still)
    new = _scrubbed(_mp4(b"mebx", b"meta", [sample] * 3, entry=keys))
    assert place not in new and new.count(_box(struct.pack(">I", 2), still)) == 3


def test_a_metadata_track_of_another_format_loses_all_its_samples() -> None:
    samples = [b"lat=40.6892;lon=-74.0445;" * 2] * 3
    new = _scrubbed(_mp4(b"mett", b"meta", samples))
    assert b"40.6892" not in new and b"lat=" not in new


def test_kept_under_keep_and_a_sound_track_untouched() -> None:
    video = _mp4(b"camm", b"camm", [GYRO, POSITION, FIX])
    assert scrub_jpeg(_jpeg() + video, "keep") == _jpeg() + video
    sound = _mp4(b"mp4a", b"soun", [POSITION, POSITION, POSITION])  # not metadata: samples never touched
    assert scrub_jpeg(_jpeg() + sound, "strip-gps") == _jpeg() + sound


def test_info_names_the_metadata_track_and_its_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qualipress.cli import main

    data = _jpeg() + _mp4(b"camm", b"camm", [GYRO, POSITION, FIX])
    for name, body, gps in (("a.jpg", data, "video"), ("b.jpg", scrub_jpeg(data, "strip-gps"), None)):
        (tmp_path / name).write_bytes(body)
        assert main(["info", str(tmp_path / name), "--json"]) == 0
        meta = json.loads(capsys.readouterr().out)["metadata"]
        assert meta.get("gps") == gps and meta["video_metadata_tracks"] == "camm (3 samples)"


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe")
@pytest.mark.parametrize("wide", [False, True])
def test_ffprobe_reads_the_same_samples_before_and_after(tmp_path: Path, wide: bool) -> None:
    """The test MP4 is one ffmpeg reads, its packets where the scrub looks for them; after the scrub it still
    reads the same packets, the position ones now zero."""
    samples = [GYRO, POSITION, ACCEL, FIX, GYRO]
    video = _mp4(b"camm", b"camm", samples, wide=wide)

    def packets(body: bytes) -> list[tuple[int, int]]:
        (tmp_path / "v.mp4").write_bytes(body)
        got = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=pos,size", "-of", "csv=p=0",
                              str(tmp_path / "v.mp4")], capture_output=True, text=True, check=True).stdout
        return [(int(p), int(s)) for s, p in (line.split(",") for line in got.split())]

    before = packets(video)
    assert [s for _, s in before] == [len(s) for s in samples]
    new = _scrubbed(video)
    assert packets(new) == before
    assert [new[p : p + s] == bytes(s) for p, s in before] == [False, True, False, True, False]
