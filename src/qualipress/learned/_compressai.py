"""Import CompressAI without torchvision, quickly, and the one table of learned architectures qualipress knows.

CompressAI imports ``torchvision.transforms`` only to fill a name registry. There is no CPU torchvision
wheel for the torch we use, so an empty stand-in module is registered before CompressAI is imported when
the real one cannot be imported.

Importing CompressAI also costs seconds that a one-image ``qualipress encode`` should not pay (measured
with ``python -X importtime``): its point-cloud registry imports ``torch_geometric`` (which imports
``torch._dynamo``, ~4 s on this machine) only to copy the names of its transforms, and its entropy models
import ``scipy.stats`` (~1.5 s) for one ``norm.ppf`` call made when a model's tables are rebuilt. Unless the
caller imported them already, qualipress hides ``torch_geometric`` while CompressAI is imported (the
image models never use it; the point-cloud transform names are then missing from CompressAI's registry)
and registers ``scipy.stats`` as a lazily loaded module (it loads on first use). Its dataset modules also
import ``pandas`` (point-cloud CSV reading, ~0.15 s idle, ~1 s under load) and ``requests`` (dataset
download); while CompressAI is imported those names are *deferred* stand-ins that import the real package
on first attribute use (``pd.read_csv``), so the image codec never loads them and the dataset code still
works.

The architecture table :data:`ARCHITECTURES` is the single source of truth for model names *and* for the
numeric model ids written into ``.qlc`` headers. Ids are fixed numbers written here by hand (never derived
from dict order), so a file written today decodes with any later version.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import Any

from qualipress.errors import CodecUnavailableError, ModelError


@dataclass(frozen=True)
class Architecture:
    """One CompressAI model family.

    Parameters
    ----------
    name : str
        Stable public name (the CompressAI zoo name), used as ``learned:<name>``.
    model_id : int
        Stable id written into ``.qlc`` headers (0..255). Never reuse or renumber.
    class_name : str
        Class in :mod:`compressai.models`.
    qualities : tuple of int
        Quality levels of the official pretrained weights.
    configs : dict
        Quality level -> constructor arguments (``N``, ``M``) of the official weights.
    lambdas : dict
        Quality level -> λ (MSE) used for the official weights.
    step_scaling : bool
        Whether qualipress can vary the quantisation step of this model at run time (variable rate from a
        single set of weights). True for the factorized and scale-hyperprior models.
    """

    name: str
    model_id: int
    class_name: str
    qualities: tuple[int, ...]
    configs: dict[int, tuple[int, ...]]
    lambdas: dict[int, float]
    step_scaling: bool


_L8 = {1: 0.0018, 2: 0.0035, 3: 0.0067, 4: 0.0130, 5: 0.0250, 6: 0.0483, 7: 0.0932, 8: 0.1800}
_L6 = {k: _L8[k] for k in range(1, 7)}


def _nm(small: tuple[int, int], large: tuple[int, int], switch: int, n: int = 8) -> dict[int, tuple[int, ...]]:
    return {q: (small if q < switch else large) for q in range(1, n + 1)}


#: Every learned architecture, by public name. Model ids are fixed forever.
ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "bmshj2018-factorized", 1, "FactorizedPrior", tuple(range(1, 9)),
            _nm((128, 192), (192, 320), 6), _L8, True,
        ),
        Architecture(
            "bmshj2018-hyperprior", 2, "ScaleHyperprior", tuple(range(1, 9)),
            _nm((128, 192), (192, 320), 6), _L8, True,
        ),
        Architecture(
            "mbt2018-mean", 3, "MeanScaleHyperprior", tuple(range(1, 9)),
            _nm((128, 192), (192, 320), 5), _L8, False,
        ),
        Architecture(
            "mbt2018", 4, "JointAutoregressiveHierarchicalPriors", tuple(range(1, 9)),
            _nm((192, 192), (192, 320), 5), _L8, False,
        ),
        Architecture(
            "cheng2020-anchor", 5, "Cheng2020Anchor", tuple(range(1, 7)),
            {q: ((128,) if q < 4 else (192,)) for q in range(1, 7)}, _L6, False,
        ),
        Architecture(
            "cheng2020-attn", 6, "Cheng2020Attention", tuple(range(1, 7)),
            {q: ((128,) if q < 4 else (192,)) for q in range(1, 7)}, _L6, False,
        ),
    )
}

#: Model id -> architecture name (derived from the table above; ids are unique, checked at import).
ARCH_BY_ID: dict[int, str] = {a.model_id: a.name for a in ARCHITECTURES.values()}
assert len(ARCH_BY_ID) == len(ARCHITECTURES), "duplicate model id in ARCHITECTURES"


def architecture(name: str) -> Architecture:
    """Look an architecture up by name.

    Raises
    ------
    ModelError
        For an unknown name; the message lists the known ones.
    """
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ModelError(
            f"unknown learned architecture {name!r}; known: {', '.join(ARCHITECTURES)}"
        ) from None


def _install_torchvision_stub() -> None:
    if "torchvision" in sys.modules:
        return
    if importlib.util.find_spec("torchvision") is not None:
        try:
            importlib.import_module("torchvision")
            return
        except Exception:  # a broken torchvision (CUDA build without libtorch_cuda): use the stand-in
            for key in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
                del sys.modules[key]
    tv = types.ModuleType("torchvision")
    tr = types.ModuleType("torchvision.transforms")
    tv.transforms = tr  # type: ignore[attr-defined]
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.transforms"] = tr


def _stand_ins() -> dict[str, types.ModuleType]:
    """Empty stand-ins for the ``torch_geometric`` and ``scipy.stats`` names CompressAI's import touches."""

    def functional_transform(name: str) -> Any:
        return lambda cls: cls

    mods = {
        n: types.ModuleType(n)
        for n in ("torch_geometric", "torch_geometric.data", "torch_geometric.data.datapipes",
                  "torch_geometric.transforms", "scipy.stats")
    }
    mods["torch_geometric"].__path__ = []  # type: ignore[attr-defined]
    mods["torch_geometric.data"].__path__ = []  # type: ignore[attr-defined]
    mods["torch_geometric"].data = mods["torch_geometric.data"]  # type: ignore[attr-defined]
    mods["torch_geometric"].transforms = mods["torch_geometric.transforms"]  # type: ignore[attr-defined]
    mods["torch_geometric.data"].datapipes = mods["torch_geometric.data.datapipes"]  # type: ignore[attr-defined]
    mods["torch_geometric.data"].Data = type("Data", (), {})  # type: ignore[attr-defined]
    mods["torch_geometric.data.datapipes"].functional_transform = functional_transform  # type: ignore[attr-defined]
    mods["torch_geometric.transforms"].BaseTransform = type("BaseTransform", (), {})  # type: ignore[attr-defined]
    mods["torch_geometric.transforms"].Center = type("Center", (), {})  # type: ignore[attr-defined]
    return mods


