"""Data files. Named by random ids, never by keys (DESIGN.md invariant 1).

Layout under the data dir:
  blobs/<2 hex>/<32 hex>   data files, referenced by metadata rows once committed
  tmp/<32 hex>             bodies being received in batches; never referenced, wiped at startup

A body streams into tmp/ while its digests are computed in the same pass in worker threads
(hashlib, ISA-L and awscrt release the GIL; MD5 in the lane engine, md5lanes.py), is fsynced,
verified and renamed into blobs/; only then does the caller commit the metadata row that makes
it visible (invariant 2). A body of at most SMALL_BODY bytes is whole in memory and verified
before any file is made, so its file is made, written and synced in blobs/ at once. Deleting is
the reverse: rows go first, files after, so a crash between leaves only unreferenced files,
which ``sweep`` removes.

Every empty body shares one data file, ``EMPTY``: made and synced once, when the first empty
body comes, and never deleted while a server runs, so an empty object or part costs no file and
no sync of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import itertools
import logging
import mmap
import os
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from storage.checksums import Hasher, new_hasher
from storage.errors import S3Error
from storage.md5lanes import ENGINE, RECENT, LaneEngine
from storage.models import BodyReader, Digests, IncomingBody
from storage.peak import RecentPeak

log = logging.getLogger("s3mpu")

# A body goes to the worker threads in batches, each one contiguous buffer so each digest is
# one call: each hand-over costs about as much as hashing a quarter of a megabyte (measured: 4.5
# CPU-s per GiB with 1 MiB batches, 5.5 with 256 KiB). A body holds two buffers (one being
# hashed, one filling). While few bodies are received at once (BIG_BODIES, now or lately:
# peak.py) they are BIG_BATCH, else WRITE_BUFFER: fewer hand-overs per byte, as long as the
# bodies' batches together still fit the CPU's cache (32 MiB of L3 on this project's machine).
# Server CPU-s per GiB of 8 MiB parts, means of 9-15 interleaved runs, 2 against 8 MiB batches:
# 4.03 -> 3.65 at 1 concurrent, 3.05 -> 2.77 at 2, 3.04 -> 2.79 at 4; but 2.81 -> 3.14 at 8 and
# 2.69 -> 3.32 at 16 (docs/benchmarks.md). So 16 concurrent uploads still hold 64 MiB.
WRITE_BUFFER = 2 * 1024 * 1024
BIG_BATCH = 8 * 1024 * 1024
BIG_BODIES = 4
# Buffers of each size kept for the next bodies once their body is done: a new buffer costs its
# page faults, which for a small body would cost more than the body. BIG_BATCH ones are let go
# as soon as more than BIG_BODIES bodies come, so they cost no memory beside the small ones.
SPARE_BUFFERS = 8
# A body this small that comes whole in its first batch is digested on the event loop, and
# made a file in its shard, written and synced in one trip to a worker thread (_write_small).
SMALL_BODY = 32 * 1024
# With fsync on, data files are written with O_DIRECT (Linux), from page-aligned buffers in
# whole blocks, as MinIO writes large objects: the bytes go from the store's buffer to the disk
# with no copy into the page cache. On this project's VM that copy and its writeback cost 0.4 to
# 4 CPU-s per GiB, O_DIRECT 0.15 (docs/benchmarks.md). Reads still go through the page cache,
# and small bodies are written through it (_store_small).
DIRECT = getattr(os, "O_DIRECT", 0)
READ_BUFFER = 1024 * 1024
# How long a batch's MD5 may wait for other bodies' to run in lockstep (md5lanes.py); measured
# with every batch 2 MiB, before BIG_BATCH (a body's last batch is hurried anyway). Over
# loopback a client's threads take turns at its GIL, each sending one body for a few
# milliseconds, so a 2 MiB batch fills in about 4 ms while the other bodies' data comes in the
# next turns. Waiting 20 ms cut 0.10-0.27 server CPU-s per GiB at 4 concurrent 8 MiB parts
# (four comparisons of 9-18 runs) against waiting as long as the batch took to fill (at most
# 50 ms), throughput the same within the noise at 1, 2, 4 and 16 concurrent; waiting at least
# 20 ms and otherwise the fill time cut nothing (docs/benchmarks.md). A body waits only while
# others are being received, or were a moment ago (md5lanes.RECENT).
SLACK = 0.02
# Room data files leave free on the data dir's filesystem, for the database: deleting objects
# and aborting uploads, the way out of a full disk, need a few pages of it. By default 1% of the
# filesystem, at most MAX_MIN_FREE.
MAX_MIN_FREE = 64 * 1024 * 1024
# Write errors that mean "no room": answered as XMinioStorageFull, not as an internal error.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True)
class WrittenBlob:
    blob: str
    size: int
    digests: Digests


def _new_buffer(size: int) -> mmap.mmap:
    """A buffer aligned on a page, as O_DIRECT needs."""
    return mmap.mmap(-1, size)


def _short(blob: str) -> OSError:
    """A data file that ends before the bytes its metadata promises (shortened under the
    server: a disk error, fsck's findings, a hand at the shell)."""
    return OSError(f"blob {blob} is shorter than its metadata says")


def _new_id() -> str:
    return secrets.token_hex(16)


# The data file of every empty body (see the module's docstring); a random id never is this one.
EMPTY = "0" * 32


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fh: BinaryIO, data: memoryview) -> None:
    """Write every byte of ``data``. An unbuffered write may write less than asked: a disk
    that fills up takes what fits and fails only on the next call, so one unchecked write
    would leave a file shorter than the size and digests recorded for it.

    A file opened with O_DIRECT takes only whole, aligned blocks: the last, short batch of a
    body (or any write the filesystem refuses as EINVAL) goes on through the page cache."""
    while data:
        try:
            written = fh.write(data)
        except OSError as exc:
            if exc.errno == errno.EINVAL and _stop_direct(fh):
                continue
            raise
        assert written is not None
        if written < len(data):
            _stop_direct(fh)  # what is left may not start on a block boundary
        data = data[written:]


