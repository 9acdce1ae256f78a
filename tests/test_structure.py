"""Function size rule of docs/design.md § Imports and function size, enforced on ``src/qualipress``.

A function stays under :data:`LIMIT` lines of code (its docstring not counted), or its docstring says why it is one
function, in a sentence that starts with :data:`REASON`. The counting is ``benchmarks/structure.py``'s (the command
behind the figures in docs/benchmarks.md § Structure), loaded from its file so that there is one way to count.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "qualipress"

#: Lines of code (docstring excluded) a function may have without a reason.
LIMIT = 80
#: How a docstring starts the sentence that says why a longer function stays one.
REASON = "One function on purpose:"


@pytest.fixture(scope="module")
def structure() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_structure_tool", ROOT / "benchmarks" / "structure.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _docstrings(path: Path) -> dict[tuple[int, str], str]:
    """Docstring of every function of ``path`` by ``(line, name)``."""
    tree = ast.parse(path.read_text())
    return {(n.lineno, n.name): ast.get_docstring(n) or "" for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _unexplained(structure: ModuleType, src: Path) -> list[str]:
    """``file:line name (code lines)`` of each function over :data:`LIMIT` lines of code with no stated reason."""
    bad = []
    for _, code, where in structure.long_functions(src, LIMIT, code=True):
        file, _, rest = where.partition(":")
        line, _, name = rest.partition(" ")
        doc = _docstrings(src / file)[(int(line), name)]
        reason = doc.partition(REASON)[2].strip()
        if not reason:
            bad.append(f"{where} ({code} lines of code)")
    return bad


def test_long_functions_say_why_they_are_one(structure):
    bad = _unexplained(structure, SRC)
    assert not bad, (f"functions over {LIMIT} lines of code (docstring not counted) without '{REASON} ...' in "
                     f"their docstring; split them along their seams or say why not:\n" + "\n".join(bad))


def test_the_rule_catches_a_long_function_and_accepts_a_reason(structure, tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT))  # with its ``def`` line: LIMIT + 1 lines of code
    (tmp_path / "a.py").write_text(f'def long():\n    """Does a lot."""\n{body}\n\n'
                                   f'def short():\n    """Short."""\n{body.split(chr(10), 1)[1]}')
    (tmp_path / "b.py").write_text(f'def kernel():\n    """A kernel.\n\n    {REASON} a flat table.\n    """\n{body}')
    (tmp_path / "c.py").write_text(f'def bare():\n    """{REASON}"""\n{body}')
    assert sorted(_unexplained(structure, tmp_path)) == [f"a.py:1 long ({LIMIT + 1} lines of code)",
                                                 f"c.py:1 bare ({LIMIT + 1} lines of code)"]
