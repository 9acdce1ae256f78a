"""rev11: ``strip-gps`` and an Extended XMP packet whose pieces do not make up its stated length.

Its pieces were joined as if adjacent: a GPS value whose start tag lay in the missing piece stayed in the output
(``<exif:GPSLongitude>`` gone, ``51,30.44N</exif:GPSLongitude>`` there), and with another GPS property in it the
packet was rewritten spliced under a GUID that is its MD5, so it looked whole. It is dropped now.
"""

from __future__ import annotations

import hashlib
import io
import struct

import numpy as np
from PIL import Image as PILImage

from qualipress.io.metadata import extended_xmp_renames, scrub_jpeg

EXT = b"http://ns.adobe.com/xmp/extension/\x00"
ROOM = 65400


def _app(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_with(pieces: list[bytes]) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buf, "JPEG")
    data = buf.getvalue()
    at = data.index(b"\xff\xdb")
    return data[:at] + b"".join(pieces) + data[at:]


def _pieces(packet: bytes) -> list[bytes]:
    guid = hashlib.md5(packet).hexdigest().upper().encode()
    return [_app(0xE1, EXT + guid + struct.pack(">II", len(packet), at) + packet[at : at + ROOM])
            for at in range(0, len(packet), ROOM)]


def _packet(gps_attribute: bool) -> bytes:
    head = (b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            + (b' exif:GPSLatitude="1,2N"' if gps_attribute else b"") + b">")
    filler = b"<dc:x>" + b"history " * (ROOM // 4) + b"</dc:x>"
    body = head + filler[: 2 * ROOM - len(head) - 10]
    return body + b"<exif:GPSLongitude>51,30.44N</exif:GPSLongitude>" + filler + b"</rdf:Description>"


def test_a_packet_missing_a_piece_is_dropped_under_strip_gps() -> None:
    for gps_attribute in (False, True):
        pieces = _pieces(_packet(gps_attribute))
        assert len(pieces) >= 3
        whole = _jpeg_with(pieces)
        assert b"51,30.44N" not in scrub_jpeg(whole, "strip-gps")
        damaged = _jpeg_with([pieces[0], *pieces[2:]])  # the piece holding <exif:GPSLongitude> is gone
        out = scrub_jpeg(damaged, "strip-gps")
        assert b"51,30.44N" not in out  # before: the value stayed
        assert EXT not in out  # before: kept, or rewritten spliced under a new GUID
        assert extended_xmp_renames(damaged) == {}
        assert scrub_jpeg(damaged, "keep") == damaged
