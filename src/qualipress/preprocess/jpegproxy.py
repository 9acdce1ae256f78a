"""A differentiable JPEG proxy (PyTorch) for rate–distortion training of the Kuchen U-Net.

What it models, as the core ``jpeg`` codec (libjpeg-turbo, baseline, optimised Huffman) encodes below quality 90:

- RGB → YCbCr (JFIF full range), chroma 4:2:0 by 2×2 averaging, level shift −128;
- 8×8 orthonormal DCT per block, grid anchored at the image origin;
- quantisation with the ITU-T T.81 Annex K luminance / chrominance tables scaled by the IJG quality rule;
- rounding with a straight-through estimator (the forward pass rounds exactly, the gradient is the identity);
- decoding: dequantise, inverse DCT, bilinear chroma up-sampling (close to libjpeg's "fancy" up-sampling),
  YCbCr → RGB, clip to 0..255.

``codec="jpegli"`` models jpegli (pyjpegli, the core ``jpegli`` codec) instead: its own quantisation tables (read
back from a real jpegli encode at that quality, so they are jpegli's and not a copy), the same 4:2:0 layout, and
its adaptive dead-zone quantisation approximated by one fixed zero threshold (:data:`DEADZONE`).

Rate proxy: per quantised coefficient u = c / Q, ``bits(u) = a · σ((|u| − ½) / τ) + log2(1 + |u|)``: a smooth
"is it non-zero" term (≈ the Huffman run/size symbol a non-zero coefficient costs, ``a`` bits) plus the magnitude
bits (the step sits at the codec's zero threshold). Only its *relative* change matters to the training loss
(which uses ln R); the proxy's correlation with real libjpeg-turbo and jpegli bits is measured in
``docs/preprocess.md``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from qualipress.errors import UnsupportedError
from qualipress.io.jpegtables import ANNEX_K_CHROMA, RGB_TO_YCBCR_T871, YCBCR_TO_RGB_T871, ijg_table
from qualipress.preprocess.model import _torch
from qualipress.preprocess.pool import _DCT8, jpeg_luma_table

#: The libjpeg standard chrominance quantisation table (ITU-T T.81 Annex K, table K.2), row-major.
_JPEG_CHROMA = ANNEX_K_CHROMA.astype(np.float32)

#: Bits the rate proxy charges for a coefficient turning non-zero (besides its magnitude bits).
NONZERO_BITS = 4.0
#: Width of the smooth non-zero step in units of the quantisation step.
STEP_WIDTH = 0.12


#: Codecs the proxy models.
PROXY_CODECS = ("jpeg", "jpegli")
#: Zero threshold of the quantiser in units of the step: a coefficient with |c/Q| below it is coded as zero.
#: libjpeg-turbo rounds to nearest (0.5); jpegli raises the threshold adaptively (more in noisy blocks) — one
#: fixed value stands for it, calibrated against real jpegli decodes (``benchmarks/preprocess_rd_proxy_check.py``).
DEADZONE = {"jpeg": 0.5, "jpegli": 0.92}


def tables(quality: float) -> tuple[np.ndarray, np.ndarray]:
    """(luma, chroma) 8×8 quantisation tables at ``quality``."""
    return jpeg_luma_table(quality), ijg_table(_JPEG_CHROMA, quality)


@lru_cache(maxsize=128)
def jpegli_tables(quality: int) -> tuple[np.ndarray, np.ndarray]:
    """(luma, chroma) 8×8 tables jpegli writes at ``quality`` (4:2:0), read back from a real encode.

    Raises
    ------
    UnsupportedError
        pyjpegli is not installed (``pip install qualipress[jpegli]``) or the encode has other tables than the
        two the proxy expects.
    """
    import io

    try:
        import pyjpegli
    except ImportError:
        raise UnsupportedError("the jpegli proxy needs pyjpegli (pip install 'qualipress[jpegli]')") from None
    from PIL import Image as PILImage

    grey = np.full((16, 16, 3), 128, np.uint8)
    data = bytes(pyjpegli.encode(grey.tobytes(), 16, 16, int(quality)))
    with PILImage.open(io.BytesIO(data)) as im:
        q = im.quantization  # natural order (Pillow converts from zig-zag)
    if sorted(q) != [0, 1]:
        raise UnsupportedError(f"jpegli wrote quantisation tables {sorted(q)}, the proxy expects luma 0, chroma 1")
    return (np.asarray(q[0], np.float32).reshape(8, 8), np.asarray(q[1], np.float32).reshape(8, 8))


def proxy_tables(codec: str, quality: float) -> tuple[np.ndarray, np.ndarray]:
    """(luma, chroma) tables of ``codec`` (one of :data:`PROXY_CODECS`) at ``quality``."""
    if codec == "jpeg":
        return tables(quality)
    if codec == "jpegli":
        return jpegli_tables(int(round(quality)))
    raise UnsupportedError(f"the JPEG proxy models {', '.join(PROXY_CODECS)}, not {codec!r}")


def _round_ste(x: Any) -> Any:
    return x + (x.round() - x).detach()


def _quantise_ste(u: Any, zero: float) -> Any:
    """Round to nearest, with coefficients below ``zero`` (in steps) coded as 0; gradient = identity."""
    if zero == 0.5:
        return _round_ste(u)
    torch = _torch()
    return u + (torch.where(u.abs() < zero, torch.zeros_like(u), u.round()) - u).detach()


def _blocks(p: Any) -> Any:
    """(B, H, W) → (B, H/8, W/8, 8, 8)."""
    b, h, w = p.shape
    return p.reshape(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)


def _unblocks(c: Any) -> Any:
    b, nh, nw = c.shape[:3]
    return c.permute(0, 1, 3, 2, 4).reshape(b, nh * 8, nw * 8)


def jpeg_proxy(x: Any, quality: float, *, subsample: bool = True, codec: str = "jpeg") -> tuple[Any, Any]:
    """Encode + decode a batch through the proxy.

    Parameters
    ----------
    x : torch.Tensor
        (B, 3, H, W) RGB in [0, 1]; H and W multiples of 16 (8 without sub-sampling).
    quality : float
        Quality 1..100 (IJG scale for ``jpeg``, jpegli's own for ``jpegli``).
    subsample : bool
        4:2:0 chroma (what the core codec does below quality 90).
    codec : str
        ``"jpeg"`` (libjpeg-turbo: IJG tables, round to nearest) or ``"jpegli"`` (jpegli's tables, dead zone).

    Returns
    -------
    decoded : torch.Tensor
        (B, 3, H, W) in [0, 1].
    bits : torch.Tensor
        (B,) proxy bits per image.
    """
    torch = _torch()
    f = torch.nn.functional
    zero = DEADZONE[codec]
    bits = torch.zeros(x.shape[0], device=x.device)
    out = []
    for u, qt, sub, dct in _coefficients(x, quality, codec, subsample):
        a = u.abs()
        bits = bits + (NONZERO_BITS * torch.sigmoid((a - zero) / STEP_WIDTH) + torch.log2(1.0 + a)).sum(
            dim=(1, 2, 3, 4))
        rec = _unblocks(torch.einsum("ji,bnmjk,kl->bnmil", dct, _quantise_ste(u, zero) * qt, dct))
        if sub:
            rec = f.interpolate(rec[:, None], scale_factor=2, mode="bilinear", align_corners=False)[:, 0]
        out.append(rec)
    y, cb, cr = out[0] + 128.0, out[1], out[2]
    (_, _, rv), (_, gu, gv), (_, bu, _) = YCBCR_TO_RGB_T871
    rgb = torch.stack([y + rv * cr, y + gu * cb + gv * cr, y + bu * cb], dim=1)
    return rgb.clamp(0.0, 255.0) / 255.0, bits


def _coefficients(x: Any, quality: float, codec: str, subsample: bool) -> list[Any]:
    """Per plane (Y, Cb, Cr): (coefficients in quantiser steps u = c/Q, table, sub-sampled?, DCT matrix) of ``x``
    rounded to 8-bit code values (straight-through), as writing the image would."""
    torch = _torch()
    f = torch.nn.functional
    dev = x.device
    dct = torch.from_numpy(_DCT8).to(dev)
    ql, qc = (torch.from_numpy(t).to(dev) for t in proxy_tables(codec, quality))
    v = _round_ste(x.clamp(0.0, 1.0) * 255.0)
    r, g, b = v[:, 0], v[:, 1], v[:, 2]
    y, cb, cr = (kr * r + kg * g + kb * b for kr, kg, kb in RGB_TO_YCBCR_T871)
    res = []
    for p, qt, sub in [(y - 128.0, ql, False), (cb, qc, subsample), (cr, qc, subsample)]:
        if sub:
            p = f.avg_pool2d(p[:, None], 2)[:, 0]
        c = torch.einsum("ij,bnmjk,lk->bnmil", dct, _blocks(p), dct)
        res.append((c / qt, qt, sub, dct))
    return res


#: RGB squared error per unit of squared error in Y, Cb, Cr (JFIF inverse: R,G,B all get ΔY; Cb and Cr by their
#: coefficients squared), used to bring coefficient-domain errors to the RGB MSE of :func:`jpeg_proxy`.
_RGB_PER_PLANE = tuple(sum(row[i] ** 2 for row in YCBCR_TO_RGB_T871) for i in range(3))


def threshold_crossing(y: Any, x: Any, quality: float, *, codec: str = "jpeg", subsample: bool = True) -> Any:
    """Gradient carrier for the distortion a coefficient of ``y`` causes by crossing the codec's zero threshold.

    Per coefficient u of the edited batch ``y`` (in quantiser steps) and u₀ of the original ``x``, with the
    rate proxy's smooth non-zero gate g(|u|): ``g · ((round(u) − u₀)² − u₀²) · Q²`` — the squared error against
    the original when u is coded (as round(u)) minus when it is zeroed, weighted by how "coded" it is. Only g
    carries a gradient (everything else is detached), so the term tells the network what pushing a coefficient
    under the threshold really costs. With libjpeg's threshold ½ that jump is ≈ 0 (round(u) − u₀ ≈ −u₀ at the
    threshold); under jpegli's dead zone it is large, and a gradient taken from the pre-edit error alone misses
    it. Summed over Y, Cb, Cr (chroma ×4 for 4:2:0), in RGB MSE units of [0, 1] images.

    Returns
    -------
    torch.Tensor
        (B,) per image; use only its gradient (``t - t.detach()``).
    """
    torch = _torch()
    zero = DEADZONE[codec]
    with torch.no_grad():
        ref = _coefficients(x, quality, codec, subsample)
    total = torch.zeros(y.shape[0], device=y.device)
    for (u, qt, sub, _), (u0, _, _, _), w in zip(_coefficients(y, quality, codec, subsample), ref,
                                                 _RGB_PER_PLANE, strict=True):
        gate = torch.sigmoid((u.abs() - zero) / STEP_WIDTH)
        jump = ((u.detach().round() - u0) ** 2 - u0**2) * qt**2
        total = total + (4.0 if sub else 1.0) * w * (gate * jump).sum(dim=(1, 2, 3, 4))
    return total / (3.0 * y.shape[2] * y.shape[3] * 255.0**2)


def _gauss(dev: Any, size: int = 11, sigma: float = 1.5) -> Any:
    torch = _torch()
    t = torch.arange(size, dtype=torch.float32, device=dev) - (size - 1) / 2
    g = torch.exp(-(t**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(a: Any, b: Any, *, scales: int = 2) -> Any:
    """Mean SSIM (Gaussian 11×11, σ 1.5, per channel) of two (B, C, H, W) batches in [0, 1], per image.

    With ``scales`` > 1 the value is the geometric mean over dyadic scales (a light MS-SSIM; plain SSIM at every
    scale, equal weights), differentiable.
    """
    torch = _torch()
    f = torch.nn.functional
    g = _gauss(a.device)
    ch = a.shape[1]
    kx = g.view(1, 1, 1, -1).repeat(ch, 1, 1, 1)
    ky = g.view(1, 1, -1, 1).repeat(ch, 1, 1, 1)

    def blur(z: Any) -> Any:
        return f.conv2d(f.conv2d(z, kx, groups=ch), ky, groups=ch)

    c1, c2 = 0.01**2, 0.03**2
    vals = []
    for s in range(scales):
        if s:
            a, b = f.avg_pool2d(a, 2), f.avg_pool2d(b, 2)
        ma, mb = blur(a), blur(b)
        va, vb, cov = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(a * b) - ma * mb
        m = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
        vals.append(m.mean(dim=(1, 2, 3)).clamp_min(1e-6))
    return torch.stack(vals).log().mean(dim=0).exp()
