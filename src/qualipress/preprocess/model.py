"""The Kuchen U-Net, its checkpoint format, and tiled inference for 8- and 16-bit images.

Architecture (the paper's U-Net; ``base`` = width of the first level, 16 for the shipped model):

- in:   3×3 conv (3 → base), ReLU
- down ×3: 3×3 stride-2 conv (c → c), ReLU; 3×3 conv doubling channels (c → 2c), ReLU
- up ×3:   2×2 stride-2 transposed conv (2c → c); concatenate the skip of the same level (→ 2c);
  3×3 conv halving (2c → c), ReLU; 3×3 conv (c → c), ReLU
- out:  3×3 conv (base → 3) predicts the *difference* d; output = input − d (global residual); a stored
  inference ``strength`` s turns this into input − s·d (s = 1 while training).

The last conv is initialised to zero so an untrained network is the identity. Inputs are RGB scaled to
[0, 1] by the image's ``max_value`` (so 8-, 10-, 12- and 16-bit images go through the same network);
greyscale is replicated to three channels and averaged back; alpha is passed through untouched.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np

from qualipress.errors import ModelError, UnsupportedError
from qualipress.io import Image
from qualipress.preprocess.pool import _join, _split

#: Checkpoint format id and version.
MODEL_FORMAT = "qualipress-kuchen"
MODEL_VERSION = 1
ARCH_NAME = "kuchen-unet"
#: Height and width are padded to a multiple of this (three stride-2 levels).
MULTIPLE = 8


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is an extra
        raise UnsupportedError("the Kuchen network needs PyTorch: pip install 'qualipress[preprocess]'") from exc
    return torch


def build_unet(*, channels: int = 3, base: int = 16, levels: int = 3, strength: float = 1.0) -> Any:
    """Create an (untrained, identity) Kuchen U-Net.

    Parameters
    ----------
    channels : int
        Image channels in and out (3).
    base : int
        Channels of the first level; level i has ``base * 2**i``.
    levels : int
        Down/up-sampling levels (3 in the paper).
    strength : float
        Inference-time scale of the predicted difference: output = input − strength · d (1 while training;
        a shipped model may store a value calibrated on held-out training images).

    Returns
    -------
    torch.nn.Module
    """
    torch = _torch()
    nn = torch.nn

    class KuchenUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.arch = {"name": ARCH_NAME, "channels": channels, "base": base, "levels": levels,
                         "strength": float(strength)}
            self.strength = float(strength)
            self.inc = nn.Conv2d(channels, base, 3, padding=1)
            self.down = nn.ModuleList()
            self.up_t = nn.ModuleList()
            self.up_c = nn.ModuleList()
            c = base
            for _ in range(levels):
                self.down.append(
                    nn.Sequential(
                        nn.Conv2d(c, c, 3, stride=2, padding=1),
                        nn.ReLU(inplace=True),
                        nn.Conv2d(c, 2 * c, 3, padding=1),
                        nn.ReLU(inplace=True),
                    )
                )
                c *= 2
            for _ in range(levels):
                self.up_t.append(nn.ConvTranspose2d(c, c // 2, 2, stride=2))
                self.up_c.append(
                    nn.Sequential(
                        nn.Conv2d(c, c // 2, 3, padding=1),
                        nn.ReLU(inplace=True),
                        nn.Conv2d(c // 2, c // 2, 3, padding=1),
                        nn.ReLU(inplace=True),
                    )
                )
                c //= 2
            self.out = nn.Conv2d(base, channels, 3, padding=1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, x: Any) -> Any:
            height, width = x.shape[-2:]
            m = 2**levels
            ph, pw = (-height) % m, (-width) % m
            xp = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x
            h = torch.relu(self.inc(xp - 0.5))
            skips = [h]
            for d in self.down:
                h = d(h)
                skips.append(h)
            skips.pop()
            for t, c in zip(self.up_t, self.up_c, strict=True):
                h = t(h)
                h = c(torch.cat([h, skips.pop()], dim=1))
            d = self.out(h)[..., :height, :width]
            return x - d if self.strength == 1.0 else x - self.strength * d

    return KuchenUNet()


def count_parameters(model: Any) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def environment() -> dict[str, Any]:
    """What a training record notes of the machine: torch and Python versions, architecture, torch threads."""
    torch = _torch()
    return {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
            "threads": torch.get_num_threads()}


def set_strength(model: Any, strength: float) -> Any:
    """Set the inference strength s of a model (output = input − s·d) and return it."""
    if not 0.0 <= float(strength) <= 2.0:
        raise UnsupportedError(f"strength must be in 0..2, got {strength}")
    model.strength = float(strength)
    model.arch["strength"] = float(strength)
    return model


def save_model(path: str | Path, model: Any, *, record: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically: format id, architecture, fp32 weights and a short training record."""
    payload = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "arch": dict(model.arch),
        "state_dict": {k: v.detach().cpu().float() for k, v in model.state_dict().items()},
        "record": record or {},
    }
    from qualipress.pipeline.training import save_checkpoint  # pipeline loads search, metrics and cv2

    return save_checkpoint(Path(path), payload)


