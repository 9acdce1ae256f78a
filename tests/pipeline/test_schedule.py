"""Sequence-aware scheduling: a shot's frames to one worker, in order; shots in parallel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualipress.pipeline.schedule import run_by_sequence, sequence_chunks, sequence_key


def _keys(shots: dict[str, int]) -> list[tuple[str, int | None]]:
    out = []
    for shot, n in shots.items():
        out += [sequence_key(Path(f"/s/{shot}.{100 + k:04d}.dpx")) for k in range(n)]
    # shuffled input order: the scheduler must restore frame order
    return out[::-1]


def test_sequence_key_parses_numbered_names() -> None:
    assert sequence_key("/a/shot_a.0101.dpx") == ("/a/shot_a.#.dpx", 101)
    assert sequence_key("/a/reel1_000123.TIF") == ("/a/reel1_#.tif", 123)
    assert sequence_key("/a/poster.png") == ("/a/poster.png", None)


def test_each_chunk_is_one_shot_in_frame_order_and_every_item_once() -> None:
    keys = _keys({"a": 10, "b": 7, "c": 1})
    chunks = sequence_chunks(keys, workers=2)
    assert sorted(i for c in chunks for i in c) == list(range(len(keys)))
    for c in chunks:
        assert len({keys[i][0] for i in c}) == 1
        nums = [keys[i][1] for i in c]
        assert nums == sorted(nums) and nums == list(range(nums[0], nums[0] + len(nums)))


def test_shots_are_kept_whole_when_there_are_enough_of_them() -> None:
    keys = _keys({"a": 6, "b": 6, "c": 6, "d": 6})
    chunks = sequence_chunks(keys, workers=2)
    assert len(chunks) == 4 and all(len(c) == 6 for c in chunks)


def test_one_long_shot_is_split_so_every_worker_gets_a_share() -> None:
    keys = _keys({"a": 20})
    chunks = sequence_chunks(keys, workers=2)
    assert [len(c) for c in chunks] == [10, 10]
    assert max(len(c) for c in sequence_chunks(_keys({"a": 100}), workers=2, max_chunk=16)) <= 16
    with pytest.raises(ValueError):
        sequence_chunks(keys, workers=0)


def _whoami(task: tuple[str, int]) -> tuple[str, int, int]:
    return task[0], task[1], os.getpid()


def _boom(task: tuple[str, int]) -> tuple[str, int, int]:
    if task == ("b", 2):
        os._exit(3)  # a worker crash (segfault, OOM kill) in the middle of shot b
    return task[0], task[1], os.getpid()


def test_run_by_sequence_keeps_a_shot_on_one_worker_in_order() -> None:
    tasks = [(shot, k) for k in range(5) for shot in ("a", "b")]  # interleaved on input
    keys = [(s, k) for s, k in tasks]
    done = list(run_by_sequence(_whoami, tasks, keys, jobs=2))
    assert sorted(i for i, _ in done) == list(range(len(tasks)))
    for shot in ("a", "b"):
        mine = [r for _, r in done if r[0] == shot]
        assert [r[1] for r in mine] == list(range(5))  # frame order
        assert len({r[2] for r in mine}) == 1  # one worker
    assert {r[2] for _, r in done} != {os.getpid()}


def test_a_crash_fails_only_its_own_task() -> None:
    tasks = [(shot, k) for shot in ("a", "b") for k in range(4)]
    done = dict(run_by_sequence(_boom, tasks, list(tasks), jobs=2))
    assert sorted(done) == list(range(len(tasks)))
    failed = [tasks[i] for i, r in done.items() if isinstance(r, BaseException)]
    assert failed == [("b", 2)]


def test_later_chunks_of_a_split_shot_wait_on_its_first_frame() -> None:
    from qualipress.pipeline.schedule import seeded_after

    keys = _keys({"a": 6, "b": 1})  # reversed: shot a's first frame (0100) is item 5
    chunks = sequence_chunks(keys, workers=3)
    after = seeded_after(chunks, keys)
    first_a = next(i for i, k in enumerate(keys) if k == sequence_key("/s/a.0100.dpx"))
    for chunk, dep in zip(chunks, after, strict=True):
        if keys[chunk[0]][0] != keys[first_a][0]:
            assert dep is None  # shot b is one chunk
        else:
            assert dep == (None if first_a in chunk else first_a)
    assert sum(d is not None for d in after) == sum(keys[c[0]][0] == keys[first_a][0] for c in chunks) - 1 >= 1


@pytest.mark.parametrize("stream", [False, True])
def test_one_job_runs_a_shot_in_frame_order_whatever_the_name_order(stream: bool) -> None:
    # qa13film: numbers padded differently (or not at all) sort wrongly by name: g_00005 < g_0001, f_10 < f_2
    names = ["/s/g_00005.dpx", "/s/g_0001.dpx", "/s/g_0002.dpx", "/s/g_0004.dpx", "/s/g_7.dpx",
             "/s/f_1.dpx", "/s/f_10.dpx", "/s/f_2.dpx", "/s/poster.png"]
    keys = [sequence_key(n) for n in names]
    done = list(run_by_sequence(_whoami, [(n, 0) for n in names], keys, jobs=1,
                                stream=_stream_whoami if stream else None))
    assert sorted(i for i, _ in done) == list(range(len(names)))
    assert all(r[0] == names[i] for i, r in done)  # each result under its own task's index
    order = [names[i] for i, _ in done]
    assert [n for n in order if "/g_" in n] == ["/s/g_0001.dpx", "/s/g_0002.dpx", "/s/g_0004.dpx", "/s/g_00005.dpx",
                                                 "/s/g_7.dpx"]
    assert [n for n in order if "/f_" in n] == ["/s/f_1.dpx", "/s/f_2.dpx", "/s/f_10.dpx"]


def _stream_whoami(tasks: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    return [_whoami(t) for t in tasks]
