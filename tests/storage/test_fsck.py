"""fsck on a real data dir: each kind of damage is reported, repair removes orphans only."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from storage import CompletedPart, DataDirLocked, NotADataDir, Store, fsck
from tests.storage.test_store import MIN, blob_files, body

OBJECT = b"a plain object's bytes"
PARTS = (b"first part", b"second part")
OPEN_PART = b"a part of an open upload"


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    """A stopped server's data dir: a plain object, a multipart object, an open upload."""
    store = await Store.open(tmp_path, min_part_size=MIN)
    try:
        await store.create_bucket("b")
        await store.put_object("b", "plain", body(OBJECT), {})
        upload = await store.create_multipart_upload("b", "multi", {})
        listed = []
        for number, data in enumerate(PARTS, 1):
            part = await store.upload_part("b", "multi", upload.upload_id, number, body(data))
            listed.append(CompletedPart(number, part.part.etag))
        await store.complete_multipart_upload("b", "multi", upload.upload_id, listed)
        still_open = await store.create_multipart_upload("b", "open", {})
        await store.upload_part("b", "open", still_open.upload_id, 1, body(OPEN_PART))
    finally:
        await store.close()
    return tmp_path


def file_holding(data_dir: Path, content: bytes) -> Path:
    (found,) = [path for path in blob_files(data_dir) if path.read_bytes() == content]
    return found


def snapshot(data_dir: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in blob_files(data_dir)}


async def test_fsck_clean_data_dir_reads_every_byte(data_dir: Path) -> None:
    report = await fsck(data_dir)
    assert report.problems == []
    assert report.files == 4
    assert report.bytes == len(OBJECT) + sum(map(len, PARTS)) + len(OPEN_PART)
    assert report.objects == 2
    assert report.lines()


@pytest.mark.parametrize("content", [OBJECT, PARTS[1], OPEN_PART])
async def test_fsck_flipped_byte_is_corrupt_and_never_repaired(
    data_dir: Path, content: bytes
) -> None:
    path = file_holding(data_dir, content)
    damaged = bytearray(content)
    damaged[3] ^= 0x01
    path.write_bytes(bytes(damaged))
    before = snapshot(data_dir)
    report = await fsck(data_dir, repair=True)
    assert report.kinds() == {"corrupt"}
    assert report.repaired == []
    assert report.remaining == report.problems
    assert snapshot(data_dir) == before


async def test_fsck_truncated_file_is_a_size_mismatch(data_dir: Path) -> None:
    path = file_holding(data_dir, PARTS[0])
    path.write_bytes(PARTS[0][:-1])
    report = await fsck(data_dir, repair=True)
    assert report.kinds() == {"size"}
    assert path.read_bytes() == PARTS[0][:-1]


@pytest.mark.parametrize("content", [OBJECT, PARTS[0], OPEN_PART])
async def test_fsck_deleted_file_is_missing(data_dir: Path, content: bytes) -> None:
    file_holding(data_dir, content).unlink()
    report = await fsck(data_dir, repair=True)
    assert report.kinds() == {"missing"}
    assert report.repaired == []


async def test_fsck_repair_removes_orphans_and_leftovers_only(data_dir: Path) -> None:
    kept = snapshot(data_dir)
    orphan = data_dir / "blobs" / "ee" / ("ee" * 16)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"renamed, never committed")
    stray = data_dir / "blobs" / "not-a-shard"
    stray.write_bytes(b"?")
    leftover = data_dir / "tmp" / ("11" * 16)
    leftover.write_bytes(b"half a body")
    # A file a row references is not an orphan even when its contents are wrong.
    corrupt = file_holding(data_dir, OPEN_PART)
    corrupt.write_bytes(OPEN_PART.upper())
    kept[corrupt] = OPEN_PART.upper()

    report = await fsck(data_dir)
    assert sorted(p.kind for p in report.problems) == ["corrupt", "leftover", "orphan", "orphan"]
    assert report.repaired == []
    assert all(path.exists() for path in (orphan, stray, leftover))

    report = await fsck(data_dir, repair=True)
    assert sorted(p.kind for p in report.repaired) == ["leftover", "orphan", "orphan"]
    assert [p.kind for p in report.remaining] == ["corrupt"]
    assert not any(path.exists() for path in (orphan, stray, leftover))
    assert snapshot(data_dir) == kept
    assert (await fsck(data_dir)).kinds() == {"corrupt"}


def _sql(data_dir: Path, statement: str) -> None:
    # Damage the metadata behind the store's back, as a bug or a bad restore would.
    with sqlite3.connect(data_dir / "meta.sqlite3") as db:
        db.execute(statement)
    db.close()


@pytest.mark.parametrize(
    ("statement", "kinds"),
    [
        ("UPDATE objects SET size = size + 1 WHERE key = 'plain'", {"object"}),
        ("UPDATE objects SET etag = 'x' WHERE key = 'multi'", {"object"}),
        ("UPDATE objects SET parts_count = 3 WHERE key = 'multi'", {"object"}),
        ("DELETE FROM segments WHERE part_number = 1 AND size = 10", {"object", "orphan"}),
        ("DELETE FROM uploads WHERE key = 'open'", {"dangling"}),
        ("DELETE FROM objects WHERE key = 'plain'", {"dangling"}),
        ("UPDATE parts SET etag = '00' || substr(etag, 3)", {"corrupt"}),
        (
            "INSERT INTO parts SELECT upload_id, 2, (SELECT blob FROM segments LIMIT 1), "
            "size, etag, checksum, last_modified FROM parts",
            {"shared", "size"},
        ),
    ],
)
async def test_fsck_metadata_against_files(data_dir: Path, statement: str, kinds: set[str]) -> None:
    _sql(data_dir, statement)
    report = await fsck(data_dir)
    assert report.kinds() == kinds


async def test_fsck_refuses_while_the_store_is_open(data_dir: Path) -> None:
    store = await Store.open(data_dir)
    try:
        with pytest.raises(DataDirLocked):
            await fsck(data_dir)
        with pytest.raises(DataDirLocked):
            await Store.open(data_dir)
    finally:
        await store.close()
    assert (await fsck(data_dir)).problems == []


async def test_fsck_of_a_directory_without_metadata(tmp_path: Path) -> None:
    with pytest.raises(NotADataDir):
        await fsck(tmp_path)
    with pytest.raises(NotADataDir):
        await fsck(tmp_path / "nowhere")
    assert os.listdir(tmp_path) == []


async def test_fsck_empty_bodies_share_one_file_and_are_clean(tmp_path: Path) -> None:
    store = await Store.open(tmp_path, min_part_size=MIN)
    try:
        await store.create_bucket("b")
        await store.put_object("b", "e1", body(), {})
        await store.put_object("b", "e2", body(b""), {})
        upload = await store.create_multipart_upload("b", "m", {})
        await store.upload_part("b", "m", upload.upload_id, 1, body())
    finally:
        await store.close()
    assert len(blob_files(tmp_path)) == 1
    assert (await fsck(tmp_path)).problems == []
    # Their file stays when none is left, until the next start: no orphan for fsck either.
    store = await Store.open(tmp_path, min_part_size=MIN)
    try:
        await store.delete_objects("b", ["e1", "e2"])
        await store.abort_multipart_upload("b", "m", upload.upload_id)
    finally:
        await store.close()
    assert len(blob_files(tmp_path)) == 1
    assert (await fsck(tmp_path)).problems == []
