"""HeadBucket.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import s3_error
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_head_bucket_exists(s3: Any, bucket: str) -> None:
    response = s3.head_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["BucketRegion"] == "us-east-1"
    assert response["ResponseMetadata"]["RequestId"]


def test_head_bucket_no_such_bucket_is_404(s3: Any) -> None:
    # A HEAD response has no body, so the code botocore reports is the status.
    with s3_error("404", 404):
        s3.head_bucket(Bucket="compat-missing-bucket")
