"""CreateBucket.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import s3_error
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_create_bucket_then_head_and_list(s3: Any) -> None:
    response = s3.create_bucket(Bucket="compat-created")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Location"] == "/compat-created"
    head = s3.head_bucket(Bucket="compat-created")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "compat-created" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_create_bucket_already_owned_by_you(s3: Any, bucket: str) -> None:
    # AWS answers this in every region but us-east-1, where it keeps a legacy 200 OK. s3mpu
    # always answers the error: a second create is almost always a client mistake.
    with s3_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=bucket)


@pytest.mark.parametrize("name", ["abc", "compat.with.dots", "0-digits-9", "x" * 63])
def test_create_bucket_valid_names(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"v"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # shorter than 3
        "a" * 64,  # longer than 63
        "UpperCase",
        "under_score",
        "-leading-hyphen",
        "trailing-hyphen-",
        "double..dot",
        "192.168.5.4",
        "xn--prefixed",
        "name-s3alias",
    ],
)
def test_create_bucket_invalid_bucket_name(s3: Any, name: str) -> None:
    with s3_error("InvalidBucketName", 400):
        s3.create_bucket(Bucket=name)