def _stop_direct(fh: BinaryIO) -> bool:
    """Turn O_DIRECT off for ``fh``; False if it was not on."""
    try:
        fd = fh.fileno()
    except OSError:  # io.UnsupportedOperation: no descriptor, so no O_DIRECT either
        return False
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    if not flags & DIRECT:
        return False
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~DIRECT)
    return True


def _create(path: Path, direct: bool) -> BinaryIO:
    """A new file for writing, with O_DIRECT when asked and the filesystem takes it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    if direct and DIRECT:
        try:
            return os.fdopen(os.open(path, flags | DIRECT, 0o666), "wb", buffering=0)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.fdopen(os.open(path, flags, 0o666), "wb", buffering=0)


Piece = bytes | memoryview


class ChunkReader:
    """A ``BodyReader`` over a body that comes as chunks: each is copied into the buffer, so the
    digests and the write still get one contiguous buffer per batch."""

    def __init__(self, chunks: AsyncIterator[Piece]) -> None:
        self._chunks = aiter(chunks)
        self._left = memoryview(b"")

    async def readinto(self, buffer: memoryview, /) -> int:
        while not self._left:
            try:
                self._left = memoryview(await anext(self._chunks)).cast("B")
            except StopAsyncIteration:
                return 0
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count


def _body_reader(body: IncomingBody) -> BodyReader:
    source = body.source
    # Not isinstance(source, BodyReader): a runtime-checkable Protocol's check costs about 17 us
    # on Python 3.11, an ABC's 0.3 us, and it runs for every body.
    return ChunkReader(source) if isinstance(source, AsyncIterable) else source


async def _fill(reader: BodyReader, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``reader``; return how much it holds (less than full: the end)."""
    filled = 0
    while filled < len(buffer):
        count = await reader.readinto(buffer[filled:])
        if not count:
            break
        filled += count
    return filled


def _digest(hashers: Iterable[Hasher], data: memoryview) -> None:
    for hasher in hashers:
        hasher.update(data)


