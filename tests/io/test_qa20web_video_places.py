"""QA 20 (web): ``--metadata strip-gps`` left a motion photo's video saying where it was shot in three forms: its
own XMP packet's GPS properties (a ``uuid`` box, QuickTime's ``XMP_`` atom), the values of Apple's QuickTime
location keys (``com.apple.quicktime.location.ISO6709``, ``.name``: an ``mdta`` key list and its item list), and
an ISO 6709 point in degrees, minutes and seconds (``+40.20.30+074.05.20/``). All are blanked in place now: every
box keeps its size and place, the XMP stays well-formed, the other keys keep their values."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from qualipress.io.metadata import _boxes, scrub_jpeg

DMS = b"+40.20.30+074.05.20/"
NAME = b"Grandma's house, Brooklyn"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
       b' exif:GPSLatitude="40,20.5N" dc:format="video/mp4"><exif:GPSLongitude>74,5.3W</exif:GPSLongitude>'
       b"</rdf:Description></rdf:RDF></x:xmpmeta>")
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _video() -> bytes:
    names = [b"com.apple.quicktime.location.ISO6709", b"com.apple.quicktime.software",
             b"com.apple.quicktime.location.name"]
    keys = _box(b"keys", bytes(4) + struct.pack(">I", len(names))
                + b"".join(struct.pack(">I", 8 + len(n)) + b"mdta" + n for n in names))
    values = [DMS, b"17.1", NAME]
    ilst = _box(b"ilst", b"".join(_box(struct.pack(">I", i), _box(b"data", struct.pack(">II", 1, 0) + v))
                                  for i, v in enumerate(values, 1)))
    meta = _box(b"meta", _box(b"hdlr", bytes(8) + b"mdta" + bytes(13)) + keys + ilst)
    udta = _box(b"udta", _box(b"XMP_", XMP))
    return (_box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + _box(b"moov", _box(b"mvhd", bytes(100)) + meta + udta)
            + _box(b"uuid", XMP_UUID + XMP))


def _jpeg() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("policy", ["strip-gps", "strip"])
def test_video_xmp_keys_and_dms_points_blanked_in_place(policy: str) -> None:
    video = _video()
    data = _jpeg() + video
    out = scrub_jpeg(data, policy)
    assert len(out) == len(data) and out[: -len(video)] == data[: -len(video)]
    new = out[-len(video) :]
    for gone in (DMS, NAME, b"GPSLatitude", b"GPSLongitude", b"40,20.5N", b"74,5.3W"):
        assert gone not in new, gone

    def tree(d: bytes, lo: int = 0, hi: int | None = None) -> list:
        return [(k, a, b, tree(d, p + (4 if k == b"meta" and d[p + 4 : p + 8] != b"hdlr" else 0), b)
                 if k in (b"moov", b"meta", b"udta", b"ilst") else None) for k, a, p, b in _boxes(d, lo, hi)]

    assert tree(new) == tree(video)  # every box keeps its type, place and size
    assert b"17.1" in new and b"com.apple.quicktime.location.name" in new  # other values and the key names stay
    for packet in (new[new.index(b"XMP_") + 4 :], new[new.index(XMP_UUID) + 16 :]):
        root = ET.fromstring(packet[: packet.index(b"</x:xmpmeta>") + 12])  # still well-formed XML
        desc = root.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
        assert desc is not None and desc.get("{http://purl.org/dc/elements/1.1/}format") == "video/mp4"


def test_video_kept_as_it_is_under_keep() -> None:
    data = _jpeg() + _video()
    assert scrub_jpeg(data, "keep") == data


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg")
def test_a_real_quicktime_video_still_plays_without_its_place(tmp_path: Path) -> None:
    """A QuickTime video ffmpeg wrote with Apple's location keys: after the scrub, ffprobe reads the same streams
    and tags but the location ones, which are empty, and every frame decodes."""
    mov = tmp_path / "v.mov"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=10", "-t", "0.3",
                    "-pix_fmt", "yuv420p", "-movflags", "use_metadata_tags", "-metadata",
                    f"com.apple.quicktime.location.ISO6709={DMS.decode()}", "-metadata",
                    f"com.apple.quicktime.location.name={NAME.decode()}", str(mov)], check=True)
    video = mov.read_bytes()
    out = scrub_jpeg(_jpeg() + video, "strip-gps")[-len(video) :]
    scrubbed = tmp_path / "out.mov"
    scrubbed.write_bytes(out)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags:stream=nb_frames", "-of",
                            "flat", str(scrubbed)], capture_output=True, text=True, check=True).stdout
    assert "location_ISO6709=\"\"" in probe and "location_name=\"\"" in probe and "nb_frames=\"3\"" in probe
    subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", str(scrubbed), "-f", "null", "-"], check=True)


def test_info_names_a_location_in_the_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``info`` said nothing of the video's location, so a user could not check a kept motion photo with it."""
    import json

    from qualipress.cli import main

    data = _jpeg() + _video()
    for name, body, said in (("a.jpg", data, "video"), ("b.jpg", scrub_jpeg(data, "strip-gps"), None)):
        (tmp_path / name).write_bytes(body)
        assert main(["info", str(tmp_path / name), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["metadata"].get("gps") == said


def test_only_the_item_list_right_after_the_keys_is_read() -> None:
    """A timed metadata track's sample entry holds its own ``keys`` (no item list follows it); its indexes must not
    pick items of the movie's item list, whose first value here is the camera make."""
    place_keys = _box(b"keys", bytes(4) + struct.pack(">I", 1) + struct.pack(">I", 8 + len(b"com.apple.quicktime."
                      b"location.ISO6709")) + b"mdta" + b"com.apple.quicktime.location.ISO6709")
    track = _box(b"trak", _box(b"mebx", place_keys + _box(b"free", bytes(4))))
    make_keys = _box(b"keys", bytes(4) + struct.pack(">I", 1) + struct.pack(">I", 8 + 26) + b"mdta"
                     + b"com.apple.quicktime.make\x00\x00")
    ilst = _box(b"ilst", _box(struct.pack(">I", 1), _box(b"data", struct.pack(">II", 1, 0) + b"Pixel")))
    video = _box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + _box(b"moov", track + _box(b"meta", make_keys + ilst))
    data = _jpeg() + video
    assert scrub_jpeg(data, "strip-gps") == data
