"""Learned preprocessing before standard codecs ("Kuchen").

A pool of classical methods (:mod:`.pool`), their combination groups (:mod:`.groups`), a labelling system that
picks the best group per image for a codec by quality *and* bits (:mod:`.label`, the paper's Algorithm 1), a small
U-Net that learns to reproduce the labels (:mod:`.model`, :mod:`.train`) and its evaluation. Decoders are
unchanged: the preprocessed image is encoded by any standard codec.

Examples
--------
>>> from qualipress.preprocess import get_preprocessor          # doctest: +SKIP
>>> pre = get_preprocessor("kuchen")                            # the shipped network (trained for JPEG)
>>> smaller = codec.encode(pre(image), quality=75)              # quality is then measured against ``image``
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from qualipress.errors import UnsupportedError
from qualipress.io import Image
from qualipress.preprocess.groups import NONE, Group, make_groups, parse_group
from qualipress.preprocess.pool import DEFAULT_POOL, POOL

#: Name of the shipped network.
KUCHEN = "kuchen"
#: The shipped weights (trained for JPEG; the training record beside them, ``.json``).
SHIPPED_MODEL = Path(__file__).parent / "models" / "kuchen_jpeg.pt"
#: Name of the shipped rate–distortion-trained network (same U-Net, trained through a differentiable JPEG).
KUCHEN_RD = "kuchen-rd"
#: Its weights (the training record beside them, ``.json``).
SHIPPED_RD_MODEL = Path(__file__).parent / "models" / "kuchen_rd_jpeg.pt"
#: Every shipped network by name (the one place that maps names to files).
SHIPPED_NETWORKS = {KUCHEN: SHIPPED_MODEL, KUCHEN_RD: SHIPPED_RD_MODEL}

Preprocessor = Callable[[Image], Image]


@lru_cache(maxsize=8)
def _cached_model(path: str) -> Any:
    from qualipress.preprocess.model import load_model

    return load_model(path)


class NetworkPreprocessor:
    """A trained Kuchen network as an ``Image -> Image`` callable (tiled, 8- to 16-bit).

    Parameters
    ----------
    path : path
        Model file written by :func:`qualipress.preprocess.model.save_model`.
    tile : int
        Tile edge for large frames.
    """

    def __init__(self, path: str | Path, *, tile: int = 512) -> None:
        self.path = Path(path)
        self.tile = tile
        self.model = _cached_model(str(self.path.resolve()))

    def __call__(self, image: Image) -> Image:
        from qualipress.preprocess.model import apply_network

        return apply_network(self.model, image, tile=self.tile)

    def __repr__(self) -> str:
        return f"<NetworkPreprocessor {self.path}>"


def preprocessor_names() -> list[str]:
    """Names :func:`get_preprocessor` accepts (besides ``.pt`` paths and any ``a+b`` combination)."""
    from qualipress.preprocess.rdoq import RDOQ

    return [NONE, *POOL, *SHIPPED_NETWORKS, RDOQ]


def get_preprocessor(name: str) -> Preprocessor:
    """Resolve a preprocessing name into an ``Image -> Image`` callable.

    Parameters
    ----------
    name : str
        ``"none"``; a pool method (``"nlm"``, ``"detail"``, ...); a combination such as ``"nlm+detail"``
        (applied in canonical pool order); ``"kuchen"`` for the shipped label-trained network, ``"kuchen-rd"`` for
        the shipped rate–distortion-trained one; ``"rdoq"`` (optionally ``"rdoq:strength=S,beta=B"``) for the
        quality-aware RD pre-edit of :mod:`.rdoq`; or a path to a ``.pt`` model.

    Returns
    -------
    callable
        Maps an :class:`~qualipress.io.Image` to a new one of the same shape, dtype and bit depth.

    Raises
    ------
    UnsupportedError
        Unknown name.
    qualipress.errors.ModelError
        A model file that is missing, corrupt or for another architecture.
    """
    key = name.strip()
    from qualipress.preprocess.rdoq import parse_rdoq

    if (quality_aware := parse_rdoq(key)) is not None:
        return quality_aware
    if key.lower() in SHIPPED_NETWORKS:
        return NetworkPreprocessor(SHIPPED_NETWORKS[key.lower()])
    if key.lower().endswith(".pt") or (("/" in key or "\\" in key) and Path(key).exists()):
        return NetworkPreprocessor(Path(key).expanduser())
    try:
        return parse_group(key.lower())
    except UnsupportedError:
        raise UnsupportedError(
            f"unknown preprocessing {name!r}; use one of {', '.join(preprocessor_names())}, "
            "a combination like 'nlm+detail', or a path to a .pt model"
        ) from None


__all__ = [
    "DEFAULT_POOL",
    "KUCHEN",
    "KUCHEN_RD",
    "NONE",
    "POOL",
    "SHIPPED_MODEL",
    "SHIPPED_NETWORKS",
    "SHIPPED_RD_MODEL",
    "Group",
    "NetworkPreprocessor",
    "get_preprocessor",
    "make_groups",
    "parse_group",
    "preprocessor_names",
]
