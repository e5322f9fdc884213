"""ListBuckets.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def test_list_buckets_lists_created_in_name_order(s3: Any) -> None:
    names = ["compat-list-c", "compat-list-a", "compat-list-b"]
    for name in names:
        s3.create_bucket(Bucket=name)
    response = s3.list_buckets()
    listed = [b["Name"] for b in response["Buckets"]]
    assert [n for n in listed if n.startswith("compat-list-")] == sorted(names)
    assert all(b["CreationDate"] is not None for b in response["Buckets"])
    assert response["Owner"]["ID"]


def test_list_buckets_forgets_deleted(s3: Any) -> None:
    s3.create_bucket(Bucket="compat-list-gone")
    s3.delete_bucket(Bucket="compat-list-gone")
    assert "compat-list-gone" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
