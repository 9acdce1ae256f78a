"""Fault injection on the real ``qualipress`` command: signals, kills, crashes, concurrent runs, collisions.

Signals, kills, crashes and concurrent runs use the CLI in a separate process (``_driver.py``); checks that
need none of these call it in-process (faster). All use tiny synthetic images and check the
invariants of ``docs/design.md`` § Batch safety: no input modified, every "ok" report row's output exists with
its recorded hash, no worker process left behind, no temp file left behind, exit codes as documented.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from qualipress.io import TEMP_PREFIX, as_image, read_jsonl, sha256_file, write_image
from qualipress.pipeline import REPORT_NAME, batch
from tests.conftest import photo_like

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux only")

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("_driver.py")
FAST = ["--codec", "jpeg", "--target", "ssim>=0.9", "--no-film"]


# -- helpers ----------------------------------------------------------------------------------------------
def _images(folder: Path, n: int, *, prefix: str = "img", suffix: str = ".png") -> dict[Path, str]:
    """``n`` tiny images in ``folder``; returns {path: sha256} to check later that none was modified."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i in range(n):
        p = folder / f"{prefix}{i:02d}{suffix}"
        write_image(p, as_image(photo_like(24, 32, seed=i)))
        out[p] = sha256_file(p)
    return out


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    env["QP_TRACE"] = str(tmp_path / "trace.txt")
    env.update(extra)
    return env


def _start(tmp_path: Path, args: list[str], **extra: str) -> subprocess.Popen[str]:
    """The CLI in its own process group (so a group signal is what a terminal's Ctrl-C sends)."""
    return subprocess.Popen([sys.executable, str(DRIVER), *args], env=_env(tmp_path, **extra), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _run(tmp_path: Path, args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(DRIVER), *args], env=_env(tmp_path, **extra), text=True,
                          capture_output=True, timeout=120)


def _cli(capsys: pytest.CaptureFixture[str], args: list[str]) -> SimpleNamespace:
    """The CLI in this process (for checks that need no signal or kill: faster than a new interpreter)."""
    from qualipress.cli import main

    capsys.readouterr()
    code = main(args)
    return SimpleNamespace(returncode=code, stderr=capsys.readouterr().err)


def _wait_for(cond: Callable[[], bool], timeout: float = 90.0) -> None:  # generous: loaded machines
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out waiting for the batch to get going"
        time.sleep(0.05)


def _traced(tmp_path: Path) -> list[tuple[int, str]]:
    f = tmp_path / "trace.txt"
    if not f.exists():
        return []
    rows = [line.split(" ", 1) for line in f.read_text().splitlines() if " " in line]
    return [(int(pid), name) for pid, name in rows]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has stopped; its parent just has not reaped it


def _no_orphans(pids: set[int], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        assert time.monotonic() < end, f"processes still running: {[p for p in pids if _alive(p)]}"
        time.sleep(0.05)


def _report(out: Path) -> list[dict]:
    return [r for r in read_jsonl(out / REPORT_NAME) if "input" in r]


def _check(inputs: dict[Path, str], out: Path, tmp_path: Path) -> list[dict]:
    """The invariants; returns the report rows."""
    assert {p: sha256_file(p) for p in inputs} == inputs, "an input was modified"
    rows = _report(out)
    for r in rows:
        if not r.get("error"):
            assert Path(r["output"]).is_file(), f"reported but missing: {r['output']}"
            assert sha256_file(r["output"]) == r["output_sha256"], f"hash differs: {r['output']}"
    _no_orphans({pid for pid, _ in _traced(tmp_path)} - {os.getpid()})
    return rows


def _temps(out: Path) -> list[Path]:
    return list(out.rglob(TEMP_PREFIX + "*"))


# -- signals and kills ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sig", "code", "jobs"), [(signal.SIGINT, 130, "2"), (signal.SIGTERM, 143, "2"),
                                                   (signal.SIGINT, 130, "1")])
def test_signal_stops_promptly_keeps_finished_work_and_resumes(tmp_path, sig, code, jobs):
    inputs = _images(tmp_path / "in", 12)
    out = tmp_path / "out"
    proc = _start(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), "--jobs", jobs, *FAST],
                  QP_SLOW="0.4")
    _wait_for(lambda: len(_traced(tmp_path)) >= 4)
    begun = len(_traced(tmp_path))
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)  # Ctrl-C hits the whole group
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5, "did not stop promptly"
    assert proc.returncode == code
    assert "interrupted — rerun to resume" in err and "Traceback" not in err
    rows = _check(inputs, out, tmp_path)
    assert not any(r.get("error") for r in rows)
    assert len(rows) >= begun - int(jobs), "files finished before the signal are missing from the report"
    started = len(_traced(tmp_path))
    assert started < 12, "workers went on with the queue after the signal"
    again = _run(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), "--jobs", jobs, *FAST])
    assert again.returncode == 0, again.stderr
    assert len(_traced(tmp_path)) - started == 12 - len(rows), "finished files were redone"
    rows = _check(inputs, out, tmp_path)
    assert len({r["input"] for r in rows if not r.get("error")}) == 12
    assert not _temps(out) and not list((out / ".qualipress-pending").glob("*"))


