"""GetObject and HeadObject with ?partNumber=N: a part's bytes with Content-Range, the object's
"-N" ETag and x-amz-mp-parts-count; partNumber=1 of a plain object is all of it.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import complete, multipart_etag, quoted_md5, s3_error, upload_parts

PARTS = {1: b"a" * 7, 2: b"b" * 5, 3: b"c" * 3}


@pytest.fixture
def multipart(s3: Any, bucket: str) -> str:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    complete(s3, bucket, "mp", upload_id, upload_parts(s3, bucket, "mp", upload_id, PARTS))
    return "mp"


def test_get_object_part_number_of_a_multipart_object(s3: Any, bucket: str, multipart: str) -> None:
    offset = 0
    for number, data in PARTS.items():
        got = s3.get_object(Bucket=bucket, Key=multipart, PartNumber=number)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == data
        assert got["ContentLength"] == len(data)
        assert got["ContentRange"] == f"bytes {offset}-{offset + len(data) - 1}/15"
        assert got["ETag"] == multipart_etag(list(PARTS.values()))
        assert got["PartsCount"] == 3
        offset += len(data)


def test_head_object_part_number(s3: Any, bucket: str, multipart: str) -> None:
    head = s3.head_object(Bucket=bucket, Key=multipart, PartNumber=2)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (head["ContentLength"], head["ContentRange"], head["PartsCount"]) == (
        5, "bytes 7-11/15", 3,
    )  # fmt: skip
    # Without partNumber there is no parts count, as AWS answers.
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key=multipart)


def test_get_object_part_number_1_of_a_plain_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="plain", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="plain", PartNumber=1)
    assert got["Body"].read() == b"0123456789"
    assert got["ContentRange"] == "bytes 0-9/10"
    assert got["ETag"] == quoted_md5(b"0123456789")
    assert "PartsCount" not in got


def test_get_object_part_number_past_the_last_part(s3: Any, bucket: str, multipart: str) -> None:
    with s3_error("InvalidPartNumber", 416):
        s3.get_object(Bucket=bucket, Key=multipart, PartNumber=4)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with s3_error("InvalidPartNumber", 416):
        s3.get_object(Bucket=bucket, Key="plain", PartNumber=2)
    with s3_error("416", 416):
        s3.head_object(Bucket=bucket, Key=multipart, PartNumber=4)


def test_get_object_part_number_with_range(s3: Any, bucket: str, multipart: str) -> None:
    with s3_error("InvalidRequest", 400):
        s3.get_object(Bucket=bucket, Key=multipart, PartNumber=1, Range="bytes=0-1")


def test_get_object_part_number_with_conditions(s3: Any, bucket: str, multipart: str) -> None:
    etag = s3.head_object(Bucket=bucket, Key=multipart)["ETag"]
    got = s3.get_object(Bucket=bucket, Key=multipart, PartNumber=3, IfMatch=etag)
    assert got["Body"].read() == PARTS[3]
    with s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key=multipart, PartNumber=3, IfMatch='"other"')


def test_download_part_by_part_reassembles_the_object(s3: Any, bucket: str, multipart: str) -> None:
    # A transfer manager's way: ask for the parts count with part 1, then fetch every part.
    first = s3.get_object(Bucket=bucket, Key=multipart, PartNumber=1)
    pieces = [first["Body"].read()]
    for number in range(2, first["PartsCount"] + 1):
        pieces.append(s3.get_object(Bucket=bucket, Key=multipart, PartNumber=number)["Body"].read())
    assert b"".join(pieces) == b"".join(PARTS.values())


def test_get_object_part_number_1_of_an_empty_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty", PartNumber=1)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == b""
    assert "ContentRange" not in got
