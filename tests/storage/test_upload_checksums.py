"""Multipart checksums through the Store: what CreateMultipartUpload accepts, what each part
stores, and the checksum CompleteMultipartUpload derives, against values computed directly over
the bytes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from awscrt import checksums as crt

from storage import CompletedPart, IncomingBody, S3Error, Store, Upload
from storage.upload_checksums import upload_checksum

MIN = 4
DIRECT = {
    "CRC32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "CRC32C": lambda data: crt.crc32c(data).to_bytes(4, "big"),
    "CRC64NVME": lambda data: crt.crc64nvme(data).to_bytes(8, "big"),
    "SHA1": lambda data: hashlib.sha1(data).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
}
COMPOSITE = ["CRC32", "CRC32C", "SHA1", "SHA256"]
FULL_OBJECT = ["CRC32", "CRC32C", "CRC64NVME"]


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def checksum(algorithm: str, data: bytes) -> str:
    return b64(DIRECT[algorithm](data))


def composite(algorithm: str, parts: Sequence[bytes]) -> str:
    joined = b"".join(DIRECT[algorithm](p) for p in parts)
    return f"{b64(DIRECT[algorithm](joined))}-{len(parts)}"


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def body(data: bytes, algorithm: str | None = None) -> IncomingBody:
    """A body as the server hands it over: with the algorithm of the checksum the client sent
    (already verified by the server's verify callback, which these tests do not need)."""
    digests = frozenset({algorithm}) if algorithm else frozenset()
    return IncomingBody(
        source=_chunks(data), max_size=1 << 30, digests=digests, checksum_algorithm=algorithm
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path, min_part_size=MIN)
    await opened.create_bucket("b")
    yield opened
    await opened.close()


async def code_of(awaitable: object) -> str:
    with pytest.raises(S3Error) as caught:
        await awaitable  # type: ignore[misc]
    return caught.value.code


async def upload_with(
    store: Store, parts: dict[int, bytes], algorithm: str | None, kind: str | None = None
) -> tuple[Upload, list[CompletedPart]]:
    """An upload with ``parts`` uploaded with checksums of the upload's algorithm; the Complete
    list naming each part's checksum (when the upload has an algorithm)."""
    upload = await store.create_multipart_upload(
        "b", "k", {}, checksum_algorithm=algorithm, checksum_type=kind
    )
    listed = []
    for number, data in parts.items():
        uploaded = await store.upload_part(
            "b", "k", upload.upload_id, number, body(data, algorithm)
        )
        sums = {algorithm: checksum(algorithm, data)} if algorithm else {}
        assert (uploaded.checksum_algorithm, uploaded.checksum) == (
            algorithm,
            sums.get(algorithm or ""),
        )
        listed.append(CompletedPart(number, uploaded.part.etag, sums))
    return upload, listed


# CreateMultipartUpload


@pytest.mark.parametrize(
    ("algorithm", "kind", "expected"),
    [
        (None, None, (None, None)),
        ("CRC32", None, ("CRC32", "COMPOSITE")),
        ("CRC32C", None, ("CRC32C", "COMPOSITE")),
        ("SHA1", None, ("SHA1", "COMPOSITE")),
        ("SHA256", None, ("SHA256", "COMPOSITE")),
        ("CRC64NVME", None, ("CRC64NVME", "FULL_OBJECT")),
        ("CRC32", "FULL_OBJECT", ("CRC32", "FULL_OBJECT")),
        ("CRC32C", "FULL_OBJECT", ("CRC32C", "FULL_OBJECT")),
        ("CRC64NVME", "FULL_OBJECT", ("CRC64NVME", "FULL_OBJECT")),
        ("CRC32", "COMPOSITE", ("CRC32", "COMPOSITE")),
        ("SHA256", "COMPOSITE", ("SHA256", "COMPOSITE")),
    ],
)
async def test_create_takes_allowed_algorithm_and_type(
    store: Store, algorithm: str | None, kind: str | None, expected: tuple[str, str]
) -> None:
    upload = await store.create_multipart_upload(
        "b", "k", {}, checksum_algorithm=algorithm, checksum_type=kind
    )
    assert (upload.checksum_algorithm, upload.checksum_type) == expected
    stored = await store.get_upload("b", "k", upload.upload_id)
    assert (stored.checksum_algorithm, stored.checksum_type) == expected


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("CRC64NVME", "COMPOSITE"),
        ("SHA1", "FULL_OBJECT"),
        ("SHA256", "FULL_OBJECT"),
        (None, "COMPOSITE"),
        (None, "FULL_OBJECT"),
        ("MD4", None),
        ("CRC32", "PARTIAL"),
    ],
)
async def test_create_refuses_wrong_combinations(
    store: Store, algorithm: str | None, kind: str | None
) -> None:
    with pytest.raises(S3Error) as caught:
        upload_checksum(algorithm, kind)
    assert caught.value.code == "InvalidRequest"
    call = store.create_multipart_upload(
        "b", "k", {}, checksum_algorithm=algorithm, checksum_type=kind
    )
    assert await code_of(call) == "InvalidRequest"
    page = await store.list_multipart_uploads(
        "b", prefix="", delimiter="", max_uploads=10, key_marker="", upload_id_marker=""
    )
    assert page.entries == []


