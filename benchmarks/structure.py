"""Structure figures of a source tree (issue 11): long functions, function-local imports, CLI start-up cost.

- ``functions``: every function over ``--limit`` lines (``--code``: lines of code, the docstring not counted),
  with both counts.
- ``imports``: internal (``qualipress``) imports at module level vs inside functions.
- ``lines``: lines of Python in each tree given (default ``src benchmarks``), total and per tree, and what they
  are: code, docstrings, comments, blank.
- ``startup``: CPU seconds (user + sys) of ``python -m qualipress.cli --help`` for one or more ``src`` trees,
  run interleaved ``--runs`` times each (median and minimum), and the ``qualipress`` modules each one loads.

Usage:
    python benchmarks/structure.py functions [--src src/qualipress] [--limit 80] [--code]
    python benchmarks/structure.py imports [--src src/qualipress]
    python benchmarks/structure.py lines [TREE ...]
    python benchmarks/structure.py startup SRC [SRC ...] [--runs 21]

To compare with an older commit: ``git archive REV src | tar -x -C /tmp/old`` and pass ``/tmp/old/src src``.
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def long_functions(src: Path, limit: int, *, code: bool = False) -> list[tuple[int, int, str]]:
    """``(lines, lines without the docstring, "file:line name")`` of every function over ``limit`` lines (of code
    when ``code``)."""
    rows = []
    for f in sorted(src.rglob("*.py")):
        for fn in _functions(ast.parse(f.read_text())):
            n = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            doc = ast.get_docstring(fn, clean=False)
            first = fn.body[0]
            doc_lines = (first.end_lineno or first.lineno) - first.lineno + 1 if doc is not None else 0
            if (n - doc_lines if code else n) > limit:
                rows.append((n, n - doc_lines, f"{f.relative_to(src)}:{fn.lineno} {fn.name}"))
    return sorted(rows, reverse=True)


def import_counts(src: Path) -> tuple[int, int]:
    """Internal imports ``(module level, inside functions)``."""
    top = local = 0
    for f in sorted(src.rglob("*.py")):
        tree = ast.parse(f.read_text())
        inner = {id(n) for fn in _functions(tree) for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)}
        for n in ast.walk(tree):
            if not isinstance(n, ast.Import | ast.ImportFrom):
                continue
            names = [n.module or ""] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names]
            if any(m.startswith("qualipress") for m in names):
                local, top = (local + 1, top) if id(n) in inner else (local, top + 1)
    return top, local


def line_count(tree: Path) -> int:
    """Lines (as ``wc -l`` counts them) of every ``.py`` file below ``tree``."""
    return sum(p.read_bytes().count(b"\n") for p in sorted(tree.rglob("*.py")))


def line_kinds(tree: Path) -> dict[str, int]:
    """Lines of every ``.py`` file below ``tree`` by kind: ``code``, ``doc`` (docstrings), ``comment``, ``blank``."""
    counts = {"code": 0, "doc": 0, "comment": 0, "blank": 0}
    for f in sorted(tree.rglob("*.py")):
        text = f.read_text()
        kinds = ["blank" if not ln.strip() else "comment" if ln.strip().startswith("#") else "code"
                 for ln in text.splitlines()]
        for n in ast.walk(ast.parse(text)):
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) \
                    and ast.get_docstring(n, clean=False) is not None:
                first = n.body[0]
                end = first.end_lineno or first.lineno
                kinds[first.lineno - 1:end] = ["doc"] * (end - first.lineno + 1)
        for k in kinds:
            counts[k] += 1
    return counts


def _cpu_seconds(src: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "qualipress.cli", "--help"], env={**os.environ, "PYTHONPATH": src},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _loaded_modules(src: str) -> set[str]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "qualipress.cli", "--help"],
                         env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True).stderr
    return {line.rsplit("|", 1)[1].strip() for line in out.splitlines() if line.startswith("import time:")
            and line.rsplit("|", 1)[1].strip().startswith("qualipress")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("functions", "imports", "lines", "startup"))
    ap.add_argument("trees", nargs="*", help="startup: src folders to compare; lines: trees to count")
    ap.add_argument("--src", type=Path, default=Path("src/qualipress"))
    ap.add_argument("--limit", type=int, default=80)
    ap.add_argument("--code", action="store_true", help="functions: the limit counts lines of code only")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    if args.what == "functions":
        print("lines  code  function (code = lines without the docstring)")
        for n, code, where in long_functions(args.src, args.limit, code=args.code):
            print(f"{n:5d} {code:5d}  {where}")
    elif args.what == "imports":
        top, local = import_counts(args.src)
        print(f"internal imports: {top} module-level, {local} function-local ({100 * local / (top + local):.0f} %)")
    elif args.what == "lines":
        counts = {t: line_count(Path(t)) for t in args.trees or ["src", "benchmarks"]}
        print(", ".join(f"{t}: {n}" for t, n in counts.items()) + f"; total {sum(counts.values())}")
        for t in counts:
            print(f"{t}: " + ", ".join(f"{k} {n}" for k, n in line_kinds(Path(t)).items()))
    else:
        trees = args.trees or ["src"]
        times: dict[str, list[float]] = {t: [] for t in trees}
        for _ in range(args.runs):
            for t in trees:
                times[t].append(_cpu_seconds(t))
        for t in trees:
            print(f"{t}: CPU median {statistics.median(times[t]):.3f} s, min {min(times[t]):.3f} s over "
                  f"{args.runs} runs; {len(_loaded_modules(t))} qualipress modules loaded")


if __name__ == "__main__":
    main()