def load_model(path: str | Path) -> Any:
    """Load a Kuchen checkpoint (weights only; no code is unpickled).

    Raises
    ------
    ModelError
        The file is missing, is not a readable checkpoint, or holds another architecture.
    """
    torch = _torch()
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: model file not found")
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise ModelError(f"{p}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelError(f"{p}: not a qualipress Kuchen model (expected format {MODEL_FORMAT!r})")
    if payload.get("version") != MODEL_VERSION:
        raise ModelError(f"{p}: Kuchen model version {payload.get('version')!r}, this qualipress reads {MODEL_VERSION}")
    arch = payload.get("arch") or {}
    if arch.get("name") != ARCH_NAME:
        raise ModelError(f"{p}: architecture {arch.get('name')!r} is not {ARCH_NAME!r}")
    try:
        model = build_unet(channels=int(arch["channels"]), base=int(arch["base"]), levels=int(arch["levels"]),
                           strength=float(arch.get("strength", 1.0)))
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{p}: weights do not fit the {ARCH_NAME} architecture {arch} ({exc})") from None
    model.eval()
    model.record = payload.get("record", {})
    return model


def _run_tile(model: Any, x: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32 [0, 1] → same, padding to a multiple of 8 by edge replication."""
    torch = _torch()
    h, w = x.shape[:2]
    ph, pw = (-h) % MULTIPLE, (-w) % MULTIPLE
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
    if ph or pw:
        t = torch.nn.functional.pad(t, (0, pw, 0, ph), mode="replicate")
    with torch.inference_mode():
        y = model(t)[0, :, :h, :w]
    return y.numpy().transpose(1, 2, 0)


def apply_network(model: Any, image: Image, *, tile: int = 512, overlap: int = 32) -> Image:
    """Run the network over an integer image, tile by tile, keeping dtype, bit depth and range.

    Parameters
    ----------
    model : torch.nn.Module
        From :func:`load_model` or :func:`build_unet`.
    image : Image
        8- to 16-bit integer image, grey / grey+alpha / RGB / RGBA, any size ≥ 1×1.
    tile : int
        Tile edge in pixels (frames larger than this are processed in overlapping tiles to bound memory).
    overlap : int
        Context kept on each inner tile edge and discarded after processing (seam-free).
    """
    if image.is_float:
        raise UnsupportedError(
            "the Kuchen network needs integer pixels; convert float images with "
            "qualipress.io.to_perceptual_image first"
        )
    if tile < 4 * MULTIPLE or overlap < 0 or 2 * overlap >= tile:
        raise UnsupportedError(f"bad tiling tile={tile} overlap={overlap}")
    x, alpha = _split(image)
    grey = x.shape[2] == 1
    if grey:
        x = np.repeat(x, 3, axis=2)
    h, w = x.shape[:2]
    out = np.empty_like(x)
    step = tile - 2 * overlap
    ys = [0] if h <= tile else list(range(0, h, step))
    xs = [0] if w <= tile else list(range(0, w, step))
    sy = h if h <= tile else step
    sx = w if w <= tile else step
    for y0 in ys:
        for x0 in xs:
            y1, x1 = min(h, y0 + sy), min(w, x0 + sx)  # core region, written to the output
            cy0, cx0 = max(0, y0 - overlap), max(0, x0 - overlap)  # with context
            cy1, cx1 = min(h, y1 + overlap), min(w, x1 + overlap)
            res = _run_tile(model, x[cy0:cy1, cx0:cx1])
            out[y0:y1, x0:x1] = res[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0]
    return _join(image, out.mean(axis=2, keepdims=True) if grey else out, alpha)
