"""boto3's high-level transfer manager (s3transfer) against the AWS 5 MiB minimum part size.

upload_file / upload_fileobj go multipart above multipart_threshold; download_file fetches
ranges in parallel. Run over http and https.
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/s3-uploading-files.html
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

from compat.helpers import client_for, multipart_etag, new_bucket, quoted_md5
from tests.harness import Server

MiB = 1024 * 1024
SIZE = 12 * MiB + 12345
CONFIG = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("transfer") / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def expected_etag(data: bytes) -> str:
    chunks = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    return multipart_etag(chunks)


def test_upload_file_multipart_then_download_file(
    aws_server: Server, big_file: Path, tmp_path: Path
) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    s3.upload_file(str(big_file), bucket, "big.bin", Config=CONFIG)
    data = big_file.read_bytes()
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == SIZE
    assert head["ETag"] == expected_etag(data)

    target = tmp_path / "down.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=CONFIG)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_upload_fileobj_multipart_then_download_fileobj(aws_server: Server, big_file: Path) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    data = big_file.read_bytes()
    s3.upload_fileobj(
        io.BytesIO(data),
        bucket,
        "big.bin",
        ExtraArgs={"ContentType": "application/x-test", "Metadata": {"via": "transfer"}},
        Config=CONFIG,
    )
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ETag"] == expected_etag(data)
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"via": "transfer"}

    out = io.BytesIO()
    s3.download_fileobj(bucket, "big.bin", out, Config=CONFIG)
    assert out.getvalue() == data


def test_upload_file_below_threshold_is_single_put(aws_server: Server, tmp_path: Path) -> None:
    s3 = client_for(aws_server)
    bucket = new_bucket(s3)
    data = os.urandom(64 * 1024)
    source = tmp_path / "small.bin"
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "small.bin", Config=CONFIG)
    assert s3.head_object(Bucket=bucket, Key="small.bin")["ETag"] == quoted_md5(data)
    target = tmp_path / "small.out"
    s3.download_file(bucket, "small.bin", str(target), Config=CONFIG)
    assert target.read_bytes() == data
