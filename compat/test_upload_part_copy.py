"""UploadPartCopy: parts copied from objects, whole or by x-amz-copy-source-range, with the
copy-source conditions; the high-level copy of boto3's transfer manager.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
"""

from __future__ import annotations

from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from compat.helpers import (
    client_for,
    crc32_b64,
    get_bytes,
    md5_hex,
    multipart_etag,
    new_bucket,
    payload,
    s3_error,
)
from tests.harness import Server

SOURCE = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def source(s3: Any, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="src", Body=SOURCE)
    return "src"


def _upload(s3: Any, bucket: str, key: str = "dst") -> str:
    return s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]  # type: ignore[no-any-return]


def test_upload_part_copy_ranges_and_whole(s3: Any, bucket: str, source: str) -> None:
    upload_id = _upload(s3, bucket)
    ranges = {1: "bytes=0-4999", 2: "bytes=5000-10238", 3: None}
    parts = []
    for number, byte_range in ranges.items():
        extra = {"CopySourceRange": byte_range} if byte_range else {}
        result = s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=number,
            CopySource={"Bucket": bucket, "Key": source}, **extra,
        )["CopyPartResult"]  # fmt: skip
        assert result["LastModified"] is not None
        parts.append({"PartNumber": number, "ETag": result["ETag"]})
    pieces = [SOURCE[:5000], SOURCE[5000:10239], SOURCE]
    assert [p["ETag"] for p in parts] == [f'"{md5_hex(p)}"' for p in pieces]
    listed = s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload_id)["Parts"]
    assert [p["Size"] for p in listed] == [5000, 5239, 10240]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == multipart_etag(pieces)
    assert get_bytes(s3, bucket, "dst") == b"".join(pieces)


def test_upload_part_copy_mixed_with_upload_part(s3: Any, bucket: str, source: str) -> None:
    upload_id = _upload(s3, bucket)
    copied = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
        CopySource=f"{bucket}/{source}", CopySourceRange="bytes=10-19",
    )["CopyPartResult"]  # fmt: skip
    sent = s3.upload_part(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2, Body=b"tail")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": copied["ETag"]},
                                   {"PartNumber": 2, "ETag": sent["ETag"]}]},
    )  # fmt: skip
    assert get_bytes(s3, bucket, "dst") == SOURCE[10:20] + b"tail"


def test_upload_part_copy_with_a_checksum_algorithm(s3: Any, bucket: str, source: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    result = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": source}, CopySourceRange="bytes=0-9",
    )["CopyPartResult"]  # fmt: skip
    assert result["ChecksumCRC32"] == crc32_b64(SOURCE[:10])


@pytest.mark.parametrize(
    ("byte_range", "code"),
    [
        ("bytes=0-10240", "InvalidArgument"),  # past the end
        ("bytes=10240-10240", "InvalidArgument"),
        ("bytes=5-2", "InvalidArgument"),  # reversed
        ("bytes=0-", "InvalidArgument"),
        ("bytes=-10", "InvalidArgument"),
        ("0-10", "InvalidArgument"),
    ],
)
def test_upload_part_copy_bad_ranges(
    s3: Any, bucket: str, source: str, byte_range: str, code: str
) -> None:
    upload_id = _upload(s3, bucket)
    with s3_error(code, 400):
        s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
            CopySource={"Bucket": bucket, "Key": source}, CopySourceRange=byte_range,
        )  # fmt: skip
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload_id)


def test_upload_part_copy_conditions(s3: Any, bucket: str, source: str) -> None:
    upload_id = _upload(s3, bucket)
    etag = s3.head_object(Bucket=bucket, Key=source)["ETag"]
    common = {"Bucket": bucket, "Key": "dst", "UploadId": upload_id, "PartNumber": 1,
              "CopySource": {"Bucket": bucket, "Key": source}}  # fmt: skip
    s3.upload_part_copy(**common, CopySourceIfMatch=etag)
    with s3_error("PreconditionFailed", 412):
        s3.upload_part_copy(**common, CopySourceIfNoneMatch=etag)
    with s3_error("PreconditionFailed", 412):
        s3.upload_part_copy(**common, CopySourceIfMatch='"other"')


def test_upload_part_copy_missing_things(s3: Any, bucket: str, source: str) -> None:
    upload_id = _upload(s3, bucket)
    with s3_error("NoSuchKey", 404):
        s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "missing"},
        )  # fmt: skip
    with s3_error("NoSuchUpload", 404):
        s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId="Z" * 64, PartNumber=1,
            CopySource={"Bucket": bucket, "Key": source},
        )  # fmt: skip


def test_transfer_manager_copy(aws_server: Server) -> None:
    """boto3's managed copy goes multipart above its threshold: CreateMultipartUpload, then
    UploadPartCopy with ranges, then Complete."""
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    data = payload(12 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.copy({"Bucket": bucket, "Key": "big"}, bucket, "big-copy", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big-copy")
    assert head["ETag"].endswith('-3"')
    assert get_bytes(s3, bucket, "big-copy") == data
