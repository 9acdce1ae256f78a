"""pixel_digest: equal digests only for arrays equal in dtype, shape and values."""

from __future__ import annotations

import numpy as np

from qualipress.io import pixel_digest


def test_same_bytes_in_another_dtype_or_shape_give_another_digest() -> None:
    a = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)
    assert pixel_digest(a) == pixel_digest(a.copy())
    assert pixel_digest(a) != pixel_digest(a.reshape(3, 2, 4))  # same buffer, other shape
    assert pixel_digest(a) != pixel_digest(a.view(np.int16))  # same buffer, other dtype
    assert pixel_digest(a) != pixel_digest(a.view(np.uint8).reshape(2, 3, 8))
    b = a.copy()
    b[1, 2, 3] += 1
    assert pixel_digest(a) != pixel_digest(b)


def test_a_strided_view_has_the_digest_of_its_copy() -> None:
    a = np.arange(60, dtype=np.uint8).reshape(5, 12)
    view = a[:, ::2]
    assert not view.flags.c_contiguous
    assert pixel_digest(view) == pixel_digest(np.ascontiguousarray(view))
