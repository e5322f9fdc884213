"""ListMultipartUploads.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from compat.helpers import client_for, new_bucket, s3_error
from tests.harness import Server

# Creation order; "photos/2024/a.jpg" gets three uploads, created first, sixth and seventh.
CREATED = [
    "photos/2024/a.jpg",
    "photos/2024/b.jpg",
    "photos/2025/c.jpg",
    "videos/x.mp4",
    "top.txt",
    "photos/2024/a.jpg",
    "photos/2024/a.jpg",
]


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


@pytest.fixture(scope="module")
def uploads(http_server: Server) -> tuple[str, list[tuple[str, str]]]:
    """A bucket with the uploads of CREATED: (bucket, [(key, upload id)] in listing order)."""
    s3 = client_for(http_server)
    bucket = new_bucket(s3)
    created = [
        (key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]) for key in CREATED
    ]
    # Listing order: by key, then by initiation time (which is creation order here).
    ordered = sorted(enumerate(created), key=lambda item: (item[1][0].encode(), item[0]))
    return bucket, [entry for _, entry in ordered]


def pairs(response: dict[str, Any]) -> list[tuple[str, str]]:
    return [(u["Key"], u["UploadId"]) for u in response.get("Uploads", [])]


def prefixes(response: dict[str, Any]) -> list[str]:
    return [p["Prefix"] for p in response.get("CommonPrefixes", [])]


def test_list_multipart_uploads_all_in_order(s3: Any, uploads: tuple[str, list[Any]]) -> None:
    bucket, expected = uploads
    response = s3.list_multipart_uploads(Bucket=bucket)
    assert response["Bucket"] == bucket
    assert response["IsTruncated"] is False
    assert pairs(response) == expected
    for upload in response["Uploads"]:
        assert upload["Initiator"]["ID"]
        assert upload["Owner"]["ID"]
        assert upload["StorageClass"] == "STANDARD"
        assert upload["Initiated"] is not None


def test_list_multipart_uploads_several_per_key_by_initiation(
    s3: Any, uploads: tuple[str, list[Any]]
) -> None:
    bucket, expected = uploads
    response = s3.list_multipart_uploads(Bucket=bucket, Prefix="photos/2024/a.jpg")
    listed = response["Uploads"]
    assert pairs(response) == [e for e in expected if e[0] == "photos/2024/a.jpg"]
    assert len(listed) == 3
    initiated = [u["Initiated"] for u in listed]
    assert initiated == sorted(initiated)


def test_list_multipart_uploads_prefix(s3: Any, uploads: tuple[str, list[Any]]) -> None:
    bucket, expected = uploads
    response = s3.list_multipart_uploads(Bucket=bucket, Prefix="photos/2024/")
    assert response["Prefix"] == "photos/2024/"
    assert pairs(response) == [e for e in expected if e[0].startswith("photos/2024/")]
    assert pairs(s3.list_multipart_uploads(Bucket=bucket, Prefix="nothing/")) == []


def test_list_multipart_uploads_delimiter(s3: Any, uploads: tuple[str, list[Any]]) -> None:
    bucket, expected = uploads
    response = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert response["Delimiter"] == "/"
    assert pairs(response) == [e for e in expected if e[0] == "top.txt"]
    assert prefixes(response) == ["photos/", "videos/"]

    response = s3.list_multipart_uploads(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert pairs(response) == []
    assert prefixes(response) == ["photos/2024/", "photos/2025/"]


def test_list_multipart_uploads_key_marker_alone_skips_that_key(
    s3: Any, uploads: tuple[str, list[Any]]
) -> None:
    bucket, expected = uploads
    response = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="photos/2024/a.jpg")
    assert response["KeyMarker"] == "photos/2024/a.jpg"
    assert pairs(response) == [e for e in expected if e[0] > "photos/2024/a.jpg"]


def test_list_multipart_uploads_key_and_upload_id_marker(
    s3: Any, uploads: tuple[str, list[Any]]
) -> None:
    bucket, expected = uploads
    key, first_id = expected[0]
    response = s3.list_multipart_uploads(Bucket=bucket, KeyMarker=key, UploadIdMarker=first_id)
    assert response["UploadIdMarker"] == first_id
    assert pairs(response) == expected[1:]


def test_list_multipart_uploads_max_uploads_paging(s3: Any, uploads: tuple[str, list[Any]]) -> None:
    bucket, expected = uploads
    seen: list[tuple[str, str]] = []
    markers: dict[str, str] = {}
    pages = 0
    while True:
        response = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **markers)
        pages += 1
        assert response["MaxUploads"] == 2
        page = pairs(response)
        assert len(page) <= 2
        seen += page
        if not response["IsTruncated"]:
            break
        assert (response["NextKeyMarker"], response["NextUploadIdMarker"]) == page[-1]
        markers = {
            "KeyMarker": response["NextKeyMarker"],
            "UploadIdMarker": response["NextUploadIdMarker"],
        }
    assert seen == expected
    assert pages == 4


def test_list_multipart_uploads_max_uploads_with_delimiter(
    s3: Any, uploads: tuple[str, list[Any]]
) -> None:
    """Common prefixes count toward MaxUploads, and each is returned once across pages."""
    bucket, _ = uploads
    seen_prefixes: list[str] = []
    seen_keys: list[str] = []
    markers: dict[str, str] = {}
    while True:
        response = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/", MaxUploads=1, **markers)
        page = pairs(response)
        assert len(page) + len(prefixes(response)) <= 1
        seen_keys += [k for k, _ in page]
        seen_prefixes += prefixes(response)
        if not response["IsTruncated"]:
            break
        markers = {"KeyMarker": response["NextKeyMarker"]}
        if response.get("NextUploadIdMarker"):
            markers["UploadIdMarker"] = response["NextUploadIdMarker"]
    assert seen_prefixes == ["photos/", "videos/"]
    assert seen_keys == ["top.txt"]


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_list_multipart_uploads_paginator(
    s3: Any, uploads: tuple[str, list[Any]], page_size: int
) -> None:
    bucket, expected = uploads
    paginator = s3.get_paginator("list_multipart_uploads")
    seen = [
        pair
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": page_size})
        for pair in pairs(page)
    ]
    assert seen == expected


def test_list_multipart_uploads_paginator_many(s3: Any, bucket: str) -> None:
    keys = [f"k/{i % 13:02d}" for i in range(60)]
    created = {s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]: key for key in keys}
    paginator = s3.get_paginator("list_multipart_uploads")
    seen = [
        (u["Key"], u["UploadId"])
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 7})
        for u in page.get("Uploads", [])
    ]
    assert len(seen) == len(created)
    assert {upload_id for _, upload_id in seen} == set(created)
    assert all(created[upload_id] == key for key, upload_id in seen)
    assert [key for key, _ in seen] == sorted(keys)


def test_list_multipart_uploads_forgets_completed_and_aborted(s3: Any, bucket: str) -> None:
    done = s3.create_multipart_upload(Bucket=bucket, Key="done")["UploadId"]
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    still_open = s3.create_multipart_upload(Bucket=bucket, Key="open")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="done", UploadId=done, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="done",
        UploadId=done,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=aborted)
    assert pairs(s3.list_multipart_uploads(Bucket=bucket)) == [("open", still_open)]


def test_list_multipart_uploads_empty_bucket(s3: Any, bucket: str) -> None:
    response = s3.list_multipart_uploads(Bucket=bucket)
    assert pairs(response) == []
    assert response["IsTruncated"] is False


def test_list_multipart_uploads_no_such_bucket(s3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.list_multipart_uploads(Bucket="compat-missing-bucket")


SPECIAL_KEYS = ["a b", "a+b", "x&y<z>'\"", "ü/1", "ü/2", "日本/語", "q?#%"]


def test_list_multipart_uploads_special_keys(s3: Any, bucket: str) -> None:
    created = {
        s3.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"]: k for k in SPECIAL_KEYS
    }
    response = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in response["Uploads"]] == sorted(SPECIAL_KEYS, key=str.encode)
    assert all(created[u["UploadId"]] == u["Key"] for u in response["Uploads"])

    response = s3.list_multipart_uploads(Bucket=bucket, Prefix="ü", Delimiter="/")
    assert prefixes(response) == ["ü/"]

    paginator = s3.get_paginator("list_multipart_uploads")
    seen = [
        u["Key"]
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 2})
        for u in page.get("Uploads", [])
    ]
    assert seen == sorted(SPECIAL_KEYS, key=str.encode)


def test_list_multipart_uploads_encoding_type_url(s3: Any, bucket: str) -> None:
    for key in SPECIAL_KEYS:
        s3.create_multipart_upload(Bucket=bucket, Key=key)
    # botocore does not decode this operation's keys: they come back percent-encoded.
    response = s3.list_multipart_uploads(Bucket=bucket, EncodingType="url")
    assert response["EncodingType"] == "url"
    assert [unquote(u["Key"]) for u in response["Uploads"]] == sorted(SPECIAL_KEYS, key=str.encode)
    assert "x&y<z>'\"" not in [u["Key"] for u in response["Uploads"]]
