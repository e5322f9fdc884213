"""Data files: writing them whole, and what a failing disk leaves behind."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import io
import mmap
import os
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import CompletedPart, IncomingBody, S3Error, Store, blobs
from storage.blobs import BlobStore, ChunkReader, _write_all
from tests.storage.extension import md5x_or_skip
from tests.storage.test_store import MIN, blob_files, body, read_all, tmp_files


class ShortWriter(io.RawIOBase):
    """A file that takes at most ``step`` bytes a call, as a filling disk does."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.calls += 1
        taken = bytes(data[: self.step])
        self.data += taken
        return len(taken)


def test_write_all_finishes_short_writes() -> None:
    data = os.urandom(1000)
    fh = ShortWriter(step=300)
    _write_all(fh, memoryview(data))  # type: ignore[arg-type]
    assert bytes(fh.data) == data
    assert fh.calls == 4


# A full disk, injected where bytes meet the file: after ``room`` bytes every write fails with
# ENOSPC, having first written what fits (as a real filling disk does).
def fill_up_after(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    written = 0

    def write_all(fh: BinaryIO, data: memoryview) -> None:
        nonlocal written
        fits = max(0, min(len(data), room - written))
        _write_all(fh, data[:fits])
        written += fits
        if fits < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(blobs, "_write_all", write_all)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path, min_part_size=MIN)
    await opened.create_bucket("b")
    await opened.put_object("b", "kept", body(b"kept bytes"), {})
    yield opened
    await opened.close()


def data_files(root: Path) -> list[Path]:
    return blob_files(root) + tmp_files(root)


@pytest.mark.parametrize("room", [0, 1000, 2_500_000])
async def test_put_object_disk_full_is_storage_full_and_leaves_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    before = data_files(tmp_path)
    fill_up_after(monkeypatch, room)
    with pytest.raises(S3Error) as caught:
        # Four write buffers: the failure lands while later ones are still being received.
        await store.put_object("b", "big", body(*[os.urandom(1 << 20)] * 4), {})
    assert (caught.value.code, caught.value.status) == ("XMinioStorageFull", 507)
    assert data_files(tmp_path) == before
    monkeypatch.undo()
    # The store goes on: existing data reads, a new write succeeds.
    assert await read_all(store, "kept") == b"kept bytes"
    await store.put_object("b", "small", body(b"fits now"), {})
    assert await read_all(store, "small") == b"fits now"


async def test_upload_part_disk_full_keeps_the_upload_and_its_parts(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    first = await store.upload_part("b", "k", upload.upload_id, 1, body(b"part one"))
    before = data_files(tmp_path)
    fill_up_after(monkeypatch, 10)
    for number in (1, 2):
        with pytest.raises(S3Error) as caught:
            await store.upload_part("b", "k", upload.upload_id, number, body(b"x" * 100))
        assert caught.value.code == "XMinioStorageFull"
    assert data_files(tmp_path) == before
    monkeypatch.undo()
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert [(p.part_number, p.etag) for p in parts] == [(1, first.part.etag)]
    second = await store.upload_part("b", "k", upload.upload_id, 2, body(b"part two"))
    listed = [CompletedPart(1, first.part.etag), CompletedPart(2, second.part.etag)]
    await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert await read_all(store, "k") == b"part onepart two"


async def test_other_write_errors_leave_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fh: BinaryIO, data: memoryview) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    before = data_files(tmp_path)
    monkeypatch.setattr(blobs, "_write_all", broken)
    with pytest.raises(OSError, match="Input/output"):
        await store.put_object("b", "k", body(b"doomed"), {})
    assert data_files(tmp_path) == before


async def until_it_fails(call: Callable[[int], Awaitable[object]]) -> None:
    for n in range(100):  # until a commit needs a new page
        await call(n)


