"""The shell commands shown in README.md and docs/*.md work when pasted: a target like ``ssim>=0.95`` must be
quoted, or the shell reads ``>=0.95`` as a redirection into a file named ``=0.95``."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _shell_lines(path: Path) -> list[tuple[int, str]]:
    """Commands inside ```sh / ```bash / ```console blocks (continuation lines joined)."""
    out: list[tuple[int, str]] = []
    inside, pending, start = False, "", 0
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```(\w*)", line)
        if fence:
            inside = not inside and fence.group(1) in ("sh", "bash", "console", "shell")
            continue
        if not inside or not (pending or line.strip()) or line.lstrip().startswith("#"):
            continue
        start = start or no
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, (pending + line).split(" #")[0]))
        pending, start = "", 0
    return out


def _unquoted_comparisons(line: str) -> list[str]:
    """Tokens the shell would split at a redirection followed by '=' (``ssim>=0.9`` unquoted)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    return [f"{a}{b}" for a, b in itertools.pairwise(tokens)
            if a in (">", "<") and b.startswith("=")]


def test_the_check_catches_an_unquoted_target() -> None:
    assert _unquoted_comparisons("qualipress compress a.png -o out/ --target ssim>=0.9")
    assert not _unquoted_comparisons('qualipress compress a.png -o out/ --target "ssim>=0.9" > log.txt')


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_shell_commands_quote_their_targets(path: Path) -> None:
    bad = [f"{path.name}:{no}: {line.strip()}" for no, line in _shell_lines(path) if _unquoted_comparisons(line)]
    assert not bad, "unquoted >= / <= (the shell redirects):\n" + "\n".join(bad)


def _compress_outputs(line: str) -> tuple[str, str] | None:
    """``(output directory, everything else)`` of a ``qualipress compress`` line writing into a directory."""
    words = shlex.split(line)
    if words[:2] != ["qualipress", "compress"] or "-o" not in words or "--dry-run" in words:
        return None
    i = words.index("-o")
    out = words[i + 1]
    if not out.endswith("/"):
        return None
    return out, " ".join(words[2:i] + words[i + 2:])


def test_readme_commands_paste_as_they_are() -> None:
    """The README's own commands, pasted one after another: no optional part in brackets (the shell passes
    ``[--resume]`` on), and no two ``compress`` runs of one block that would write the same output name into one
    folder with other settings (the second stopped: 'exists and was not made by this run's settings')."""
    readme = ROOT / "README.md"
    lines = _shell_lines(readme)
    assert not [line for _, line in lines if re.search(r"\s\[-", line)]
    blocks: dict[str, set[str]] = {}
    for _, line in lines:
        found = _compress_outputs(line)
        if found and ("--codec jpeg-roi" in found[1] or "--preprocess" in found[1]):  # same output names
            blocks.setdefault(found[0], set()).add(found[1])
    assert all(len(v) == 1 for v in blocks.values()), blocks


def test_readme_describes_the_demo_it_runs() -> None:
    """The README's `make demo` paragraph names the codecs the demo runs by default, what it prints and the three
    files it writes, and the summary table's columns it lists exist (ux11 changed the demo's printed lines)."""
    from qualipress import demo

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("`make demo` (`qualipress demo -o demo-output`)")
    para = " ".join(readme[start:readme.index("\n\n", start)].split())
    listed = re.search(r"with (.+?) \(`--codec` to change\)", para)
    assert listed, para
    names = {"jpeg": "JPEG", "webp": "WebP", "jpegxl": "JPEG XL", "avif": "AVIF"}
    assert re.split(r", | and ", listed.group(1)) == [names[c] for c in demo.DEFAULT_CODECS]
    assert "prints each run's target and result" in para
    assert all(f"summary.{ext}" in para for ext in ("md", "html", "json"))
    header = demo._markdown([], demo.DEFAULT_CODECS).lower()
    assert all(word in header for word in ("bytes", "ratio", "ssim", "psnr", "encodes"))


def test_setup_works_on_a_fresh_machine() -> None:
    """What the README's set-up promises, read from the scripts: `.ci/run` runs the README's `make test`, the
    set-up installs the Debian tools the README names, CPU PyTorch comes from an index a fresh machine can reach,
    and no pin points into this machine's file system (`torch @ file:///opt/wheels/...` in the constraints made
    every fresh set-up fail: readme19)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    for tool in ("ffmpeg", "libjxl-devtools", "chromium"):
        assert f"`{tool}`" in readme and f"apt_pkgs+=({tool})" in setup
    assert "download.pytorch.org/whl/cpu" in setup and '"torch==2.13.0+cpu"' in setup
    pins = [line for f in (ROOT / "requirements").glob("*.txt") for line in f.read_text().splitlines()
            if "file:" in line or " @ " in line]
    assert not pins, pins
