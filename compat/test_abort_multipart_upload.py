"""AbortMultipartUpload.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import complete, get_bytes, payload, s3_error, upload_parts
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_abort_multipart_upload_then_everything_is_no_such_upload(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    listed = upload_parts(s3, bucket, "k", upload_id, {1: payload(100), 2: payload(10)})
    response = s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204

    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=3, Body=b"x")
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    with s3_error("NoSuchUpload", 404):
        complete(s3, bucket, "k", upload_id, listed)
    with s3_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="k")


def test_abort_multipart_upload_leaves_existing_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    upload_parts(s3, bucket, "k", upload_id, {1: payload(10)})
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert get_bytes(s3, bucket, "k") == b"kept"


def test_abort_multipart_upload_leaves_other_uploads(s3: Any, bucket: str) -> None:
    doomed = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    kept = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    data = payload(10)
    listed = upload_parts(s3, bucket, "k", kept, {1: data})
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=doomed)
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [kept]
    complete(s3, bucket, "k", kept, listed)
    assert get_bytes(s3, bucket, "k") == data


def test_abort_multipart_upload_unknown_upload(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId="no-such-upload")


def test_abort_multipart_upload_after_complete(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    listed = upload_parts(s3, bucket, "k", upload_id, {1: b"done"})
    complete(s3, bucket, "k", upload_id, listed)
    with s3_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert get_bytes(s3, bucket, "k") == b"done"


def test_abort_multipart_upload_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.abort_multipart_upload(Bucket="compat-missing-bucket", Key="k", UploadId="x")
