"""Metadata.transact and Metadata.snapshot: bodies run whole in the database's thread, writes
committed in groups, each body still all or nothing; Metadata.lookup: read bodies run at once
in the event loop's thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import S3Error
from storage.metadata import METADATA_FILE, Metadata, Tx


@pytest.fixture
async def meta(tmp_path: Path) -> AsyncIterator[Metadata]:
    opened = await Metadata.open(tmp_path / METADATA_FILE)
    yield opened
    await opened.close()


async def names(meta: Metadata) -> list[str]:
    async def read(tx: Tx) -> list[str]:
        return [bucket.name for bucket in await tx.list_buckets()]

    return await meta.snapshot(read)


def insert(*names: str, fail: bool = False):  # type: ignore[no-untyped-def]
    """A body inserting buckets ``names``, then raising NoSuchBucket if ``fail``."""

    async def body(tx: Tx) -> int:
        for name in names:
            assert await tx.insert_bucket(name, 1.0)
        if fail:
            raise S3Error("NoSuchBucket", BucketName=names[-1])
        return len(names)

    return body


async def test_transact_commits_concurrent_bodies_and_rolls_back_the_one_that_raises(
    meta: Metadata,
) -> None:
    # Started together, they are committed in one group (all but the first): the failing one
    # leaves none of its rows, the others all of theirs.
    outcomes = await asyncio.gather(
        meta.transact(insert("a")),
        meta.transact(insert("b", "c")),
        meta.transact(insert("d", "e", fail=True)),
        meta.transact(insert("f")),
        return_exceptions=True,
    )
    assert outcomes[:2] == [1, 2]
    assert isinstance(outcomes[2], S3Error)
    assert outcomes[2].code == "NoSuchBucket"
    assert outcomes[3] == 1
    assert await names(meta) == ["a", "b", "c", "f"]


async def test_transact_bodies_see_those_before_them_in_their_group(meta: Metadata) -> None:
    async def insert_once(tx: Tx) -> bool:
        return await tx.insert_bucket("same", 1.0)

    outcomes = await asyncio.gather(*(meta.transact(insert_once) for _ in range(4)))
    assert outcomes == [True, False, False, False]


async def test_transact_full_database_fails_only_the_body_that_does_not_fit(
    meta: Metadata,
) -> None:
    # SQLite's cap on the database's size fails a statement with the SQLITE_FULL a full disk
    # gives; then SQLite may roll the whole group's transaction back, and the bodies that fit
    # are committed each on its own.
    await meta.transact(insert("small"))
    async with meta._writer.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()  # type: ignore[misc]
    await meta._writer.execute(f"PRAGMA max_page_count = {pages + 1}")

    def big(n: int):  # type: ignore[no-untyped-def]
        return insert(*(f"big-{n}-{'x' * 200}-{i}" for i in range(400)))

    outcomes = await asyncio.gather(
        meta.transact(insert("a")),
        meta.transact(insert("b")),
        meta.transact(big(1)),
        meta.transact(insert("c")),
        return_exceptions=True,
    )
    assert outcomes[:2] == [1, 1]
    assert outcomes[3] == 1
    assert isinstance(outcomes[2], S3Error)
    assert outcomes[2].code == "XMinioStorageFull"
    assert await names(meta) == ["a", "b", "c", "small"]


async def test_transact_body_that_awaits_anything_else_is_refused(meta: Metadata) -> None:
    async def sleepy(tx: Tx) -> None:
        await tx.insert_bucket("a", 1.0)
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError):
        await meta.transact(sleepy)
    assert await names(meta) == []


async def test_transact_cancelled_caller_is_cancelled_after_its_body_committed(
    meta: Metadata,
) -> None:
    # Whether it committed decides what a caller cleans up (a committed row's data file must
    # stay): the cancellation waits for the commit, then reaches the caller.
    reached: list[str] = []

    async def caller() -> None:
        await meta.transact(insert("kept"))
        reached.append("after the commit")
        await asyncio.sleep(0)
        reached.append("after the next await")

    task = asyncio.create_task(caller())
    await asyncio.sleep(0)  # the body is queued
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reached == ["after the commit"]
    assert await names(meta) == ["kept"]


async def test_snapshot_reads_one_committed_state(meta: Metadata) -> None:
    await meta.transact(insert("a"))

    async def read_twice(tx: Tx) -> tuple[bool, bool]:
        first = await tx.get_bucket("a") is not None
        return first, await tx.get_bucket("missing") is not None

    assert await meta.snapshot(read_twice) == (True, False)


async def test_lookup_answers_without_suspending_and_sees_the_last_commit(meta: Metadata) -> None:
    # No trip to the database's thread: the coroutine ends at its first step.
    await meta.transact(insert("a", "b"))

    async def read(tx: Tx) -> list[str]:
        return [bucket.name for bucket in await tx.list_buckets()]

    with pytest.raises(StopIteration) as answered:
        meta.lookup(read).send(None)
    assert answered.value.value == ["a", "b"]


async def test_lookup_raises_the_bodys_error_and_ends_its_snapshot(meta: Metadata) -> None:
    async def missing(tx: Tx) -> None:
        if await tx.get_bucket("missing") is None:
            raise S3Error("NoSuchBucket", BucketName="missing")

    with pytest.raises(S3Error) as raised:
        await meta.lookup(missing)
    assert raised.value.code == "NoSuchBucket"
    # The failed body's read transaction is over: the next lookup sees a later commit.
    await meta.transact(insert("later"))

    async def read(tx: Tx) -> bool:
        return await tx.get_bucket("later") is not None

    assert await meta.lookup(read)
