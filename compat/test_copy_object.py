"""CopyObject: metadata and tagging directives, copy-source conditions, copying onto itself,
sources with special keys and multipart sources.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from compat.helpers import complete, get_bytes, new_bucket, quoted_md5, s3_error, upload_parts

PAST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE = datetime.now(UTC) + timedelta(days=365)


@pytest.fixture
def source(s3: Any, bucket: str) -> str:
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"source bytes", ContentType="text/plain",
        Metadata={"colour": "blue"}, Tagging="a=1",
    )  # fmt: skip
    return "src"


def test_copy_object_copies_bytes_metadata_and_tags(s3: Any, bucket: str, source: str) -> None:
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": source})
    assert result["CopyObjectResult"]["ETag"] == quoted_md5(b"source bytes")
    assert result["CopyObjectResult"]["LastModified"] is not None
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"colour": "blue"})
    assert get_bytes(s3, bucket, "dst") == b"source bytes"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "a", "Value": "1"}]


def test_copy_object_replace_directives(s3: Any, bucket: str, source: str) -> None:
    s3.copy_object(
        Bucket=bucket, Key="dst", CopySource=f"{bucket}/{source}",
        MetadataDirective="REPLACE", ContentType="application/json", Metadata={"new": "yes"},
        TaggingDirective="REPLACE", Tagging="b=2",
    )  # fmt: skip
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert (head["ContentType"], head["Metadata"]) == ("application/json", {"new": "yes"})
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "b", "Value": "2"}]


def test_copy_object_onto_itself(s3: Any, bucket: str, source: str) -> None:
    with s3_error("InvalidRequest", 400):
        s3.copy_object(Bucket=bucket, Key=source, CopySource={"Bucket": bucket, "Key": source})
    # With new metadata it is allowed: the way to change an object's metadata.
    s3.copy_object(
        Bucket=bucket, Key=source, CopySource={"Bucket": bucket, "Key": source},
        MetadataDirective="REPLACE", Metadata={"colour": "red"},
    )  # fmt: skip
    assert s3.head_object(Bucket=bucket, Key=source)["Metadata"] == {"colour": "red"}
    assert get_bytes(s3, bucket, source) == b"source bytes"


def test_copy_object_between_buckets_and_special_keys(s3: Any, bucket: str) -> None:
    other = new_bucket(s3)
    key = "dir/sp ace+plus?&é%"
    s3.put_object(Bucket=bucket, Key=key, Body=b"special")
    s3.copy_object(Bucket=other, Key="copied", CopySource={"Bucket": bucket, "Key": key})
    assert get_bytes(s3, other, "copied") == b"special"


def test_copy_object_of_a_multipart_source(s3: Any, bucket: str) -> None:
    parts = {1: b"a" * 5, 2: b"b" * 5, 3: b"c"}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp", Metadata={"m": "1"})["UploadId"]
    complete(s3, bucket, "mp", upload_id, upload_parts(s3, bucket, "mp", upload_id, parts))
    result = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    # The copy is one part: its ETag is the MD5 of its bytes, as on AWS.
    data = b"".join(parts.values())
    assert result["CopyObjectResult"]["ETag"] == quoted_md5(data)
    assert get_bytes(s3, bucket, "copy") == data
    assert s3.head_object(Bucket=bucket, Key="copy")["Metadata"] == {"m": "1"}
    # The source is untouched and still readable after the copy is deleted.
    s3.delete_object(Bucket=bucket, Key="copy")
    assert get_bytes(s3, bucket, "mp") == data


def test_copy_object_checksum(s3: Any, bucket: str, source: str) -> None:
    result = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": source},
        ChecksumAlgorithm="SHA256",
    )  # fmt: skip
    expected = base64.b64encode(hashlib.sha256(b"source bytes").digest()).decode()
    assert result["CopyObjectResult"]["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected


@pytest.mark.parametrize(
    "conditions",
    [
        {"CopySourceIfMatch": "ETAG"},
        {"CopySourceIfNoneMatch": '"other"'},
        {"CopySourceIfModifiedSince": PAST},
        {"CopySourceIfUnmodifiedSince": FUTURE},
        # If-Match true and If-Unmodified-Since false: the copy goes ahead, as the page says.
        {"CopySourceIfMatch": "ETAG", "CopySourceIfUnmodifiedSince": PAST},
    ],
)
def test_copy_object_conditions_that_hold(
    s3: Any, bucket: str, source: str, conditions: dict[str, Any]
) -> None:
    etag = s3.head_object(Bucket=bucket, Key=source)["ETag"]
    conditions = {k: etag if v == "ETAG" else v for k, v in conditions.items()}
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/{source}", **conditions)
    assert get_bytes(s3, bucket, "dst") == b"source bytes"


@pytest.mark.parametrize(
    "conditions",
    [
        {"CopySourceIfMatch": '"other"'},
        {"CopySourceIfNoneMatch": "ETAG"},
        {"CopySourceIfModifiedSince": FUTURE},
        {"CopySourceIfUnmodifiedSince": PAST},
        # If-None-Match false and If-Modified-Since true: 412, as the page says.
        {"CopySourceIfNoneMatch": "ETAG", "CopySourceIfModifiedSince": PAST},
    ],
)
def test_copy_object_conditions_that_fail(
    s3: Any, bucket: str, source: str, conditions: dict[str, Any]
) -> None:
    etag = s3.head_object(Bucket=bucket, Key=source)["ETag"]
    conditions = {k: etag if v == "ETAG" else v for k, v in conditions.items()}
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/{source}", **conditions)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="dst")["KeyCount"] == 0


def test_copy_object_missing_source(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})
    with s3_error("NoSuchBucket", 404):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource="compat-no-such-src/k")


def test_copy_object_destination_conditions(s3: Any, bucket: str, source: str) -> None:
    # If-None-Match and If-Match are about the destination, as on PutObject.
    copy = {"Bucket": bucket, "Key": "dest", "CopySource": {"Bucket": bucket, "Key": source}}
    s3.copy_object(**copy, IfNoneMatch="*")
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(**copy, IfNoneMatch="*")
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(**copy, IfMatch='"0123456789abcdef0123456789abcdef"')
    current = s3.head_object(Bucket=bucket, Key="dest")["ETag"]
    s3.copy_object(**copy, IfMatch=current)
    with s3_error("NoSuchKey", 404):
        s3.copy_object(**{**copy, "Key": "absent"}, IfMatch=current)
