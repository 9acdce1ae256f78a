"""The decompression-bomb message writes large sizes in full (QA: '1e+04 Mpixel' for a 100000x100000 header)."""

from __future__ import annotations

import pytest

from qualipress.errors import InputError
from qualipress.io.image import check_dimensions


def test_bomb_message_writes_large_sizes_in_full() -> None:
    with pytest.raises(InputError, match=r"= 10,000 Mpixel, above the limit of 268.4 Mpixel"):
        check_dimensions(100_000, 100_000)