async def test_database_full_is_storage_full_and_leaves_nothing(store: Store) -> None:
    upload = await store.create_multipart_upload("b", "k", {})
    # SQLite's own cap on the database's size fails a commit with the SQLITE_FULL a full disk
    # gives. (The writer connection is the one that needs it.)
    writer = store.meta._writer
    async with writer.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()  # type: ignore[misc]
    await writer.execute(f"PRAGMA max_page_count = {pages}")
    calls = [
        lambda n: store.put_object("b", f"new-{n}", body(os.urandom(50)), {"m": "x" * 500}),
        lambda n: store.upload_part("b", "k", upload.upload_id, n + 1, body(os.urandom(50))),
        lambda n: store.create_multipart_upload("b", f"another-{n}", {"m": "x" * 500}),
    ]
    for call in calls:
        with pytest.raises(S3Error) as caught:
            await until_it_fails(call)
        assert caught.value.code == "XMinioStorageFull"
    async with store.meta.read() as tx:
        referenced = {store.blobs.path(blob) for blob in await tx.referenced_blobs()}
    assert set(blob_files(store.blobs.root)) == referenced
    await writer.execute("PRAGMA max_page_count = 1073741823")
    await store.put_object("b", "new", body(b"room again"), {})
    assert await read_all(store, "new") == b"room again"


async def cancel_once_started(
    task: asyncio.Future[object], started: threading.Event, finished: threading.Event
) -> None:
    """Cancel ``task`` once its worker thread has ``started``; the cancelled request must still
    have waited for that thread to be ``finished``."""
    await asyncio.to_thread(started.wait)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()


async def test_cancelled_write_waits_for_its_thread_before_closing_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    finished = threading.Event()

    def slow(fh: BinaryIO, data: memoryview) -> None:
        started.set()
        time.sleep(0.3)
        fh.write(data)  # fails if the file was closed under it
        finished.set()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * (1 << 20)
            await asyncio.sleep(0)

    before = data_files(tmp_path)
    monkeypatch.setattr(blobs, "_write_all", slow)
    task = asyncio.ensure_future(
        store.put_object("b", "k", IncomingBody(source=endless(), max_size=1 << 40), {})
    )
    await cancel_once_started(task, started, finished)
    assert data_files(tmp_path) == before


async def test_cancelled_small_write_waits_for_its_thread_and_leaves_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small body is stored whole by one worker thread: a request cancelled meanwhile waits
    # for it (it reads a buffer the next upload reuses), then removes the file nobody commits.
    started = threading.Event()
    finished = threading.Event()
    real = blobs._write_all

    def slow(fh: BinaryIO, data: memoryview) -> None:
        started.set()
        time.sleep(0.3)
        real(fh, data)
        finished.set()

    before = data_files(tmp_path)
    monkeypatch.setattr(blobs, "_write_all", slow)
    task = asyncio.ensure_future(store.put_object("b", "k", body(b"small"), {}))
    await cancel_once_started(task, started, finished)
    assert data_files(tmp_path) == before
    assert list((tmp_path / "tmp").iterdir()) == []


