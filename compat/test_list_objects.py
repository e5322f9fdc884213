"""ListObjects (version 1): markers, NextMarker with a delimiter, encoding-type=url.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import client_for, new_bucket, quoted_md5, s3_error
from tests.harness import Server

KEYS = ["a.txt", "dir/one", "dir/sub/two", "dir2/four", "sp ace+plus/é", "zz"]


@pytest.fixture(scope="module")
def listed(http_server: Server, https_server: Server) -> dict[str, str]:
    """The same keys in one bucket on each server, by server URL."""
    buckets = {}
    for running in (http_server, https_server):
        s3 = client_for(running)
        buckets[running.url] = new_bucket(s3)
        for key in KEYS:
            s3.put_object(Bucket=buckets[running.url], Key=key, Body=key.encode())
    return buckets


@pytest.fixture
def listed_bucket(server: Server, listed: dict[str, str]) -> str:
    return listed[server.url]


def keys(response: dict[str, Any]) -> list[str]:
    return [o["Key"] for o in response.get("Contents", [])]


def prefixes(response: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in response.get("CommonPrefixes", [])]


def test_list_objects_all(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects(Bucket=listed_bucket)
    assert keys(response) == sorted(KEYS)
    assert response["IsTruncated"] is False
    assert response["Marker"] == ""
    assert "NextMarker" not in response
    for obj in response["Contents"]:
        assert obj["ETag"] == quoted_md5(obj["Key"].encode())
        assert obj["Size"] == len(obj["Key"].encode())
        assert obj["StorageClass"] == "STANDARD"
        assert obj["Owner"]["ID"]


def test_list_objects_marker_pages_without_next_marker(s3: Any, listed_bucket: str) -> None:
    seen: list[str] = []
    marker = ""
    while True:
        response = s3.list_objects(Bucket=listed_bucket, MaxKeys=2, Marker=marker)
        # Without a delimiter S3 sends no NextMarker: the client continues from the last Key.
        assert "NextMarker" not in response
        seen += keys(response)
        if not response["IsTruncated"]:
            break
        marker = keys(response)[-1]
    assert seen == sorted(KEYS)


def test_list_objects_delimiter_next_marker(s3: Any, listed_bucket: str) -> None:
    first = s3.list_objects(Bucket=listed_bucket, Delimiter="/", MaxKeys=2)
    assert keys(first) == ["a.txt"]
    assert prefixes(first) == ["dir/"]
    assert first["IsTruncated"] is True
    assert first["NextMarker"] == "dir/"
    second = s3.list_objects(Bucket=listed_bucket, Delimiter="/", Marker=first["NextMarker"])
    assert prefixes(second) == ["dir2/", "sp ace+plus/"]
    assert keys(second) == ["zz"]
    assert second["IsTruncated"] is False
    assert "NextMarker" not in second


def test_list_objects_prefix(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects(Bucket=listed_bucket, Prefix="dir/", Delimiter="/")
    assert keys(response) == ["dir/one"]
    assert prefixes(response) == ["dir/sub/"]
    assert response["Prefix"] == "dir/"


def test_list_objects_encoding_type_url_round_trips(s3: Any, listed_bucket: str) -> None:
    # boto3 asks for encoding-type=url by itself and decodes Key, Marker, NextMarker and
    # Delimiter. S3 encodes Prefix too (the page lists it), which botocore leaves encoded.
    response = s3.list_objects(Bucket=listed_bucket, Prefix="sp ace+", Marker="sp ace")
    assert keys(response) == ["sp ace+plus/é"]
    assert response["Prefix"] == "sp%20ace%2B"
    assert response["Marker"] == "sp ace"


def test_list_objects_encoding_type_url_as_sent(s3: Any, listed_bucket: str) -> None:
    # Asked for explicitly, botocore leaves the values as S3 encoded them.
    response = s3.list_objects(
        Bucket=listed_bucket, Marker="dir2/", Delimiter="/", MaxKeys=1, EncodingType="url"
    )
    assert response["EncodingType"] == "url"
    assert prefixes(response) == ["sp%20ace%2Bplus/"]
    assert response["IsTruncated"] is True
    assert response["NextMarker"] == "sp%20ace%2Bplus/"


def test_list_objects_max_keys_zero(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects(Bucket=listed_bucket, MaxKeys=0)
    assert keys(response) == []
    assert response["IsTruncated"] is False


def test_list_objects_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.list_objects(Bucket="compat-no-such-bucket-v1")
