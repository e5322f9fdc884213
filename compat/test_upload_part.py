"""UploadPart with stock boto3, over http (CRC32 header) and https (aws-chunked, CRC32 trailer).
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from compat.helpers import (
    all_at_once,
    complete,
    crc32_b64,
    get_bytes,
    md5_b64,
    multipart_etag,
    payload,
    quoted_md5,
    s3_error,
)


@pytest.fixture
def upload_id(s3: Any, bucket: str) -> str:
    return s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("size", [0, 1, 4096, 1_100_000], ids=["0B", "1B", "4KiB", "1.1MB"])
def test_upload_part_etag_is_quoted_md5(s3: Any, bucket: str, upload_id: str, size: int) -> None:
    data = payload(size)
    response = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=data)
    assert response["ETag"] == quoted_md5(data)
    assert response["ChecksumCRC32"] == crc32_b64(data)
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [
        (1, quoted_md5(data), size)
    ]
    complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": response["ETag"]}])
    assert get_bytes(s3, bucket, "k") == data


def test_upload_part_reupload_replaces_part(s3: Any, bucket: str, upload_id: str) -> None:
    first, second = payload(100), payload(200)
    old = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=first)
    new = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=second)
    assert old["ETag"] != new["ETag"]
    assert new["ETag"] == quoted_md5(second)
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, new["ETag"], 200)]

    with s3_error("InvalidPart", 400):
        complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": old["ETag"]}])
    done = complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": new["ETag"]}])
    assert done["ETag"] == multipart_etag([second])
    assert get_bytes(s3, bucket, "k") == second


def test_upload_part_no_such_upload(s3: Any, bucket: str) -> None:
    for upload_id in ("not-an-upload-id", "A" * 64):
        with s3_error("NoSuchUpload", 404):
            s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")


def test_upload_part_upload_id_of_another_key(s3: Any, bucket: str, upload_id: str) -> None:
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="other", UploadId=upload_id, PartNumber=1, Body=b"x")


@pytest.mark.parametrize("part_number", [0, 10001])
def test_upload_part_number_out_of_range_is_invalid_argument(
    s3: Any, bucket: str, upload_id: str, part_number: int
) -> None:
    with s3_error("InvalidArgument", 400):
        s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=part_number, Body=b"x"
        )
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []


def test_upload_part_number_limits_accepted(s3: Any, bucket: str, upload_id: str) -> None:
    for number in (1, 10000):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"x")
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1, 10000]


def test_upload_part_wrong_crc32_is_bad_digest_and_stores_nothing(
    s3: Any, bucket: str, upload_id: str
) -> None:
    with s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=payload(1000),
            ChecksumCRC32=crc32_b64(b"other"),
        )
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []


def test_upload_part_wrong_crc32_keeps_previous_part(s3: Any, bucket: str, upload_id: str) -> None:
    data = payload(300)
    good = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=data)
    with s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=payload(300),
            ChecksumCRC32=crc32_b64(b"other"),
        )
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, good["ETag"])]
    complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": good["ETag"]}])
    assert get_bytes(s3, bucket, "k") == data


def test_upload_part_wrong_content_md5_is_bad_digest(s3: Any, bucket: str, upload_id: str) -> None:
    with s3_error("BadDigest", 400):
        s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=payload(700),
            ContentMD5=md5_b64(b"other"),
        )
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []
    data = payload(700)
    good = s3.upload_part(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        PartNumber=1,
        Body=data,
        ContentMD5=md5_b64(data),
    )
    assert good["ETag"] == quoted_md5(data)


def test_upload_part_after_complete_is_no_such_upload(s3: Any, bucket: str, upload_id: str) -> None:
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")[
        "ETag"
    ]
    complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": etag}])
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"y")
    assert get_bytes(s3, bucket, "k") == b"x"


def test_upload_part_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.upload_part(
            Bucket="compat-missing-bucket", Key="k", UploadId="x", PartNumber=1, Body=b"x"
        )


def test_upload_part_concurrent_same_number_one_wins(s3: Any, bucket: str, upload_id: str) -> None:
    inputs = [payload(20_000 + i) for i in range(4)]

    def send(data: bytes) -> Callable[[], str]:
        return lambda: s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=data
        )["ETag"]

    etags = all_at_once([send(data) for data in inputs])
    assert etags == [quoted_md5(data) for data in inputs]
    [part] = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    winner = inputs[etags.index(part["ETag"])]
    assert part["Size"] == len(winner)
    complete(s3, bucket, "k", upload_id, [{"PartNumber": 1, "ETag": part["ETag"]}])
    assert get_bytes(s3, bucket, "k") == winner


def test_upload_part_does_not_touch_existing_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"current")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=payload(100))
    assert get_bytes(s3, bucket, "k") == b"current"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    s3.delete_object(Bucket=bucket, Key="k")
    # Deleting the object leaves the upload open.
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 1
