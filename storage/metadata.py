"""All SQL lives here: the metadata schema and its queries, over SQLite in WAL mode.

Two connections in threads of their own: one writer, whose transactions one task commits at a
time and which start with BEGIN IMMEDIATE so they never deadlock on upgrade, and one reader,
whose snapshot transactions run beside the writer (WAL). Callers get a ``Tx`` with typed
methods, so storage semantics stay in store.py and a PostgreSQL implementation of ``Tx`` could
stand beside this one (DESIGN.md invariant 6).

A transaction written as a body (``transact()``, ``snapshot()``) runs whole in its
connection's thread (aiosqlite), in one trip there and back, and writes that wait for a commit
are committed together, with one sync of the WAL; a read written as a block (``read()``,
``read_one()``: startup, fsck, ListParts) makes one trip per statement. A third connection
belongs to the event loop's thread, for reads of a few rows by key (``lookup()``): for those
the trip to a thread and back cost more than the reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from storage import cors, lifecycle
from storage.errors import S3Error
from storage.listing import After, AtLeast, Position, prefix_end
from storage.models import (
    Bucket,
    CompleteResult,
    FileRow,
    ListedObject,
    ListedUpload,
    ObjectInfo,
    Part,
    Segment,
    Tags,
    Upload,
)

# The database's file name in the data dir.
METADATA_FILE = "meta.sqlite3"
# SQLite's primary result code for "database or disk is full".
# https://www.sqlite.org/rescode.html#full
SQLITE_FULL = 13

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    object_id TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    meta TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type TEXT,
    checksum TEXT,
    parts_count INTEGER,
    tags TEXT,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- An object's data files in order (one for a PutObject, one per part for a multipart object).
CREATE TABLE IF NOT EXISTS segments (
    object_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum TEXT,
    PRIMARY KEY (object_id, part_number)
) WITHOUT ROWID;

-- state: 'open', or 'completed' (kept with its result so a retried Complete gets the same answer).
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    initiated REAL NOT NULL,
    meta TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type TEXT,
    state TEXT NOT NULL DEFAULT 'open',
    result TEXT,
    tags TEXT
) WITHOUT ROWID;
-- ListMultipartUploads reads its pages from this index alone, in its order (it covers the listed
-- columns); uploads_by_key, which lacked state and the checksum columns, made every listed upload
-- a lookup in the table.
CREATE INDEX IF NOT EXISTS uploads_listed
    ON uploads (bucket, state, key, initiated, upload_id, checksum_algorithm, checksum_type);
DROP INDEX IF EXISTS uploads_by_key;

-- A bucket's lifecycle rules, as storage/lifecycle.py's JSON.
CREATE TABLE IF NOT EXISTS lifecycles (
    bucket TEXT PRIMARY KEY,
    rules TEXT NOT NULL
) WITHOUT ROWID;

-- A bucket's CORS rules, as storage/cors.py's JSON.
CREATE TABLE IF NOT EXISTS cors (
    bucket TEXT PRIMARY KEY,
    rules TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum TEXT,
    last_modified REAL NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
"""

# Columns added to a table after its first release, with their type: a database created by an
# older s3mpu gets them when it is opened (NULL in existing rows).
_ADDED_COLUMNS = (("objects", "tags", "TEXT"), ("uploads", "tags", "TEXT"))

_OBJECT_COLUMNS = (
    "bucket, key, size, etag, last_modified, meta, checksum_algorithm, checksum_type, checksum, "
    "parts_count, tags"
)
_UPLOAD_COLUMNS = "upload_id, bucket, key, initiated, meta, checksum_algorithm, checksum_type, tags"
# What a listing page renders, in ListedObject's and ListedUpload's order.
_LISTED_OBJECT_COLUMNS = "key, size, etag, last_modified, checksum_algorithm, checksum_type"
_LISTED_UPLOAD_COLUMNS = "key, initiated, upload_id, checksum_algorithm, checksum_type"


def _tags_json(tags: Tags) -> str | None:
    return json.dumps([list(pair) for pair in tags]) if tags else None


def _tags(text: str | None) -> Tags:
    return tuple((key, value) for key, value in json.loads(text)) if text else ()


_PART_COLUMNS = "part_number, size, etag, last_modified, checksum"