# UploadPart


@pytest.mark.parametrize(("kind", "sent"), [("COMPOSITE", "SHA256"), ("FULL_OBJECT", "CRC32C")])
async def test_part_with_another_algorithm_is_refused_and_not_stored(
    store: Store, tmp_path: Path, kind: str, sent: str
) -> None:
    upload, _ = await upload_with(store, {}, "CRC32", kind)
    call = store.upload_part("b", "k", upload.upload_id, 1, body(b"data", sent))
    assert await code_of(call) == "InvalidRequest"
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert parts == []
    assert list((tmp_path / "blobs").rglob("*.*")) == []


@pytest.mark.parametrize("algorithm", COMPOSITE)
async def test_composite_part_without_checksum_is_refused(store: Store, algorithm: str) -> None:
    upload, _ = await upload_with(store, {}, algorithm)
    assert await code_of(store.upload_part("b", "k", upload.upload_id, 1, body(b"x"))) == (
        "InvalidRequest"
    )


@pytest.mark.parametrize("algorithm", FULL_OBJECT)
async def test_full_object_part_without_checksum_gets_one(store: Store, algorithm: str) -> None:
    upload, _ = await upload_with(store, {}, algorithm, "FULL_OBJECT")
    data = os.urandom(1000)
    uploaded = await store.upload_part("b", "k", upload.upload_id, 3, body(data))
    assert (uploaded.checksum_algorithm, uploaded.checksum) == (
        algorithm,
        checksum(algorithm, data),
    )
    _, parts, _ = await store.list_parts("b", "k", upload.upload_id, max_parts=10, after=0)
    assert [p.checksum for p in parts] == [checksum(algorithm, data)]


async def test_part_of_an_upload_without_algorithm_answers_what_was_sent(store: Store) -> None:
    upload, _ = await upload_with(store, {}, None)
    data = b"part data"
    sent = await store.upload_part("b", "k", upload.upload_id, 1, body(data, "SHA1"))
    assert (sent.checksum_algorithm, sent.checksum) == ("SHA1", checksum("SHA1", data))
    silent = await store.upload_part("b", "k", upload.upload_id, 2, body(data))
    assert (silent.checksum_algorithm, silent.checksum) == (None, None)


# CompleteMultipartUpload: COMPOSITE


@pytest.mark.parametrize("algorithm", COMPOSITE)
async def test_complete_composite(store: Store, algorithm: str) -> None:
    parts = {1: os.urandom(MIN + 3), 2: os.urandom(MIN), 3: os.urandom(1)}
    upload, listed = await upload_with(store, parts, algorithm)
    expected = composite(algorithm, list(parts.values()))
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert (result.checksum_algorithm, result.checksum_type, result.checksum) == (
        algorithm,
        "COMPOSITE",
        expected,
    )
    info = await store.head_object("b", "k")
    assert (info.checksum_algorithm, info.checksum_type, info.checksum) == (
        algorithm,
        "COMPOSITE",
        expected,
    )
    # A retried Complete answers the same.
    assert await store.complete_multipart_upload("b", "k", upload.upload_id, listed) == result