def test_kill9_of_main_takes_the_workers_down_and_a_rerun_completes(tmp_path):
    inputs = _images(tmp_path / "in", 10)
    out = tmp_path / "out"
    proc = _start(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), "--jobs", "2", *FAST],
                  QP_SLOW="0.4")
    _wait_for(lambda: len({pid for pid, _ in _traced(tmp_path)}) >= 2 and len(_traced(tmp_path)) >= 4)
    proc.kill()
    proc.communicate(timeout=30)
    workers = {pid for pid, _ in _traced(tmp_path)}
    _no_orphans(workers)
    n_before = len(_traced(tmp_path))
    time.sleep(0.5)
    assert len(_traced(tmp_path)) == n_before, "orphaned workers kept going"
    again = _run(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), "--jobs", "2", *FAST])
    assert again.returncode == 0, again.stderr
    rows = _check(inputs, out, tmp_path)
    assert len({r["input"] for r in rows if not r.get("error")}) == 10
    assert len(_traced(tmp_path)) - n_before < 10, "work finished before the kill was redone"
    assert not _temps(out)


def test_a_worker_crash_fails_that_file_only(tmp_path):
    inputs = _images(tmp_path / "in", 6)
    out = tmp_path / "out"
    res = _run(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), "--jobs", "2", *FAST],
               QP_CRASH="img03.png")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    rows = _check(inputs, out, tmp_path)
    failed = {Path(r["input"]).name: r["error"] for r in rows if r.get("error")}
    assert set(failed) == {"img03.png"} and "worker process died" in failed["img03.png"]
    assert len([r for r in rows if not r.get("error")]) == 5
    assert not _temps(out)


# -- concurrent runs, collisions, inputs never targets ----------------------------------------------------
def test_a_second_run_into_the_same_output_directory_is_refused(tmp_path):
    inputs = _images(tmp_path / "in", 6)
    out = tmp_path / "out"
    # 3 s per file: the second run's start-up (seconds on a loaded machine) must land while the first still runs
    first = _start(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), *FAST], QP_SLOW="3.0")
    _wait_for(lambda: len(_report(out)) >= 1)
    second = _run(tmp_path, ["compress", str(tmp_path / "in"), "-o", str(out), *FAST])
    assert second.returncode == 2 and "another qualipress run" in second.stderr
    assert len(second.stderr.strip().splitlines()) <= 2
    first.communicate(timeout=120)
    assert first.returncode == 0
    rows = _check(inputs, out, tmp_path)
    assert len([r for r in rows if not r.get("error")]) == 6


@pytest.mark.parametrize("extra", [[], ["--overwrite"], ["--jobs", "2"], ["--overwrite", "--jobs", "2"]])
def test_two_inputs_one_output_name_is_refused_before_any_work(tmp_path, extra, capsys):
    src = tmp_path / "in"
    inputs = _images(src, 2, prefix="a")
    (src / "a00.png").rename(src / "shot.0001.png")
    (src / "a01.png").rename(src / "shot.0001.tif")
    inputs = {src / "shot.0001.png": inputs[src / "a00.png"], src / "shot.0001.tif": inputs[src / "a01.png"]}
    out = tmp_path / "out"
    res = _cli(capsys, ["compress", str(src), "-o", str(out), *FAST, *extra])
    assert res.returncode == 2
    assert "shot.0001.png" in res.stderr and "shot.0001.tif" in res.stderr and "--name-with-ext" in res.stderr
    assert not _report(out) and not list(out.glob("shot*"))
    _check(inputs, out, tmp_path)
    if extra != ["--overwrite", "--jobs", "2"]:
        return
    res = _cli(capsys, ["compress", str(src), "-o", str(out), *FAST, *extra, "--name-with-ext"])
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.glob("shot*")) == ["shot.0001.png.jpg", "shot.0001.tif.jpg"]
    _check(inputs, out, tmp_path)


def test_same_name_under_two_roots_is_refused(tmp_path, capsys):
    a = _images(tmp_path / "d1", 1)
    b = _images(tmp_path / "d2", 1)
    res = _cli(capsys, ["compress", str(tmp_path / "d1"), str(tmp_path / "d2"), "-o", str(tmp_path / "o"),
                          *FAST, "--name-with-ext"])
    assert res.returncode == 2 and "separate output directories" in res.stderr
    _check({**a, **b}, tmp_path / "o", tmp_path)
    # QA 8: without --name-with-ext the hint suggested it, but the same file name keeps the same extension; the
    # remedies are the common parent folder as the input (sub-folders kept) or separate output directories
    res = _cli(capsys, ["compress", str(tmp_path / "d1"), str(tmp_path / "d2"), "-o", str(tmp_path / "o"), *FAST])
    assert res.returncode == 2 and "--name-with-ext" not in res.stderr
    assert "common folder" in res.stderr and "separate output directories" in res.stderr
    _check({**a, **b}, tmp_path / "o", tmp_path)


