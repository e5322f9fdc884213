"""CreateMultipartUpload.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from compat.helpers import complete, payload, s3_error, upload_parts
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_create_multipart_upload_answers_bucket_key_and_id(s3: Any, bucket: str) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="dir/k y")
    assert created["Bucket"] == bucket
    assert created["Key"] == "dir/k y"
    assert created["UploadId"]
    other = s3.create_multipart_upload(Bucket=bucket, Key="dir/k y")
    assert other["UploadId"] != created["UploadId"]


def test_create_multipart_upload_metadata_appears_on_completed_object(s3: Any, bucket: str) -> None:
    expires = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    upload_id = s3.create_multipart_upload(
        Bucket=bucket,
        Key="k",
        ContentType="video/mp4",
        ContentDisposition="inline",
        ContentEncoding="identity",
        ContentLanguage="de",
        CacheControl="no-cache",
        Expires=expires,
        Metadata={"origin": "compat", "camel": "Case Value"},
    )["UploadId"]
    parts = upload_parts(s3, bucket, "k", upload_id, {1: payload(10), 2: payload(5)})
    complete(s3, bucket, "k", upload_id, parts)
    for response in (s3.head_object(Bucket=bucket, Key="k"), s3.get_object(Bucket=bucket, Key="k")):
        assert response["ContentType"] == "video/mp4"
        assert response["ContentDisposition"] == "inline"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentLanguage"] == "de"
        assert response["CacheControl"] == "no-cache"
        assert response["Expires"] == expires
        assert response["Metadata"] == {"origin": "compat", "camel": "Case Value"}
        assert response["ContentLength"] == 15


def test_create_multipart_upload_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.create_multipart_upload(Bucket="compat-missing-bucket", Key="k")
