"""ListObjectsV2.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from compat.helpers import client_for, new_bucket, quoted_md5, s3_error
from tests.harness import Server

KEYS = [
    "a.txt",
    "dir/",
    "dir/one",
    "dir/sub/two",
    "dir/sub/three",
    "dir2/four",
    "z/deep/er/five",
    "zz",
]


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


@pytest.fixture(scope="module")
def listed_bucket(http_server: Server) -> str:
    s3 = client_for(http_server)
    bucket = new_bucket(s3)
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def keys(response: dict[str, Any]) -> list[str]:
    return [o["Key"] for o in response.get("Contents", [])]


def prefixes(response: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in response.get("CommonPrefixes", [])]


def test_list_objects_v2_all(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket)
    assert response["Name"] == listed_bucket
    assert keys(response) == sorted(KEYS)
    assert response["KeyCount"] == len(KEYS)
    assert response["IsTruncated"] is False
    for obj in response["Contents"]:
        assert obj["ETag"] == quoted_md5(obj["Key"].encode())
        assert obj["Size"] == len(obj["Key"].encode())
        assert obj["LastModified"] is not None
        assert obj["StorageClass"] == "STANDARD"


def test_list_objects_v2_prefix(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket, Prefix="dir/")
    assert response["Prefix"] == "dir/"
    assert keys(response) == ["dir/", "dir/one", "dir/sub/three", "dir/sub/two"]
    assert keys(s3.list_objects_v2(Bucket=listed_bucket, Prefix="dir")) == [
        "dir/",
        "dir/one",
        "dir/sub/three",
        "dir/sub/two",
        "dir2/four",
    ]
    assert keys(s3.list_objects_v2(Bucket=listed_bucket, Prefix="nope")) == []


def test_list_objects_v2_delimiter(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket, Delimiter="/")
    assert response["Delimiter"] == "/"
    assert keys(response) == ["a.txt", "zz"]
    assert prefixes(response) == ["dir/", "dir2/", "z/"]
    assert response["KeyCount"] == 5

    response = s3.list_objects_v2(Bucket=listed_bucket, Prefix="dir/", Delimiter="/")
    assert keys(response) == ["dir/", "dir/one"]
    assert prefixes(response) == ["dir/sub/"]


def test_list_objects_v2_max_keys_paging(s3: Any, listed_bucket: str) -> None:
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        response = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=3, **token)
        assert response["MaxKeys"] == 3
        assert response["KeyCount"] == len(keys(response)) <= 3
        if token:
            assert response["ContinuationToken"] == token["ContinuationToken"]
        seen += keys(response)
        if not response["IsTruncated"]:
            assert "NextContinuationToken" not in response
            break
        token = {"ContinuationToken": response["NextContinuationToken"]}
    assert seen == sorted(KEYS)


def test_list_objects_v2_max_keys_paging_with_delimiter(s3: Any, listed_bucket: str) -> None:
    seen_keys: list[str] = []
    seen_prefixes: list[str] = []
    token: dict[str, str] = {}
    while True:
        response = s3.list_objects_v2(Bucket=listed_bucket, Delimiter="/", MaxKeys=1, **token)
        assert response["KeyCount"] == len(keys(response)) + len(prefixes(response)) <= 1
        seen_keys += keys(response)
        seen_prefixes += prefixes(response)
        if not response["IsTruncated"]:
            break
        token = {"ContinuationToken": response["NextContinuationToken"]}
    assert seen_keys == ["a.txt", "zz"]
    assert seen_prefixes == ["dir/", "dir2/", "z/"]


def test_list_objects_v2_start_after(s3: Any, listed_bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="dir/one")
    assert response["StartAfter"] == "dir/one"
    assert keys(response) == [k for k in sorted(KEYS) if k > "dir/one"]
    response = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="dir/p", Prefix="dir/")
    assert keys(response) == ["dir/sub/three", "dir/sub/two"]
    assert keys(s3.list_objects_v2(Bucket=listed_bucket, StartAfter="zz")) == []


def test_list_objects_v2_start_after_with_paging(s3: Any, listed_bucket: str) -> None:
    first = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="a.txt", MaxKeys=2)
    assert keys(first) == ["dir/", "dir/one"]
    second = s3.list_objects_v2(
        Bucket=listed_bucket,
        StartAfter="a.txt",
        MaxKeys=2,
        ContinuationToken=first["NextContinuationToken"],
    )
    assert keys(second) == ["dir/sub/three", "dir/sub/two"]


def test_list_objects_v2_paginator_250_keys(s3: Any, bucket: str) -> None:
    names = [f"obj/{i:03d}" for i in range(250)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=bucket, Key=n, Body=b""), names))
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 7}))
    seen = [k for page in pages for k in keys(page)]
    assert seen == names
    assert len(pages) == 36
    assert all(page["KeyCount"] == 7 for page in pages[:-1])


def test_list_objects_v2_empty_bucket(s3: Any, bucket: str) -> None:
    response = s3.list_objects_v2(Bucket=bucket)
    assert response["KeyCount"] == 0
    assert keys(response) == []
    assert response["IsTruncated"] is False


def test_list_objects_v2_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket="compat-missing-bucket")


SPECIAL_KEYS = [
    "a b/c",
    "a+b",
    "a%2Fb",
    "x&y<z>'\"",
    "ü/1",
    "ü/2/deep",
    "ü-flat",
    "日本/語/1",
    "日本/語2",
    "z~/.hidden",
    "/leading",
    "plain",
]


def model(all_keys: list[str], prefix: str, delimiter: str) -> tuple[list[str], list[str]]:
    """The keys and common prefixes S3 lists, in UTF-8 byte order."""
    found_keys: list[str] = []
    found_prefixes: list[str] = []
    for key in sorted(all_keys, key=str.encode):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut < 0:
            found_keys.append(key)
        elif key[: cut + len(delimiter)] not in found_prefixes:
            found_prefixes.append(key[: cut + len(delimiter)])
    return found_keys, found_prefixes


@pytest.fixture(scope="module")
def special_bucket(http_server: Server) -> str:
    s3 = client_for(http_server)
    bucket = new_bucket(s3)
    for key in SPECIAL_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    return bucket


@pytest.mark.parametrize("prefix", ["", "ü", "ü/", "日本/", "a", "/"])
@pytest.mark.parametrize("delimiter", ["", "/", "語"])
@pytest.mark.parametrize("max_keys", [1, 2, 1000])
def test_list_objects_v2_special_keys_match_model(
    s3: Any, special_bucket: str, prefix: str, delimiter: str, max_keys: int
) -> None:
    seen_keys: list[str] = []
    seen_prefixes: list[str] = []
    token: dict[str, str] = {}
    for _ in range(50):
        response = s3.list_objects_v2(
            Bucket=special_bucket, Prefix=prefix, Delimiter=delimiter, MaxKeys=max_keys, **token
        )
        assert response["KeyCount"] == len(keys(response)) + len(prefixes(response)) <= max_keys
        seen_keys += keys(response)
        seen_prefixes += prefixes(response)
        if not response["IsTruncated"]:
            break
        token = {"ContinuationToken": response["NextContinuationToken"]}
    assert (seen_keys, seen_prefixes) == model(SPECIAL_KEYS, prefix, delimiter)


def test_list_objects_v2_buckets_are_separate(s3: Any, bucket: str) -> None:
    other = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="same", Body=b"one")
    s3.put_object(Bucket=other, Key="same", Body=b"two")
    s3.put_object(Bucket=other, Key="only-other", Body=b"")
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["same"]
    assert keys(s3.list_objects_v2(Bucket=other)) == ["only-other", "same"]
    assert s3.get_object(Bucket=bucket, Key="same")["Body"].read() == b"one"


def test_list_objects_v2_fetch_owner(s3: Any, listed_bucket: str) -> None:
    # Owner is left out by default and returned for every key with fetch-owner=true.
    plain = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=2)
    assert all("Owner" not in o for o in plain["Contents"])
    owned = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=2, FetchOwner=True)
    assert all(o["Owner"]["ID"] for o in owned["Contents"])