@pytest.mark.parametrize("with_count", [False, True])
async def test_complete_composite_checks_the_object_checksum_sent(
    store: Store, with_count: bool
) -> None:
    parts = {1: b"first part", 2: b"second"}
    upload, listed = await upload_with(store, parts, "SHA256")
    value = composite("SHA256", list(parts.values()))
    sent = value if with_count else value.split("-")[0]
    wrong = composite("SHA256", [b"other", b"parts"])
    for bad, code in [
        (wrong, "BadDigest"),
        (value.replace("-2", "-3"), "BadDigest"),
        (value.replace("-2", "-x"), "InvalidRequest"),
        ("not base64", "InvalidRequest"),
    ]:
        call = store.complete_multipart_upload(
            "b", "k", upload.upload_id, listed, checksum=("SHA256", bad)
        )
        assert await code_of(call) == code, bad
    result = await store.complete_multipart_upload(
        "b", "k", upload.upload_id, listed, checksum=("SHA256", sent), checksum_type="COMPOSITE"
    )
    assert result.checksum == value


def _with(listed: list[CompletedPart], index: int, sums: dict[str, str]) -> list[CompletedPart]:
    changed = list(listed)
    changed[index] = CompletedPart(listed[index].part_number, listed[index].etag, sums)
    return changed


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, "InvalidRequest"),  # missing
        ({"SHA1": b64(hashlib.sha1(b"other").digest())}, "InvalidPart"),  # wrong
        ({"SHA1": "AAAA"}, "InvalidArgument"),  # malformed
        ({"SHA1": "x", "CRC32": "AAAAAA=="}, "InvalidArgument"),  # two
        ({"CRC32": "AAAAAA=="}, "BadDigest"),  # another algorithm
    ],
)
async def test_complete_composite_part_checksum_errors(
    store: Store, change: dict[str, str], code: str
) -> None:
    parts = {1: b"a" * MIN, 2: b"b"}
    upload, listed = await upload_with(store, parts, "SHA1")
    call = store.complete_multipart_upload("b", "k", upload.upload_id, _with(listed, 1, change))
    assert await code_of(call) == code
    # The upload is intact and completes once the list is right.
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert result.checksum == composite("SHA1", list(parts.values()))


@pytest.mark.parametrize(("algorithm", "kind"), [("CRC32", "COMPOSITE"), ("CRC32", "FULL_OBJECT")])
async def test_complete_with_checksums_needs_consecutive_parts(
    store: Store, algorithm: str, kind: str
) -> None:
    upload, listed = await upload_with(store, {1: b"a" * MIN, 3: b"c"}, algorithm, kind)
    assert await code_of(store.complete_multipart_upload("b", "k", upload.upload_id, listed)) == (
        "InvalidPartOrder"
    )


# CompleteMultipartUpload: FULL_OBJECT


@pytest.mark.parametrize("algorithm", FULL_OBJECT)
async def test_complete_full_object(store: Store, algorithm: str) -> None:
    parts = {n: os.urandom(MIN + n * 100) for n in range(1, 6)}
    upload, listed = await upload_with(store, parts, algorithm, "FULL_OBJECT")
    expected = checksum(algorithm, b"".join(parts.values()))
    # Part checksums may be left out of a FULL_OBJECT Complete.
    listed[2] = CompletedPart(3, listed[2].etag)
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert (result.checksum_algorithm, result.checksum_type, result.checksum) == (
        algorithm,
        "FULL_OBJECT",
        expected,
    )
    info = await store.head_object("b", "k")
    assert (info.checksum_type, info.checksum) == ("FULL_OBJECT", expected)


async def test_complete_full_object_never_reads_the_parts(store: Store, tmp_path: Path) -> None:
    parts = {1: b"a" * 100, 2: b"b" * 50}
    upload, listed = await upload_with(store, parts, "CRC64NVME")
    # Overwrite every part file with other bytes of the same size: the object checksum still
    # comes out as that of the bytes uploaded, since only the part checksums are used.
    for path in (tmp_path / "blobs").rglob("*"):
        if path.is_file():
            path.write_bytes(b"z" * path.stat().st_size)
    result = await store.complete_multipart_upload("b", "k", upload.upload_id, listed)
    assert result.checksum == checksum("CRC64NVME", parts[1] + parts[2])


