"""Data files. Named by random ids, never by keys (DESIGN.md invariant 1).

Layout under the data dir:
  blobs/<2 hex>/<32 hex>   committed data files, referenced by metadata rows
  tmp/<32 hex>             bodies being received; never referenced, wiped at startup

A body streams into tmp/ while its digests are computed in the same pass in a worker thread
(hashlib, zlib and awscrt release the GIL), is verified, fsynced and renamed into blobs/; only
then does the caller commit the metadata row that makes it visible (invariant 2). Deleting is
the reverse: rows go first, files after, so a crash between leaves only unreferenced files, which
``sweep`` removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from storage.checksums import Hasher, new_hasher
from storage.errors import S3Error
from storage.models import Digests, IncomingBody

# Writes are batched into buffers of this size before they go to a worker thread: large enough
# that the thread hop is noise, small enough to bound memory per upload.
WRITE_BUFFER = 1024 * 1024
READ_BUFFER = 1024 * 1024


@dataclass(frozen=True)
class WrittenBlob:
    blob: str
    size: int
    digests: Digests


def _new_id() -> str:
    return secrets.token_hex(16)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fh: BinaryIO, data: memoryview) -> None:
    """Write every byte of ``data``. An unbuffered write may write less than asked: a disk
    that fills up takes what fits and fails only on the next call, so one unchecked write
    would leave a file shorter than the size and digests recorded for it."""
    while data:
        data = data[fh.write(data) :]


def _write_and_hash(fh: BinaryIO, data: bytes | bytearray, hashers: Iterable[Hasher]) -> None:
    view = memoryview(data)
    for hasher in hashers:
        hasher.update(view)
    _write_all(fh, view)


class BlobStore:
    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        # Blobs that an open reader is streaming, and deletions deferred until it is done, so a
        # GET that started on the old object finishes on the old object (invariant 4).
        self._leases: Counter[str] = Counter()
        self._doomed: set[str] = set()

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        for leftover in self._tmp.iterdir():
            leftover.unlink(missing_ok=True)

    def path(self, blob: str) -> Path:
        return self._blobs / blob[:2] / blob

    async def write(self, body: IncomingBody) -> WrittenBlob:
        """Stream ``body`` to a new blob; return its id, size and digests. Raises, leaving no
        file behind, when the body is too large, fails ``body.verify``, or the stream fails."""
        loop = asyncio.get_running_loop()
        hashers = {name: new_hasher(name) for name in {"MD5", *body.digests}}
        tmp = self._tmp / _new_id()
        size = 0
        leftover: Path | None = tmp  # what to remove if this fails
        try:
            with tmp.open("wb", buffering=0) as fh:
                pending: asyncio.Future[None] | None = None
                buffer = bytearray()
                async for chunk in body.chunks:
                    size += len(chunk)
                    if size > body.max_size:
                        raise S3Error(
                            "EntityTooLarge", ProposedSize=size, MaxSizeAllowed=body.max_size
                        )
                    buffer += chunk
                    if len(buffer) >= WRITE_BUFFER:
                        # Hash and write this buffer in a thread while the next one is received.
                        if pending is not None:
                            await pending
                        data, buffer = buffer, bytearray()
                        pending = loop.run_in_executor(
                            None, _write_and_hash, fh, data, hashers.values()
                        )
                if pending is not None:
                    await pending
                if buffer:
                    await loop.run_in_executor(None, _write_and_hash, fh, buffer, hashers.values())
                digests = {name: hasher.digest() for name, hasher in hashers.items()}
                body.verify(digests)
                if self.fsync:
                    await loop.run_in_executor(None, os.fsync, fh.fileno())
            blob = _new_id()
            final = self.path(blob)
            final.parent.mkdir(exist_ok=True)
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

    def delete(self, blobs: Iterable[str]) -> None:
        """Remove files that no row references any more (after the commit that dropped them)."""
        for blob in blobs:
            if self._leases[blob]:
                self._doomed.add(blob)
            else:
                self.path(blob).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lease(self, blobs: Iterable[str]) -> Iterator[None]:
        """Keep ``blobs`` on disk while a reader streams them."""
        held = list(blobs)
        self._leases.update(held)
        try:
            yield
        finally:
            self._leases.subtract(held)
            for blob in held:
                if self._leases[blob] <= 0:
                    del self._leases[blob]
                    if blob in self._doomed:
                        self._doomed.discard(blob)
                        self.path(blob).unlink(missing_ok=True)

    async def read(self, blob: str, start: int, length: int) -> AsyncIterator[bytes]:
        """Yield ``length`` bytes of ``blob`` from ``start``, reading in a worker thread."""
        loop = asyncio.get_running_loop()
        fh = await loop.run_in_executor(None, self.path(blob).open, "rb")
        try:
            fh.seek(start)
            while length > 0:
                data = await loop.run_in_executor(None, fh.read, min(READ_BUFFER, length))
                if not data:
                    raise OSError(f"blob {blob} is shorter than its metadata says")
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
        startup, before anything is served, so no upload can be between its rename and its
        commit."""
        wanted = {self.path(blob) for blob in referenced}
        removed = 0
        for path in list(self.files()):
            if path not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
