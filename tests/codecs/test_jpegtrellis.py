"""JPEG trellis quantisation: the Huffman rate model and the per-block trellis against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qualipress.codecs.jpegtrellis import (
    DC_SYMBOLS,
    ZIGZAG,
    ac_symbols,
    bit_length,
    code_lengths,
    dc_symbols,
    dc_trellis,
    huffman_lengths,
    trellis,
)


def _block_bits(levels: np.ndarray, lengths: np.ndarray) -> float:
    """Baseline Huffman bits of one block's AC levels (zig-zag order), written out the slow way."""
    bits, run, last = 0.0, 0, 0
    for k in range(1, 64):
        a = abs(int(levels[k]))
        if a == 0:
            run += 1
            continue
        while run > 15:
            bits += lengths[0xF0]
            run -= 16
        size = int(a).bit_length()
        bits += lengths[(run << 4) | size] + size
        run, last = 0, k
    if last < 63:
        bits += lengths[0x00]
    return bits


def test_ac_symbols_counts_runs_zrl_and_eob():
    lv = np.zeros((3, 64), np.int64)
    lv[0, [1, 2, 20]] = [3, -1, 1]          # run 0 size 2, run 0 size 1, run 17 -> ZRL + run 1 size 1, EOB
    lv[1, 63] = 5                            # run 62 -> 3 ZRL + run 14 size 3, no EOB (last position coded)
    counts = ac_symbols(lv)                  # block 2: all zero -> EOB only
    assert counts[0x02] == 1 and counts[0x01] == 1 and counts[0x11] == 1
    assert counts[0xF0] == 1 + 3 and counts[0xE3] == 1
    assert counts[0x00] == 2 and counts.sum() == 5 + 4 + 1


def test_code_lengths_follow_frequencies():
    counts = np.zeros(256, np.int64)
    counts[0x01], counts[0x02], counts[0x00] = 500, 100, 400
    ln = code_lengths(counts)
    assert ln[0x01] < ln[0x00] < ln[0x02] < ln[0x35]
    assert ln.min() >= 1.0 and ln.max() <= 16.0


def test_trellis_finds_the_brute_force_optimum():
    rng = np.random.default_rng(3)
    lengths = code_lengths(rng.integers(0, 50, 256))
    weight = rng.uniform(0.5, 2.0, 64)
    for _ in range(25):
        u = np.zeros(64)
        pos = np.sort(rng.choice(np.arange(1, 64), size=4, replace=False))
        u[pos] = rng.uniform(0.55, 3.4, 4) * rng.choice([-1, 1], 4)
        u[0] = 7.2
        lam = float(rng.uniform(0.05, 3.0))
        got = trellis(u[None], weight, lam, lengths)[0]

        def cost(lv, u=u, lam=lam):
            return float((weight[1:] * (np.abs(u[1:]) - np.abs(lv[1:])) ** 2).sum()) + lam * _block_bits(lv, lengths)

        plain = np.floor(np.abs(u) + 0.5).astype(int)
        options = [[plain[k], plain[k] - 1, 0] if plain[k] > 1 else [plain[k], 0] for k in pos]
        best = float("inf")
        for choice in itertools.product(*options):
            lv = np.zeros(64, np.int64)
            lv[pos] = choice
            best = min(best, cost(lv))
        assert got[0] == 7
        assert np.all(np.sign(got[pos]) * np.sign(u[pos]) >= 0)
        assert cost(got) == pytest.approx(best, abs=1e-9)


def test_trellis_extremes():
    rng = np.random.default_rng(0)
    u = rng.normal(0, 3, (50, 64))
    lengths = code_lengths(ac_symbols(np.floor(np.abs(u) + 0.5).astype(int)))
    plain = (np.floor(np.abs(u) + 0.5) * np.sign(u)).astype(int)
    assert np.array_equal(trellis(u, np.ones(64), 0.0, lengths), plain)
    huge = trellis(u, np.ones(64), 1e9, lengths)
    assert not huge[:, 1:].any() and np.array_equal(huge[:, 0], plain[:, 0])


