"""The listing queries on a real SQLite file: their plans (one seek in index order, no scan, no
sort), and whole listings walked page by page against a model of S3's paging."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storage import CompletedPart, IncomingBody, S3Error, Store
from storage.listing import After, AtLeast, Position
from storage.metadata import SCHEMA, Query, objects_page, parts_page, uploads_page

POSITIONS: list[Position] = [
    AtLeast(""),
    AtLeast("k/5"),
    After(("k/000100",)),
    After(("a",)),
    After(("k/000100", 5.0, "id")),
    After(("k/000100", float("inf"), "")),
]


def _plan(query: Query) -> list[str]:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    sql, args = query
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, args)]


@pytest.mark.parametrize("prefix", ["", "k/", "\U0010ffff"])
@pytest.mark.parametrize("position", POSITIONS)
def test_list_objects_query_seeks_the_primary_key(prefix: str, position: Position) -> None:
    if isinstance(position, After):
        position = After(position.sort[:1])
    plan = _plan(objects_page("b", prefix, position, 1001))
    assert len(plan) == 1
    assert plan[0].startswith("SEARCH objects USING PRIMARY KEY (bucket=? AND key>")


@pytest.mark.parametrize("prefix", ["", "k/", "\U0010ffff"])
@pytest.mark.parametrize("position", POSITIONS)
def test_list_uploads_query_reads_the_covering_index(prefix: str, position: Position) -> None:
    if isinstance(position, After) and len(position.sort) == 1:
        position = After((position.sort[0], 0.0, ""))
    plan = _plan(uploads_page("b", prefix, position, 1001))
    assert len(plan) == 1
    assert plan[0].startswith(
        "SEARCH uploads USING COVERING INDEX uploads_listed (bucket=? AND state=? AND key>"
    )


def test_list_parts_query_seeks_both_primary_keys() -> None:
    assert _plan(parts_page("id", 0, 101)) == [
        "SEARCH u USING PRIMARY KEY (upload_id=?)",
        "SEARCH p USING PRIMARY KEY (upload_id=? AND part_number>?) LEFT-JOIN",
    ]


async def test_old_database_loses_the_uploads_by_key_index(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    db.executescript(SCHEMA.replace("uploads_listed", "old_listed"))
    db.execute("CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, upload_id)")
    db.commit()
    db.close()
    store = await Store.open(tmp_path)
    await store.close()
    db = sqlite3.connect(tmp_path / "meta.sqlite3")
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    db.close()
    assert "uploads_listed" in names
    assert "uploads_by_key" not in names


# Whole listings against the model: keys from a small alphabet, so prefixes, delimiters and
# markers collide often; U+10FFFF has no successor, so a prefix of it has no upper bound.
NAMES = st.text(alphabet="ab/\U0001f600\U0010ffff", min_size=1, max_size=5)


async def _chunks() -> AsyncIterator[bytes]:
    yield b"x"


def _fold(names: list[str], prefix: str, delimiter: str, marker: str) -> list[str]:
    """What a listing after ``marker`` returns, in order: names under ``prefix``, those with
    ``delimiter`` after the prefix folded into common prefixes; a common prefix at or before the
    marker is not returned again (storage/listing.py)."""
    out: list[str] = []
    for name in sorted(set(names)):
        if not name.startswith(prefix) or name <= marker:
            continue
        at = name.find(delimiter, len(prefix)) if delimiter else -1
        shown = name if at < 0 else name[: at + len(delimiter)]
        if shown != name and shown <= marker:
            continue
        if not out or out[-1] != shown:
            out.append(shown)
    return out


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(NAMES, max_size=25),
    prefix=st.sampled_from(["", "a", "a/", "\U0001f600", "\U0010ffff"]),
    delimiter=st.sampled_from(["", "/", "b"]),
    max_keys=st.sampled_from([1, 2, 3, 1000]),
    start_after=st.sampled_from(["", "a", "a/b", "b\U0010ffff", "\U0001f600"]),
)
def test_list_objects_walk_equals_model(
    keys: list[str], prefix: str, delimiter: str, max_keys: int, start_after: str
) -> None:
    async def walk() -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            store = await Store.open(Path(tmp), fsync=False)
            try:
                await store.create_bucket("b")
                for key in keys:
                    await store.put_object("b", key, IncomingBody(_chunks(), 1), {})
                seen: list[str] = []
                after = start_after
                for _ in range(100):  # a listing that repeats a page fails, not hangs
                    page = await store.list_objects(
                        "b", prefix=prefix, delimiter=delimiter, max_keys=max_keys, after=after
                    )
                    names = sorted([o.key for o in page.entries] + page.prefixes)
                    assert len(names) <= max_keys
                    assert all(o.size == 1 for o in page.entries)
                    seen += names
                    if not page.truncated:
                        return seen
                    assert page.last_name == names[-1]
                    after = page.last_name
                raise AssertionError("listing did not end")
            finally:
                await store.close()

    assert asyncio.run(walk()) == _fold(keys, prefix, delimiter, start_after)


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(NAMES, max_size=20),
    prefix=st.sampled_from(["", "a", "a/", "\U0010ffff"]),
    delimiter=st.sampled_from(["", "/"]),
    max_uploads=st.sampled_from([1, 2, 3, 1000]),
)
@example(keys=["/", "a"], prefix="", delimiter="/", max_uploads=1)
def test_list_multipart_uploads_walk_equals_model(
    keys: list[str], prefix: str, delimiter: str, max_uploads: int
) -> None:
    """Several uploads of a key come in initiation order; pages continue from NextKeyMarker and
    NextUploadIdMarker as a client sends them back; completed uploads are not listed."""

    async def walk() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        with tempfile.TemporaryDirectory() as tmp:
            store = await Store.open(Path(tmp), fsync=False, min_part_size=1)
            try:
                await store.create_bucket("b")
                uploads = [await store.create_multipart_upload("b", key, {}) for key in keys]
                if uploads:  # one completed upload drops out of the listing
                    done = uploads.pop()
                    await store.upload_part(
                        "b", done.key, done.upload_id, 1, IncomingBody(_chunks(), 1)
                    )
                    await store.complete_multipart_upload(
                        "b", done.key, done.upload_id, [CompletedPart(1, _MD5_X)]
                    )
                ordered = sorted(uploads, key=lambda u: (u.key, u.initiated, u.upload_id))
                expected = []
                for name in _fold([u.key for u in uploads], prefix, delimiter, ""):
                    # A key holding the delimiter is a common prefix, even one that equals it.
                    folded = delimiter and delimiter in name[len(prefix) :]
                    under = [(u.key, u.upload_id) for u in ordered if u.key == name]
                    expected += [(name, "")] if folded else under
                seen: list[tuple[str, str]] = []
                key_marker = upload_id_marker = ""
                for _ in range(100):  # a listing that repeats a page fails, not hangs
                    page = await store.list_multipart_uploads(
                        "b", prefix=prefix, delimiter=delimiter, max_uploads=max_uploads,
                        key_marker=key_marker, upload_id_marker=upload_id_marker,
                    )  # fmt: skip
                    got = [(u.key, u.upload_id) for u in page.entries]
                    got += [(p, "") for p in page.prefixes]
                    assert len(got) <= max_uploads
                    seen += sorted(got, key=lambda entry: entry[0])  # stable: by key only
                    if not page.truncated:
                        return seen, expected
                    last = page.last_entry
                    key_marker = last.key if last is not None else page.last_name or ""
                    upload_id_marker = last.upload_id if last is not None else ""
                raise AssertionError("listing did not end")
            finally:
                await store.close()

    seen, expected = asyncio.run(walk())
    assert seen == expected


_MD5_X = "9dd4e461268c8034f5c8564e155c67a6"  # MD5 of b"x"


async def test_list_parts_pages_and_errors(tmp_path: Path) -> None:
    store = await Store.open(tmp_path, fsync=False, min_part_size=1)
    try:
        await store.create_bucket("b")
        upload = await store.create_multipart_upload("b", "k", {})
        empty = await store.create_multipart_upload("b", "k", {})
        for number in (1, 2, 5, 9):
            await store.upload_part("b", "k", upload.upload_id, number, IncomingBody(_chunks(), 1))
        pages = []
        after, truncated = 0, True
        while truncated:
            listed, parts, truncated = await store.list_parts(
                "b", "k", upload.upload_id, max_parts=3, after=after
            )
            assert listed == upload
            pages.append([p.part_number for p in parts])
            after = parts[-1].part_number
        assert pages == [[1, 2, 5], [9]]
        assert await store.list_parts("b", "k", upload.upload_id, max_parts=3, after=9) == (
            upload,
            [],
            False,
        )
        assert (await store.list_parts("b", "k", empty.upload_id, max_parts=1, after=0))[1:] == (
            [],
            False,
        )
        for bucket, key, upload_id, code in [
            ("b", "other", upload.upload_id, "NoSuchUpload"),
            ("b", "k", "nope", "NoSuchUpload"),
            ("nope", "k", upload.upload_id, "NoSuchBucket"),
        ]:
            with pytest.raises(S3Error) as caught:
                await store.list_parts(bucket, key, upload_id, max_parts=3, after=0)
            assert caught.value.code == code
        await store.complete_multipart_upload(
            "b", "k", upload.upload_id, [CompletedPart(1, _MD5_X)]
        )
        with pytest.raises(S3Error) as caught:
            await store.list_parts("b", "k", upload.upload_id, max_parts=3, after=0)
        assert caught.value.code == "NoSuchUpload"
    finally:
        await store.close()


async def test_listing_page_is_one_trip_to_the_database_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing page, however many queries it takes (here a delimiter folds each key into a
    common prefix of its own, each the start of another query, and an upload-id-marker is
    looked up), costs one hand-over to aiosqlite's thread; an unknown bucket too."""
    store = await Store.open(tmp_path, fsync=False)
    try:
        await store.create_bucket("b")
        uploads = []
        for i in range(5):
            await store.put_object("b", f"d{i}/k", IncomingBody(_chunks(), 1), {})
            uploads.append(await store.create_multipart_upload("b", f"d{i}/k", {}))
        trips = 0
        handed_over = aiosqlite.Connection._execute

        async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal trips
            trips += 1
            return await handed_over(self, fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        page = await store.list_objects("b", prefix="", delimiter="/", max_keys=3, after="d0/")
        assert (page.prefixes, page.truncated, trips) == (["d1/", "d2/", "d3/"], True, 1)
        trips = 0
        listed = await store.list_multipart_uploads(
            "b", prefix="", delimiter="", max_uploads=2,
            key_marker=uploads[1].key, upload_id_marker=uploads[1].upload_id,
        )  # fmt: skip
        assert [u.upload_id for u in listed.entries] == [u.upload_id for u in uploads[2:4]]
        assert trips == 1
        trips = 0
        with pytest.raises(S3Error) as caught:
            await store.list_objects("nope", prefix="", delimiter="", max_keys=3, after="")
        assert (caught.value.code, trips) == ("NoSuchBucket", 1)
    finally:
        monkeypatch.undo()
        await store.close()