def _object(row: Sequence[Any]) -> ObjectInfo:
    return ObjectInfo(
        bucket=row[0],
        key=row[1],
        size=row[2],
        etag=row[3],
        last_modified=row[4],
        meta=json.loads(row[5]),
        checksum_algorithm=row[6],
        checksum_type=row[7],
        checksum=row[8],
        parts_count=row[9],
        tags=_tags(row[10]),
    )


def _upload(row: Sequence[Any]) -> Upload:
    return Upload(
        upload_id=row[0],
        bucket=row[1],
        key=row[2],
        initiated=row[3],
        meta=json.loads(row[4]),
        checksum_algorithm=row[5],
        checksum_type=row[6],
        tags=_tags(row[7]),
    )


def _part(row: Sequence[Any]) -> Part:
    # Positional, in _PART_COLUMNS' order: keywords make a frozen dataclass about 1.6x slower
    # to build, and a page of ListParts or a Complete builds one per part.
    return Part(row[0], row[1], row[2], row[3], row[4])


def _key_range(
    prefix: str, position: Position | None, sort_columns: Sequence[str] = ("key",)
) -> tuple[str, list[Any]]:
    """SQL conditions for keys under ``prefix`` from ``position`` (see listing.py), ordered by
    ``sort_columns`` (key first).

    The conditions hold a single lower bound on key, the greater of the prefix and the
    position's key: given two lower bounds, SQLite seeks the index to one of them and filters
    every row up to the other, which made a page from the middle of 100,000 keys read all the
    keys before it. The rest of a position's sort tuple only decides among rows of its key.
    """
    low, operator, tail, tail_args = prefix, ">=", "", []
    if isinstance(position, AtLeast):
        low = max(low, position.key)
    elif isinstance(position, After) and position.sort[0] >= prefix:
        # (A position before the prefix is behind every key under it: no condition then.)
        low, rest = position.sort[0], position.sort[1:]
        if rest:
            # The rows of the position's own key follow it by the rest of the sort tuple.
            columns = ", ".join(sort_columns[1:])
            tail = f" AND (key > ? OR ({columns}) > ({', '.join('?' * len(rest))}))"
            tail_args = [low, *rest]
        else:
            operator = ">"
    clauses, args = [f"key {operator} ?"], [low]
    end = prefix_end(prefix)
    if end is not None:
        clauses.append("key < ?")
        args.append(end)
    return " AND ".join(clauses) + tail, args + tail_args


# A listing page's queries. Each reads its rows in the order of a primary key or of a covering
# index, from one seek (tests/storage/test_metadata_listing.py checks their query plans).
Query = tuple[str, tuple[Any, ...]]


def objects_page(bucket: str, prefix: str, position: Position, limit: int) -> Query:
    where, args = _key_range(prefix, position)
    sql = (
        f"SELECT {_LISTED_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND {where} "
        "ORDER BY key LIMIT ?"
    )
    return sql, (bucket, *args, limit)


def uploads_page(bucket: str, prefix: str, position: Position, limit: int) -> Query:
    where, args = _key_range(prefix, position, ("key", "initiated", "upload_id"))
    sql = (
        f"SELECT {_LISTED_UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND state = 'open' "
        f"AND {where} ORDER BY key, initiated, upload_id LIMIT ?"
    )
    return sql, (bucket, *args, limit)


_PARTS_PAGE = (
    "SELECT "
    + ", ".join(f"u.{name}" for name in _UPLOAD_COLUMNS.split(", "))
    + ", u.state, "
    + ", ".join(f"p.{name}" for name in _PART_COLUMNS.split(", "))
    + " FROM uploads u LEFT JOIN parts p ON p.upload_id = u.upload_id AND p.part_number > ? "
    "WHERE u.upload_id = ? ORDER BY p.part_number LIMIT ?"
)


def parts_page(upload_id: str, after: int, limit: int) -> Query:
    """The upload's columns and state on every row, with one part each (NULLs: none)."""
    return _PARTS_PAGE, (after, upload_id, limit)


class _Connection(Protocol):
    """What a Tx runs its statements on."""

    async def fetchall(self, sql: str, args: Sequence[Any]) -> list[Any]: ...

    # The rows, which may be read only as far as the caller takes them.
    async def rows(self, sql: str, args: Sequence[Any]) -> Iterable[Any]: ...

    async def run(self, sql: str, args: Sequence[Any]) -> int: ...  # the rows changed

    async def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