def _dc_cost(levels, u, weight, lam, lengths):
    """D + λ·R of a DC level sequence, written out the slow way (DPCM from 0)."""
    cost, prev = 0.0, 0
    for lv, x, w in zip(levels, u, weight, strict=True):
        size = abs(int(lv) - prev).bit_length()
        cost += w * (x - lv) ** 2 + lam * (lengths[size] + size)
        prev = int(lv)
    return cost


def test_dc_symbols_count_dpcm_size_categories():
    counts = dc_symbols(np.array([3, 3, -1, 6, 6]))  # diffs 3, 0, -4, 7, 0 -> sizes 2, 0, 3, 3, 0
    assert counts[0] == 2 and counts[2] == 1 and counts[3] == 2 and counts.sum() == 5
    assert len(counts) == DC_SYMBOLS


def test_dc_trellis_finds_the_brute_force_optimum():
    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(1, 8))
        u = rng.normal(0, 6, n)
        weight = rng.uniform(0.3, 3.0, n)
        lengths = code_lengths(rng.integers(0, 60, DC_SYMBOLS))
        lam = float(rng.uniform(0.02, 2.0))
        got = dc_trellis(u, weight, lam, lengths)
        best = min(_dc_cost(np.floor(u).astype(int) + np.array(c), u, weight, lam, lengths)
                   for c in itertools.product((0, 1), repeat=n))
        assert np.all(np.abs(got - u) < 1.0)
        assert _dc_cost(got, u, weight, lam, lengths) == pytest.approx(best, abs=1e-9), trial


def test_dc_trellis_rounds_at_zero_price_and_saves_bits_when_bits_cost():
    rng = np.random.default_rng(1)
    u = np.cumsum(rng.normal(0, 1.2, 400)) + rng.uniform(-0.5, 0.5, 400)
    lengths = code_lengths(dc_symbols(np.floor(u + 0.5).astype(int)))
    assert np.array_equal(dc_trellis(u, 1.0, 0.0, lengths), np.floor(u + 0.5).astype(int))
    plain = np.floor(u + 0.5).astype(int)
    got = dc_trellis(u, 1.0, 1.0, lengths)

    def bits(lv):
        c = dc_symbols(lv)
        return float((c * (lengths + np.arange(DC_SYMBOLS))).sum())

    assert bits(got) < bits(plain)
    assert _dc_cost(got, u, np.ones(400), 1.0, lengths) < _dc_cost(plain, u, np.ones(400), 1.0, lengths)


def test_block_bits_add_up_to_the_symbol_counts():
    rng = np.random.default_rng(1)
    lv = (rng.random((300, 64)) < 0.15) * rng.integers(-20, 21, (300, 64))
    lv[:5, 1:] = 0  # empty blocks: EOB only
    lv[5, 1:] = 0
    lv[5, 63] = 3  # last position used: no EOB; a run of 62 zeros: three ZRL
    lengths = rng.uniform(1, 16, 256)
    from tests.codecs.trellis_reference import block_bits

    bits = block_bits(lv, lengths)
    total = (ac_symbols(lv) * lengths).sum() + bit_length(np.abs(lv[:, 1:])).sum()
    assert bits.sum() == pytest.approx(total)
    assert bits[0] == pytest.approx(lengths[0x00])
    assert bits[5] == pytest.approx(3 * lengths[0xF0] + lengths[(14 << 4) | 2] + 2)


def test_block_bits_match_the_slow_count_per_block():
    rng = np.random.default_rng(2)
    lv = (rng.random((60, 64)) < 0.2) * rng.integers(-300, 301, (60, 64))
    lv[0, 1:] = 0
    lv[1, 1:] = 0
    lv[1, 40] = -1  # a run of 38 zeros: two ZRL
    lengths = rng.uniform(1, 16, 256)
    from tests.codecs.trellis_reference import block_bits

    assert block_bits(lv, lengths) == pytest.approx([_block_bits(b, lengths) for b in lv])


