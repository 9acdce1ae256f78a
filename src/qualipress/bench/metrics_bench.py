"""SSIM speed: qualipress vs the scikit-image reference call, on a synthetic 16-bit RGB frame."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np

from qualipress.errors import InputError
from qualipress.io import as_image
from qualipress.metrics import ssim


def synthetic_frame(width: int, height: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth-plus-texture 16-bit RGB frame and a noisy copy of it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width, y / height, 0.5 + 0.25 * np.sin(x / 37.0) * np.cos(y / 23.0)], axis=-1)
    base = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
    ref = np.clip(base * 65535, 0, 65535).astype(np.uint16)
    dist = np.clip(ref.astype(np.int32) + rng.normal(0, 600, ref.shape).astype(np.int32), 0, 65535).astype(np.uint16)
    return ref, dist


def run_ssim_bench(*, width: int = 4096, height: int = 2160, repeats: int = 3) -> dict[str, Any]:
    """Time both implementations (best of ``repeats``) and check they agree."""
    from skimage.metrics import structural_similarity

    if repeats < 1:
        raise InputError(f"--repeats {repeats}: time at least one run")
    ref, dist = synthetic_frame(width, height)
    a, b = as_image(ref), as_image(dist)
    # untimed warm-up: the first call compiles the kernels (numba), which best-of-1 would otherwise count
    ssim(as_image(ref[:32, :32]), as_image(dist[:32, :32]))
    ours, t_ours = 0.0, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours = ssim(a, b)
        t_ours.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ref_val = structural_similarity(ref, dist, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False, data_range=65535)
    t_sk = time.perf_counter() - t0
    best = min(t_ours)
    md = (f"SSIM on {width}x{height} RGB 16-bit ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs)\n\n| implementation | seconds | SSIM |\n|---|---|---|\n"
          f"| scikit-image 0.26 structural_similarity | {t_sk:.2f} | {ref_val:.8f} |\n"
          f"| qualipress.metrics.ssim (best of {repeats}) | {best:.3f} | {ours:.8f} |\n\n"
          f"speed-up: {t_sk / best:.1f}x, |difference| = {abs(ours - ref_val):.2e}\n")
    return {"skimage_s": t_sk, "qualipress_s": best, "speedup": t_sk / best, "diff": abs(ours - ref_val),
            "markdown": md}