class _Async:
    """Statements sent one by one to the connection's thread, from the event loop."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    # One trip to the database thread each: a cursor's execute, fetch and close would be three.
    async def fetchall(self, sql: str, args: Sequence[Any]) -> list[Any]:
        return list(await self._db.execute_fetchall(sql, args))

    async def rows(self, sql: str, args: Sequence[Any]) -> Iterable[Any]:
        return await self.fetchall(sql, args)

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        async with self._db.execute(sql, args) as cur:
            return cur.rowcount

    async def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)


class _Direct:
    """Statements run at once, in the connection's thread: for the bodies of
    Metadata.transact and Metadata.snapshot, whose awaits never suspend (run_now)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    async def fetchall(self, sql: str, args: Sequence[Any]) -> list[Any]:
        return self._db.execute(sql, args).fetchall()

    async def rows(self, sql: str, args: Sequence[Any]) -> Iterable[Any]:
        # The cursor: SQLite steps to each row as it is taken. A listing that stops early (a
        # common prefix ends its batch) reads no further, where fetchall would read them all.
        return self._db.execute(sql, args)

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        return self._db.execute(sql, args).rowcount

    async def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)


T = TypeVar("T")
# A transaction's statements and decisions, as an async function of its Tx that awaits nothing
# but the Tx's methods, so that it can run whole in the database's thread.
Body = Callable[["Tx"], Coroutine[Any, Any, T]]


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a Body's coroutine to its end in this thread: on a _Direct connection it never
    suspends."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a transaction body awaited something other than its Tx")


