"""JPEG trellis quantisation: the Huffman rate model and the per-block trellis against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qualipress.codecs.jpegtrellis import ac_symbols, code_lengths, trellis


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