async def test_complete_full_object_checks_the_object_checksum_sent(store: Store) -> None:
    parts = {1: b"one" * 5, 2: b"two"}
    upload, listed = await upload_with(store, parts, "CRC32C", "FULL_OBJECT")
    value = checksum("CRC32C", b"".join(parts.values()))
    for sent, kind, code in [
        (("CRC32C", checksum("CRC32C", b"other")), "FULL_OBJECT", "BadDigest"),
        (("CRC32C", value), None, "BadDigest"),  # a full-object value needs its type
        (("CRC32", checksum("CRC32", b"".join(parts.values()))), "FULL_OBJECT", "BadDigest"),
        (("CRC32C", "AAAA"), "FULL_OBJECT", "InvalidRequest"),
        (("CRC32C", value), "COMPOSITE", "InvalidRequest"),  # not the upload's type
    ]:
        call = store.complete_multipart_upload(
            "b", "k", upload.upload_id, listed, checksum=sent, checksum_type=kind
        )
        assert await code_of(call) == code, (sent, kind)
    result = await store.complete_multipart_upload(
        "b", "k", upload.upload_id, listed, checksum=("CRC32C", value), checksum_type="FULL_OBJECT"
    )
    assert result.checksum == value


async def test_complete_full_object_wrong_part_checksum_is_invalid_part(store: Store) -> None:
    upload, listed = await upload_with(store, {1: b"x" * MIN, 2: b"y"}, "CRC32", "FULL_OBJECT")
    wrong = _with(listed, 0, {"CRC32": checksum("CRC32", b"z")})
    assert await code_of(store.complete_multipart_upload("b", "k", upload.upload_id, wrong)) == (
        "InvalidPart"
    )


# Uploads created without an algorithm, and PutObject


async def test_complete_without_algorithm_gets_the_default_crc64nvme(store: Store) -> None:
    parts = {1: os.urandom(MIN + 10), 2: os.urandom(7)}
    upload, listed = await upload_with(store, parts, None)
    # A client may send any checksum with the parts (botocore sends CRC32 by default).
    await store.upload_part("b", "k", upload.upload_id, 2, body(parts[2], "CRC32"))
    expected = checksum("CRC64NVME", b"".join(parts.values()))
    assert (
        await code_of(
            store.complete_multipart_upload(
                "b", "k", upload.upload_id, listed, checksum_type="FULL_OBJECT"
            )
        )
        == "InvalidRequest"
    )
    # Part checksums listed for an upload that has none to check them against: InvalidPart.
    with_sums = _with(listed, 0, {"CRC32": checksum("CRC32", parts[1])})
    assert await code_of(
        store.complete_multipart_upload("b", "k", upload.upload_id, with_sums)
    ) == ("InvalidPart")
    # An object checksum sent with the request is ignored.
    result = await store.complete_multipart_upload(
        "b", "k", upload.upload_id, listed, checksum=("CRC32", "AAAAAA==")
    )
    assert (result.checksum_algorithm, result.checksum_type, result.checksum) == (
        "CRC64NVME",
        "FULL_OBJECT",
        expected,
    )


@pytest.mark.parametrize("algorithm", [None, "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
async def test_put_object_stores_a_full_object_checksum(
    store: Store, algorithm: str | None
) -> None:
    data = os.urandom(3000)
    info = await store.put_object("b", "k", body(data, algorithm), {})
    kept = algorithm or "CRC64NVME"
    assert (info.checksum_algorithm, info.checksum_type, info.checksum) == (
        kept,
        "FULL_OBJECT",
        checksum(kept, data),
    )
    head = await store.head_object("b", "k")
    assert (head.checksum_algorithm, head.checksum_type, head.checksum) == (
        kept,
        "FULL_OBJECT",
        checksum(kept, data),
    )
