"""DeleteObject.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
"""

from __future__ import annotations

from typing import Any

from compat.helpers import get_bytes, s3_error


def test_delete_object_removes_it(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/k", Body=b"data")
    s3.put_object(Bucket=bucket, Key="dir/other", Body=b"kept")
    response = s3.delete_object(Bucket=bucket, Key="dir/k")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="dir/k")
    assert get_bytes(s3, bucket, "dir/other") == b"kept"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["dir/other"]


def test_delete_object_missing_key_succeeds(s3: Any, bucket: str) -> None:
    response = s3.delete_object(Bucket=bucket, Key="never-existed")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_object_then_put_again(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert get_bytes(s3, bucket, "k") == b"two"


def test_delete_object_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.delete_object(Bucket="compat-missing-bucket", Key="k")
