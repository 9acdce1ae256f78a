import pytest

from qualipress.errors import UnsupportedError
from qualipress.preprocess.groups import make_groups, parse_group
from qualipress.preprocess.pool import DEFAULT_POOL

from .conftest import textured


def test_group_count_k2():
    groups = make_groups(DEFAULT_POOL, max_combo=2)
    n = len(DEFAULT_POOL)
    assert len(groups) == 1 + n + n * (n - 1) // 2
    assert groups[0].name == "none"
    assert len({g.name for g in groups}) == len(groups)


def test_group_count_k0_and_k1():
    assert [g.name for g in make_groups(["nlm", "detail"], max_combo=0)] == ["none"]
    assert [g.name for g in make_groups(["detail", "nlm"], max_combo=1)] == ["none", "nlm", "detail"]


def test_order_is_ignored_and_canonical():
    assert parse_group("detail+nlm").name == "nlm+detail"
    assert parse_group("nlm+detail") == parse_group("detail+nlm")
    img = textured()
    assert (parse_group("detail+nlm")(img).pixels == parse_group("nlm+detail")(img).pixels).all()


def test_none_group_is_identity():
    img = textured()
    assert parse_group("none")(img) is img


@pytest.mark.parametrize("bad", ["nlm+nlm", "nlm+magic", "magic"])
def test_bad_groups(bad):
    with pytest.raises(UnsupportedError):
        parse_group(bad)


def test_negative_k():
    with pytest.raises(UnsupportedError):
        make_groups(DEFAULT_POOL, max_combo=-1)
