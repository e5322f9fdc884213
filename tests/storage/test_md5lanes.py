"""storage/md5lanes.py: the lane engine digests the MD5 jobs of many bodies together, from
any event loop, holds a job for company only within its slack, and completes each job's future
only once its batch is digested."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os

import pytest

from storage import md5lanes
from tests.storage.extension import md5x_or_skip

md5x = md5x_or_skip()


@pytest.fixture
def engine() -> md5lanes.LaneEngine:
    return md5lanes.LaneEngine()


async def test_submit_concurrent_jobs_of_different_lengths(engine: md5lanes.LaneEngine) -> None:
    # Lengths across slices and blocks, jobs coming while others run, some bodies fed twice.
    bodies = [os.urandom(size) for size in (0, 1, 63, 64, 65, 300_000, 700_001, 1 << 20)]
    states = [md5x.md5() for _ in bodies]
    halves = [len(data) // 3 for data in bodies]

    async def feed(state: object, data: bytes, cut: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await engine.submit(state, memoryview(data)[:cut], slack=0.001)
        await engine.submit(state, memoryview(data)[cut:])

    with engine.stream(), engine.stream():
        await asyncio.gather(
            *(
                feed(state, data, cut, 0.0005 * i)
                for i, (state, data, cut) in enumerate(zip(states, bodies, halves, strict=True))
            )
        )
    assert [s.digest() for s in states] == [hashlib.md5(d).digest() for d in bodies]


async def test_job_waits_for_company_until_every_stream_has_one(
    engine: md5lanes.LaneEngine,
) -> None:
    # Two bodies being received: the first job would wait an hour for the second body's, and
    # runs as soon as it comes (a wait for the hour would end in the test's timeout).
    first, second = md5x.md5(), md5x.md5()
    with engine.stream(), engine.stream():
        held = engine.submit(first, memoryview(b"a" * 100_000), slack=3600)
        await asyncio.sleep(0.05)
        assert not held.done()
        await engine.submit(second, memoryview(b"b" * 100_000), slack=3600)
        await held
    assert first.digest() == hashlib.md5(b"a" * 100_000).digest()
    assert second.digest() == hashlib.md5(b"b" * 100_000).digest()


async def held_until_a_second_body_comes(
    engine: md5lanes.LaneEngine, first: bytes, second: bytes
) -> None:
    """In a stream already open: a job for ``first`` is held for company, until a second body's
    job (``second``, in a stream of its own) comes; then both run."""
    states = md5x.md5(), md5x.md5()
    held = engine.submit(states[0], memoryview(first), slack=3600)
    await asyncio.sleep(0.05)
    assert not held.done()
    with engine.stream():
        await engine.submit(states[1], memoryview(second), slack=3600)
    await held
    assert [state.digest() for state in states] == [
        hashlib.md5(first).digest(),
        hashlib.md5(second).digest(),
    ]


async def test_job_waits_for_as_many_bodies_as_were_lately_received_at_once(
    engine: md5lanes.LaneEngine,
) -> None:
    # Two bodies were received at once a moment ago; now one is: its job waits for a second
    # body's, as if both were still streaming, and runs as soon as that one comes.
    with engine.stream(), engine.stream():
        pass
    with engine.stream():
        await held_until_a_second_body_comes(engine, b"a" * 100_000, b"b" * 100_000)


async def test_bodies_received_at_once_are_forgotten_after_a_while(
    engine: md5lanes.LaneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(md5lanes, "RECENT", 0.5)
    state = md5x.md5()
    with engine.stream():
        with engine.stream(), engine.stream():
            pass
        await asyncio.sleep(0.6)
        # Three at once is forgotten: the lone body's job runs at once.
        alone = engine.submit(state, memoryview(b"c" * 100_000), slack=3600)
        try:
            await asyncio.wait_for(asyncio.shield(alone), timeout=10)
        finally:
            engine.hurry(state)  # a failed wait leaves no job behind
            await alone
        assert state.digest() == hashlib.md5(b"c" * 100_000).digest()
        # Two at once now is remembered afresh: a job waits for a second body's.
        with engine.stream():
            pass
        await held_until_a_second_body_comes(engine, b"d" * 100_000, b"e" * 100_000)


async def test_job_runs_alone_when_its_slack_is_out_or_hurried(
    engine: md5lanes.LaneEngine,
) -> None:
    state = md5x.md5()
    with engine.stream(), engine.stream():
        await engine.submit(state, memoryview(b"x" * 1000), slack=0.01)
        held = engine.submit(state, memoryview(b"y" * 1000), slack=3600)
        engine.hurry(state)
        await held
    assert state.digest() == hashlib.md5(b"x" * 1000 + b"y" * 1000).digest()


async def test_cancelled_waiter_settles_before_the_buffer_is_reused(
    engine: md5lanes.LaneEngine,
) -> None:
    # As blobs.py does: the job is awaited through shield; a cancelled request still waits for
    # it (its buffer is the next upload's), and once done the job has digested every byte.
    data = bytearray(os.urandom(3 << 20))
    expected = hashlib.md5(data).digest()
    state = md5x.md5()

    async def request() -> None:
        job = engine.submit(state, memoryview(data))
        try:
            await asyncio.shield(job)
        finally:
            while not job.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([job])

    task = asyncio.ensure_future(request())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    data[:] = bytes(len(data))  # reused only now
    assert state.digest() == expected


def test_engine_outlives_event_loops(engine: md5lanes.LaneEngine) -> None:
    # Tests start many servers, each on its own loop, in one process: the one engine serves
    # them all, and a job whose loop closed before it was done does not stop it.
    abandoned = md5x.md5()

    async def leave_one() -> None:
        with engine.stream(), engine.stream():
            engine.submit(abandoned, memoryview(b"z" * 5000), slack=3600)

    asyncio.run(leave_one())
    engine.hurry(abandoned)
    for round_ in range(3):
        state = md5x.md5()
        data = bytes([round_]) * 200_000

        async def digest(state: object = state, data: bytes = data) -> None:
            await engine.submit(state, memoryview(data))

        asyncio.run(digest())
        assert state.digest() == hashlib.md5(data).digest()
    assert abandoned.digest() == hashlib.md5(b"z" * 5000).digest()


async def test_submit_two_jobs_of_one_state_runs_them_in_order(
    engine: md5lanes.LaneEngine,
) -> None:
    # One lane per state: the second job waits for the first.
    state = md5x.md5()
    first = engine.submit(state, memoryview(b"1" * 70_000))
    second = engine.submit(state, memoryview(b"2" * 70_000))
    await asyncio.gather(first, second)
    assert state.digest() == hashlib.md5(b"1" * 70_000 + b"2" * 70_000).digest()


async def test_engine_stopped_by_a_bug_fails_its_jobs_and_starts_again(
    engine: md5lanes.LaneEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bug = RuntimeError("a bug in the engine")

    def broken() -> None:
        raise bug

    monkeypatch.setattr(engine, "_wait_for_company", broken)
    with pytest.raises(RuntimeError) as failed:
        await engine.submit(md5x.md5(), memoryview(b"a" * 100))
    assert failed.value is bug  # the engine's own error, handed to the job
    monkeypatch.undo()
    state = md5x.md5()
    await engine.submit(state, memoryview(b"b" * 100))
    assert state.digest() == hashlib.md5(b"b" * 100).digest()