def record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths os.fsync is called on, in order (the real fsync still runs)."""
    synced: list[Path] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name synced fds")
@pytest.mark.parametrize("fsync", [True, False])
async def test_writes_are_synced_before_they_are_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool
) -> None:
    store = await Store.open(tmp_path, fsync=fsync, min_part_size=MIN)
    try:
        await store.create_bucket("b")
        # SQLite syncs the WAL at every commit with synchronous=FULL (2); NORMAL (1) only at
        # checkpoints, which keeps a WAL database consistent through a power loss.
        async with store.meta._writer.execute("PRAGMA synchronous") as cursor:
            assert await cursor.fetchone() == ((2,) if fsync else (1,))
        synced = record_fsyncs(monkeypatch)
        await store.put_object("b", "k", body(b"durable"), {})
        upload = await store.create_multipart_upload("b", "k", {})
        await store.upload_part("b", "k", upload.upload_id, 1, body(b"part"))
        if not fsync:
            assert synced == []
            return
        files = blob_files(tmp_path)
        assert len(files) == 2
        # Per (small) body: its file, made in its shard, then that shard directory (so the row
        # committed next never points at a file a crash could take back).
        made = synced[0::2]
        assert sorted(made) == sorted(files)
        assert synced[1::2] == [path.parent for path in made]
    finally:
        await store.close()


async def test_every_shard_directory_exists_from_the_start(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    await store.close()
    shards = sorted(p.name for p in (tmp_path / "blobs").iterdir())
    assert shards == [f"{n:02x}" for n in range(256)]


# The write path: batches of pieces, digested on two threads


@pytest.fixture
def blob_store(tmp_path: Path) -> BlobStore:
    store = BlobStore(tmp_path)
    store.prepare()
    return store


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def _pieces(data: bytes, size: int, fail_after: int | None = None) -> AsyncIterator[bytes]:
    """``data`` in pieces of ``size``, as bytes and memoryviews (as the aws-chunked decoder
    yields them); raises after ``fail_after`` bytes if set."""
    for start in range(0, len(data), size):
        if fail_after is not None and start >= fail_after:
            raise ConnectionResetError("client went away")
        piece = data[start : start + size]
        yield piece if start % 2 else memoryview(piece)  # type: ignore[misc]


async def test_write_many_batches_digests_and_bytes(blob_store: BlobStore) -> None:
    # Several batches, pieces that straddle batch boundaries, and a short last batch.
    data = os.urandom(2 * blobs.BIG_BATCH + 12345)
    body = IncomingBody(
        source=_pieces(data, 300_001), max_size=len(data), digests=frozenset({"SHA256", "CRC32"})
    )
    written = await blob_store.write(body)
    assert written.size == len(data)
    assert written.digests["MD5"] == hashlib.md5(data).digest()
    assert written.digests["SHA256"] == hashlib.sha256(data).digest()
    assert written.digests["CRC32"] == zlib.crc32(data).to_bytes(4, "big")
    assert blob_store.path(written.blob).read_bytes() == data


@pytest.mark.parametrize("lanes", [True, False], ids=["md5-lanes", "hashlib-threads"])
async def test_write_concurrent_bodies_digests(
    blob_store: BlobStore, monkeypatch: pytest.MonkeyPatch, lanes: bool
) -> None:
    # Bodies received at once share the MD5 lane engine (md5lanes.py), or without the
    # extension digest in worker threads: each gets its own MD5, whatever the others' lengths.
    if lanes:
        md5x_or_skip()  # without the extension there is no engine, and this case would be the other
        assert blobs.ENGINE is not None
    else:
        monkeypatch.setattr(blobs, "ENGINE", None)
    # The first four in batches of BIG_BATCH, the last two (more than BIG_BODIES) of WRITE_BUFFER.
    sizes = (blobs.SMALL_BODY + 1, 17 << 20, 5 << 20, 4 << 20, 9 << 20, 3 << 20)
    datas = [os.urandom(size) for size in sizes]
    written = await asyncio.gather(
        *(
            blob_store.write(IncomingBody(source=_pieces(data, 65_536), max_size=len(data)))
            for data in datas
        )
    )
    assert [w.digests["MD5"] for w in written] == [hashlib.md5(d).digest() for d in datas]
    assert [blob_store.path(w.blob).read_bytes() for w in written] == datas


async def test_write_empty_body(blob_store: BlobStore) -> None:
    written = await blob_store.write(IncomingBody(source=_pieces(b"", 1), max_size=0))
    assert written.size == 0
    assert written.digests["MD5"] == hashlib.md5(b"").digest()
    assert blob_store.path(written.blob).read_bytes() == b""


@pytest.mark.parametrize(("fsync", "direct"), [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("size", [1, 4096, 4000, blobs.SMALL_BODY, blobs.SMALL_BODY + 1])
async def test_write_small_bodies_digests_bytes_and_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool, direct: bool, size: int
) -> None:
    """Bodies up to SMALL_BODY are digested on the event loop and written in one step, in their
    shard at once; the bytes and digests are those of the batched path, which goes through
    tmp/."""
    store = BlobStore(tmp_path, fsync=fsync, direct=direct)
    store.prepare()
    synced = record_fsyncs(monkeypatch)
    data = os.urandom(size)
    body = IncomingBody(source=_pieces(data, 1000), max_size=size, digests=frozenset({"CRC32"}))
    written = await store.write(body)
    assert written.size == size
    assert written.digests["MD5"] == hashlib.md5(data).digest()
    assert written.digests["CRC32"] == zlib.crc32(data).to_bytes(4, "big")
    assert store.path(written.blob).read_bytes() == data
    assert all_files(tmp_path) == [store.path(written.blob)]
    if fsync:  # the file (made in tmp/ only if batched), then the shard directory it is in
        made_in = store.path(written.blob).parent if size <= blobs.SMALL_BODY else tmp_path / "tmp"
        assert [synced[0].parent, synced[1]] == [made_in, store.path(written.blob).parent]
    else:
        assert synced == []


async def test_write_stream_failure_mid_batches_leaves_nothing(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    data = os.urandom(3 * blobs.BIG_BATCH)
    body = IncomingBody(
        source=_pieces(data, 65536, fail_after=2 * blobs.BIG_BATCH), max_size=1 << 30
    )
    with pytest.raises(ConnectionResetError):
        await blob_store.write(body)
    assert all_files(tmp_path) == []


async def test_write_too_large_after_batches_leaves_nothing(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    data = os.urandom(blobs.BIG_BATCH * 2)
    body = IncomingBody(source=_pieces(data, 100_000), max_size=blobs.BIG_BATCH + 1)
    with pytest.raises(S3Error) as caught:
        await blob_store.write(body)
    assert caught.value.code == "EntityTooLarge"
    assert all_files(tmp_path) == []


async def test_write_verify_failure_leaves_nothing(blob_store: BlobStore, tmp_path: Path) -> None:
    def refuse(_: object) -> None:
        raise S3Error("BadDigest")

    data = os.urandom(blobs.BIG_BATCH + 1)
    body = IncomingBody(source=_pieces(data, 1 << 20), max_size=len(data), verify=refuse)
    with pytest.raises(S3Error):
        await blob_store.write(body)
    assert all_files(tmp_path) == []


async def test_uploads_leave_room_for_the_database(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    try:
        await store.create_bucket("b")
        await store.put_object("b", "fits", body(b"x" * 1000), {})
        upload = await store.create_multipart_upload("b", "k", {})
        # More room kept free than there is (the filesystem is shared: leave a wide margin).
        stats = os.statvfs(tmp_path)
        store.blobs.min_free = stats.f_bavail * stats.f_frsize + (1 << 30)
        before = data_files(tmp_path)
        for call in (
            store.put_object("b", "k", body(os.urandom(50_000)), {}),
            store.upload_part("b", "k", upload.upload_id, 1, body(os.urandom(50_000))),
        ):
            with pytest.raises(S3Error) as caught:
                await call
            assert caught.value.code == "XMinioStorageFull"
        assert data_files(tmp_path) == before
        # What frees room still works.
        await store.delete_object("b", "fits")
        await store.abort_multipart_upload("b", "k", upload.upload_id)
        assert data_files(tmp_path) == []
    finally:
        await store.close()


async def test_room_kept_free_by_default_is_a_share_of_the_filesystem(tmp_path: Path) -> None:
    store = await Store.open(tmp_path)
    await store.close()
    stats = os.statvfs(tmp_path)
    assert store.blobs.min_free == min(64 * 1024 * 1024, stats.f_blocks * stats.f_frsize // 100)


@given(
    data=st.binary(max_size=5000),
    piece=st.integers(1, 700),
    buffer=st.integers(1, 900),
)
@settings(max_examples=200, deadline=None)
def test_chunk_reader_fills_buffers_with_the_chunks_in_order(
    data: bytes, piece: int, buffer: int
) -> None:
    """Chunks of one size into buffers of another: every byte once, in order, each readinto
    filling as much as the current chunk allows, and 0 only at the end."""

    async def read_back() -> bytes:
        reader = ChunkReader(_pieces(data, piece))
        out = bytearray()
        view = memoryview(bytearray(buffer))
        while count := await reader.readinto(view):
            assert 0 < count <= buffer
            out += view[:count]
        assert await reader.readinto(view) == 0
        return bytes(out)

    assert asyncio.run(read_back()) == data


class _Trickle:
    """A ``BodyReader`` that gives at most ``step`` bytes a call, as a socket does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.offset = data, step, 0

    async def readinto(self, buffer: memoryview, /) -> int:
        count = min(len(buffer), self.step, len(self.data) - self.offset)
        buffer[:count] = self.data[self.offset : self.offset + count]
        self.offset += count
        return count


