"""PutObject with stock boto3, over http (CRC32 header) and https (aws-chunked, CRC32 trailer).
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
"""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest

from compat.helpers import crc32_b64, get_bytes, md5_b64, payload, quoted_md5, s3_error

KEYS = [
    "with space",
    "unicodé/日本語/ключ",
    "plus+sign",
    "percent%20literal%",
    "question?mark",
    "hash#tag",
    "deep/a/b/c/d/e/f/g/h/i/j/leaf",
    "double//slash",
    "trailing/",
    "mixed &=;:@$,'!()*~",
]


@pytest.mark.parametrize("size", [0, 1, 1024, 3_000_000], ids=["0B", "1B", "1KiB", "3MB"])
def test_put_object_round_trip(s3: Any, bucket: str, size: int) -> None:
    data = payload(size)
    put = s3.put_object(Bucket=bucket, Key="obj", Body=data)
    assert put["ETag"] == quoted_md5(data)
    assert put["ChecksumCRC32"] == crc32_b64(data)

    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == data
    assert got["ContentLength"] == size
    assert got["ETag"] == quoted_md5(data)
    head = s3.head_object(Bucket=bucket, Key="obj")
    assert head["ContentLength"] == size
    assert head["ETag"] == quoted_md5(data)


@pytest.mark.parametrize("key", KEYS)
def test_put_object_key_characters(s3: Any, bucket: str, key: str) -> None:
    data = key.encode() + payload(16)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert get_bytes(s3, bucket, key) == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [key]


def test_put_object_keys_do_not_collide(s3: Any, bucket: str) -> None:
    """Keys that a file system would confuse stay distinct objects."""
    keys = ["a", "a/", "a/b", "A", "a b", "a+b", "a%20b", "a/./b", "a/../a"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert get_bytes(s3, bucket, key) == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=str.encode)


def test_put_object_headers_round_trip(s3: Any, bucket: str) -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = gzip.compress(b"<p>hello</p>" * 50)
    s3.put_object(
        Bucket=bucket,
        Key="page.html.gz",
        Body=body,
        ContentType="text/html; charset=utf-8",
        ContentDisposition='attachment; filename="page.html"',
        ContentEncoding="gzip",
        ContentLanguage="en-GB",
        CacheControl="max-age=3600, public",
        Expires=expires,
        Metadata={"color": "blue", "multi-word": "a b c"},
    )
    for response in (
        s3.head_object(Bucket=bucket, Key="page.html.gz"),
        s3.get_object(Bucket=bucket, Key="page.html.gz"),
    ):
        assert response["ContentType"] == "text/html; charset=utf-8"
        assert response["ContentDisposition"] == 'attachment; filename="page.html"'
        assert response["ContentEncoding"] == "gzip"
        assert response["ContentLanguage"] == "en-GB"
        assert response["CacheControl"] == "max-age=3600, public"
        assert response["Expires"] == expires
        assert response["Metadata"] == {"color": "blue", "multi-word": "a b c"}
    assert get_bytes(s3, bucket, "page.html.gz") == body


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", lambda b: b"not really br" + b)],
    ids=["gzip", "deflate", "br"],
)
def test_put_object_content_encoding_bytes_stored_as_sent(
    s3: Any, bucket: str, encoding: str, compress: Any
) -> None:
    """Content-Encoding describes the object, not the request: S3 stores the bytes as sent."""
    body = compress(payload(100) * 20)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ContentEncoding=encoding)
    assert put["ETag"] == quoted_md5(body)
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ContentEncoding"] == encoding
    assert got["ContentLength"] == len(body)
    assert got["Body"].read() == body


def test_put_object_overwrite_replaces_bytes_and_headers(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"}, ContentType="a/b")
    second = payload(2048)
    s3.put_object(Bucket=bucket, Key="k", Body=second)
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == second
    assert got["ETag"] == quoted_md5(second)
    assert got["Metadata"] == {}
    assert got["ContentType"] != "a/b"


def test_put_object_wrong_crc32_is_bad_digest_and_stores_nothing(s3: Any, bucket: str) -> None:
    data = payload(1024)
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumCRC32=crc32_b64(b"other"))
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_put_object_wrong_crc32_keeps_old_object(s3: Any, bucket: str) -> None:
    old = payload(100)
    s3.put_object(Bucket=bucket, Key="k", Body=old)
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=payload(100), ChecksumCRC32=crc32_b64(b"x"))
    assert get_bytes(s3, bucket, "k") == old


def test_put_object_right_crc32_accepted(s3: Any, bucket: str) -> None:
    data = payload(1000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumCRC32=crc32_b64(data))
    assert put["ChecksumCRC32"] == crc32_b64(data)
    assert get_bytes(s3, bucket, "k") == data


def test_put_object_wrong_content_md5_is_bad_digest(s3: Any, bucket: str) -> None:
    old = payload(10)
    s3.put_object(Bucket=bucket, Key="k", Body=old)
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=payload(500), ContentMD5=md5_b64(b"other"))
    assert get_bytes(s3, bucket, "k") == old
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="new", Body=payload(500), ContentMD5=md5_b64(b"other"))
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="new")


def test_put_object_right_content_md5_accepted(s3: Any, bucket: str) -> None:
    data = payload(500)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ContentMD5=md5_b64(data))
    assert put["ETag"] == quoted_md5(data)
    assert get_bytes(s3, bucket, "k") == data


def test_put_object_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.put_object(Bucket="compat-missing-bucket", Key="k", Body=b"data")


def test_put_object_key_too_long(s3: Any, bucket: str) -> None:
    # Keys are at most 1,024 bytes of UTF-8.
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"max")
    assert get_bytes(s3, bucket, "k" * 1024) == b"max"
    with s3_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    with s3_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")


def test_put_object_metadata_too_large(s3: Any, bucket: str) -> None:
    # User metadata is at most 2 KB: names (without x-amz-meta-) and values together.
    with s3_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"ok": "v" * 1500})
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"ok": "v" * 1500}


def test_put_object_metadata_names_lowercased(s3: Any, bucket: str) -> None:
    # HTTP header names are case-insensitive; S3 returns user metadata names in lower case
    # and keeps values as sent.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"MixedCase": "Value Kept"})
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"mixedcase": "Value Kept"}


# Conditional writes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html


def test_put_object_if_none_match_creates_only_once(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", IfNoneMatch="*")
    with s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="k", Body=b"second", IfNoneMatch="*")
    assert get_bytes(s3, bucket, "k") == b"first"


def test_put_object_if_match_replaces_only_that_version(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    etag2 = s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch=etag)["ETag"]
    with s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="k", Body=b"v3", IfMatch=etag)  # stale: v2 is there
    assert get_bytes(s3, bucket, "k") == b"v2"
    s3.put_object(Bucket=bucket, Key="k", Body=b"v3", IfMatch=etag2.strip('"'))  # unquoted too
    assert get_bytes(s3, bucket, "k") == b"v3"


def test_put_object_if_match_missing_key_is_no_such_key(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=quoted_md5(b"x"))
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_put_object_if_none_match_etag_not_implemented(s3: Any, bucket: str) -> None:
    with s3_error("NotImplemented", 501):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", IfNoneMatch=quoted_md5(b"x"))
