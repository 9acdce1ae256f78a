"""QA 17: an output its codec wrote but cannot decode again is a CodecError: ``encode`` exits 2 with one line,
``compress`` skips that codec with the reason and delivers another
(before, the whole input failed with "unexpected RuntimeError")."""

from __future__ import annotations

import json

import pytest
from PIL import Image as PILImage

from qualipress import codecs
from qualipress.cli import main
from qualipress.codecs.builtin import WebpCodec
from qualipress.errors import CodecError
from qualipress.io import as_image
from tests.conftest import photo_like


@pytest.fixture
def unreadable_webp(monkeypatch):
    def broken(self, data):
        raise RuntimeError("WebPDecode failed: VP8_STATUS_BITSTREAM_ERROR")

    monkeypatch.setattr(WebpCodec, "decode", broken)


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "a.png"
    PILImage.fromarray(photo_like(48, 64)).save(path)
    return path


def test_decode_own_names_the_codec(unreadable_webp):
    webp = codecs.get("webp")
    data = webp.encode(as_image(photo_like(32, 32)), quality=80)
    with pytest.raises(CodecError, match=r"webp wrote a file .* cannot read back: RuntimeError"):
        codecs.decode_own(webp, data)


def test_encode_exits_2_and_writes_nothing(unreadable_webp, png, tmp_path, capsys):
    out = tmp_path / "a.webp"
    assert main(["encode", str(png), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot read back" in err and "Traceback" not in err
    assert not out.exists()


def test_compress_skips_the_codec_with_its_reason(unreadable_webp, png, tmp_path, capsys):
    outdir = tmp_path / "o"
    assert main(["compress", str(png), "-o", str(outdir), "--codec", "webp,png", "--json"]) == 0
    capsys.readouterr()
    rec = json.loads((outdir / "qualipress-report.jsonl").read_text().splitlines()[-1])
    assert rec["codec"] in ("png", "source:png"), rec["decisions"]
    assert any(d.startswith("skipped webp:") and "cannot read back" in d for d in rec["decisions"]), \
        rec["decisions"]