def _digest_and_write(fh: BinaryIO, hashers: Iterable[Hasher], data: memoryview) -> None:
    _digest(hashers, data)
    # An O_DIRECT file takes whole blocks only, and _write_all sends the rest of a write it
    # refuses through the page cache: a body's short last batch is split so that its whole
    # WRITE_BUFFERs still go direct, as they did when every batch was one.
    whole = len(data) - len(data) % WRITE_BUFFER
    if 0 < whole < len(data):
        _write_all(fh, data[:whole])
        data = data[whole:]
    _write_all(fh, data)


@dataclass(frozen=True)
class Hashers:
    """A body's MD5 and the other digests it asks for, by name."""

    md5: Hasher
    named: dict[str, Hasher]

    def others(self) -> list[Hasher]:
        return list(self.named.values())

    def all(self) -> list[Hasher]:
        return [self.md5, *self.named.values()]

    def digests(self) -> Digests:
        digests = {"MD5": self.md5.digest()}
        digests.update((name, hasher.digest()) for name, hasher in self.named.items())
        return digests


def _check_size(size: int, body: IncomingBody) -> None:
    if size > body.max_size:
        raise S3Error("EntityTooLarge", ProposedSize=size, MaxSizeAllowed=body.max_size)


async def _settle(write: asyncio.Future[Any] | None) -> None:
    """Wait until a worker thread's write has ended, even if this task is being cancelled: its
    file must not be closed (and its descriptor reused) while the thread still writes to it."""
    if write is None:
        return
    while not write.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([write])
    if not write.cancelled():
        write.exception()  # retrieved: the error that matters is already on its way up


