"""The Store on a temp dir with a real SQLite file: semantics, and what is on disk."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest

from storage import (
    CompletedPart,
    CorsRule,
    Digests,
    IncomingBody,
    LifecycleFilter,
    LifecycleRule,
    S3Error,
    Store,
    WriteCondition,
    lifecycle,
    multipart_etag,
)
from storage.store import LIFECYCLE_BATCH

MIN = 4


async def _chunks(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def body(*pieces: bytes, max_size: int = 1 << 30) -> IncomingBody:
    return IncomingBody(source=_chunks(*pieces), max_size=max_size)


def blob_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "blobs").rglob("*") if p.is_file())


def tmp_files(root: Path) -> list[Path]:
    return list((root / "tmp").iterdir())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path, min_part_size=MIN)
    await opened.create_bucket("b")
    yield opened
    await opened.close()


async def read_all(store: Store, key: str, start: int = 0, end: int | None = None) -> bytes:
    async with store.open_object("b", key) as reader:
        return b"".join([c async for c in reader.read(start, end)])


async def test_put_get_overwrite_frees_the_old_file(store: Store, tmp_path: Path) -> None:
    info = await store.put_object("b", "k", body(b"hello ", b"world"), {"content-type": "x/y"})
    assert info.etag == hashlib.md5(b"hello world").hexdigest()
    assert await read_all(store, "k") == b"hello world"
    assert await read_all(store, "k", 3, 8) == b"lo wo"
    await store.put_object("b", "k", body(b"new"), {})
    assert await read_all(store, "k") == b"new"
    assert len(blob_files(tmp_path)) == 1
    await store.delete_object("b", "k")
    assert blob_files(tmp_path) == []
    with pytest.raises(S3Error) as caught:
        await store.head_object("b", "k")
    assert caught.value.code == "NoSuchKey"


async def test_rejected_body_stores_nothing_and_keeps_the_old_object(
    store: Store, tmp_path: Path
) -> None:
    await store.put_object("b", "k", body(b"old"), {})

    def reject(_: Digests) -> None:
        raise S3Error("BadDigest")

    bad = IncomingBody(source=_chunks(b"new bytes"), max_size=100, verify=reject)
    with pytest.raises(S3Error):
        await store.put_object("b", "k", bad, {})
    assert await read_all(store, "k") == b"old"
    assert len(blob_files(tmp_path)) == 1
    assert tmp_files(tmp_path) == []


async def test_body_that_fails_midway_leaves_no_file(store: Store, tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 3_000_000  # past one write buffer, so a file has been written to
        raise S3Error("IncompleteBody")

    with pytest.raises(S3Error):
        await store.put_object("b", "k", IncomingBody(source=broken(), max_size=1 << 30), {})
    assert blob_files(tmp_path) == []
    assert tmp_files(tmp_path) == []


async def test_too_large_body_is_entity_too_large(store: Store, tmp_path: Path) -> None:
    with pytest.raises(S3Error) as caught:
        await store.put_object("b", "k", body(b"12345", b"6", max_size=5), {})
    assert caught.value.code == "EntityTooLarge"
    assert tmp_files(tmp_path) == []


async def test_complete_links_parts_without_copying_and_drops_unlisted(
    store: Store, tmp_path: Path
) -> None:
    upload = await store.create_multipart_upload("b", "k", {"x-amz-meta-a": "1"})
    parts = {n: os.urandom(MIN + n) for n in (1, 2, 3, 5)}
    etags = {}
    for n, data in parts.items():
        etags[n] = (await store.upload_part("b", "k", upload.upload_id, n, body(data))).part.etag
    part_files = {p.name: p.stat().st_ino for p in blob_files(tmp_path)}
    listed = [CompletedPart(n, etags[n]) for n in (1, 3, 5)]
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert result.etag == multipart_etag(etags[n] for n in (1, 3, 5))
    assert await read_all(store, "k") == parts[1] + parts[3] + parts[5]
    # The object's files are the very part files (same inodes); part 2's file is gone.
    after = {p.name: p.stat().st_ino for p in blob_files(tmp_path)}
    assert len(after) == 3
    assert all(part_files[name] == inode for name, inode in after.items())
    # A ranged read across part boundaries.
    whole = parts[1] + parts[3] + parts[5]
    assert await read_all(store, "k", 3, len(whole) - 2) == whole[3:-2]
    info = await store.head_object("b", "k")
    assert (info.parts_count, info.meta) == (3, {"x-amz-meta-a": "1"})
    # Retried Complete: same answer; the upload is otherwise gone.
    assert await store.complete_multipart_upload("b", "k", upload.upload_id, listed) == result
    for call in (
        store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0),
        store.abort_multipart_upload("b", "k", upload.upload_id),
        store.upload_part("b", "k", upload.upload_id, 1, body(b"late")),
    ):
        with pytest.raises(S3Error) as caught:
            await call
        assert caught.value.code == "NoSuchUpload"
    assert len(blob_files(tmp_path)) == 3


@pytest.mark.parametrize(
    ("listed", "code"),
    [
        ([(2, None), (1, None)], "InvalidPartOrder"),
        ([(1, None), (1, None)], "InvalidPartOrder"),
        ([(5, "00"), (1, None)], "InvalidPartOrder"),  # the order first, then the parts
        ([(1, None), (4, "00")], "InvalidPart"),
        ([(1, "0" * 32)], "InvalidPart"),
        ([(3, None), (4, None)], "EntityTooSmall"),  # part 3 is below the minimum
    ],
)
async def test_complete_errors_leave_the_upload_intact(
    store: Store, listed: list[tuple[int, str | None]], code: str
) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    etags = {}
    for n, size in ((1, MIN), (2, MIN), (3, MIN - 1), (4, 1)):
        uploaded = await store.upload_part("b", "k", upload.upload_id, n, body(b"x" * size))
        etags[n] = uploaded.part.etag
    request = [CompletedPart(n, etag or f'"{etags[n].upper()}"') for n, etag in listed]
    with pytest.raises(S3Error) as caught:
        await store.complete_multipart_upload("b", "k", upload.upload_id, request)
    assert caught.value.code == code
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert [p.part_number for p in parts] == [1, 2, 3, 4]


@pytest.mark.parametrize("table", ["uploads", "objects", "segments", "parts"])
async def test_complete_failing_midway_leaves_the_upload_intact(
    store: Store, tmp_path: Path, table: str
) -> None:
    """A statement of Complete's transaction fails (a trigger in the real database makes it):
    what it did before is rolled back, no file is deleted, and the Complete can be retried."""
    await store.put_object("b", "k", body(b"old"), {})
    upload = await store.create_multipart_upload("b", "k", {})
    etags = [
        (await store.upload_part("b", "k", upload.upload_id, n, body(os.urandom(MIN)))).part.etag
        for n in (1, 2, 3)
    ]
    files = blob_files(tmp_path)
    event = "UPDATE" if table == "uploads" else "INSERT" if table != "parts" else "DELETE"
    with contextlib.closing(sqlite3.connect(tmp_path / "meta.sqlite3")) as db:
        db.execute(
            f"CREATE TRIGGER fail BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
        db.commit()
    listed = [CompletedPart(1, etags[0]), CompletedPart(2, etags[1])]
    with pytest.raises(sqlite3.IntegrityError):
        await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert [p.part_number for p in parts] == [1, 2, 3]
    assert await read_all(store, "k") == b"old"
    assert blob_files(tmp_path) == files
    with contextlib.closing(sqlite3.connect(tmp_path / "meta.sqlite3")) as db:
        db.execute("DROP TRIGGER fail")
        db.commit()
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert result.etag == multipart_etag(etags[:2])
    assert (await store.head_object("b", "k")).parts_count == 2
    assert len(blob_files(tmp_path)) == 2  # part 3 and the old object are gone


async def test_reupload_replaces_the_part_and_its_file(store: Store, tmp_path: Path) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    first = (await store.upload_part("b", "k", upload.upload_id, 7, body(b"first"))).part
    second = (await store.upload_part("b", "k", upload.upload_id, 7, body(b"second"))).part
    assert first.etag != second.etag
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert [(p.part_number, p.etag) for p in parts] == [(7, second.etag)]
    assert len(blob_files(tmp_path)) == 1


async def test_abort_frees_every_part(store: Store, tmp_path: Path) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    for n in (1, 2):
        await store.upload_part("b", "k", upload.upload_id, n, body(b"data"))
    await store.abort_multipart_upload("b", "k", upload.upload_id)
    assert blob_files(tmp_path) == []


async def test_upload_id_for_another_key_is_no_such_upload(store: Store) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    with pytest.raises(S3Error) as caught:
        await store.upload_part("b", "other", upload.upload_id, 1, body(b"x"))
    assert caught.value.code == "NoSuchUpload"
    assert caught.value.fields == {"UploadId": upload.upload_id}


@pytest.mark.parametrize("number", [0, 10_001])
async def test_part_number_out_of_range(store: Store, number: int) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    with pytest.raises(S3Error) as caught:
        await store.upload_part("b", "k", upload.upload_id, number, body(b"x"))
    assert caught.value.code == "InvalidArgument"


async def test_reader_keeps_reading_the_object_it_opened(store: Store, tmp_path: Path) -> None:
    await store.put_object("b", "k", body(b"old bytes"), {})
    async with store.open_object("b", "k") as reader:
        await store.put_object("b", "k", body(b"new"), {})
        await store.delete_object("b", "k")
        assert b"".join([c async for c in reader.read()]) == b"old bytes"
    assert blob_files(tmp_path) == []


@contextlib.asynccontextmanager
async def slow_unlinks(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[int]]:
    """Every file removal takes 0.2 s, as on a file system that discards freed blocks at once;
    yields how often a task of the event loop got to run meanwhile (it ticks every 10 ms)."""
    unlink = Path.unlink

    def slow(path: Path, missing_ok: bool = False) -> None:
        time.sleep(0.2)
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", slow)
    ticks = [0]

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks[0] += 1

    ticker = asyncio.create_task(tick())
    try:
        yield ticks
    finally:
        ticker.cancel()


async def test_delete_removes_files_off_the_event_loop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.put_object("b", "k", body(b"x" * 100), {})
    async with slow_unlinks(monkeypatch) as ticks:
        await store.delete_object("b", "k")
        assert ticks[0] > 0
    assert blob_files(tmp_path) == []


async def test_read_end_removes_a_deleted_objects_files_off_the_event_loop(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.put_object("b", "k", body(b"old bytes"), {})
    async with slow_unlinks(monkeypatch) as ticks:
        async with store.open_object("b", "k"):
            await store.delete_object("b", "k")
            assert blob_files(tmp_path) != []  # leased by the reader
            before = ticks[0]
        assert ticks[0] > before
    assert blob_files(tmp_path) == []


async def test_bucket_not_empty_with_object_or_open_upload(store: Store) -> None:
    await store.put_object("b", "k", body(b"x"), {})
    with pytest.raises(S3Error) as caught:
        await store.delete_bucket("b")
    assert caught.value.code == "BucketNotEmpty"
    await store.delete_object("b", "k")
    upload = await store.create_multipart_upload("b", "k", {})
    with pytest.raises(S3Error) as caught:
        await store.delete_bucket("b")
    assert caught.value.code == "BucketNotEmpty"
    await store.abort_multipart_upload("b", "k", upload.upload_id)
    await store.delete_bucket("b")
    assert await store.list_buckets() == []


async def test_list_uploads_several_per_key_in_initiation_order(store: Store) -> None:
    ids = [(await store.create_multipart_upload("b", k, {})).upload_id for k in "abab"]
    page = await store.list_multipart_uploads(
        "b", prefix="", delimiter="", max_uploads=10, key_marker="", upload_id_marker=""
    )
    assert [(u.key, u.upload_id) for u in page.entries] == [
        ("a", ids[0]), ("a", ids[2]), ("b", ids[1]), ("b", ids[3]),
    ]  # fmt: skip
    # key-marker with upload-id-marker resumes within the key.
    page = await store.list_multipart_uploads(
        "b", prefix="", delimiter="", max_uploads=10, key_marker="a", upload_id_marker=ids[0]
    )
    assert [u.upload_id for u in page.entries] == [ids[2], ids[1], ids[3]]
    page = await store.list_multipart_uploads(
        "b", prefix="", delimiter="", max_uploads=10, key_marker="a", upload_id_marker=""
    )
    assert [u.upload_id for u in page.entries] == [ids[1], ids[3]]


async def test_open_sweeps_what_a_crash_left(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    await store.create_bucket("b")
    await store.put_object("b", "k", body(b"kept"), {})
    await store.close()
    (tmp_path / "tmp" / "half-written").write_bytes(b"x")
    orphan = tmp_path / "blobs" / "ff" / ("ff" * 16)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"renamed but never committed")
    store = await Store.open(tmp_path)
    try:
        assert tmp_files(tmp_path) == []
        assert not orphan.exists()
        assert await read_all(store, "k") == b"kept"
    finally:
        await store.close()


async def test_missing_bucket(store: Store) -> None:
    for call in (
        store.put_object("nope", "k", body(b"x"), {}),
        store.head_object("nope", "k"),
        store.create_multipart_upload("nope", "k", {}),
        store.list_objects("nope", prefix="", delimiter="", max_keys=1, after=""),
    ):
        with pytest.raises(S3Error) as caught:
            await call
        assert caught.value.code == "NoSuchBucket"


async def test_empty_bodies_share_one_file_that_deletes_leave(store: Store, tmp_path: Path) -> None:
    # Empty objects and parts name one data file, made once; deleting one of them, or
    # overwriting it, leaves the file to the others.
    await store.put_object("b", "e1", body(), {})
    await store.put_object("b", "e2", body(b""), {})
    upload = await store.create_multipart_upload("b", "m", {})
    await store.upload_part("b", "m", upload.upload_id, 1, body())
    (shared,) = blob_files(tmp_path)
    assert shared.read_bytes() == b""
    await store.delete_object("b", "e1")
    await store.put_object("b", "e2", body(b"now full"), {})
    assert shared in blob_files(tmp_path)
    await store.complete_multipart_upload(
        "b", "m", upload.upload_id, [CompletedPart(1, hashlib.md5(b"").hexdigest())]
    )
    assert shared in blob_files(tmp_path)
    assert await read_all(store, "m") == b""
    assert await read_all(store, "e2") == b"now full"
    assert tmp_files(tmp_path) == []


async def _unread() -> AsyncIterator[bytes]:
    raise AssertionError("the body of a write to a missing bucket was read")
    yield b""


async def test_put_object_checks_the_bucket_before_the_body_across_create_delete_and_reopen(
    store: Store, tmp_path: Path
) -> None:
    # The check before the body is read uses the buckets as committed, kept in memory.
    await store.create_bucket("later")
    await store.put_object("later", "k", body(b"x"), {})
    await store.delete_object("later", "k")
    await store.delete_bucket("later")
    with pytest.raises(S3Error) as caught:
        await store.put_object("later", "k", IncomingBody(source=_unread(), max_size=1), {})
    assert caught.value.code == "NoSuchBucket"
    await store.close()
    again = await Store.open(tmp_path, min_part_size=MIN)
    try:
        await again.put_object("b", "k", body(b"y"), {})
        assert await read_all(again, "k") == b"y"
        with pytest.raises(S3Error) as caught:
            await again.put_object("later", "k", IncomingBody(source=_unread(), max_size=1), {})
        assert caught.value.code == "NoSuchBucket"
    finally:
        await again.close()


async def test_forget_completed_drops_retry_answers_only_for_old_uploads(store: Store) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    part = (await store.upload_part("b", "k", upload.upload_id, 1, body(b"data"))).part
    listed = [CompletedPart(1, part.etag)]
    await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert await store.forget_completed(upload.initiated) == 0
    assert await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert await store.forget_completed(upload.initiated + 1) == 1
    with pytest.raises(S3Error) as caught:
        await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert caught.value.code == "NoSuchUpload"
    assert await read_all(store, "k") == b"data"


# Lifecycle: apply_lifecycle at chosen instants, with 1-second lifecycle days.


@pytest.fixture
async def day_store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path, min_part_size=MIN, lifecycle_day_seconds=1.0)
    await opened.create_bucket("b")
    yield opened
    await opened.close()


async def test_apply_lifecycle_aborts_due_uploads_only(day_store: Store, tmp_path: Path) -> None:
    rules = [LifecycleRule("r", True, LifecycleFilter("tmp/"), abort_days=2)]
    await day_store.put_bucket_lifecycle("b", rules)
    due = await day_store.create_multipart_upload("b", "tmp/a", {})
    other = await day_store.create_multipart_upload("b", "keep/a", {})
    for upload in (due, other):
        await day_store.upload_part("b", upload.key, upload.upload_id, 1, body(b"part"))
    rule_id, when = day_store.abort_rule(due) or ("", 0.0)
    assert rule_id == "r"
    assert day_store.abort_rule(other) is None
    assert await day_store.apply_lifecycle(when - 1) == (0, 0)
    assert await day_store.apply_lifecycle(when) == (1, 0)
    with pytest.raises(S3Error) as caught:
        await day_store.upload_part("b", "tmp/a", due.upload_id, 2, body(b"late"))
    assert caught.value.code == "NoSuchUpload"
    assert len(blob_files(tmp_path)) == 1  # the other upload's part
    assert tmp_files(tmp_path) == []


async def test_apply_lifecycle_expires_objects_by_age(day_store: Store, tmp_path: Path) -> None:
    await day_store.put_bucket_lifecycle(
        "b", [LifecycleRule("r", True, LifecycleFilter("old/"), expiration_days=3)]
    )
    info = await day_store.put_object("b", "old/x", body(b"x"), {})
    await day_store.put_object("b", "new/x", body(b"y"), {})
    expires = lifecycle.due(info.last_modified, 3, 1.0)
    assert await day_store.apply_lifecycle(expires - 1) == (0, 0)
    assert await day_store.apply_lifecycle(expires) == (0, 1)
    with pytest.raises(S3Error):
        await day_store.head_object("b", "old/x")
    assert await read_all(day_store, "new/x") == b"y"
    assert len(blob_files(tmp_path)) == 1


async def test_apply_lifecycle_ignores_disabled_rules(day_store: Store) -> None:
    await day_store.put_bucket_lifecycle(
        "b", [LifecycleRule("r", False, LifecycleFilter(), expiration_days=1, abort_days=1)]
    )
    await day_store.put_object("b", "k", body(b"x"), {})
    await day_store.create_multipart_upload("b", "u", {})
    assert await day_store.apply_lifecycle(1e12) == (0, 0)


async def test_apply_lifecycle_batches_many(day_store: Store) -> None:
    await day_store.put_bucket_lifecycle(
        "b", [LifecycleRule("r", True, LifecycleFilter(), expiration_days=1, abort_days=1)]
    )
    count = LIFECYCLE_BATCH * 2 + 3
    for n in range(count):
        await day_store.put_object("b", f"k{n}", body(b"x"), {})
        await day_store.create_multipart_upload("b", f"u{n}", {})
    assert await day_store.apply_lifecycle(1e12) == (count, count)
    await day_store.delete_bucket("b")  # nothing is left in it


async def test_completed_upload_is_not_aborted(day_store: Store) -> None:
    await day_store.put_bucket_lifecycle(
        "b", [LifecycleRule("r", True, LifecycleFilter(), abort_days=1)]
    )
    upload = await day_store.create_multipart_upload("b", "k", {})
    part = await day_store.upload_part("b", "k", upload.upload_id, 1, body(b"data"))
    await day_store.complete_multipart_upload(
        "b", "k", upload.upload_id, [CompletedPart(1, part.part.etag)]
    )
    assert await day_store.apply_lifecycle(1e12) == (0, 0)
    assert await read_all(day_store, "k") == b"data"


# Conditional writes: If-Match / If-None-Match on PutObject and CompleteMultipartUpload.

NONE_MATCH = WriteCondition(if_none_match=True)


async def _code_of(call: Awaitable[object]) -> str:
    with pytest.raises(S3Error) as caught:
        await call
    return caught.value.code


@pytest.mark.parametrize(
    ("condition", "exists", "code"),
    [
        (NONE_MATCH, True, "PreconditionFailed"),
        (NONE_MATCH, False, None),
        (WriteCondition(if_match="0" * 32), True, "PreconditionFailed"),
        (WriteCondition(if_match=hashlib.md5(b"old").hexdigest()), True, None),
        (WriteCondition(if_match="*"), True, None),
        (WriteCondition(if_match="*"), False, "NoSuchKey"),
        (WriteCondition(if_match="0" * 32), False, "NoSuchKey"),
    ],
)
async def test_put_object_condition(
    store: Store, tmp_path: Path, condition: WriteCondition, exists: bool, code: str | None
) -> None:
    if exists:
        await store.put_object("b", "k", body(b"old"), {})
    files = len(blob_files(tmp_path))
    put = store.put_object("b", "k", body(b"new"), {}, condition)
    if code is None:
        await put
        assert await read_all(store, "k") == b"new"
    else:
        assert await _code_of(put) == code
        assert len(blob_files(tmp_path)) == files
        if exists:
            assert await read_all(store, "k") == b"old"


async def test_put_object_condition_broken_while_streaming_is_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    # The condition holds when the body starts and not when it is committed: another write
    # won in between, so this one stores nothing (409), and the winner stays.
    async def racing_chunks() -> AsyncIterator[bytes]:
        yield b"loser "
        await store.put_object("b", "k", body(b"winner"), {})
        yield b"body"

    racing = IncomingBody(source=racing_chunks(), max_size=1 << 20)
    code = await _code_of(store.put_object("b", "k", racing, {}, NONE_MATCH))
    assert code == "ConditionalRequestConflict"
    assert await read_all(store, "k") == b"winner"
    assert len(blob_files(tmp_path)) == 1
    assert tmp_files(tmp_path) == []


async def test_put_object_if_match_object_deleted_while_streaming_is_a_conflict(
    store: Store,
) -> None:
    old = await store.put_object("b", "k", body(b"old"), {})

    async def racing_chunks() -> AsyncIterator[bytes]:
        yield b"new"
        await store.delete_object("b", "k")

    racing = IncomingBody(source=racing_chunks(), max_size=1 << 20)
    condition = WriteCondition(if_match=old.etag)
    code = await _code_of(store.put_object("b", "k", racing, {}, condition))
    assert code == "ConditionalRequestConflict"


async def _one_part_upload(store: Store, key: str) -> tuple[str, list[CompletedPart]]:
    upload = await store.create_multipart_upload("b", key, {})
    part = await store.upload_part("b", key, upload.upload_id, 1, body(b"part data"))
    return upload.upload_id, [CompletedPart(1, part.part.etag)]


async def test_complete_condition_failure_keeps_upload(store: Store, tmp_path: Path) -> None:
    await store.put_object("b", "k", body(b"old"), {})
    upload_id, parts = await _one_part_upload(store, "k")
    failing = store.complete_multipart_upload("b", "k", upload_id, parts, condition=NONE_MATCH)
    assert await _code_of(failing) == "PreconditionFailed"
    wrong = WriteCondition(if_match="0" * 32)
    failing = store.complete_multipart_upload("b", "k", upload_id, parts, condition=wrong)
    assert await _code_of(failing) == "PreconditionFailed"
    assert await read_all(store, "k") == b"old"
    # The upload is intact: a Complete whose condition holds succeeds.
    current = WriteCondition(if_match=hashlib.md5(b"old").hexdigest())
    await store.complete_multipart_upload("b", "k", upload_id, parts, condition=current)
    assert await read_all(store, "k") == b"part data"


async def test_complete_if_match_without_object_is_no_such_key(store: Store) -> None:
    upload_id, parts = await _one_part_upload(store, "k")
    condition = WriteCondition(if_match="*")
    failing = store.complete_multipart_upload("b", "k", upload_id, parts, condition=condition)
    assert await _code_of(failing) == "NoSuchKey"
    assert (await store.list_parts("b", "k", upload_id, max_parts=10, after=0))[1]


async def test_complete_if_none_match_retry_returns_first_answer(store: Store) -> None:
    upload_id, parts = await _one_part_upload(store, "k")
    first = await store.complete_multipart_upload("b", "k", upload_id, parts, condition=NONE_MATCH)
    again = await store.complete_multipart_upload("b", "k", upload_id, parts, condition=NONE_MATCH)
    assert again == first


async def test_bucket_rules_survive_a_restart_and_go_with_the_bucket(tmp_path: Path) -> None:
    # Lifecycle and CORS rules are served from memory: they must be reloaded at open, and
    # forgotten with their bucket.
    first = await Store.open(tmp_path)
    await first.create_bucket("b")
    rules = [LifecycleRule("r", True, LifecycleFilter("tmp/"), abort_days=1)]
    await first.put_bucket_lifecycle("b", rules)
    await first.put_bucket_cors("b", [CorsRule(("GET",), ("*",))])
    await first.close()
    again = await Store.open(tmp_path)
    try:
        assert await again.get_bucket_lifecycle("b") == rules
        assert again.bucket_cors("b") == [CorsRule(("GET",), ("*",))]
        upload = await again.create_multipart_upload("b", "tmp/x", {})
        assert again.abort_rule(upload) is not None
        await again.abort_multipart_upload("b", "tmp/x", upload.upload_id)
        await again.delete_bucket("b")
        await again.create_bucket("b")
        assert again.bucket_cors("b") is None
        assert again.abort_rule(upload) is None
    finally:
        await again.close()