def _random_case(rng: np.random.Generator, per_block_weight: bool):
    n = int(rng.integers(1, 1500))
    u = rng.laplace(0, rng.uniform(0.3, 8.0), (n, 64))
    u[rng.random((n, 64)) < 0.3] = 0.0
    u[: n // 10, 1:] *= 0.2  # some blocks with no level at all
    lengths = code_lengths(ac_symbols(np.floor(np.abs(u) + 0.5).astype(np.int64)))
    weight = rng.uniform(0.5, 300.0, (n, 64) if per_block_weight else 64)
    return u, weight, lengths


def test_compiled_trellis_chooses_the_numpy_references_levels():
    # the kernel replaced a vectorised NumPy trellis; every level must be the same, ties included
    from tests.codecs.trellis_reference import reference_trellis

    rng = np.random.default_rng(11)
    for case in range(16):
        u, weight, lengths = _random_case(rng, per_block_weight=case % 2 == 1)
        lam = float(rng.choice([0.0, rng.uniform(0.01, 5.0), rng.uniform(5.0, 500.0)]))
        zero = float(rng.choice([0.5, 0.62, 0.8]))
        got = trellis(u, weight, lam, lengths, zero)
        assert got.dtype == np.int64 and got.shape == u.shape
        assert np.array_equal(got, reference_trellis(u, weight, lam, lengths, zero)), case


def test_compiled_trellis_matches_the_reference_on_photos(data_dir):
    # real DCT statistics (Kodak luma at two JPEG qualities), one weight per position and per block
    from qualipress.io import read_image
    from qualipress.io.jpegtables import ANNEX_K_LUMA, dct_matrix, ijg_table
    from tests.codecs.trellis_reference import reference_trellis

    d = dct_matrix()
    rng = np.random.default_rng(4)
    for name in ("kodim05.png", "kodim23.png"):
        px = read_image(data_dir / "kodak" / name).pixels.astype(np.float64)
        y = px @ np.array([0.299, 0.587, 0.114]) - 128.0
        h, w = (s // 8 * 8 for s in y.shape)
        blocks = y[:h, :w].reshape(h // 8, 8, w // 8, 8).swapaxes(1, 2)
        coefs = (d @ blocks @ d.T).reshape(-1, 64)[:, ZIGZAG]
        for q in (40, 90):
            steps = ijg_table(ANNEX_K_LUMA, q).reshape(-1)[ZIGZAG].astype(np.float64)
            u = coefs / steps
            lengths = code_lengths(ac_symbols(np.floor(np.abs(u) + 0.5).astype(np.int64)))
            for weight in (steps**2, steps**2 * rng.uniform(0.25, 4.0, (len(u), 1))):
                lam = 0.15 * float(steps[0]) ** 2
                got = trellis(u, weight, lam, lengths)
                assert np.array_equal(got, reference_trellis(u, weight, lam, lengths)), (name, q)


def test_compiled_symbol_counts_match_the_numpy_count():
    from tests.codecs.trellis_reference import reference_ac_symbols

    rng = np.random.default_rng(6)
    lv = (rng.random((500, 64)) < rng.uniform(0.02, 0.6, (500, 1))) * rng.integers(-600, 601, (500, 64))
    lv[:20, 1:] = 0
    lv[20, 63] = -2
    for part in (lv, lv[:1], lv[:0], lv.astype(np.int32)):
        assert np.array_equal(ac_symbols(part), reference_ac_symbols(part))


def test_dc_viterbi_finds_the_brute_force_optimum():
    from qualipress.codecs.trellis_kernels import dc_viterbi

    rng = np.random.default_rng(12)
    for trial in range(30):
        n = int(rng.integers(1, 7))
        base = np.cumsum(rng.integers(-40, 41, n))
        cand = np.stack([base, base - 1, base + 1], axis=1).astype(np.int64)
        cost = rng.uniform(0.0, 8.0, cand.shape)
        single = rng.random(n) < 0.2  # blocks with one choice: the value repeated at one cost
        cand[single] = base[single, None]
        cost[single] = cost[single, :1]
        lengths = code_lengths(rng.integers(0, 60, DC_SYMBOLS))

        def total(values, cand=cand, cost=cost, lengths=lengths):
            out, prev = 0.0, 0
            for i, v in enumerate(values):
                size = abs(int(v) - prev).bit_length()
                out += cost[i, int(np.flatnonzero(cand[i] == v)[0])] + lengths[size] + size
                prev = int(v)
            return out

        best = min(total([cand[i, s] for i, s in enumerate(c)]) for c in itertools.product(range(3), repeat=n))
        got = dc_viterbi(cand, cost, lengths)
        assert all(got[i] in cand[i] for i in range(n))
        assert total(got) == pytest.approx(best, abs=1e-9), trial


def test_trellis_weights_are_one_row_or_one_per_block():
    from qualipress.errors import InputError

    rng = np.random.default_rng(2)
    u = rng.normal(0, 3, (5, 64))
    lengths = code_lengths(ac_symbols(np.floor(np.abs(u) + 0.5).astype(np.int64)))
    w = rng.uniform(0.5, 2.0, 64)
    assert np.array_equal(trellis(u, w[None], 1.0, lengths), trellis(u, np.tile(w, (5, 1)), 1.0, lengths))
    with pytest.raises(InputError):
        trellis(u, np.ones((3, 64)), 1.0, lengths)


def test_huffman_lengths_form_a_libjpeg_table():
    rng = np.random.default_rng(3)
    counts = np.zeros(256, np.int64)
    counts[rng.choice(256, 120, replace=False)] = (rng.pareto(1.0, 120) * 20 + 1).astype(np.int64)
    lengths = huffman_lengths(counts)
    seen = counts > 0
    assert np.all(lengths[seen] == np.round(lengths[seen])) and lengths[seen].max() <= 16
    kraft = (2.0 ** -lengths[seen]).sum()
    assert kraft < 1.0 and kraft >= 1.0 - 2.0 ** -lengths[seen].max()  # full tree less the reserved code
    # more frequent symbols never get longer codes; the mean is within one bit of the entropy
    order = np.argsort(-counts[seen], kind="stable")
    assert np.all(np.diff(lengths[seen][order]) >= 0)
    p = counts[seen] / counts.sum()
    assert 0 <= (p * lengths[seen]).sum() - (-(p * np.log2(p)).sum()) < 1.0
    assert np.array_equal(lengths[~seen], code_lengths(counts)[~seen])
    # Fibonacci counts make an unlimited Huffman tree ~30 deep: the table is limited to 16 bits and stays complete
    fib = [1, 1]
    while len(fib) < 30:
        fib.append(fib[-1] + fib[-2])
    counts = np.zeros(256, np.int64)
    counts[:30] = fib
    lengths = huffman_lengths(counts)
    assert lengths[:30].max() == 16 and (2.0 ** -lengths[:30]).sum() <= 1.0 - 2.0**-16


def test_dc_trellis_chooses_the_levels_of_its_python_reference_even_on_ties():
    from tests.codecs.trellis_reference import reference_dc_trellis

    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(0, 200))
        u = [rng.normal(0, 20, n), np.cumsum(rng.normal(0, 1.5, n)), rng.integers(-50, 50, n) + 0.5,
             rng.integers(-50, 50, n).astype(float)][trial % 4]  # the last two: exact ties between the levels
        weight = [1.0, rng.uniform(0, 3, n), np.where(rng.random(n) < 0.3, 0.0, 1.0)][trial % 3]
        lam = [0.0, 0.05, 1.0, 40.0, float(rng.uniform(0.01, 5))][trial % 5]
        lengths = code_lengths(rng.integers(0, 60, DC_SYMBOLS))
        got = dc_trellis(u, weight, lam, lengths)
        assert got.dtype == np.int64 and np.array_equal(got, reference_dc_trellis(u, weight, lam, lengths)), trial


def test_dc_trellis_needs_every_dc_code_length():
    from qualipress.errors import InputError

    with pytest.raises(InputError, match="DC code lengths"):
        dc_trellis(np.array([1.2, 3.4]), 1.0, 1.0, np.ones(DC_SYMBOLS - 1))