async def test_write_from_a_body_reader_fills_whole_batches(blob_store: BlobStore) -> None:
    data = os.urandom(2 * blobs.BIG_BATCH + 777)
    body = IncomingBody(source=_Trickle(data, 250_000), max_size=len(data))
    written = await blob_store.write(body)
    assert written.size == len(data)
    assert written.digests["MD5"] == hashlib.md5(data).digest()
    assert blob_store.path(written.blob).read_bytes() == data


def buffer_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every buffer made from now on, in order."""
    made: list[int] = []
    real = blobs._new_buffer

    def spy(size: int) -> mmap.mmap:
        made.append(size)
        return real(size)

    monkeypatch.setattr(blobs, "_new_buffer", spy)
    return made


async def test_write_buffers_are_reused_not_shared(blob_store: BlobStore) -> None:
    """Concurrent writes each get buffers of their own; afterwards a few are kept as spares."""
    datas = [os.urandom(blobs.WRITE_BUFFER + i) for i in range(10)]
    written = await asyncio.gather(
        *(blob_store.write(IncomingBody(source=_Trickle(d, 65536), max_size=len(d))) for d in datas)
    )
    for data, blob in zip(datas, written, strict=True):
        assert blob_store.path(blob.blob).read_bytes() == data
    assert len(blob_store._spare[blobs.WRITE_BUFFER]) == blobs.SPARE_BUFFERS


async def test_batches_are_big_only_for_the_first_few_bodies_at_once(
    blob_store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to BIG_BODIES bodies at once get BIG_BATCH buffers, the others WRITE_BUFFER ones;
    the big ones are not kept once more bodies came."""
    made = buffer_sizes(monkeypatch)
    datas = [os.urandom(blobs.WRITE_BUFFER + 1 + i) for i in range(blobs.BIG_BODIES + 2)]
    written = await asyncio.gather(
        *(blob_store.write(IncomingBody(source=_Trickle(d, 65536), max_size=len(d))) for d in datas)
    )
    assert [blob_store.path(w.blob).read_bytes() for w in written] == datas
    assert made == 2 * blobs.BIG_BODIES * [blobs.BIG_BATCH] + 4 * [blobs.WRITE_BUFFER]
    assert blob_store._spare[blobs.BIG_BATCH] == []
    assert len(blob_store._spare[blobs.WRITE_BUFFER]) == 4