#: Packages CompressAI binds at import but uses only in its dataset code; deferred while it is imported.
_DEFERRED = ("pandas", "requests")


def _deferred(name: str) -> types.ModuleType:
    """A stand-in for package ``name`` that imports the real package on first attribute use.

    Code that did ``import name`` while the stand-in was registered keeps the stand-in; each attribute it
    reads (``pd.read_csv``) comes from the real package, imported then under the import lock. Dunder
    lookups (``__path__``, ``__file__``) made by the import system are not forwarded, and nothing is
    forwarded while the stand-in itself is still in :data:`sys.modules`.
    """
    mod = types.ModuleType(name)

    def __getattr__(attr: str) -> Any:  # noqa: N807 (module-level __getattr__, PEP 562)
        if (attr.startswith("__") and attr.endswith("__")) or sys.modules.get(name) is mod:
            raise AttributeError(f"module {name!r} (deferred stand-in) has no attribute {attr!r}")
        return getattr(importlib.import_module(name), attr)

    mod.__getattr__ = __getattr__  # type: ignore[method-assign]
    return mod


def _import_compressai() -> Any:
    """Import CompressAI with stand-ins for ``torch_geometric``, ``scipy.stats``, ``pandas`` and ``requests``.

    The stand-ins are removed from :data:`sys.modules` afterwards, so later imports get the real packages.
    """
    if "compressai" in sys.modules:
        return sys.modules["compressai"]
    stand_ins = _stand_ins()
    for name in _DEFERRED:
        if name not in sys.modules and importlib.util.find_spec(name) is not None:
            stand_ins[name] = _deferred(name)
    if "torch_geometric" in sys.modules:
        stand_ins = {k: v for k, v in stand_ins.items() if not k.startswith("torch_geometric")}
    if "scipy.stats" in sys.modules or importlib.util.find_spec("scipy") is None:
        stand_ins.pop("scipy.stats")
    else:
        importlib.import_module("scipy")  # the real package (light); only its stats submodule waits
    for name, mod in stand_ins.items():
        sys.modules[name] = mod
    try:
        return importlib.import_module("compressai")
    finally:
        # later imports get the real packages; CompressAI's ``scipy.stats.norm`` lookup happens at call time
        # through the real ``scipy`` package, which imports its ``stats`` submodule on first attribute access
        for name, mod in stand_ins.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]


def compressai() -> Any:
    """Import and return the :mod:`compressai` package.

    Raises
    ------
    CodecUnavailableError
        When torch or compressai is not installed (names the pip extra).
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise CodecUnavailableError(
            "learned codecs need PyTorch: pip install 'qualipress[learned]' and compressai --no-deps"
        ) from exc
    _install_torchvision_stub()
    try:
        return _import_compressai()
    except ImportError as exc:
        raise CodecUnavailableError(
            "learned codecs need CompressAI: pip install --no-deps compressai==1.2.8"
        ) from exc


def is_available() -> bool:
    """True when torch and compressai import."""
    try:
        compressai()
    except CodecUnavailableError:
        return False
    return True


def compressai_version() -> str:
    """CompressAI's version string ('' when not installed)."""
    try:
        return str(compressai().__version__)
    except (CodecUnavailableError, AttributeError):
        return ""


def build_model(name: str, config: tuple[int, ...]) -> Any:
    """Construct an untrained CompressAI model of architecture ``name`` with constructor args ``config``."""
    arch = architecture(name)
    compressai()
    models = importlib.import_module("compressai.models")
    cls = getattr(models, arch.class_name)
    return cls(*config)
