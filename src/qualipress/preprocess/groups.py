"""Combination groups: every set of up to ``k`` pool methods, plus "no processing".

Order: like the paper we treat a group as a *set* (``nlm+detail`` and ``detail+nlm`` are one group). The methods
of a group are always applied in the pool's canonical order (:data:`qualipress.preprocess.pool.POOL`:
smoothing and denoising first, then deblocking, then detail enhancement), so a group name is normalised by
sorting its members into that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from qualipress.errors import UnsupportedError
from qualipress.io import Image
from qualipress.preprocess.pool import DEFAULT_POOL, POOL, get_method

#: Name of the empty group.
NONE = "none"


@dataclass(frozen=True)
class Group:
    """A set of pool methods applied in canonical order.

    Parameters
    ----------
    methods : tuple of str
        Member names in canonical pool order (empty for "no processing").
    """

    methods: tuple[str, ...]

    @property
    def name(self) -> str:
        """``"none"`` or the members joined by ``+`` (e.g. ``"nlm+detail"``)."""
        return "+".join(self.methods) if self.methods else NONE

    def apply(self, image: Image) -> Image:
        """Run the members one after the other; the input is never modified."""
        out = image
        for m in self.methods:
            out = get_method(m).function(out)
        return out

    def __call__(self, image: Image) -> Image:
        return self.apply(image)


def canonical(methods: Sequence[str]) -> tuple[str, ...]:
    """Members sorted into pool order, duplicates refused.

    Raises
    ------
    UnsupportedError
        Unknown method or a method listed twice.
    """
    order = list(POOL)
    for m in methods:
        if m not in POOL:
            raise UnsupportedError(f"unknown preprocessing method {m!r}; known: {', '.join(POOL)}")
    if len(set(methods)) != len(methods):
        raise UnsupportedError(f"a method is listed twice in {'+'.join(methods)!r}")
    return tuple(sorted(methods, key=order.index))


def parse_group(name: str) -> Group:
    """Parse ``"none"``, ``"nlm"`` or ``"nlm+detail"`` into a :class:`Group` (members checked)."""
    name = name.strip()
    if name in ("", NONE):
        return Group(())
    return Group(canonical([p.strip() for p in name.split("+")]))


def make_groups(pool: Sequence[str] = DEFAULT_POOL, *, max_combo: int = 2) -> list[Group]:
    """Every combination of 1..``max_combo`` pool methods, preceded by the empty group.

    Parameters
    ----------
    pool : sequence of str
        Method names (normalised to canonical order).
    max_combo : int
        Largest group size k (the paper uses 2). ``0`` gives only "no processing".

    Returns
    -------
    list of Group
        ``1 + sum_{i<=k} C(len(pool), i)`` groups, in a stable order.
    """
    if max_combo < 0:
        raise UnsupportedError(f"max_combo must be >= 0, got {max_combo}")
    members = canonical(list(pool))
    groups = [Group(())]
    for k in range(1, min(max_combo, len(members)) + 1):
        groups.extend(Group(c) for c in combinations(members, k))
    return groups