async def test_batches_are_small_while_many_bodies_are_remembered(
    blob_store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone body gets big buffers, kept as spares; while more than BIG_BODIES bodies at
    once are remembered (peak.py) it gets small ones, and the big spares are let go."""
    made = buffer_sizes(monkeypatch)

    async def lone() -> None:
        data = os.urandom(blobs.WRITE_BUFFER + 1)
        body = IncomingBody(source=_Trickle(data, 65536), max_size=len(data))
        blob = await blob_store.write(body)
        assert blob_store.path(blob.blob).read_bytes() == data

    await lone()
    assert made == 2 * [blobs.BIG_BATCH]
    assert len(blob_store._spare[blobs.BIG_BATCH]) == 2
    for _ in range(blobs.BIG_BODIES + 1):  # that many a moment ago, remembered for an hour
        blob_store._bodies.enter(time.monotonic(), 3600)
    for _ in range(blobs.BIG_BODIES + 1):
        blob_store._bodies.leave()
    made.clear()
    await lone()
    assert made == 2 * [blobs.WRITE_BUFFER]
    assert blob_store._spare[blobs.BIG_BATCH] == []
    assert len(blob_store._spare[blobs.WRITE_BUFFER]) == 2


async def test_bodies_of_one_batch_never_fill_their_second_buffer(
    blob_store: BlobStore,
) -> None:
    """Spares go back so that the next body gets the same first buffer: a second buffer that
    bodies of one batch leave empty is never written to (so never made resident)."""
    for _ in range(3):
        data = os.urandom(blobs.WRITE_BUFFER)  # a lone body's one batch
        await blob_store.write(IncomingBody(source=_Trickle(data, 65536), max_size=len(data)))
    spare = blob_store._spare[blobs.BIG_BATCH]
    assert len(spare) == 2
    assert spare[-1][: len(data)] == data  # the next body's first buffer: the last one's
    assert spare[-2][:] == bytes(blobs.BIG_BATCH)


def _direct_supported(directory: Path) -> bool:
    try:
        os.close(os.open(directory / "probe", os.O_WRONLY | os.O_CREAT | blobs.DIRECT))
    except OSError:
        return False
    finally:
        (directory / "probe").unlink(missing_ok=True)
    return True


def record_direct_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Each data write's length and whether its file had O_DIRECT on, in order."""
    seen: list[tuple[int, bool]] = []
    real = blobs._write_all

    def spy(fh: BinaryIO, data: memoryview) -> None:
        seen.append((len(data), bool(fcntl.fcntl(fh.fileno(), fcntl.F_GETFL) & blobs.DIRECT)))
        real(fh, data)

    monkeypatch.setattr(blobs, "_write_all", spy)
    return seen


BIG, SMALL = blobs.BIG_BATCH, blobs.WRITE_BUFFER


@pytest.mark.parametrize(
    ("fsync", "direct", "used"), [(True, None, True), (True, False, False), (False, None, False)]
)
@pytest.mark.parametrize(
    ("size", "writes"),
    [
        (2 * BIG + 777, [BIG, BIG, 777]),  # a lone body's batches are BIG_BATCH
        (2 * SMALL + 777, [2 * SMALL, 777]),  # a short batch's whole WRITE_BUFFERs first
        (SMALL - 1, [SMALL - 1]),
    ],
)
async def test_write_uses_o_direct_for_whole_batches_only_when_syncing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fsync: bool,
    direct: bool | None,
    used: bool,
    size: int,
    writes: list[int],
) -> None:
    """By default, with fsync on, whole WRITE_BUFFERs go to disk with O_DIRECT and the rest
    of a body through the page cache; with fsync off, or direct=False (--no-direct-io),
    nothing uses O_DIRECT. The bytes are the same either way."""
    if not blobs.DIRECT or not _direct_supported(tmp_path):
        pytest.skip("this filesystem does not take O_DIRECT")
    store = BlobStore(tmp_path, fsync=fsync, direct=direct)
    store.prepare()
    seen = record_direct_writes(monkeypatch)
    data = os.urandom(size)
    written = await store.write(IncomingBody(source=_Trickle(data, 300_000), max_size=len(data)))
    assert store.path(written.blob).read_bytes() == data
    # The short tail was tried with O_DIRECT, refused, and written without it.
    assert seen == [(count, used) for count in writes]


