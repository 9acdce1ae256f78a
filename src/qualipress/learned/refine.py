"""Encode-side latent refinement: better latents for one image, same decoder, same bitstream format.

A learned codec's analysis transform ``g_a`` is trained to give good latents *on average*; for one given image
the encoder can do better by optimising the latents themselves for that image's rate–distortion loss
``R + λ·255²·MSE`` (the training loss, at the quantisation step in use), with the decoder and the entropy
models fixed. This is the "iterative inference" of Yang, Bamler and Mandt (2020, *Improving inference for
neural image compression*): a few gradient steps on ``y`` (the latent) and ``z`` (the hyper-latent) from the
amortised ``g_a`` / ``h_a`` output, with rounding replaced by **stochastic Gumbel annealing** (SGA): each value
becomes a random soft mixture of its floor and ceiling, weighted by closeness, whose temperature falls towards
hard rounding as the iterations go. At the end the latents are rounded as usual and entropy-coded by
:func:`qualipress.learned.ops.compress`, so files decode with the unchanged decoder.

The result is never worse for the loss it optimises: the refined latents are kept only when their *hard*
(rounded) loss is below that of the unrefined ones.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from qualipress.errors import UnsupportedError
from qualipress.learned.ops import _cl, _kind

#: Most refinement iterations an encode accepts (each costs about one training step of the decoder).
MAX_ITERATIONS = 1000

#: Adam learning rate on the latents, in units of quantisation bins (and hyper-latent bins).
LEARNING_RATE = 0.05

#: SGA temperature at the first and the last iteration (log-linear in between).
TAU_START, TAU_END = 1.0, 0.3


def _sga(v: Any, tau: float, generator: Any) -> Any:
    """Stochastic Gumbel annealing of ``v`` towards its floor or ceiling (a soft, differentiable rounding)."""
    import torch

    floor = torch.floor(v)
    r = (v - floor).clamp(1e-5, 1 - 1e-5)
    logits = torch.stack([-torch.atanh(r), -torch.atanh(1 - r)], dim=-1) / tau
    u = torch.rand(logits.shape, generator=generator, dtype=v.dtype).clamp_(1e-10, 1 - 1e-10)
    weights = torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=-1)
    return floor + weights[..., 1]


def _hyper_bits(bottleneck: Any, z: Any) -> Any:
    """Bits of the hyper-latent ``z`` (already quantised or relaxed) under the factorized entropy bottleneck."""
    import torch

    c = z.shape[1]
    values = z.permute(1, 0, 2, 3).reshape(c, 1, -1)
    lik, _, _ = bottleneck._likelihood(values)
    if bottleneck.use_likelihood_bound:
        lik = bottleneck.likelihood_lower_bound(lik)
    return -torch.log2(lik).sum()


#: Run the synthesis transform under bfloat16 autocast during the iterations: None = when the device has fast
#: bfloat16 (a GPU, or a CPU with AVX-512 BF16 / AMX), True / False to force. The final comparison of the rounded
#: latents and the coding itself are float32, so this changes only which latents are chosen, never decoding.
BF16: bool | None = None


@functools.cache
def _fast_bf16(device_type: str) -> bool:
    """True on CUDA and on CPUs that advertise AVX-512 BF16 or AMX (Linux ``/proc/cpuinfo``)."""
    if device_type == "cuda":
        return True
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _loss(model: Any, v: Any, z: Any, x: Any, step: float, lam: float, region: tuple[int, int],
          bf16: bool = False) -> Any:
    """``bits / pixels + λ/s²·255²·MSE`` of quantised-or-relaxed latents ``v`` (= y / step) and ``z``."""
    import torch

    gc = model.gaussian_conditional
    scales = model.h_s(z)
    lik = gc._likelihood(v, scales / step)
    if gc.use_likelihood_bound:
        lik = gc.likelihood_lower_bound(lik)
    bits = -torch.log2(lik).sum() + _hyper_bits(model.entropy_bottleneck, z)
    h, w = region
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        x_hat = model.g_s(_cl(v * step))[..., :h, :w].float()
    mse = torch.mean((x_hat - x[..., :h, :w]) ** 2)
    return bits / (h * w) + lam / step**2 * 255.0**2 * mse


def lambda_for(loaded: Any, quality: float) -> float:
    """λ at quantisation step 1 for weights ``loaded`` (their recorded λ, else the λ of CompressAI's official
    checkpoint of that quality, :attr:`~qualipress.learned._compressai.Architecture.lambdas`).

    Raises
    ------
    UnsupportedError
        Weights that record no λ and are not one of the official qualities.
    """
    lam = (loaded.meta or {}).get("lmbda")
    if lam:
        return float(lam)
    official = loaded.arch.lambdas
    if loaded.quality in official:
        return official[loaded.quality]
    if float(quality).is_integer() and int(quality) in official:
        return official[int(quality)]
    raise UnsupportedError(f"weights {loaded.path.name} record no λ; latent refinement needs one")


def refine_latents(
    model: Any,
    x: Any,
    step: float,
    *,
    iterations: int,
    lmbda: float,
    region: tuple[int, int] | None = None,
    seed: int = 0,
) -> tuple[Any, Any, dict[str, float]]:
    """Latents ``y``, ``z`` of the padded image ``x`` optimised for this image's rate–distortion loss.

    Parameters
    ----------
    model : compressai.models.ScaleHyperprior
        In eval mode, entropy tables built; its weights are not changed.
    x : torch.Tensor
        ``(1, 3, H, W)`` in ``[0, 1]``, padded to the model's factor (not an inference-mode tensor).
    step : float
        Quantisation step the latents will be coded with.
    iterations : int
        Gradient steps (0 returns the unrefined latents).
    lmbda : float
        λ at step 1 (the loss uses λ/step², like training).
    region : (int, int), optional
        Height and width of the real image inside the padding (the distortion is measured there only).
    seed : int
        Seed of the SGA noise (the result is deterministic for a given seed).

    Returns
    -------
    y, z : torch.Tensor
        Latents to hand to :func:`qualipress.learned.ops.compress` (``latents=(y, z)``).
    info : dict
        ``loss_before`` and ``loss_after`` (hard-rounded loss, bits per pixel units) and ``refined`` (1.0 when
        the refined latents were kept, 0.0 when they were not better).

    Raises
    ------
    UnsupportedError
        A model other than the scale hyperprior, or a bad iteration count.
    """
    import torch

    if _kind(model) != "hyperprior":
        raise UnsupportedError(f"latent refinement supports the scale-hyperprior model, not {type(model).__name__}")
    if not 0 <= int(iterations) <= MAX_ITERATIONS or int(iterations) != iterations:
        raise UnsupportedError(f"refine must be a whole number of iterations in 0..{MAX_ITERATIONS}, not {iterations}")
    region = region or (int(x.shape[-2]), int(x.shape[-1]))
    eb = model.entropy_bottleneck
    with torch.no_grad():
        y0 = model.g_a(_cl(x)).contiguous()
        z0 = model.h_a(torch.abs(y0))
        med = eb._get_medians().detach().reshape(1, -1, 1, 1)

        def hard(v: Any, z: Any) -> tuple[Any, Any]:
            return torch.round(v), torch.round(z - med) + med

        v_start, z_start = y0 / step, z0
        before = float(_loss(model, *hard(v_start, z_start), x, step, lmbda, region))
    if iterations == 0:
        return y0, z0, {"loss_before": before, "loss_after": before, "refined": 0.0}
    v = v_start.clone().requires_grad_(True)
    z = z_start.clone().requires_grad_(True)
    opt = torch.optim.Adam([v, z], lr=LEARNING_RATE)
    gen = torch.Generator().manual_seed(seed)
    bf16 = _fast_bf16(x.device.type) if BF16 is None else BF16
    for t in range(iterations):
        tau = TAU_START * (TAU_END / TAU_START) ** (t / max(iterations - 1, 1))
        with torch.enable_grad():
            loss = _loss(model, _sga(v, tau, gen), _sga(z - med, tau, gen) + med, x, step, lmbda, region, bf16)
            gv, gz = torch.autograd.grad(loss, [v, z])
        v.grad, z.grad = gv, gz
        opt.step()
        if not math.isfinite(float(loss.detach())):
            break
    with torch.no_grad():
        v_end, z_end = v.detach(), z.detach()
        after = float(_loss(model, *hard(v_end, z_end), x, step, lmbda, region))
    if not after < before:
        return y0, z0, {"loss_before": before, "loss_after": before, "refined": 0.0}
    return v_end * step, z_end, {"loss_before": before, "loss_after": after, "refined": 1.0}
