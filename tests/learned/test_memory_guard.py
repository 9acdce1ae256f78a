"""An image too big for a learned codec's whole-image feature maps is refused with the estimate, not left to the
system to kill the process (QA session 17, researcher: ~250 bytes per pixel, 12 MP peaked at 2.96 GB, no guard)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.errors import UnsupportedError
from qualipress.learned import codec as learned

from .conftest import synthetic_rgb


def test_encode_and_decode_are_refused_when_memory_would_run_out(tiny_hyperprior: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    codec = learned.make_codec("bmshj2018-hyperprior").with_weights(tiny_hyperprior)
    x = synthetic_rgb(64, 96)
    data = codec.encode(x, quality=4)  # fits: the real available memory
    need = 64 * 96 * learned.BYTES_PER_PIXEL
    monkeypatch.setattr(learned, "available_memory", lambda: need - 1)
    with pytest.raises(UnsupportedError, match=r"96x64 image needs about .* GB of memory to encode"):
        codec.encode(x, quality=4)
    with pytest.raises(UnsupportedError, match="to decode"):
        learned.decode_qlc(data, weights=tiny_hyperprior)
    monkeypatch.setattr(learned, "available_memory", lambda: need)
    assert codec.decode(data).pixels.shape == (64, 96, 3)
    monkeypatch.setattr(learned, "available_memory", lambda: None)  # unknown: not refused
    assert codec.decode(data).pixels.shape == (64, 96, 3)


def test_available_memory_reads_the_system() -> None:
    free = learned.available_memory()
    assert free is None or free > 0
