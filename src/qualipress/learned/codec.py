"""``learned:<arch>`` codecs: CompressAI models writing real entropy-coded ``.qlc`` files.

The core's codec table resolves ``learned:<arch>`` through :func:`make_codec`; ``qualipress decode`` routes
``.qlc`` files through :func:`is_qlc` / :func:`decode_qlc`.

Quality: levels 1 (lowest) .. 8 (6 for Cheng 2020). With official CompressAI weights each integer level is
its own checkpoint. With a variable-rate qualipress model (the shipped one) a level selects a quantisation
step and fractional levels (e.g. 4.5) are allowed, which the quality search can use.

Images: 8-bit RGB or grey (grey is coded as RGB and returned as grey). 16-bit (or 10/12-bit) input is
converted to 8 bits with a :class:`LearnedCodecWarning`. Any size is padded (edge replication) to a multiple
of the model's downsampling factor and cropped after decoding, so images smaller than that factor work too.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from qualipress.codecs.base import Codec, CodecInfo, QualityParam
from qualipress.errors import CodecError, InputError, ModelError, UnsupportedError
from qualipress.io.image import Image
from qualipress.learned import ops, qlc
from qualipress.learned._compressai import (
    ARCH_BY_ID,
    ARCHITECTURES,
    Architecture,
    architecture,
    compressai_version,
    is_available,
)
from qualipress.learned.qlc import is_qlc
from qualipress.learned.refine import MAX_ITERATIONS, lambda_for, refine_latents
from qualipress.learned.weights import (
    WeightsNotFoundError,
    describe,
    find_by_fingerprint,
    loaded_with_fingerprint,
    resolve,
    searched_places,
)

__all__ = ["LearnedCodec", "LearnedCodecWarning", "decode_qlc", "is_qlc", "make_codec", "variant_names"]


#: Peak memory of a learned encode or decode per pixel, for refusing an image that cannot fit. Measured with the
#: shipped model on the CPU (``/usr/bin/time -f %M qualipress encode X.png -o X.qlc --codec
#: learned:bmshj2018-hyperprior --quality 4``): 0.79 MP 546 MB, 3.1 MP 1,020 MB (~200 B/px above a ~0.4 GB
#: base); 12 MP 2.96 GB (QA 17). Rounded up to cover the base at the sizes where the check matters.
BYTES_PER_PIXEL = 256


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux ``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(name: str, width: int, height: int, what: str) -> None:
    """Refuse a ``width`` × ``height`` image whose learned ``what`` ("encode", "decode") would need more memory
    than is available (:data:`BYTES_PER_PIXEL`): the model holds whole-image feature maps, and an image too big
    for them ended with the process killed by the system instead of an error (QA 17: 12 MP took 2.96 GB).

    Raises
    ------
    UnsupportedError
        Naming the estimate and what is available.
    """
    need = width * height * BYTES_PER_PIXEL
    free = available_memory()
    if free is not None and need > free:
        raise UnsupportedError(
            f"{name}: a {width}x{height} image needs about {need / 1e9:.1f} GB of memory to {what}, and "
            f"{free / 1e9:.1f} GB is available; use a smaller image (or tiles) or another codec")


class LearnedCodecWarning(UserWarning):
    """An input was converted (e.g. 16-bit to 8-bit) before learned coding."""


def _step_for(steps: dict[int, float], quality: float) -> float:
    """Log-linear interpolation of the quality -> step table."""
    levels = sorted(steps)
    q = min(max(quality, levels[0]), levels[-1])
    lo = max(v for v in levels if v <= q)
    hi = min(v for v in levels if v >= q)
    if lo == hi:
        return steps[lo]
    t = (q - lo) / (hi - lo)
    return float(math.exp((1 - t) * math.log(steps[lo]) + t * math.log(steps[hi])))


class LearnedCodec(Codec):
    """A CompressAI architecture as a qualipress codec.

    Parameters
    ----------
    arch : str
        Architecture name, e.g. ``"bmshj2018-hyperprior"``.
    weights : path, optional
        Weights file; default: CompressAI's cache, then the shipped model (see :mod:`.weights`).
    device : str
        ``"cpu"`` (default) or ``"cuda"``. Decode on the same kind of device you encoded on: learned entropy
        coding needs bit-identical scales on both sides.
    """

    def __init__(self, arch: str, *, weights: str | os.PathLike[str] | None = None, device: str = "cpu") -> None:
        self.arch: Architecture = architecture(arch)
        self.name = f"learned:{self.arch.name}"
        self.weights = weights
        self.device = device
        top = max(self.arch.qualities)
        self.info = CodecInfo(
            bit_depths=(8,),
            channels=(1, 3),
            lossy=True,
            lossless=False,
            quality=QualityParam("quality", 1.0, float(top), True, tuple(float(q) for q in range(1, top + 1)), 4.0),
            extension=".qlc",
            mime="application/x-qualipress-qlc",
            library="compressai",
            lossless_fallback="png",
            notes="learned codec; weights from --weights, CompressAI's cache or the shipped model",
            options={"weights": "path of a CompressAI-format weights file", "device": "torch device",
                     "refine": "encode-side latent refinement: gradient steps per image (0 = off; slower "
                               "encode, smaller files at equal quality, same decoder)"},
        )

    @classmethod
    def is_available(cls) -> bool:
        return is_available()

    @classmethod
    def version(cls) -> str:
        return f"compressai {compressai_version()} qlc{qlc.VERSION}"

    def cache_version(self, quality: float | None = None) -> str:
        """Version plus the weights fingerprint used at ``quality`` (keys the RD harness's row cache)."""
        loaded, step, _ = self._model_for(self.info.quality.default if quality is None else quality)  # type: ignore[union-attr]
        return f"{self.version()} weights {loaded.fingerprint.hex()} step {step:.6g}"

    def with_weights(self, weights: str | os.PathLike[str] | None) -> LearnedCodec:
        """The same codec with another weights file."""
        return LearnedCodec(self.arch.name, weights=weights, device=self.device)

    # -- input conversion -------------------------------------------------------------------------------
    def prepare(self, image: Image) -> Image:
        """Refuse float and alpha; convert deeper integer images to 8 bits with a warning."""
        if image.is_float:
            raise UnsupportedError(
                f"codec {self.name!r} needs integer pixels; convert float images with "
                "qualipress.io.to_perceptual_image first"
            )
        if image.n_channels not in self.info.channels:
            what = "alpha" if image.has_alpha else f"{image.layout} images"
            raise UnsupportedError(f"codec {self.name!r} cannot carry {what} (8-bit RGB or grey only)")
        if image.bit_depth != 8 or image.pixels.dtype != np.uint8:
            warnings.warn(
                f"{self.name}: the model codes 8-bit samples; converting the {image.bit_depth}-bit image to 8 bits",
                LearnedCodecWarning,
                stacklevel=3,
            )
            scale = 255.0 / float((1 << image.bit_depth) - 1)
            px = np.clip(np.rint(image.pixels.astype(np.float64) * scale), 0, 255).astype(np.uint8)
            image = image.with_pixels(px, bit_depth=8)
        return image

    # -- model selection ---------------------------------------------------------------------------------
    def _model_for(self, quality: float, weights: Any = None) -> tuple[Any, float, int]:
        """(loaded model, step, flags) for a quality level."""
        w = weights if weights is not None else self.weights
        integer = float(quality).is_integer()
        loaded = resolve(self.arch.name, int(quality) if integer else -1, weights=w)
        if loaded.steps:
            return loaded, _step_for(loaded.steps, quality), qlc.FLAG_STEP
        if not integer:
            raise UnsupportedError(
                f"{self.name}: weights {loaded.path.name} have one checkpoint per quality; use an integer quality"
            )
        return loaded, 1.0, 0

    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        import torch

        unknown = set(options) - {"weights", "device", "refine"}
        if unknown:
            raise UnsupportedError(f"{self.name}: unknown options {sorted(unknown)}")
        assert quality is not None
        check_fits(self.name, image.width, image.height, "encode")
        loaded, step, flags = self._model_for(quality, options.get("weights"))
        device = options.get("device", self.device)
        px = image.pixels
        channels = px.shape[2]
        if channels == 1:
            px = np.repeat(px, 3, axis=2)
        h, w = px.shape[:2]
        factor = int(getattr(loaded.model, "downsampling_factor", 64))
        ph, pw = -h % factor, -w % factor
        padded = np.pad(px, ((0, ph), (0, pw), (0, 0)), mode="edge")
        model = loaded.model.to(device)
        x = torch.from_numpy(padded.transpose(2, 0, 1).copy()).float().div_(255.0).unsqueeze(0).to(device)
        latents = self._refined(loaded, x, step, quality, options.get("refine", 0), (h, w))
        with torch.inference_mode():
            try:
                strings, shape = ops.compress(model, x, step, latents=latents)
            except Exception as exc:
                raise CodecError(f"{self.name}: compression failed: {exc}") from exc
        header = qlc.QlcHeader(
            model_id=self.arch.model_id,
            quality=float(quality),
            step=float(step),
            width=w,
            height=h,
            fingerprint=loaded.fingerprint,
            latent_shape=(int(shape[0]), int(shape[1])),
            channels=channels,
            flags=flags,
        )
        return qlc.pack(header, strings)

    def _refined(self, loaded: Any, x: Any, step: float, quality: float, refine: Any,
                 region: tuple[int, int]) -> tuple[Any, Any] | None:
        """Refined latents for ``refine`` iterations (see :mod:`qualipress.learned.refine`), None when off."""
        if isinstance(refine, bool) or not isinstance(refine, (int, float)) or refine != int(refine) \
                or not 0 <= refine <= MAX_ITERATIONS:
            raise UnsupportedError(f"{self.name}: refine must be a whole number 0..{MAX_ITERATIONS}, not {refine!r}")
        if not refine:
            return None
        try:
            y, z, _ = refine_latents(loaded.model, x, step, iterations=int(refine),
                                     lmbda=lambda_for(loaded, quality), region=region)
        except UnsupportedError as exc:
            raise UnsupportedError(f"{self.name}: {exc}") from exc
        return y, z

    def decode(self, data: bytes, *, weights: str | os.PathLike[str] | None = None) -> Image:
        """Decode a ``.qlc`` file written by this architecture.

        Raises
        ------
        InputError
            Not a ``.qlc`` file, truncated or corrupt.
        CodecError
            Written by another architecture.
        ModelError
            The available weights are not the ones the file was written with.
        """
        header, strings = qlc.unpack(bytes(data))
        if header.model_id != self.arch.model_id:
            other = ARCH_BY_ID.get(header.model_id, f"unknown model id {header.model_id}")
            raise CodecError(f"this .qlc file was written by learned:{other}, not {self.name}")
        return self._decode(header, strings, weights)

    def _decode(self, header: qlc.QlcHeader, strings: list[list[bytes]], weights: Any) -> Image:
        import torch

        check_fits(self.name, header.width, header.height, "decode")

        explicit = weights if weights is not None else self.weights
        want = header.fingerprint.hex()
        if explicit is not None:
            loaded = resolve(self.arch.name, 0, weights=explicit)
            if loaded.fingerprint != header.fingerprint:
                raise WeightsNotFoundError(
                    f"this .qlc file was encoded with {self.name} weights {want}, but the weights given "
                    f"({loaded.source}: {loaded.path}) are {loaded.fingerprint.hex()}; pass the right --weights "
                    f"or list the file in $QUALIPRESS_WEIGHTS"
                )
        else:
            found = find_by_fingerprint(self.arch.name, header.fingerprint)
            if found is None:
                raise WeightsNotFoundError(
                    f"missing weights: this .qlc file needs {self.name} weights with fingerprint {want}, which "
                    f"are not available here (looked at {searched_places(self.arch.name)}); pass the weights "
                    f"file with --weights FILE or list it in $QUALIPRESS_WEIGHTS"
                )
            loaded = found
        model = loaded.model.to(self.device)
        try:
            with torch.inference_mode():
                x_hat = ops.decompress(model, strings, header.latent_shape, header.step)
        except CodecError:
            raise
        except Exception as exc:
            raise InputError(f"{self.name}: the .qlc payload does not decode: {exc}") from exc
        arr = x_hat[0, :, : header.height, : header.width].mul(255.0).round_().clamp_(0, 255)
        px = arr.to(torch.uint8).cpu().numpy().transpose(1, 2, 0)
        if px.shape[:2] != (header.height, header.width):
            raise InputError(f"{self.name}: decoded {px.shape[1]}x{px.shape[0]}, header says "
                             f"{header.width}x{header.height}")
        if header.channels == 1:
            px = np.rint(px.astype(np.float32).mean(axis=2, keepdims=True)).astype(np.uint8)
        meta = {"learned_weights": describe(loaded) | {"step": header.step, "quality": header.quality}}
        # a copy in C order, not ascontiguousarray: for a 1x1 image the transposed view already counts as
        # contiguous with strides (1, 1, 1), which imagecodecs' encoders (the PNG writer) refuse
        return Image(px.copy(order="C"), bit_depth=8, metadata=meta)

    def describe_output(self, data: bytes) -> dict[str, Any]:
        """The weights (architecture, fingerprint, source, file) and setting a ``.qlc`` file was written with.

        Reads only the header; the source and file are known when the weights were loaded in this process
        (always the case right after :meth:`encode`), otherwise only the fingerprint is reported.

        Raises
        ------
        InputError
            Not a ``.qlc`` file, truncated or corrupt header.
        """
        header = qlc.unpack_header(bytes(data))
        name = ARCH_BY_ID.get(header.model_id, f"unknown model id {header.model_id}")
        loaded = None
        if name == self.arch.name:
            try:  # the weights this codec resolves for that quality (cached in memory after an encode)
                loaded = self._model_for(header.quality)[0]
            except (ModelError, UnsupportedError):
                loaded = None
        if loaded is None or loaded.fingerprint != header.fingerprint:
            loaded = loaded_with_fingerprint(name, header.fingerprint)
        info = describe(loaded) if loaded is not None else {"arch": name, "fingerprint": header.fingerprint.hex()}
        return {"learned_weights": info | {"step": header.step, "quality": header.quality}}


def variant_names() -> list[str]:
    """Architectures ``learned:<arch>`` accepts (listed by ``qualipress codecs``)."""
    return list(ARCHITECTURES)


def make_codec(arch: str) -> LearnedCodec:
    """Factory the core codec table calls for ``learned:<arch>``.

    Raises
    ------
    ModelError
        Unknown architecture (the message lists the known ones).
    """
    return LearnedCodec(arch)


def decode_qlc(data: bytes, *, weights: str | os.PathLike[str] | None = None, device: str = "cpu") -> Image:
    """Decode any ``.qlc`` file: the architecture comes from its header.

    Raises
    ------
    InputError, UnsupportedError, CodecError, ModelError
    """
    header, strings = qlc.unpack(bytes(data))
    name = ARCH_BY_ID.get(header.model_id)
    if name is None:
        raise UnsupportedError(f".qlc file names unknown model id {header.model_id} (newer qualipress?)")
    return LearnedCodec(name, weights=weights, device=device)._decode(header, strings, weights)
