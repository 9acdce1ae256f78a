"""A user profile file adds profiles; it never redefines a built-in one (QA: [C1] in a user TOML silently
changed what C1 meant, while reports still said C1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.errors import TargetError
from qualipress.profiles import builtin_profiles, get_profile, load_profiles


def test_user_file_adds_but_never_redefines_a_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ok = tmp_path / "ok.toml"
    ok.write_text('[web]\ntarget = ["ssim>=0.93"]\n')
    assert set(load_profiles(ok)) == {*builtin_profiles(), "web"}
    for name in ("C1", "c1"):
        bad = tmp_path / f"{name}.toml"
        bad.write_text(f'[web]\ntarget = ["ssim>=0.93"]\n[{name}]\ntarget = ["psnr>=20"]\n')
        with pytest.raises(TargetError, match="redefine the built-in profile C1"):
            load_profiles(bad)
    monkeypatch.setenv("QUALIPRESS_PROFILES", str(tmp_path / "C1.toml"))
    with pytest.raises(TargetError, match="redefine"):
        get_profile("web")
    monkeypatch.delenv("QUALIPRESS_PROFILES")
    assert main(["profiles", "--profiles", str(tmp_path / "C1.toml")]) == 2
    assert "redefine" in capsys.readouterr().err