class BlobStore:
    def __init__(
        self,
        root: Path,
        *,
        fsync: bool = True,
        direct: bool | None = None,
        min_free: int | None = None,
    ) -> None:
        self.root = root
        self.fsync = fsync
        # O_DIRECT for data files; None: when syncing them.
        self.direct = fsync if direct is None else direct
        # None: the default share of the filesystem, worked out by prepare().
        self.min_free = min_free
        # Bytes handed to worker threads to write and not written yet: not in statvfs's count.
        self._writing = 0
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        # Blobs that an open reader is streaming, and deletions deferred until it is done, so a
        # GET that started on the old object finishes on the old object (invariant 4).
        self._leases: Counter[str] = Counter()
        self._doomed: set[str] = set()
        # Spare buffers by size, and the bodies holding buffers (which sets their size).
        self._spare: dict[int, list[mmap.mmap]] = {WRITE_BUFFER: [], BIG_BATCH: []}
        self._bodies = RecentPeak()
        self._empty_made = False  # EMPTY's file is on disk (and synced) in this process

    def prepare(self) -> None:
        """Make the layout and empty tmp/. Every shard directory is made here and synced once,
        so a write never creates a directory whose entry a crash could take back."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        for shard in range(256):
            (self._blobs / f"{shard:02x}").mkdir(exist_ok=True)
        for leftover in self._tmp.iterdir():
            leftover.unlink(missing_ok=True)
        if self.fsync:
            _fsync_dir(self._blobs)
            _fsync_dir(self.root)
        if self.min_free is None:
            stats = os.statvfs(self.root)
            self.min_free = min(MAX_MIN_FREE, stats.f_blocks * stats.f_frsize // 100)

    def _claim(self, size: int) -> None:
        """Account for ``size`` bytes about to be written, or raise ENOSPC if they would eat
        into the room kept free for the database (then nothing has been written for them)."""
        if self.min_free:
            stats = os.statvfs(self._tmp)
            free = stats.f_bavail * stats.f_frsize - self._writing
            if free - size < self.min_free:
                raise OSError(errno.ENOSPC, "no room left beside what the database needs")
        self._writing += size

    def _release(self, size: int) -> None:
        self._writing -= size

    def path(self, blob: str) -> Path:
        return self._blobs / blob[:2] / blob

    def _big_batches(self) -> bool:
        """Whether a body starting now gets BIG_BATCH buffers. When it does not (more bodies
        than BIG_BODIES, now or lately), the spare ones are let go."""
        if self._bodies.expected(time.monotonic()) <= BIG_BODIES:
            return True
        self._spare[BIG_BATCH].clear()
        return False

    @contextlib.contextmanager
    def _buffers(self) -> Iterator[list[memoryview]]:
        """Two buffers for one body, from the spares when there are some."""
        self._bodies.enter(time.monotonic(), RECENT)
        try:
            size = BIG_BATCH if self._big_batches() else WRITE_BUFFER
            spare = self._spare[size]
            held = [spare.pop() if spare else _new_buffer(size) for _ in range(2)]
            try:
                yield [memoryview(buffer) for buffer in held]
            finally:
                if size == WRITE_BUFFER or self._big_batches():
                    # The next body pops its first buffer first: the same one, so a second
                    # buffer that a body of one batch never fills is never made resident.
                    spare.extend(reversed(held[: max(0, SPARE_BUFFERS - len(spare))]))
        finally:
            self._bodies.leave()

    async def write(self, body: IncomingBody) -> WrittenBlob:
        """Stream ``body`` to a new blob; return its id, size and digests. Raises, leaving no
        file behind, when the body is too large, fails ``body.verify``, or the stream fails."""
        reader = _body_reader(body)
        md5 = new_hasher("MD5")
        others = {name: new_hasher(name) for name in body.digests - {"MD5"}}
        hashers = Hashers(md5, others)
        try:
            with self._buffers() as buffers:
                # Up to SMALL_BODY bytes are read before any file is made: a small body is
                # then whole, a larger one gets its file and the rest of its first batch.
                first = await _fill(reader, buffers[0][: SMALL_BODY + 1])
                _check_size(first, body)
                if first <= SMALL_BODY:
                    return await self._write_small(body, hashers, buffers[0][:first])
                return await self._write_batches(body, reader, hashers, buffers, first)
        except OSError as exc:
            if exc.errno in FULL:
                raise S3Error("XMinioStorageFull") from exc
            raise

    async def _write_small(
        self, body: IncomingBody, hashers: Hashers, data: memoryview
    ) -> WrittenBlob:
        """A body of SMALL_BODY bytes at most, whole in ``data``: digested here, then made a
        file in place, written and synced in one trip to a worker thread, where a batch would
        take several and the event loop would wait for the file system's journal to create
        files. An empty body takes the shared EMPTY file."""
        _digest(hashers.all(), data)
        digests = hashers.digests()
        body.verify(digests)
        loop = asyncio.get_running_loop()
        if not data:
            if not self._empty_made:
                await loop.run_in_executor(None, self._make_empty)
                self._empty_made = True
            return WrittenBlob(EMPTY, 0, digests)
        self._claim(len(data))
        try:
            # Shielded and settled: the thread reads ``data``, a buffer other uploads reuse.
            job = loop.run_in_executor(None, self._store_small, data)
            try:
                blob = await asyncio.shield(job)
            except BaseException:
                await _settle(job)
                if not job.cancelled() and job.exception() is None:
                    self._remove_now([job.result()])  # stored, but nobody will commit it
                raise
        finally:
            self._release(len(data))
        return WrittenBlob(blob, len(data), digests)

    def _store_small(self, data: memoryview) -> str:
        """In a worker thread: ``data`` into a new blob, made in its shard directory at once.
        The body is whole before its file exists, so it skips tmp/ and the rename: on this
        project's machine they cost about 0.5 ms of CPU per small body, a seventh of a 4 KiB
        PutObject's (docs/benchmarks.md). Until its row is committed the file is unreferenced,
        as a renamed body's is: a crash leaves it to the startup sweep."""
        blob = _new_id()
        final = self.path(blob)
        try:
            # Through the page cache, not O_DIRECT: a small object is often read back soon (a
            # test suite's), and GetObject reads a small body in the event loop's thread.
            with _create(final, direct=False) as fh:
                _write_all(fh, data)
                if self.fsync:
                    os.fsync(fh.fileno())
            if self.fsync:
                _fsync_dir(final.parent)  # its new entry too, as after _write_batches' rename
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        return blob

    async def _write_batches(
        self,
        body: IncomingBody,
        reader: BodyReader,
        hashers: Hashers,
        buffers: list[memoryview],
        first: int,
    ) -> WrittenBlob:
        """A body read in batches, whose first ``first`` bytes are in ``buffers[0]``."""
        loop = asyncio.get_running_loop()
        tmp = self._tmp / _new_id()
        size = 0
        leftover: Path | None = tmp  # what to remove if this fails
        # The lane engine that digests this body's MD5 (md5lanes.py); None: a worker thread.
        lanes = ENGINE if ENGINE is not None and ENGINE.takes(hashers.md5) else None
        streaming = lanes.stream() if lanes is not None else contextlib.nullcontext()
        try:
            with _create(tmp, self.direct) as fh, streaming:
                # The work running in worker threads, if any (the digests and write of a batch,
                # or the fsync). Awaited through shield, so a cancelled request cannot cancel it
                # under the thread, and settled before the file is closed and its buffer reused.
                pending: list[asyncio.Future[None]] = []
                try:
                    for turn in itertools.count():
                        # One buffer fills while the other's batch is digested and written.
                        buffer = buffers[turn % 2]
                        start = first if turn == 0 else 0
                        count = start + await _fill(reader, buffer[start:])
                        size += count
                        _check_size(size, body)
                        if not count:
                            break
                        for future in pending:
                            await asyncio.shield(future)
                        pending = self._start(loop, fh, hashers, buffer[:count], lanes, SLACK)
                        if count < len(buffer):
                            break
                    if self.fsync:
                        # The bytes are synced while the last MD5 may still wait for company.
                        md5, *writes = pending
                        for future in writes:
                            await asyncio.shield(future)
                        pending = [md5, loop.run_in_executor(None, os.fsync, fh.fileno())]
                        await asyncio.shield(pending[1])
                    if lanes is not None:
                        lanes.hurry(hashers.md5)
                    for future in pending:
                        await asyncio.shield(future)
                    digests = hashers.digests()
                    body.verify(digests)
                finally:
                    if lanes is not None:
                        lanes.hurry(hashers.md5)
                    for future in pending:
                        await _settle(future)
            blob = _new_id()
            final = self.path(blob)
            tmp.rename(final)
            leftover = final
            if self.fsync:
                # The rename is durable only once its directory is: the row about to be
                # committed must never point at a file a crash could take back.
                await loop.run_in_executor(None, _fsync_dir, final.parent)
            leftover = None
            return WrittenBlob(blob, size, digests)
        finally:
            if leftover is not None:
                leftover.unlink(missing_ok=True)

    def _start(
        self,
        loop: asyncio.AbstractEventLoop,
        fh: BinaryIO,
        hashers: Hashers,
        batch: memoryview,
        lanes: LaneEngine | None,
        slack: float,
    ) -> list[asyncio.Future[None]]:
        """Digest and write ``batch`` in two threads at once: MD5 costs about as much as
        SHA-256, the CRCs and the write together, and hashlib, ISA-L and awscrt release the GIL,
        so one body is hashed on two cores. MD5 goes to the lane engine (md5lanes.py), which
        digests it together with the other bodies being received, or (``lanes`` None) to a
        worker thread; ``slack``: how long it may wait there for company. Room for the
        batch's bytes is claimed first."""
        size = len(batch)
        self._claim(size)
        md5 = hashers.md5
        started = [
            lanes.submit(md5, batch, slack)
            if lanes is not None
            else loop.run_in_executor(None, _digest, [md5], batch),
            loop.run_in_executor(None, _digest_and_write, fh, hashers.others(), batch),
        ]
        started[1].add_done_callback(lambda _: self._release(size))
        return started

    def _make_empty(self) -> None:
        """Make EMPTY's file, durably when syncing: before a row names it (invariant 2)."""
        path = self.path(EMPTY)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if self.fsync:
            _fsync_dir(path.parent)

    async def delete(self, blobs: Iterable[str]) -> None:
        """Remove files that no row references any more (after the commit that dropped them);
        a file a reader leases goes when its lease ends. EMPTY stays: other rows may name it."""
        now = []
        for blob in blobs:
            if blob == EMPTY:
                continue
            if self._leases[blob]:
                self._doomed.add(blob)
            else:
                now.append(blob)
        await self._remove(now)

    async def _remove(self, blobs: list[str]) -> None:
        """Remove ``blobs``' files in a worker thread, to the end even if the caller is
        cancelled meanwhile. An unlink can take milliseconds: on the bench's machine, whose file
        system discards freed blocks at once, about 2.3 ms for an 8 MiB file, so 0.3 s for a
        1 GiB object of 128 parts, which the event loop would stand still for."""
        if blobs:
            job = asyncio.get_running_loop().run_in_executor(None, self._remove_now, blobs)
            await asyncio.shield(job)

    def _remove_now(self, blobs: list[str]) -> None:
        # The commit that dropped the files' rows has happened (or the write that made one has
        # failed with its own error): a file that cannot be removed now is an orphan for the
        # startup sweep, not a reason to fail the request.
        for blob in blobs:
            try:
                self.path(blob).unlink(missing_ok=True)
            except OSError:
                log.warning("could not remove %s; the next start will", blob, exc_info=True)

    @contextlib.asynccontextmanager
    async def lease(self, blobs: Iterable[str]) -> AsyncIterator[None]:
        """Keep ``blobs`` on disk while a reader streams them."""
        held = list(blobs)
        self._leases.update(held)
        try:
            yield
        finally:
            self._leases.subtract(held)
            released = []
            for blob in held:
                if self._leases[blob] <= 0:
                    del self._leases[blob]
                    if blob in self._doomed:
                        self._doomed.discard(blob)
                        released.append(blob)
            await self._remove(released)

    async def open(self, blob: str) -> BinaryIO:
        """``blob``'s file open for reading, opened in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.path(blob).open, "rb")

    def read_now(self, blob: str, start: int, length: int) -> bytes:
        """``length`` bytes of ``blob`` from ``start``, read in the calling thread; OSError if
        the file ends first, as read()."""
        fd = os.open(self.path(blob), os.O_RDONLY)
        try:
            pieces = []
            while length > 0:
                data = os.pread(fd, length, start)
                if not data:
                    raise _short(blob)
                pieces.append(data)
                start, length = start + len(data), length - len(data)
            return b"".join(pieces)
        finally:
            os.close(fd)

    async def read(self, blob: str, start: int, length: int) -> AsyncIterator[bytes]:
        """Yield ``length`` bytes of ``blob`` from ``start``, reading in a worker thread."""
        loop = asyncio.get_running_loop()
        fh = await self.open(blob)
        try:
            fh.seek(start)
            while length > 0:
                data = await loop.run_in_executor(None, fh.read, min(READ_BUFFER, length))
                if not data:
                    raise _short(blob)
                length -= len(data)
                yield data
        finally:
            fh.close()

    def files(self) -> Iterator[Path]:
        """Every file under blobs/: the data files, and anything else that strayed there."""
        if not self._blobs.is_dir():
            return
        for entry in self._blobs.iterdir():
            if entry.is_dir():
                yield from (path for path in entry.iterdir() if not path.is_dir())
            else:
                yield entry

    def leftovers(self) -> list[Path]:
        """The files in tmp/: bodies whose upload never finished (none while a server runs)."""
        return list(self._tmp.iterdir()) if self._tmp.is_dir() else []

    def sweep(self, referenced: set[str]) -> int:
        """Delete every file under blobs/ that no row references; return how many. Run at
        startup, before anything is served, so no upload can be between making its file in
        blobs/ (a rename, or a small body's file made there) and its commit."""
        wanted = {self.path(blob) for blob in referenced}
        removed = 0
        for path in list(self.files()):
            if path not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
