"""DeleteBucket.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import s3_error
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_delete_bucket_empty(s3: Any, bucket: str) -> None:
    response = s3.delete_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("404", 404):
        s3.head_bucket(Bucket=bucket)
    with s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=bucket)


def test_delete_bucket_not_empty_while_it_holds_an_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_delete_bucket_not_empty_while_it_holds_an_open_upload(s3: Any, bucket: str) -> None:
    # s3mpu behaviour by design; AWS is reported to delete such a bucket and drop its uploads.
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    s3.delete_bucket(Bucket=bucket)


def test_delete_bucket_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.delete_bucket(Bucket="compat-missing-bucket")


def test_delete_bucket_then_create_again_is_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")
