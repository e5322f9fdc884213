"""fsck: check a stopped server's data dir against its metadata, and remove what nothing uses.

What is checked (``s3mpu fsck``, server/cli.py):
- every data file a part or segment row references exists, has the recorded size and the
  recorded MD5 (the part's or PutObject's ETag), so every stored byte is read once;
- every object's size is the sum of its segments and its ETag follows from theirs;
- every row belongs to an upload or object, and no two rows share a file;
- every file under blobs/ is referenced by a row, and tmp/ is empty;
- SQLite's own quick_check of the database.

``repair`` removes the files no row references (orphans under blobs/, leftovers in tmp/) and
nothing else: a file a row references is never deleted, whatever is wrong with it, and no row is
changed. fsck holds the data dir's lock (storage/lock.py), so it refuses to run beside a server.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from storage.blobs import EMPTY, READ_BUFFER, BlobStore
from storage.etag import multipart_etag
from storage.lock import DataDirLock
from storage.metadata import METADATA_FILE, Metadata
from storage.models import FileRow, ObjectInfo

# Problems that repair fixes: files no row references.
REPAIRABLE = frozenset({"orphan", "leftover"})


class NotADataDir(Exception):
    """The directory holds no s3mpu metadata."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong. ``kind``: missing, size, corrupt, object, dangling, shared, database
    (data or metadata damaged; never repaired), or orphan, leftover (a file no row references,
    at ``path``; removed by repair)."""

    kind: str
    message: str
    path: Path | None = None

    @property
    def repairable(self) -> bool:
        return self.kind in REPAIRABLE


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)
    files: int = 0  # data files read
    bytes: int = 0  # bytes read and hashed
    objects: int = 0

    @property
    def remaining(self) -> list[Problem]:
        return [p for p in self.problems if p not in self.repaired]

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def lines(self) -> Iterator[str]:
        """The report, for people: one line a problem, then a summary."""
        for problem in self.problems:
            done = " (removed)" if problem in self.repaired else ""
            yield f"{problem.kind}: {problem.message}{done}"
        found = f"{len(self.problems)} problems" if self.problems else "no problems"
        if self.repaired:
            found += f", {len(self.repaired)} repaired"
        yield (
            f"checked {self.objects} objects, {self.files} data files, {self.bytes} bytes: {found}"
        )


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fh:
        while data := fh.read(READ_BUFFER):
            digest.update(data)
    return digest.hexdigest()


def _owner(row: FileRow) -> str:
    name = "?" if row.bucket is None else f"{row.bucket}/{row.key}"
    if row.upload_id is not None:
        return f"part {row.part_number} of upload {row.upload_id} of {name}"
    return f"object {name} part {row.part_number}"


async def fsck(data_dir: Path, *, repair: bool = False) -> Report:
    """Check ``data_dir``; with ``repair``, remove the files no row references. Raises
    DataDirLocked while a server (or another fsck) holds it, NotADataDir if it holds no
    s3mpu metadata."""
    if not (data_dir / METADATA_FILE).is_file():
        raise NotADataDir(f"{data_dir} holds no s3mpu data ({METADATA_FILE} is missing)")
    lock = DataDirLock.acquire(data_dir)
    try:
        meta = await Metadata.open(data_dir / METADATA_FILE)
        try:
            async with meta.read() as tx:
                damaged = await tx.quick_check()
                rows = await tx.file_rows()
                objects = await tx.all_objects()
        finally:
            await meta.close()
        report = Report(objects=len(objects))
        report.problems += [Problem("database", f"{METADATA_FILE}: {line}") for line in damaged]
        blobs = BlobStore(data_dir)
        await _check_files(blobs, data_dir, rows, report)
        _check_objects(objects, rows, report)
        _find_orphans(blobs, data_dir, rows, report)
        if repair:
            for problem in report.problems:
                if problem.repairable and problem.path is not None:
                    problem.path.unlink(missing_ok=True)
                    report.repaired.append(problem)
        return report
    finally:
        lock.release()


async def _check_files(
    blobs: BlobStore, data_dir: Path, rows: list[FileRow], report: Report
) -> None:
    """Each referenced file: there, of the recorded size, with the recorded MD5."""
    by_blob: dict[str, list[FileRow]] = defaultdict(list)
    for row in rows:
        by_blob[row.blob].append(row)
        if row.bucket is None:
            whose = "upload" if row.upload_id is not None else "object"
            report.problems.append(Problem("dangling", f"{_owner(row)}: its {whose} row is gone"))
    for blob, owners in by_blob.items():
        path = blobs.path(blob)
        name = path.relative_to(data_dir)
        if len(owners) > 1 and blob != EMPTY:
            shared = "; ".join(_owner(row) for row in owners)
            report.problems.append(Problem("shared", f"{name}: referenced by {shared}"))
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            for row in owners:
                report.problems.append(Problem("missing", f"{_owner(row)}: {name} is missing"))
            continue
        md5: str | None = None
        for row in owners:
            if row.size != actual:
                message = f"{_owner(row)}: {name} is {actual} bytes, metadata says {row.size}"
                report.problems.append(Problem("size", message))
                continue
            if md5 is None:
                md5 = await asyncio.to_thread(_md5, path)
                report.files += 1
                report.bytes += actual
            if md5 != row.md5:
                message = f"{_owner(row)}: {name} has MD5 {md5}, metadata says {row.md5}"
                report.problems.append(Problem("corrupt", message))


def _check_objects(
    objects: list[tuple[ObjectInfo, str]], rows: list[FileRow], report: Report
) -> None:
    """Each object's size, part count and ETag against its segments."""
    segments: dict[str, list[FileRow]] = defaultdict(list)
    for row in rows:
        if row.object_id is not None:
            segments[row.object_id].append(row)
    for info, object_id in objects:
        parts = sorted(segments.get(object_id, []), key=lambda row: row.part_number)
        name = f"object {info.bucket}/{info.key}"
        if not parts:
            report.problems.append(Problem("object", f"{name} has no data files"))
            continue
        size = sum(row.size for row in parts)
        if size != info.size:
            message = f"{name} is {info.size} bytes, its data files add up to {size}"
            report.problems.append(Problem("object", message))
        if info.parts_count is None:
            etag = parts[0].md5 if len(parts) == 1 else None
        else:
            etag = multipart_etag(row.md5 for row in parts)
            if info.parts_count != len(parts):
                message = f"{name} has {len(parts)} parts, metadata says {info.parts_count}"
                report.problems.append(Problem("object", message))
        if etag != info.etag:
            message = f"{name} has ETag {info.etag}, its parts give {etag}"
            report.problems.append(Problem("object", message))


def _find_orphans(blobs: BlobStore, data_dir: Path, rows: list[FileRow], report: Report) -> None:
    # EMPTY's file outlives the empty bodies that named it (the next start removes it).
    referenced = {blobs.path(row.blob) for row in rows} | {blobs.path(EMPTY)}
    for path in sorted(blobs.files()):
        if path not in referenced:
            message = f"{path.relative_to(data_dir)}: no row references it"
            report.problems.append(Problem("orphan", message, path))
    for path in sorted(blobs.leftovers()):
        message = f"{path.relative_to(data_dir)}: left by an upload that never finished"
        report.problems.append(Problem("leftover", message, path))
