"""Compiled (numba) kernels of the ROI encoder (:mod:`qualipress.roi.encoder`).

Imported lazily (numba's import costs ~0.3 s). Each kernel does the floating-point operations of the Python code it
replaced in the same order, so the encoder writes the same files; the Python versions are kept in the tests as the
references (``tests/roi/test_encoder.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _size(a: int) -> int:
    """Size category (bit length) of a non-negative integer."""
    s = 0
    while a:
        a >>= 1
        s += 1
    return s


@njit(cache=True, nogil=True)
def dc_chain(vals: np.ndarray, xs: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """The greedy DC choice of :func:`qualipress.roi.encoder.rdo_dc` along the prediction chain.

    Parameters
    ----------
    vals : int64 (N,)
        DC values in scan order (changed in place and returned).
    xs : float64 (N,)
        Unquantised DC coefficients over the step, in scan order.
    lams : float64 (N,)
        Multipliers in units of step² per bit; blocks with ``lams <= 0`` keep their value.
    """
    prev = 0
    for i in range(vals.shape[0]):
        lm = lams[i]
        if lm > 0:
            x = xs[i]
            v = vals[i]
            d = v - prev
            if d:
                size = _size(abs(d))
                e = x - v
                best_v, best_j = v, e * e + lm * size
                sign = 1 if d > 0 else -1
                for s in (size - 1, size - 2):
                    if s < 0:
                        break
                    cand = prev + sign * ((1 << s) - 1)
                    e = x - cand
                    j = e * e + lm * s
                    if j < best_j:
                        best_v, best_j = cand, j
                vals[i] = best_v
        prev = vals[i]
    return vals
