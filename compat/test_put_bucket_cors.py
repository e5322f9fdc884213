"""PutBucketCors, GetBucketCors, DeleteBucketCors.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import s3_error
from tests.harness import Server

UPLOADS = {
    "ID": "browser-uploads",
    "AllowedHeaders": ["*"],
    "AllowedMethods": ["PUT", "POST"],
    "AllowedOrigins": ["https://app.example.com"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 3000,
}
READS = {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]}


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def _put(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": list(rules)})


def test_put_bucket_cors_round_trip(s3: Any, bucket: str) -> None:
    _put(s3, bucket, UPLOADS, READS)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [UPLOADS, READS]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({**READS, "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
        ({**READS, "AllowedOrigins": ["https://*.*.example.com"]}, "InvalidRequest"),
        ({**READS, "AllowedMethods": []}, "MalformedXML"),
    ],
)
def test_put_bucket_cors_invalid(s3: Any, bucket: str, rule: dict[str, Any], code: str) -> None:
    _put(s3, bucket, UPLOADS)
    with s3_error(code, 400):
        _put(s3, bucket, rule)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [UPLOADS]


def test_get_bucket_cors_none(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)


def test_get_bucket_cors_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.get_bucket_cors(Bucket="compat-no-such-bucket")


def test_delete_bucket_cors(s3: Any, bucket: str) -> None:
    _put(s3, bucket, READS)
    s3.delete_bucket_cors(Bucket=bucket)
    with s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)
