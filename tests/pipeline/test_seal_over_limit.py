"""seal_over_limit: the seal goes to the sidecar only when it alone pushes a file over a limit it met."""

from __future__ import annotations

from qualipress.pipeline.hooks import seal_over_limit


def test_only_a_limit_between_the_unsealed_and_the_sealed_size_counts() -> None:
    chosen, sealed = b"x" * 100, b"x" * 150
    assert seal_over_limit(chosen, sealed, [120])
    assert seal_over_limit(chosen, sealed, [100])  # met exactly without the seal
    assert not seal_over_limit(chosen, sealed, [150])  # met with the seal too
    assert not seal_over_limit(chosen, sealed, [99])  # missed even without the seal: the seal is not to blame
    assert not seal_over_limit(chosen, sealed, [None, 200.0])
    assert seal_over_limit(chosen, sealed, [None, 200.0, 120.5])  # any one limit is enough
    assert not seal_over_limit(chosen, chosen, [100])  # nothing embedded
