"""The capabilities' CLI plug-ins contribute their own ``compress`` options (issue 11)."""

import inspect
import types
from typing import Annotated

import pytest
import typer

from qualipress import cli
from qualipress.cli import main
from qualipress.pipeline.hooks import CompressRequest
from qualipress.search import parse_target

#: Options that each capability declares in its own ``cli.compress_options``.
PLUGIN_OPTIONS = {
    "qualipress.film.cli": {"film"},
    "qualipress.roi.cli": {"roi", "roi_mask", "roi_boxes", "roi_quality", "bg_quality", "block_threshold",
                           "save_mask"},
    "qualipress.preprocess.cli": {"preprocess"},
}


def _core_parameters(command):
    """The parameter names written in the function itself (not its composed ``__signature__``)."""
    code = command.__code__
    return set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])


def test_plugin_options_come_from_the_capabilities_not_the_core():
    loaded = {m.__name__: m for m in cli._LOADED}
    composed = set(inspect.signature(cli.compress).parameters)
    core = _core_parameters(cli.compress)
    for mod_name, names in PLUGIN_OPTIONS.items():
        assert mod_name in loaded, f"{mod_name} is not loaded"
        declared = set(inspect.signature(loaded[mod_name].compress_options).parameters)
        assert names <= declared
        assert names <= composed
        assert not names & core, f"the core compress still declares {names & core}"


def test_compress_help_lists_the_plugin_options(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["compress", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--film", "--no-film", "--roi", "--roi-mask", "--roi-boxes", "--roi-quality", "--bg-quality",
                 "--block-threshold", "--save-mask", "--preprocess", "--codec-opt", "--dry-run"):
        assert flag in out, flag


def test_a_plugin_cannot_redefine_an_option():
    def command(codec: str = "auto", **plugin_options) -> None: ...

    def compress_options(
        codec: Annotated[str, typer.Option(help="clash")] = "jpeg",
    ) -> None: ...

    mod = types.ModuleType("fake.cli")
    mod.compress_options = compress_options
    with pytest.raises(TypeError, match="codec"):
        cli._add_plugin_options(command, [mod])


def test_plugin_options_are_added_in_order():
    def command(codec: str = "auto", **plugin_options) -> None: ...

    def first(a: int = 1) -> None: ...

    def second(b: Annotated[str, typer.Option(help="b")] = "x") -> None: ...

    mods = []
    for name, fn in (("one", first), ("two", second)):
        mod = types.ModuleType(name)
        mod.compress_options = fn
        mods.append(mod)
    cli._add_plugin_options(command, mods)
    params = inspect.signature(command).parameters
    assert list(params) == ["codec", "a", "b"]
    assert params["b"].default == "x" and params["b"].kind is inspect.Parameter.KEYWORD_ONLY


def test_roi_plugin_checks_and_wraps():
    from qualipress.roi import cli as roi_cli
    from qualipress.roi.hooks import RoiHooks

    req = CompressRequest(options={"roi_quality": 80.0}, codecs=["jpeg"])
    with pytest.raises(cli.QualipressError, match="jpeg-roi setting"):
        roi_cli.compress_prepare(req)
    req = CompressRequest(options={"roi_quality": 80.0, "profile": None, "target": None}, codecs=["jpeg-roi"])
    roi_cli.compress_prepare(req)
    assert req.target is not None and not req.target.constraints and req.exact
    req = CompressRequest(options={}, codecs=["jpeg"], target=parse_target(["ssim>=0.9"]))
    roi_cli.compress_hooks(req)
    assert req.hooks is None  # nothing about ROI was asked for
    req = CompressRequest(options={}, codecs=["jpeg"], target=parse_target(["roi:ssim>=0.9"]))
    roi_cli.compress_hooks(req)
    assert isinstance(req.hooks, RoiHooks)


def test_film_plugin_is_off_for_web_delivery_unless_asked():
    from qualipress.film import cli as film_cli

    req = CompressRequest(options={"film": None}, codecs=["jpeg"], web=True)
    film_cli.compress_hooks(req)
    assert req.hooks is None
    req = CompressRequest(options={"film": False}, codecs=["jpeg"])
    film_cli.compress_hooks(req)
    assert req.hooks is None
    req = CompressRequest(options={"film": True}, codecs=["jpeg"], web=True, profile="C1")
    film_cli.compress_hooks(req)
    assert type(req.hooks).__name__ == "FilmHooks"


def test_compress_wraps_the_plugins_hooks_in_plugin_order(tmp_path, monkeypatch):
    """film at the base, ROI round it, preprocessing round that, PhotoHooks outermost (as before the plug-ins)."""
    from qualipress.film.hooks import FilmHooks
    from qualipress.pipeline.delivery import PhotoHooks
    from qualipress.preprocess.hooks import PreprocessHooks
    from qualipress.roi.hooks import RoiHooks
    from tests.cli.test_cli import _img

    seen = []

    def fake_compress_paths(inputs, outdir, opts, **kw):
        seen.append(opts)
        raise cli.QualipressError("stop here")

    monkeypatch.setattr(cli, "compress_paths", fake_compress_paths)
    src = _img(tmp_path)
    args = ["compress", str(src), "-o", str(tmp_path / "o"), "--codec", "jpeg", "--target", "roi:ssim>=0.9",
            "--preprocess", "none", "--film"]
    assert main(args) == 2 and seen
    chain = []
    hooks = seen[0].hooks
    while hooks is not None:
        chain.append(type(hooks))
        hooks = getattr(hooks, "inner", None)
    assert chain == [PhotoHooks, PreprocessHooks, RoiHooks, FilmHooks]
