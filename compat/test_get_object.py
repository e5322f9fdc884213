"""GetObject: bytes, ranges and errors.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import complete, get_bytes, payload, s3_error, upload_parts

SIZE = 1000


@pytest.fixture
def obj(s3: Any, bucket: str) -> bytes:
    data = payload(SIZE)
    s3.put_object(Bucket=bucket, Key="obj", Body=data)
    return data


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-10", 10, 10),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-5", SIZE - 5, SIZE - 1),
        ("bytes=-5000", 0, SIZE - 1),
        ("bytes=990-5000", 990, SIZE - 1),
        ("bytes=999-", 999, SIZE - 1),
    ],
)
def test_get_object_range(
    s3: Any, bucket: str, obj: bytes, header: str, first: int, last: int
) -> None:
    got = s3.get_object(Bucket=bucket, Key="obj", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/{SIZE}"
    assert got["ContentLength"] == last - first + 1
    assert got["Body"].read() == obj[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-1001", "bytes=5000-6000"])
def test_get_object_range_past_end_is_invalid_range(
    s3: Any, bucket: str, obj: bytes, header: str
) -> None:
    with s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="obj", Range=header)


def test_get_object_range_on_empty_object_is_invalid_range(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    with s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="empty", Range="bytes=0-0")


def test_get_object_range_across_multipart_parts(s3: Any, bucket: str) -> None:
    parts = {1: payload(100), 2: payload(100), 3: payload(50)}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    complete(s3, bucket, "mp", upload_id, upload_parts(s3, bucket, "mp", upload_id, parts))
    whole = b"".join(parts.values())
    for first, last in [(0, 249), (50, 149), (99, 100), (150, 249), (199, 200), (120, 130)]:
        got = get_bytes(s3, bucket, "mp", Range=f"bytes={first}-{last}")
        assert got == whole[first : last + 1], (first, last)
    assert get_bytes(s3, bucket, "mp", Range="bytes=-60") == whole[-60:]


def test_get_object_large_parts_whole_and_ranges(s3: Any, bucket: str) -> None:
    # Parts larger than a socket buffer: over http each part file is one sendfile that the
    # kernel takes in several rounds; over https the bytes are read and written instead.
    parts = {1: payload(3 << 20), 2: payload(1 << 20), 3: payload(2 << 20 | 12345)}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    complete(s3, bucket, "big", upload_id, upload_parts(s3, bucket, "big", upload_id, parts))
    whole = b"".join(parts.values())
    assert get_bytes(s3, bucket, "big") == whole
    boundary = 3 << 20
    for first, last in [(0, boundary), (boundary - 1, len(whole) - 1), (12345, 5 << 20)]:
        got = get_bytes(s3, bucket, "big", Range=f"bytes={first}-{last}")
        assert got == whole[first : last + 1], (first, last)


def test_get_object_no_such_key(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="missing")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="missing", Range="bytes=0-1")


def test_get_object_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.get_object(Bucket="compat-missing-bucket", Key="k")


def test_get_object_default_content_type_and_last_modified(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    got = s3.get_object(Bucket=bucket, Key="k")
    # What S3 answers for an object stored without a Content-Type.
    assert got["ContentType"] == "binary/octet-stream"
    assert got["LastModified"] is not None
    assert got["AcceptRanges"] == "bytes"
