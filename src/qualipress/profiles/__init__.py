"""Quality profiles: named targets (C0, C1, C2 built in; more from a user TOML file).

A profile file has one table per profile::

    [web]
    description = "small but clean"
    target = ["ssim>=0.93", "ssim@p5>=0.85"]

    [web.film]           # optional: parameters of the film decision checks (see the built-in profiles.toml)
    min_grain_corr = 0.7
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from qualipress.errors import TargetError
from qualipress.search.targets import Target, parse_target

#: Environment variable naming an extra profile file.
ENV_VAR = "QUALIPRESS_PROFILES"


@dataclass(frozen=True)
class Profile:
    """A named target."""

    name: str
    target: Target
    description: str = ""
    film: dict[str, object] = field(default_factory=dict, compare=False)


def _parse(data: dict, origin: str) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for name, body in data.items():
        if not isinstance(body, dict) or "target" not in body:
            raise TargetError(f"{origin}: profile [{name}] needs a 'target' list")
        tgt = body["target"]
        if isinstance(tgt, str):
            tgt = [tgt]
        film = body.get("film", {})
        if not isinstance(film, dict):
            raise TargetError(f"{origin}: [{name}.film] must be a table")
        try:
            target = parse_target(tgt)
        except TargetError as exc:  # name the file and profile: the user may not have asked for this one
            raise TargetError(f"{origin}: profile [{name}]: {exc}") from None
        out[name] = Profile(name, target, str(body.get("description", "")), dict(film))
    return out


def builtin_profiles() -> dict[str, Profile]:
    """C0, C1, C2 from the packaged ``profiles.toml``."""
    text = resources.files(__package__).joinpath("profiles.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), "built-in profiles.toml")


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """Built-in profiles, with those in ``path`` (or ``$QUALIPRESS_PROFILES``) added.

    Raises
    ------
    TargetError
        The file is missing or not valid TOML, a profile in it is malformed, or it names a built-in profile
        (C0, C1, C2 in any case): a built-in is never redefined.
    """
    profiles = builtin_profiles()
    src = path if path is not None else os.environ.get(ENV_VAR)
    if src:
        p = Path(src)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TargetError(f"{p}: profile file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise TargetError(f"{p}: not valid TOML ({exc})") from exc
        clash = sorted(n for n in data if n.upper() in profiles)
        if clash:  # reports record the profile's name: C1 must mean the same target everywhere
            raise TargetError(f"{p}: [{clash[0]}] would redefine the built-in profile {clash[0].upper()} "
                              f"({profiles[clash[0].upper()].target}); give yours another name")
        profiles.update(_parse(data, str(p)))
    return profiles


def get_profile(name: str, *, path: str | Path | None = None) -> Profile:
    """A profile by name (case-insensitive for the built-ins)."""
    profiles = load_profiles(path)
    if name in profiles:
        return profiles[name]
    if name.upper() in profiles:
        return profiles[name.upper()]
    raise TargetError(f"unknown profile {name!r}; known: {', '.join(profiles)}")


__all__ = ["ENV_VAR", "Profile", "builtin_profiles", "get_profile", "load_profiles"]
