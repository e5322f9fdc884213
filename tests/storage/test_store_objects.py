"""Store operations around objects: tags, DeleteObjects, and the schema migration that gave
objects and uploads their tags."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import CompletedPart, S3Error, Store
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