class Tx:
    """One transaction's queries."""

    def __init__(self, db: _Connection) -> None:
        self._db = db

    async def _one(self, sql: str, *args: Any) -> Any:
        rows = await self._db.fetchall(sql, args)
        return next(iter(rows), None)

    async def _all(self, sql: str, *args: Any) -> list[Any]:
        return await self._db.fetchall(sql, args)

    async def _run(self, sql: str, *args: Any) -> int:
        return await self._db.run(sql, args)

    # Buckets

    async def get_bucket(self, name: str) -> Bucket | None:
        row = await self._one("SELECT name, created FROM buckets WHERE name = ?", name)
        return None if row is None else Bucket(row[0], row[1])

    async def insert_bucket(self, name: str, created: float) -> bool:
        """False when the bucket exists already."""
        sql = "INSERT INTO buckets (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING"
        return await self._run(sql, name, created) == 1

    async def bucket_in_use(self, name: str) -> bool:
        sql = (
            "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = ?) "
            "OR EXISTS (SELECT 1 FROM uploads WHERE bucket = ? AND state = 'open')"
        )
        return bool((await self._one(sql, name, name))[0])

    async def delete_bucket(self, name: str) -> None:
        await self._run("DELETE FROM uploads WHERE bucket = ?", name)
        await self._run("DELETE FROM lifecycles WHERE bucket = ?", name)
        await self._run("DELETE FROM cors WHERE bucket = ?", name)
        await self._run("DELETE FROM buckets WHERE name = ?", name)

    async def list_buckets(self) -> list[Bucket]:
        rows = await self._all("SELECT name, created FROM buckets ORDER BY name")
        return [Bucket(row[0], row[1]) for row in rows]

    # Objects

    async def get_object(self, bucket: str, key: str) -> tuple[ObjectInfo, str] | None:
        sql = f"SELECT {_OBJECT_COLUMNS}, object_id FROM objects WHERE bucket = ? AND key = ?"
        row = await self._one(sql, bucket, key)
        return None if row is None else (_object(row), row[11])

    async def get_segments(self, object_id: str) -> list[Segment]:
        sql = (
            "SELECT blob, size, part_number, etag, checksum FROM segments "
            "WHERE object_id = ? ORDER BY part_number"
        )
        return [Segment(*row) for row in await self._all(sql, object_id)]

    async def delete_object(self, bucket: str, key: str) -> list[str]:
        """Drop the object's rows; return the blobs that are now unreferenced."""
        row = await self._one(
            "DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING object_id", bucket, key
        )
        if row is None:
            return []
        blobs = await self._all("DELETE FROM segments WHERE object_id = ? RETURNING blob", row[0])
        return [blob for (blob,) in blobs]

    async def put_object(
        self, info: ObjectInfo, object_id: str, segments: Sequence[Segment]
    ) -> list[str]:
        """Insert or replace an object; return the blobs of the object it replaced."""
        replaced = await self.delete_object(info.bucket, info.key)
        await self._run(
            f"INSERT INTO objects ({_OBJECT_COLUMNS}, object_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            info.bucket,
            info.key,
            info.size,
            info.etag,
            info.last_modified,
            json.dumps(dict(info.meta)),
            info.checksum_algorithm,
            info.checksum_type,
            info.checksum,
            info.parts_count,
            _tags_json(info.tags),
            object_id,
        )
        await self._db.run_many(
            "INSERT INTO segments (object_id, part_number, blob, size, etag, checksum) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(object_id, s.part_number, s.blob, s.size, s.etag, s.checksum) for s in segments],
        )
        return replaced

    async def set_object_tags(self, bucket: str, key: str, tags: Tags) -> bool:
        """Replace an object's tags, leaving everything else (Last-Modified too) as it is;
        False when there is no such object."""
        sql = "UPDATE objects SET tags = ? WHERE bucket = ? AND key = ?"
        return await self._run(sql, _tags_json(tags), bucket, key) == 1

    async def list_objects(
        self, bucket: str, prefix: str, position: Position, limit: int
    ) -> Iterator[tuple[tuple[str], ListedObject]]:
        """Up to ``limit`` objects under ``prefix`` from ``position``, in key order: one round
        trip to the database's thread, read straight off the objects table's key order (in
        Metadata.snapshot, only as far as they are taken)."""
        rows = await self._db.rows(*objects_page(bucket, prefix, position, limit))
        listed = ListedObject._make
        return (((row[0],), listed(row)) for row in rows)

    # Multipart uploads

    async def insert_upload(self, upload: Upload) -> None:
        await self._run(
            f"INSERT INTO uploads ({_UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            upload.upload_id,
            upload.bucket,
            upload.key,
            upload.initiated,
            json.dumps(dict(upload.meta)),
            upload.checksum_algorithm,
            upload.checksum_type,
            _tags_json(upload.tags),
        )

    async def get_upload(self, upload_id: str) -> tuple[Upload, str, CompleteResult | None] | None:
        """The upload, its state and, once completed, the result Complete answered."""
        sql = f"SELECT {_UPLOAD_COLUMNS}, state, result FROM uploads WHERE upload_id = ?"
        row = await self._one(sql, upload_id)
        if row is None:
            return None
        result = None if row[9] is None else CompleteResult(**json.loads(row[9]))
        return _upload(row), row[8], result

    async def claim_upload(self, upload_id: str, result: CompleteResult) -> bool:
        """Mark an open upload completed (DESIGN.md invariant 5); False if it was not open."""
        sql = (
            "UPDATE uploads SET state = 'completed', result = ? "
            "WHERE upload_id = ? AND state = 'open'"
        )
        return await self._run(sql, json.dumps(result.__dict__), upload_id) == 1

    async def delete_upload(self, upload_id: str) -> list[str]:
        """Drop an upload and its parts; return the parts' blobs."""
        await self._run("DELETE FROM uploads WHERE upload_id = ?", upload_id)
        return await self.delete_parts(upload_id)

    async def delete_parts(self, upload_id: str) -> list[str]:
        rows = await self._all("DELETE FROM parts WHERE upload_id = ? RETURNING blob", upload_id)
        return [blob for (blob,) in rows]

    async def put_part(self, upload_id: str, part: Part, blob: str) -> str | None:
        """Insert or replace a part; return the blob of the part it replaced."""
        old = await self._one(
            "SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?",
            upload_id,
            part.part_number,
        )
        await self._run(
            "INSERT OR REPLACE INTO parts "
            f"(upload_id, blob, {_PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            upload_id,
            blob,
            part.part_number,
            part.size,
            part.etag,
            part.last_modified,
            part.checksum,
        )
        return None if old is None else str(old[0])

    async def get_parts(self, upload_id: str) -> dict[int, tuple[Part, str]]:
        sql = f"SELECT {_PART_COLUMNS}, blob FROM parts WHERE upload_id = ?"
        return {row[0]: (_part(row), row[5]) for row in await self._all(sql, upload_id)}

    async def list_parts(
        self, upload_id: str, after: int, limit: int
    ) -> tuple[tuple[Upload, str] | None, list[Part]]:
        """The upload and its state (None: no such upload) with up to ``limit`` of its parts
        numbered above ``after``, in one statement, so in one snapshot even outside a
        transaction (Metadata.read_one)."""
        rows = await self._db.fetchall(*parts_page(upload_id, after, limit))
        if not rows:
            return None, []
        first = rows[0]
        parts = [_part(row[9:]) for row in rows if row[9] is not None]
        return (_upload(first), first[8]), parts

    async def list_uploads(
        self, bucket: str, prefix: str, position: Position, limit: int
    ) -> Iterator[tuple[tuple[str, float, str], ListedUpload]]:
        """Up to ``limit`` open uploads under ``prefix`` from ``position``, in listing order:
        one round trip, read from the uploads_listed index alone (in Metadata.snapshot, only
        as far as they are taken)."""
        rows = await self._db.rows(*uploads_page(bucket, prefix, position, limit))
        listed = ListedUpload._make
        return ((row[:3], listed(row)) for row in rows)

    # CORS

    async def all_cors(self) -> dict[str, list[cors.Rule]]:
        rows = await self._all("SELECT bucket, rules FROM cors")
        return {bucket: cors.from_json(rules) for bucket, rules in rows}

    async def put_cors(self, bucket: str, rules: Sequence[cors.Rule]) -> None:
        sql = "INSERT OR REPLACE INTO cors (bucket, rules) VALUES (?, ?)"
        await self._run(sql, bucket, cors.to_json(rules))

    async def delete_cors(self, bucket: str) -> None:
        await self._run("DELETE FROM cors WHERE bucket = ?", bucket)

    # Lifecycle

    async def put_lifecycle(self, bucket: str, rules: Sequence[lifecycle.Rule]) -> None:
        sql = "INSERT OR REPLACE INTO lifecycles (bucket, rules) VALUES (?, ?)"
        await self._run(sql, bucket, lifecycle.to_json(rules))

    async def delete_lifecycle(self, bucket: str) -> None:
        await self._run("DELETE FROM lifecycles WHERE bucket = ?", bucket)

    async def lifecycles(self) -> dict[str, list[lifecycle.Rule]]:
        rows = await self._all("SELECT bucket, rules FROM lifecycles ORDER BY bucket")
        return {bucket: lifecycle.from_json(rules) for bucket, rules in rows}

    async def uploads_initiated_by(
        self, bucket: str, prefix: str, initiated: float, limit: int
    ) -> list[str]:
        """Open uploads under ``prefix`` initiated at or before ``initiated``."""
        where, args = _key_range(prefix, None, "key")
        sql = (
            f"SELECT upload_id FROM uploads WHERE bucket = ? AND state = 'open' AND {where} "
            "AND initiated <= ? LIMIT ?"
        )
        return [row[0] for row in await self._all(sql, bucket, *args, initiated, limit)]

    async def objects_modified_by(
        self, bucket: str, found: lifecycle.Filter, modified: float, limit: int
    ) -> list[str]:
        """Keys of objects ``found`` selects last written at or before ``modified``."""
        where, args = _key_range(found.prefix, None, "key")
        if found.size_greater_than is not None:
            where += " AND size > ?"
            args.append(found.size_greater_than)
        if found.size_less_than is not None:
            where += " AND size < ?"
            args.append(found.size_less_than)
        sql = (
            f"SELECT key FROM objects WHERE bucket = ? AND {where} AND last_modified <= ? "
            "ORDER BY key LIMIT ?"
        )
        return [row[0] for row in await self._all(sql, bucket, *args, modified, limit)]

    # Housekeeping

    async def forget_completed(self, before: float) -> int:
        sql = "DELETE FROM uploads WHERE state = 'completed' AND initiated < ?"
        return await self._run(sql, before)

    async def referenced_blobs(self) -> set[str]:
        rows = await self._all("SELECT blob FROM parts UNION ALL SELECT blob FROM segments")
        return {blob for (blob,) in rows}

    # Checking (fsck)

    async def file_rows(self) -> list[FileRow]:
        """Every row that references a data file, with its upload's or object's name."""
        sql = (
            "SELECT p.blob, p.size, p.etag, p.part_number, u.bucket, u.key, p.upload_id, NULL "
            "FROM parts p LEFT JOIN uploads u ON u.upload_id = p.upload_id "
            "UNION ALL "
            "SELECT s.blob, s.size, s.etag, s.part_number, o.bucket, o.key, NULL, s.object_id "
            "FROM segments s LEFT JOIN objects o ON o.object_id = s.object_id"
        )
        return [FileRow(*row) for row in await self._all(sql)]

    async def all_objects(self) -> list[tuple[ObjectInfo, str]]:
        """Every object, with its object id."""
        rows = await self._all(f"SELECT {_OBJECT_COLUMNS}, object_id FROM objects")
        return [(_object(row), row[11]) for row in rows]

    async def quick_check(self) -> list[str]:
        """SQLite's own consistency check of the database file: [] when it is sound."""
        rows = await self._all("PRAGMA quick_check")
        return [] if [row[0] for row in rows] == ["ok"] else [str(row[0]) for row in rows]


