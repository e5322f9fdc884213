"""HeadObject: the headers a GET would answer, no body; errors are bare statuses.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
"""

from __future__ import annotations

from typing import Any

from compat.helpers import payload, quoted_md5, s3_error


def test_head_object_size_etag_and_no_body(s3: Any, bucket: str) -> None:
    data = payload(4321)
    s3.put_object(Bucket=bucket, Key="k", Body=data, Metadata={"a": "1"})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == quoted_md5(data)
    assert head["Metadata"] == {"a": "1"}
    assert head["LastModified"] is not None


def test_head_object_no_such_key_is_404(s3: Any, bucket: str) -> None:
    # A HEAD response has no body, so the code botocore reports is the status.
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="missing")


def test_head_object_no_such_bucket_is_404(s3: Any) -> None:
    with s3_error("404", 404):
        s3.head_object(Bucket="compat-missing-bucket", Key="k")
