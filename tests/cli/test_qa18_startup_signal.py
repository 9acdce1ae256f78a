"""Ctrl-C / SIGTERM while the command line is still importing: one line and 130 / 143, no traceback (QA 18).

The signal is sent deterministically from inside the child: a ``sitecustomize`` on its path hooks the import
system and signals the process when ``qualipress.codecs`` (the heavy part of ``import qualipress``) starts
loading, i.e. after Python started but long before the CLI's own stop handler exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qualipress import _startup

SRC = Path(__file__).resolve().parents[2] / "src"

SITECUSTOMIZE = """
import os, signal, sys

class _SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "qualipress.codecs":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), int(os.environ["QP_TEST_SIGNAL"]))
        return None

sys.meta_path.insert(0, _SignalOnImport())
"""

SCRIPT = """import sys
from qualipress.cli import run
if __name__ == '__main__':
    sys.exit(run())
"""


def _run(tmp_path: Path, sig: signal.Signals, argv: list[str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "hook").mkdir(exist_ok=True)
    (tmp_path / "hook" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "hook"), str(SRC)]),
               QP_TEST_SIGNAL=str(int(sig)))
    return subprocess.run([sys.executable, *argv], env=env, cwd=tmp_path, text=True, capture_output=True,
                          timeout=120)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("how", ["-m qualipress", "-m qualipress.cli", "script"])
def test_signal_during_startup_exits_130_or_143_with_one_line(tmp_path, sig, code, how):
    if how == "script":
        (tmp_path / "qualipress").write_text(SCRIPT)
        argv = [str(tmp_path / "qualipress")]
    else:
        argv = how.split()
    proc = _run(tmp_path, sig, [*argv, "compress", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == _startup.INTERRUPTED


def test_a_program_importing_qualipress_keeps_its_own_handlers(tmp_path):
    """Only the command guards its start-up; a library user's Ctrl-C is still its own KeyboardInterrupt."""
    proc = _run(tmp_path, signal.SIGINT, ["-c", "import qualipress"])
    assert proc.returncode != 130
    assert "KeyboardInterrupt" in proc.stderr


@pytest.mark.parametrize(("argv", "orig", "expected"), [
    (["/usr/bin/qualipress", "x"], ["python", "/usr/bin/qualipress", "x"], True),
    (["-m", "x"], ["python", "-X", "importtime", "-m", "qualipress", "x"], True),
    (["-m"], ["python", "-mqualipress.cli"], True),
    (["-m", "x"], ["python", "-m", "mytool", "x"], False),
    (["-c"], ["python", "-c", "import qualipress"], False),
    (["/x/pytest"], ["python", "-m", "qualipress"], False),
])
def test_starting_cli_recognises_only_the_command(argv, orig, expected):
    assert _startup.starting_cli(argv, orig) is expected