async def _add_columns(db: aiosqlite.Connection) -> None:
    for table, column, kind in _ADDED_COLUMNS:
        async with db.execute(f"PRAGMA table_info({table})") as cur:
            existing = {row[1] for row in await cur.fetchall()}
        if column not in existing:
            await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


class Metadata:
    def __init__(
        self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, inline: sqlite3.Connection
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._inline = inline  # lookup()'s; the event loop's thread only (check_same_thread)
        self._read_lock = asyncio.Lock()
        # Bodies waiting for the next group commit (transact), and the task committing them.
        self._queued: list[tuple[Body[Any], asyncio.Future[Any]]] = []
        self._committer: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path, *, fsync: bool = True) -> Metadata:
        # synchronous=FULL syncs the WAL at every commit: an acknowledged write survives power
        # loss. NORMAL (--no-fsync) syncs only at checkpoints: a power loss may take back the
        # last commits, but in WAL mode never corrupts the database, as OFF could.
        # https://www.sqlite.org/pragma.html#pragma_synchronous
        sync = "FULL" if fsync else "NORMAL"
        connections = []
        for _ in range(2):
            db = await aiosqlite.connect(path, isolation_level=None)
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute(f"PRAGMA synchronous = {sync}")
            await db.execute("PRAGMA busy_timeout = 10000")
            connections.append(db)
        await connections[0].executescript(SCHEMA)
        await _add_columns(connections[0])
        # No busy timeout: it would be slept on the event loop (see lookup()). Its first read
        # opens its descriptor of the WAL: done here, so a server's descriptors are all open
        # once it serves.
        inline = sqlite3.connect(path, isolation_level=None, timeout=0)
        inline.execute("PRAGMA schema_version").fetchall()
        return cls(connections[0], connections[1], inline)

    async def close(self) -> None:
        if self._committer is not None:
            await self._committer
        self._inline.close()
        await self._writer.close()
        await self._reader.close()

    async def transact(self, body: Body[T]) -> T:
        """Run ``body`` as a write transaction whole in the database's thread: one trip there
        and back for all its statements.

        Bodies that arrive while a commit is under way are committed together, with one sync
        of the WAL (group commit). Each runs in a savepoint of its own, in the order they
        arrived, and sees what those before it did: one that raises is rolled back alone, with
        its error; the others are answered only once the commit that holds them is done, so
        each still takes effect entirely or not at all, and durably when syncing."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((body, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_queued())
        return await _outcome(done)

    async def _commit_queued(self) -> None:
        group: list[tuple[Body[Any], asyncio.Future[Any]]] = []
        try:
            while self._queued:
                group, self._queued = self._queued, []
                job = _in_thread(self._writer, self._commit_group, [b for b, _ in group])
                outcomes = await _outcome(asyncio.ensure_future(job))
                for (_, done), (error, value) in zip(group, outcomes, strict=True):
                    if error is None:
                        done.set_result(value)
                    else:
                        done.set_exception(error)
                group = []
        except BaseException as exc:
            failed = exc if isinstance(exc, Exception) else RuntimeError("the commit was stopped")
            for _, done in group + self._queued:
                if not done.done():
                    done.set_exception(failed)
            self._queued = []
            raise
        finally:
            self._committer = None

    def _commit_group(self, bodies: list[Body[Any]]) -> list[tuple[Exception | None, Any]]:
        """In the writer's thread: commit ``bodies`` in one transaction; each one's (error,
        value). When the transaction itself fails (its commit, or a statement after which SQLite
        rolled all of it back, as on a full disk) each body is tried again in a transaction of
        its own, so that one body's failure is never another's."""
        try:
            return self._commit_together(bodies)
        except Exception as exc:
            if len(bodies) == 1:
                return [(_storage_error(exc), None)]
        return [self._commit_group([body])[0] for body in bodies]

    def _commit_together(self, bodies: list[Body[Any]]) -> list[tuple[Exception | None, Any]]:
        db = self._writer._conn
        outcomes: list[tuple[Exception | None, Any]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for body in bodies:
                db.execute("SAVEPOINT body")
                try:
                    outcomes.append((None, run_now(body(Tx(_Direct(db))))))
                except Exception as exc:
                    if not db.in_transaction:
                        # After some errors (a full disk among them) SQLite has already rolled
                        # the whole transaction back: the group is tried again body by body.
                        # https://www.sqlite.org/lang_transaction.html#response_to_errors_within_a_transaction
                        raise
                    db.execute("ROLLBACK TO body")
                    outcomes.append((_storage_error(exc), None))
                db.execute("RELEASE body")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return outcomes

    async def snapshot(self, body: Body[T]) -> T:
        """Run ``body``'s reads whole in the database's thread, on one snapshot: one trip there
        and back, where read() makes one per statement and two more for BEGIN and COMMIT."""
        async with self._read_lock:
            return await _in_thread(self._reader, _read_now, self._reader._conn, body)

    async def lookup(self, body: Body[T]) -> T:
        """Run ``body``'s reads at once, on one snapshot, in the event loop's thread: for rows
        found by key (an object, an upload), which SQLite reads in microseconds from the page
        cache, where snapshot()'s trip to the database's thread and back (a queue, two thread
        wake-ups and the loop's own) cost more than the reads: a HeadObject at 16 at once took
        about 920 server CPU microseconds with it, 440 without. The largest such read, the
        part list of a 10,000-part object for its GET, takes about 30 ms, most of it building
        rows, which holds the GIL in a thread too. Listings keep to snapshot().

        In WAL mode a reader does not wait for the writer. It waits only while another process
        holds the database in exclusive locking mode (s3mpu never does, and the data dir's lock
        keeps a second server out) or recovers it after a crash (done by Metadata.open before
        anything is served). So this connection has no busy timeout, which would block the
        event loop: should that happen, the read fails at once (a 500 InternalError).
        https://www.sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode"""
        return _read_now(self._inline, body)

    @asynccontextmanager
    async def read_one(self) -> AsyncIterator[Tx]:
        """The reader for a single statement, outside any transaction: SQLite runs each
        statement on a snapshot of its own, so a read that takes one query needs no BEGIN
        and COMMIT, two round trips to the database's thread. Use read() for more queries.
        https://www.sqlite.org/isolation.html"""
        async with self._read_lock:
            yield Tx(_Async(self._reader))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only snapshot: every query in the block sees the same committed state."""
        async with self._read_lock:
            await self._reader.execute("BEGIN")
            try:
                yield Tx(_Async(self._reader))
            finally:
                await self._reader.execute("COMMIT")


def _read_now(db: sqlite3.Connection, body: Body[T]) -> T:
    """Run a read-only Body on ``db`` (in the thread that owns it), on one snapshot."""
    db.execute("BEGIN")
    try:
        return run_now(body(Tx(_Direct(db))))
    finally:
        db.execute("COMMIT")


def _in_thread(
    db: aiosqlite.Connection, function: Callable[..., T], *args: Any
) -> Coroutine[Any, Any, T]:
    """Run ``function(*args)`` in ``db``'s thread, where its sqlite3 connection may be used:
    aiosqlite's own way (Connection._execute), the one its public methods use."""
    return db._execute(function, *args)  # type: ignore[no-untyped-call]


def _storage_error(exc: Exception) -> Exception:
    """A full disk is XMinioStorageFull, as when a data file cannot be written."""
    if isinstance(exc, sqlite3.Error) and exc.sqlite_errorcode & 0xFF == SQLITE_FULL:
        full = S3Error("XMinioStorageFull")
        full.__cause__ = exc
        return full
    return exc


async def _outcome(future: asyncio.Future[T]) -> T:
    """``future``'s result, waited for to its end even if the caller is cancelled meanwhile:
    whether a transaction committed decides what its caller must clean up (the data file of a
    committed row must stay). The cancellation then reaches the caller: at once if the
    transaction failed, at its next await if it committed."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if future.cancelled():
            raise
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([future])
        if future.exception() is not None:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.cancel()
        return future.result()
