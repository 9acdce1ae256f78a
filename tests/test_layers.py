"""The import contracts in ``pyproject.toml`` (layers of docs/design.md, no cycles) hold for ``src/qualipress``,
and no module imports itself back through any chain (which the sibling contract cannot see: a package's
``__init__`` and one of its own modules importing each other are not siblings)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed (it is in the dev extra that scripts/setup.sh installs)")
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _cycles(package: str) -> list[str]:
    """``importer -> imported`` of every direct import of ``package`` that ``imported`` reaches back through a chain
    of imports (function-local and ``TYPE_CHECKING`` ones included): the edges of its import cycles."""
    graph = grimp.build_graph(package, cache_dir=None)
    return sorted(f"{a} -> {b}" for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
                  if graph.chain_exists(importer=b, imported=a))


def test_no_module_imports_itself_back(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "src"))
    cycles = _cycles("qualipress")
    assert not cycles, "import cycles (each edge listed is on one):\n" + "\n".join(cycles)


def test_the_cycle_check_sees_a_package_and_its_own_module(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "cyclic_pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from cyclic_pkg.sub import a\n")
    (pkg / "sub" / "a.py").write_text("def f():\n    import cyclic_pkg.sub\n")
    (pkg / "sub" / "b.py").write_text("from cyclic_pkg.sub import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles("cyclic_pkg") == ["cyclic_pkg.sub -> cyclic_pkg.sub.a", "cyclic_pkg.sub.a -> cyclic_pkg.sub"]