def test_overwrite_never_replaces_another_input(tmp_path, capsys):
    d = tmp_path / "d"
    inputs = _images(d, 1, prefix="a")
    (d / "a00.png").rename(d / "a.png")
    other = d / "a.webp"
    from qualipress import codecs

    other.write_bytes(codecs.get("webp").encode(photo_like(24, 32, seed=5), quality=80))
    inputs = {d / "a.png": inputs[d / "a00.png"], other: sha256_file(other)}
    res = _cli(capsys, ["compress", str(d), "-o", str(d), "--codec", "webp", "--target", "ssim>=0.9",
                          "--no-film", "--overwrite"])
    assert res.returncode == 2 and "a.webp" in res.stderr
    _check(inputs, d, tmp_path)
    res = _cli(capsys, ["compress", str(d), "-o", str(d), "--codec", "webp", "--target", "ssim>=0.9",
                          "--no-film", "--overwrite", "--name-with-ext"])
    assert res.returncode == 0, res.stderr
    _check(inputs, d, tmp_path)


# -- files left behind, report torn, output inside input, globs, permissions ------------------------------
def test_torn_report_line_costs_only_that_record(tmp_path, capsys):
    inputs = _images(tmp_path / "in", 4)
    out = tmp_path / "out"
    assert _cli(capsys, ["compress", str(tmp_path / "in"), "-o", str(out), *FAST]).returncode == 0
    report = out / REPORT_NAME
    lines = report.read_text().splitlines()
    # killed mid-append: the 4th line is torn and its job's pending marker (removed after the append) remains
    report.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    torn = json.loads(lines[3])["output"]
    batch._mark_pending(out, Path(torn), [Path(torn)])
    res = _cli(capsys, ["compress", str(tmp_path / "in"), "-o", str(out), *FAST])
    assert res.returncode == 0, res.stderr
    rows = _check(inputs, out, tmp_path)
    assert len(rows) == 4 and len({r["input"] for r in rows}) == 4  # 3 kept + the redone one, all parseable
    res = _cli(capsys, ["compress", str(tmp_path / "in"), "-o", str(out), *FAST])
    assert res.returncode == 0 and len(_report(out)) == 4  # nothing redone


def test_output_inside_input_is_not_reingested_and_user_files_survive(tmp_path, capsys):
    src = tmp_path / "in"
    inputs = _images(src, 3)
    out = src / "out"
    out.mkdir()
    mine = out / ".draft.jpg.part"
    mine.write_bytes(b"a user's own file")
    for _ in range(2):
        res = _cli(capsys, ["compress", str(src), "-o", str(out), *FAST])
        assert res.returncode == 0, res.stderr
    rows = _check(inputs, out, tmp_path)
    assert len(rows) == 3 and not (out / "out").exists()
    assert mine.read_bytes() == b"a user's own file"
    # outputs written next to their inputs are not inputs of the next run either
    flat = tmp_path / "flat"
    inputs = _images(flat, 3)
    for _ in range(2):
        res = _cli(capsys, ["compress", str(flat), "-o", str(flat), *FAST])
        assert res.returncode == 0, res.stderr
    assert len(_check(inputs, flat, tmp_path)) == 3 and len(list(flat.glob("*.jpg"))) == 3


def test_glob_through_a_symlink_loop_finds_each_image_once(tmp_path, capsys):
    src = tmp_path / "in"
    inputs = _images(src / "sub", 2)
    (src / "sub" / "loop").symlink_to(src)
    res = _cli(capsys, ["compress", f"{src}/**/*.png", "-o", str(tmp_path / "out"), *FAST])
    assert res.returncode == 0, res.stderr
    rows = _check(inputs, tmp_path / "out", tmp_path)
    assert sorted(Path(r["output"]).relative_to(tmp_path / "out").as_posix() for r in rows) == [
        "sub/img00.jpg", "sub/img01.jpg"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_respect_the_umask(tmp_path, umask, mode, capsys):
    _images(tmp_path / "in", 1)
    old = os.umask(umask)
    try:
        res = _cli(capsys, ["compress", str(tmp_path / "in"), "-o", str(tmp_path / "out"), *FAST])
    finally:
        os.umask(old)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "img00.jpg").stat().st_mode & 0o777 == mode
    assert (tmp_path / "out" / REPORT_NAME).stat().st_mode & 0o777 == mode


# -- usage errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["compress", "x.png"], ["compress", "x.png", "-o", "o", "--jobs", "abc"],
                                  ["compress", "--bogus"], ["no-such-command"]])
def test_usage_errors_are_one_line_exit_2(tmp_path, capsys, args):
    from qualipress.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_usage_error_from_the_real_command(tmp_path):
    res = _run(tmp_path, ["compress", str(tmp_path), "--jobs", "abc"])
    assert res.returncode == 2 and "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
