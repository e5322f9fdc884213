"""GetBucketLocation.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
"""

from __future__ import annotations

from typing import Any

from compat.helpers import s3_error


def test_get_bucket_location_us_east_1_is_none(s3: Any, bucket: str) -> None:
    # S3 answers an empty LocationConstraint for us-east-1; botocore reads it as None.
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_get_bucket_location_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.get_bucket_location(Bucket="compat-no-such-bucket-location")
