"""One probe answers "does this backend import" for codecs and metrics alike."""

import sys

from qualipress.codecs.base import Codec
from qualipress.codecs.builtin import _ImagecodecsMixin
from qualipress.errors import backend_available


def test_a_backend_that_fails_to_load_is_not_available(tmp_path, monkeypatch):
    (tmp_path / "qp_broken_backend.py").write_text("raise OSError('libfoo.so: cannot open shared object file')\n")
    (tmp_path / "qp_fine_backend.py").write_text("FEATURE = False\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("qp_broken_backend", "qp_fine_backend"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert not backend_available("qp_no_such_backend")
    assert not backend_available("qp_broken_backend")  # not an ImportError: still "not available"
    assert backend_available("qp_fine_backend")
    assert not backend_available("qp_fine_backend", lambda m: m.FEATURE)
    assert not backend_available("qp_fine_backend", lambda m: m.MISSING)  # a check that raises: not available


def test_codecs_ask_the_one_probe(monkeypatch):
    asked = []

    def probe(module, check=None):
        asked.append(module)
        return False

    monkeypatch.setattr("qualipress.codecs.base.backend_available", probe)
    monkeypatch.setattr("qualipress.codecs.builtin.backend_available", probe)

    class _WithBackend(Codec):
        backend_module = "numpy"

    class _Imagecodecs(_ImagecodecsMixin):
        module_attr = "png"

    assert not _WithBackend.is_available() and not _Imagecodecs.is_available()
    assert asked == ["numpy", "imagecodecs"]