@pytest.mark.parametrize("size", [4096, blobs.SMALL_BODY])
async def test_write_small_body_goes_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """A small body is written without O_DIRECT even when syncing with it on (whole blocks,
    which O_DIRECT would take): read back soon, as a test suite's objects are, it then comes
    from memory, and GetObject reads a body that small in the event loop's thread."""
    if not blobs.DIRECT or not _direct_supported(tmp_path):
        pytest.skip("this filesystem does not take O_DIRECT")
    store = BlobStore(tmp_path, fsync=True, direct=True)
    store.prepare()
    seen = record_direct_writes(monkeypatch)
    data = os.urandom(size)
    written = await store.write(IncomingBody(source=_pieces(data, 1000), max_size=size))
    assert store.path(written.blob).read_bytes() == data
    assert seen == [(size, False)]


def test_write_all_leaves_o_direct_for_a_short_tail(tmp_path: Path) -> None:
    """An O_DIRECT file refuses a write that is not whole blocks (EINVAL): ``_write_all``
    turns O_DIRECT off and writes it through the page cache."""
    if not blobs.DIRECT or not _direct_supported(tmp_path):
        pytest.skip("this filesystem does not take O_DIRECT")
    buffer = mmap.mmap(-1, 3 * 4096)
    buffer.write(os.urandom(3 * 4096))
    with blobs._create(tmp_path / "f", direct=True) as fh:
        assert fcntl.fcntl(fh.fileno(), fcntl.F_GETFL) & blobs.DIRECT
        _write_all(fh, memoryview(buffer)[:8192])
        _write_all(fh, memoryview(buffer)[8192 : 8192 + 100])
        assert not fcntl.fcntl(fh.fileno(), fcntl.F_GETFL) & blobs.DIRECT
    assert (tmp_path / "f").read_bytes() == buffer[: 8192 + 100]


@pytest.mark.parametrize(
    ("fsync", "direct_io", "direct"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
async def test_store_writes_with_o_direct_only_when_syncing_and_asked(
    tmp_path: Path, fsync: bool, direct_io: bool, direct: bool
) -> None:
    store = await Store.open(tmp_path, fsync=fsync, direct_io=direct_io)
    try:
        assert store.blobs.direct is direct
    finally:
        await store.close()
