"""The contract every codec implements, and the description of its capabilities."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualipress.errors import InputError, UnsupportedError, backend_available
from qualipress.io.image import Image, as_image
from qualipress.io.metadata import Carry, embed


@dataclass(frozen=True)
class OptionSpec:
    """A codec option's valid values, declared in :attr:`CodecInfo.options` (a plain string declares the name
    only).

    Parameters
    ----------
    help : str
        What the option does, with its default.
    choices : tuple, optional
        The accepted values (compared as text, so ``420`` and ``"420"`` are the same choice).
    low, high : int, optional
        Inclusive range of an integer option.
    """

    help: str
    choices: tuple[Any, ...] | None = None
    low: int | None = None
    high: int | None = None

    def check(self, codec: str, name: str, value: Any) -> None:
        """Raise :class:`InputError` naming the valid values when ``value`` is not one of them."""
        if self.choices is not None and str(value).lower() not in {str(c).lower() for c in self.choices}:
            valid = ", ".join(repr(str(c)) for c in self.choices)
            raise InputError(f"codec {codec!r}: {name}={value} is not valid; choose one of {valid}")
        if self.low is not None and self.high is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high):
            raise InputError(f"codec {codec!r}: {name}={value} is not valid; use an integer "
                             f"{self.low}-{self.high}")

    def __str__(self) -> str:
        return self.help


@dataclass(frozen=True)
class QualityParam:
    """A codec's native quality parameter.

    Parameters
    ----------
    name : str
        Its name in the codec's own terms (``"quality"``, ``"distance"``, ``"psnr"``).
    low, high : float
        Valid range, inclusive.
    higher_is_better : bool
        Direction: True when a larger value gives better quality and more bytes.
    grid : tuple of float
        The settings the search and the exhaustive sweep try, ordered from **lowest quality to highest**.
    default : float
        A sensible setting for ``encode`` without a quality.
    continuous : bool
        The encoder uses settings between grid points (a byte budget refines between neighbours).
    """

    name: str
    low: float
    high: float
    higher_is_better: bool
    grid: tuple[float, ...]
    default: float
    continuous: bool = False

    def check(self, value: float) -> float:
        """Validate a setting and return it as float."""
        v = float(value)
        if not self.low <= v <= self.high:
            raise UnsupportedError(f"{self.name}={value} is outside {self.low}..{self.high}")
        return v


@dataclass(frozen=True)
class CodecInfo:
    """What a codec can carry.

    Parameters
    ----------
    bit_depths : tuple of int
        Integer bit depths it stores natively. Other depths are converted by :meth:`Codec.prepare`.
    channels : tuple of int
        Channel counts accepted (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
    lossy, lossless : bool
        Whether it has a lossy mode / a mathematically lossless mode.
    quality : QualityParam or None
        Lossy quality parameter (None for lossless-only codecs).
    extension : str
        File extension with the dot.
    library : str
        Backend library name, for ``qualipress codecs``.
    lossless_fallback : str or None
        Codec to use when no lossy setting meets a target and this codec has no lossless mode.
    options : dict
        Encode options the codec understands beyond ``quality``/``lossless`` (name → description).
    auto : bool
        Whether ``--codec auto`` tries it (lossy, standard, decodable by common software).
    extra : str
        The pip extra that installs its backend (``pip install 'qualipress[EXTRA]'``).
    scales_to_container : bool
        It stores a shallower image scaled up into a deeper container (10-bit into 12-bit JPEG), which
        :func:`qualipress.codecs.decode_like` scales back.
    sweep : tuple of float
        Default settings of a rate-distortion sweep (``bench rd``), lowest quality first; empty means eight
        points of ``quality.grid``.
    max_side : int
        Largest width or height the format (or its decoder here) takes; 0 for no limit below the pixel limit.
        :meth:`Codec.prepare` refuses a larger image, so a race skips the codec instead of failing the input on
        the backend's error.
    """

    bit_depths: tuple[int, ...]
    channels: tuple[int, ...]
    lossy: bool
    lossless: bool
    quality: QualityParam | None
    extension: str
    mime: str
    library: str
    lossless_fallback: str | None = None
    notes: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    auto: bool = False
    extra: str = "all"
    scales_to_container: bool = False
    sweep: tuple[float, ...] = ()
    max_side: int = 0

    @property
    def max_bits(self) -> int:
        """Deepest integer sample the codec stores."""
        return max(self.bit_depths)

    @property
    def alpha(self) -> bool:
        return 2 in self.channels or 4 in self.channels


def grey_as_rgb(px: np.ndarray) -> np.ndarray:
    """Grey (H×W×1) or grey with alpha (H×W×2) samples as RGB (H×W×3) or RGBA: the grey plane three times."""
    grey = np.repeat(px[..., :1], 3, axis=2)
    return np.ascontiguousarray(np.concatenate([grey, px[..., 1:]], axis=2) if px.shape[2] == 2 else grey)


def shifted_into(image: Image, depth: int) -> Image:
    """``image`` scaled up into a ``depth``-bit container (uint16, one copy), the shift recorded as
    ``container_shift``; :func:`qualipress.codecs.decode_like` shifts it back."""
    shift = depth - image.bit_depth
    return Image(np.left_shift(image.pixels, shift, dtype=np.uint16), depth, image.transfer, image.colorspace,
                 dict(image.metadata, container_shift=shift), image.source)


class Codec(ABC):
    """One encoder/decoder pair.

    Subclasses set :attr:`name`, :attr:`info`, and implement :meth:`_encode`, :meth:`decode`,
    :meth:`version` and :meth:`is_available`. :meth:`encode` validates and converts the input first.
    """

    name: str = ""
    info: CodecInfo
    #: True when :meth:`_encode` writes a ``metadata`` Carry itself (its container has no byte-level writer here).
    writes_metadata: bool = False
    #: Python module the backend lives in; :meth:`is_available` imports it.
    backend_module: str = ""

    # -- availability ----------------------------------------------------------------------------------
    @classmethod
    def is_available(cls) -> bool:
        """True when the backend library imports."""
        return not cls.backend_module or backend_available(cls.backend_module)

    @classmethod
    def version(cls) -> str:
        """Backend library version string."""
        return ""

    @classmethod
    def bitstream_version(cls) -> str:
        """Versions of everything that decides the bytes an encode writes.

        The key of per-version declarations about the files a codec writes (:mod:`qualipress.search.plateaus`,
        :mod:`qualipress.search.drops`). Defaults to :meth:`version`; a codec whose encoder is a separate library
        that :meth:`version` does not name (HEIF: libheif's x265) adds it here, so that reports keep showing
        :meth:`version` unchanged.
        """
        return cls.version()

    # -- public API ------------------------------------------------------------------------------------
    def encode(
        self,
        image: Image | np.ndarray,
        *,
        quality: float | None = None,
        lossless: bool = False,
        **options: Any,
    ) -> bytes:
        """Encode an image.

        Parameters
        ----------
        image : Image or numpy.ndarray
            Arrays are wrapped with :func:`qualipress.io.as_image`.
        quality : float, optional
            Native quality setting (see ``info.quality``); the codec's default when omitted.
        lossless : bool
            Use the codec's lossless mode.
        **options
            Codec-specific options, declared in ``info.options``; any other name raises
            :class:`~qualipress.errors.InputError` (a typo must not silently change nothing). Every codec
            also takes ``metadata``, a :class:`qualipress.io.metadata.Carry`, written into the encoded file
            (ICC, EXIF, XMP as the format allows); the pixels are not affected. Every codec also takes
            ``pre_edit``: a callable ``(image, quality, codec_name, options) -> Image`` run on the prepared image
            just before a lossy encode, so a quality-aware preprocessing (``rdoq``) edits for the setting
            actually encoded; lossless encodes ignore it.
        """
        carry = options.pop("metadata", None)
        pre_edit = options.pop("pre_edit", None)
        self.check_options(options)
        img = self.prepare(as_image(image))
        encoder, carry = self._encoder_for(img, carry)
        if carry is not None and self.writes_metadata:
            options["metadata"], carry = carry, None  # the encoder writes it itself
        if lossless and not self.info.lossless:
            raise UnsupportedError(f"codec {self.name!r} has no lossless mode")
        if lossless or not self.info.lossy:
            data = encoder(img, quality=None, lossless=True, **options)
        else:
            q = self.info.quality
            assert q is not None
            value = q.default if quality is None else q.check(quality)
            if pre_edit is not None:
                img = pre_edit(img, value, self.name, dict(options))
            data = encoder(img, quality=value, lossless=False, **options)
        if carry is not None:
            data = embed(data, self.info.extension, carry, channels=img.n_channels)
        return data

    def _encoder_for(self, image: Image, carry: Carry | None) -> tuple[Callable[..., bytes], Carry | None]:
        """The function that encodes the prepared ``image`` (called like :meth:`_encode`), and what of ``carry``
        is still to be written after it.

        :meth:`_encode` and ``carry`` unchanged here; a codec whose encoder must write part of the metadata itself
        (JPEG XL with a non-sRGB ICC profile) returns another encoder and the rest of ``carry`` (None for nothing).
        """
        return self._encode, carry

    def check_options(self, options: dict[str, Any]) -> None:
        """Refuse option names the codec does not declare in ``info.options``, and values outside what an
        :class:`OptionSpec` there allows.

        Raises
        ------
        InputError
            Naming the unknown options and the known ones, or the valid values.
        """
        unknown = sorted(set(options) - set(self.info.options))
        if unknown:
            known = ", ".join(self.info.options) or "none"
            raise InputError(f"codec {self.name!r}: unknown option(s) {', '.join(unknown)}; known: {known}")
        for key, value in options.items():
            spec = self.info.options[key]
            if isinstance(spec, OptionSpec):
                spec.check(self.name, key, value)

    @abstractmethod
    def decode(self, data: bytes) -> Image:
        """Decode bytes written by :meth:`encode` into an :class:`Image`."""

    def prepare(self, image: Image) -> Image:
        """Check the image fits this codec and convert what can be converted without surprise.

        Float images are refused here (callers convert them with :func:`qualipress.io.to_perceptual_image`
        first, so the conversion is explicit and recorded). An integer bit depth above what the codec stores
        is refused; a depth that fits in a larger native container (10-bit in a 12/16-bit codec) is kept.
        """
        if image.is_float:
            raise UnsupportedError(
                f"codec {self.name!r} needs integer pixels; convert float images with "
                "qualipress.io.to_perceptual_image first"
            )
        if (image.n_channels in (1, 2) and image.n_channels not in self.info.channels
                and image.n_channels + 2 in self.info.channels):
            # Grey into an RGB-only codec: replicate the grey plane (lossless; decode_like folds it back).
            image = Image(grey_as_rgb(image.pixels), image.bit_depth, image.transfer, image.colorspace,
                          dict(image.metadata, converted="grey replicated to RGB"), image.source)
        if image.n_channels not in self.info.channels:
            what = "alpha" if image.has_alpha else f"{image.layout} images"
            raise UnsupportedError(f"codec {self.name!r} cannot carry {what} (it stores "
                                   f"{'/'.join(map(str, self.info.channels))} channels)")
        if too_deep := self.depth_refusal(image.bit_depth):
            raise UnsupportedError(too_deep)
        if too_big := self.side_refusal(image.width, image.height):
            raise UnsupportedError(too_big)
        return image

    def depth_refusal(self, bit_depth: int) -> str | None:
        """Why the codec cannot store ``bit_depth``-bit integer samples (no native depth holds them), or None: the
        one rule and wording of :meth:`prepare` and of callers whose codec converts instead (``bench rd``)."""
        if self.storage_depth(bit_depth) is None:
            return (f"codec {self.name!r} stores {'/'.join(map(str, self.info.bit_depths))}-bit samples; "
                    f"the image is {bit_depth}-bit")
        return None

    def side_refusal(self, width: int, height: int) -> str | None:
        """Why the format cannot hold an image of this (upright) size (a side over ``info.max_side``), or None:
        the one rule and wording of :meth:`prepare` and ``compress --dry-run``."""
        if self.info.max_side and max(width, height) > self.info.max_side:
            return f"codec {self.name!r} takes images up to {self.info.max_side:,} pixels a side; this one is " \
                   f"{width:,}×{height:,}"
        return None

    def storage_depth(self, bit_depth: int) -> int | None:
        """Smallest native depth that holds ``bit_depth`` bits, or None when none does."""
        fits = [d for d in sorted(self.info.bit_depths) if d >= bit_depth]
        return fits[0] if fits else None

    def container_depth(self, reference: Image) -> int:
        """Bits per sample the decoder returns for an encode of ``reference``: the native depth that holds it when
        the codec scales shallow samples up (``info.scales_to_container``), else the reference's own depth.
        :func:`qualipress.codecs.decode_like` shifts the difference back."""
        if self.info.scales_to_container:
            return self.storage_depth(reference.bit_depth) or reference.bit_depth
        return reference.bit_depth

    def supports(self, image: Image) -> bool:
        """True when :meth:`prepare` would accept the image."""
        try:
            self.prepare(image)
        except UnsupportedError:
            return False
        return True

    @abstractmethod
    def _encode(self, image: Image, *, quality: float | None, lossless: bool, **options: Any) -> bytes:
        """Encode a prepared image; ``quality`` is None exactly when ``lossless`` is True."""

    def __repr__(self) -> str:
        return f"<Codec {self.name}>"
