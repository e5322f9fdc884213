"""Store operations around objects: tags, DeleteObjects, and the schema migration that gave
objects and uploads their tags."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import CompletedPart, CopySource, S3Error, Store
from tests.storage.test_store import MIN, blob_files, body


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path, min_part_size=MIN)
    await opened.create_bucket("b")
    yield opened
    await opened.close()


TAGS = (("a", "1"), ("b", ""))


async def test_put_object_keeps_tags_and_tagging_leaves_the_object(store: Store) -> None:
    put = await store.put_object("b", "k", body(b"data"), {}, tags=TAGS)
    assert (await store.head_object("b", "k")).tags == TAGS
    await store.put_object_tagging("b", "k", (("c", "3"),))
    info = await store.head_object("b", "k")
    assert info.tags == (("c", "3"),)
    assert (info.etag, info.last_modified) == (put.etag, put.last_modified)
    await store.put_object_tagging("b", "k", ())
    assert (await store.head_object("b", "k")).tags == ()
    # A new PutObject replaces the tags with its own.
    await store.put_object("b", "k", body(b"data"), {}, tags=TAGS)
    await store.put_object("b", "k", body(b"data"), {})
    assert (await store.head_object("b", "k")).tags == ()


async def test_put_object_tagging_missing_object(store: Store) -> None:
    with pytest.raises(S3Error) as caught:
        await store.put_object_tagging("b", "nope", TAGS)
    assert caught.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as caught:
        await store.put_object_tagging("no-bucket", "k", TAGS)
    assert caught.value.code == "NoSuchBucket"


async def test_complete_gives_the_object_the_uploads_tags(store: Store) -> None:
    upload = await store.create_multipart_upload("b", "k", {"x-amz-meta-a": "1"}, tags=TAGS)
    part = await store.upload_part("b", "k", upload.upload_id, 1, body(b"x" * MIN))
    await store.complete_multipart_upload(
        "b", "k", upload.upload_id, [CompletedPart(1, part.part.etag)]
    )
    info = await store.head_object("b", "k")
    assert (info.tags, dict(info.meta)) == (TAGS, {"x-amz-meta-a": "1"})


async def test_delete_objects_in_one_transaction(store: Store, tmp_path: Path) -> None:
    for key in ("a", "b", "c"):
        await store.put_object("b", key, body(key.encode()), {})
    await store.delete_objects("b", ["a", "c", "a", "missing"])
    assert [o.key for o in (await store.list_objects(
        "b", prefix="", delimiter="", max_keys=10, after="")).entries] == ["b"]  # fmt: skip
    assert len(blob_files(tmp_path)) == 1


async def test_delete_objects_failing_midway_deletes_none(store: Store, tmp_path: Path) -> None:
    """The third key's delete fails (a trigger in the real database): the first two stay too,
    with their files."""
    for key in ("a", "b", "c"):
        await store.put_object("b", key, body(key.encode()), {})
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    db.execute(
        "CREATE TRIGGER fail BEFORE DELETE ON objects WHEN old.key = 'c' "
        "BEGIN SELECT RAISE(ABORT, 'injected'); END"
    )
    db.commit()
    db.close()
    with pytest.raises(sqlite3.IntegrityError):
        await store.delete_objects("b", ["a", "b", "c"])
    page = await store.list_objects("b", prefix="", delimiter="", max_keys=10, after="")
    assert [o.key for o in page.entries] == ["a", "b", "c"]
    assert len(blob_files(tmp_path)) == 3
    with pytest.raises(S3Error) as caught:
        await store.delete_objects("missing", ["a"])
    assert caught.value.code == "NoSuchBucket"


async def test_old_database_gets_the_tags_columns(tmp_path: Path) -> None:
    # A database as the first release created it: no tags columns.
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    db.executescript(
        """
        CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL,
            object_id TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, etag TEXT NOT NULL,
            last_modified REAL NOT NULL, meta TEXT NOT NULL, checksum_algorithm TEXT,
            checksum_type TEXT, checksum TEXT, parts_count INTEGER,
            PRIMARY KEY (bucket, key)) WITHOUT ROWID;
        CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL,
            key TEXT NOT NULL, initiated REAL NOT NULL, meta TEXT NOT NULL,
            checksum_algorithm TEXT, checksum_type TEXT, state TEXT NOT NULL DEFAULT 'open',
            result TEXT) WITHOUT ROWID;
        CREATE TABLE buckets (name TEXT PRIMARY KEY, created REAL NOT NULL) WITHOUT ROWID;
        INSERT INTO buckets VALUES ('b', 0);
        INSERT INTO objects VALUES ('b', 'old', 'id1', 0, 'd41d8cd98f00b204e9800998ecf8427e',
            0, '{}', NULL, NULL, NULL, NULL);
        """
    )
    db.commit()
    db.close()
    opened = await Store.open(tmp_path, min_part_size=MIN)
    try:
        assert (await opened.head_object("b", "old")).tags == ()
        await opened.put_object_tagging("b", "old", TAGS)
        assert (await opened.head_object("b", "old")).tags == TAGS
        upload = await opened.create_multipart_upload("b", "new", {}, tags=TAGS)
        assert (await opened.get_upload("b", "new", upload.upload_id)).tags == TAGS
    finally:
        await opened.close()


async def read_all(store: Store, key: str) -> bytes:
    async with store.open_object("b", key) as reader:
        return b"".join([c async for c in reader.read()])


async def test_copy_object_streams_a_new_object(store: Store, tmp_path: Path) -> None:
    await store.put_object("b", "src", body(b"abc", b"def"), {"x-amz-meta-a": "1"}, tags=TAGS)
    copied = await store.copy_object("b", "dst", CopySource("b", "src"), meta=None, tags=None)
    assert copied.etag == hashlib.md5(b"abcdef").hexdigest()
    assert (copied.meta, copied.tags) == ({"x-amz-meta-a": "1"}, TAGS)
    # A copy has data files of its own: replacing the source leaves it whole.
    await store.put_object("b", "src", body(b"new"), {})
    assert await read_all(store, "dst") == b"abcdef"
    assert len(blob_files(tmp_path)) == 2
    replaced = await store.copy_object("b", "dst", CopySource("b", "src"), meta={}, tags=())
    assert (replaced.meta, replaced.tags) == ({}, ())


async def test_copy_object_of_a_multipart_source_is_one_part(store: Store) -> None:
    upload = await store.create_multipart_upload("b", "mp", {})
    etags = []
    for number, data in ((1, b"x" * MIN), (2, b"y")):
        etags.append(await store.upload_part("b", "mp", upload.upload_id, number, body(data)))
    await store.complete_multipart_upload(
        "b",
        "mp",
        upload.upload_id,
        [CompletedPart(n + 1, p.part.etag) for n, p in enumerate(etags)],
    )
    copied = await store.copy_object("b", "copy", CopySource("b", "mp"), meta=None, tags=None)
    assert copied.parts_count is None
    assert copied.etag == hashlib.md5(b"x" * MIN + b"y").hexdigest()
    assert (copied.checksum_algorithm, copied.checksum_type) == ("CRC64NVME", "FULL_OBJECT")


async def test_copy_object_onto_itself_needs_new_metadata(store: Store) -> None:
    await store.put_object("b", "k", body(b"v"), {})
    with pytest.raises(S3Error) as caught:
        await store.copy_object("b", "k", CopySource("b", "k"), meta=None, tags=None)
    assert caught.value.code == "InvalidRequest"
    await store.copy_object("b", "k", CopySource("b", "k"), meta={"x-amz-meta-n": "1"}, tags=None)
    assert dict((await store.head_object("b", "k")).meta) == {"x-amz-meta-n": "1"}
    assert await read_all(store, "k") == b"v"


async def test_upload_part_copy_range(store: Store) -> None:
    await store.put_object("b", "src", body(b"0123456789"), {})
    upload = await store.create_multipart_upload("b", "dst", {})
    source = CopySource("b", "src", first_last=(2, 5), range_header="bytes=2-5")
    part = await store.upload_part_copy("b", "dst", upload.upload_id, 1, source)
    assert (part.part.size, part.part.etag) == (4, hashlib.md5(b"2345").hexdigest())
    with pytest.raises(S3Error) as caught:
        await store.upload_part_copy(
            "b", "dst", upload.upload_id, 2, CopySource("b", "src", first_last=(2, 10))
        )
    assert caught.value.code == "InvalidArgument"
