"""Forward pass, compression and decompression of CompressAI models, with a variable quantisation step.

For the factorized-prior and scale-hyperprior models qualipress can code the latent ``y`` with a
quantisation step ``s`` other than 1: the encoder codes ``round(y / s)`` with the (hyper)prior's scales
divided by ``s`` and the decoder multiplies back. A model *trained* with random steps (see
:mod:`qualipress.learned.train`) then covers a whole rate range with one set of weights; with ``s = 1`` the
computation is exactly CompressAI's own ``compress`` / ``decompress``.
"""

from __future__ import annotations

from typing import Any

from qualipress.errors import CodecError


def _kind(model: Any) -> str:
    name = type(model).__name__
    if name in ("ScaleHyperprior",):
        return "hyperprior"
    if name in ("FactorizedPrior", "FactorizedPriorReLU"):
        return "factorized"
    return "other"


def forward(model: Any, x: Any, step: Any = 1.0, *, bf16: bool = False) -> dict[str, Any]:
    """Training forward pass with additive-noise quantisation and step ``step``.

    Parameters
    ----------
    model : compressai.models.CompressionModel
    x : torch.Tensor
        ``(B, 3, H, W)`` in ``[0, 1]``.
    step : float or torch.Tensor
        Quantisation step, a scalar or a ``(B, 1, 1, 1)`` tensor (one step per sample).
    bf16 : bool
        Run the four transforms (``g_a``, ``h_a``, ``h_s``, ``g_s``) under CPU/CUDA bfloat16 autocast; the
        entropy models (likelihoods) always run in float32. About 1.9x faster training on CPUs with
        AVX-512 BF16; used for training only (coding always runs in float32).

    Returns
    -------
    dict
        ``x_hat`` and ``likelihoods`` (``{"y": ..., "z": ...}``) like CompressAI's ``forward``.
    """
    import torch

    kind = _kind(model)
    if kind == "other":
        return dict(model(x))

    def tf(fn: Any, v: Any) -> Any:
        if not bf16:
            return fn(v)
        with torch.autocast(v.device.type, dtype=torch.bfloat16):
            return fn(v).float()

    y = tf(model.g_a, x)
    if kind == "factorized":
        y_q, y_lik = model.entropy_bottleneck(y / step)
        return {"x_hat": tf(model.g_s, y_q * step), "likelihoods": {"y": y_lik}}
    z = tf(model.h_a, torch.abs(y))
    z_hat, z_lik = model.entropy_bottleneck(z)
    scales = tf(model.h_s, z_hat)
    y_q, y_lik = model.gaussian_conditional(y / step, scales / step)
    return {"x_hat": tf(model.g_s, y_q * step), "likelihoods": {"y": y_lik, "z": z_lik}}


def build_indexes(gaussian_conditional: Any, scales: Any) -> Any:
    """Scale-table indexes of ``scales``, identical to ``GaussianConditional.build_indexes``, in one pass.

    CompressAI compares the scales with each of the 64 table entries in turn (about 1 s for a 768×512 image on
    this CPU); a binary search gives the same integers (index = number of table entries, last one excluded,
    that are strictly below the lower-bounded scale), so files stay bit-compatible.
    """
    import torch

    gc = gaussian_conditional
    scales = gc.lower_bound_scale(scales)
    table = gc.scale_table[:-1].to(dtype=scales.dtype, device=scales.device).contiguous()
    return torch.searchsorted(table, scales.contiguous(), right=False).to(torch.int32)


def _cl(x: Any) -> Any:
    """``x`` in channels-last memory layout.

    The analysis and synthesis transforms run about 1.5-2x faster on this CPU with channels-last input; they
    are used only on one side of the bitstream (``g_a`` by the encoder, ``g_s`` by the decoder after entropy
    decoding), so their layout never changes what is written or parsed. The hyper-synthesis ``h_s``, whose
    scales must be bit-identical on both sides, keeps the default layout.
    """
    import torch

    return x.contiguous(memory_format=torch.channels_last)


def compress(
    model: Any, x: Any, step: float = 1.0, *, latents: tuple[Any, Any] | None = None
) -> tuple[list[list[bytes]], tuple[int, int]]:
    """Entropy-code a padded ``(1, 3, H, W)`` tensor; returns ``(strings, latent_shape)``.

    ``latents=(y, z)`` (scale hyperprior only) codes these latents instead of ``g_a(x)`` and ``h_a(|y|)``,
    e.g. the refined ones of :func:`qualipress.learned.refine.refine_latents`; the decoder is the same.
    """
    kind = _kind(model)
    if latents is not None and kind != "hyperprior":
        raise CodecError(f"{type(model).__name__}: given latents are supported for the scale hyperprior only")
    if kind == "other":
        if step != 1.0:
            raise CodecError(f"{type(model).__name__} supports only the quantisation step 1")
        out = model.compress(x)
        return [list(s) for s in out["strings"]], tuple(int(v) for v in out["shape"])  # type: ignore[return-value]
    import torch

    if latents is not None:
        y, z = latents
    else:
        y = model.g_a(_cl(x)).contiguous()
    if kind == "factorized":
        strings = model.entropy_bottleneck.compress(y / step)
        return [list(strings)], (int(y.shape[-2]), int(y.shape[-1]))
    if latents is None:
        z = model.h_a(torch.abs(y))
    shape = (int(z.shape[-2]), int(z.shape[-1]))
    z_strings = model.entropy_bottleneck.compress(z)
    z_hat = model.entropy_bottleneck.decompress(z_strings, shape)
    scales = model.h_s(z_hat)
    indexes = build_indexes(model.gaussian_conditional, scales / step)
    y_strings = model.gaussian_conditional.compress(y / step, indexes)
    return [list(y_strings), list(z_strings)], shape


def decompress(model: Any, strings: list[list[bytes]], shape: tuple[int, int], step: float = 1.0) -> Any:
    """Inverse of :func:`compress`; returns ``x_hat`` clamped to ``[0, 1]`` (still padded)."""
    kind = _kind(model)
    if kind == "other":
        if step != 1.0:
            raise CodecError(f"{type(model).__name__} supports only the quantisation step 1")
        return model.decompress(strings, list(shape))["x_hat"].clamp_(0, 1)
    if kind == "factorized":
        if len(strings) != 1:
            raise CodecError("factorized-prior bitstream must hold one string group")
        y_hat = model.entropy_bottleneck.decompress(strings[0], list(shape))
        return model.g_s(_cl(y_hat * step)).contiguous().clamp_(0, 1)
    if len(strings) != 2:
        raise CodecError("hyperprior bitstream must hold two string groups")
    z_hat = model.entropy_bottleneck.decompress(strings[1], list(shape))
    scales = model.h_s(z_hat)
    indexes = build_indexes(model.gaussian_conditional, scales / step)
    y_hat = model.gaussian_conditional.decompress(strings[0], indexes, z_hat.dtype)
    return model.g_s(_cl(y_hat * step)).contiguous().clamp_(0, 1)
