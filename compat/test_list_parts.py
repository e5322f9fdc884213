"""ListParts.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
"""

from __future__ import annotations

from typing import Any

import pytest

from compat.helpers import payload, quoted_md5, s3_error
from tests.harness import Server


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


@pytest.fixture
def upload(s3: Any, bucket: str) -> tuple[str, dict[int, bytes]]:
    """An upload holding parts 1, 2, 4, 5, 7, 8, 9 (sizes differ)."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    parts = {n: payload(10 * n) for n in (9, 1, 4, 2, 8, 5, 7)}
    for number, data in parts.items():
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=data)
    return upload_id, parts


def test_list_parts_all(s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]) -> None:
    upload_id, parts = upload
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert (response["Bucket"], response["Key"], response["UploadId"]) == (bucket, "k", upload_id)
    assert response["IsTruncated"] is False
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in response["Parts"]] == [
        (n, quoted_md5(parts[n]), len(parts[n])) for n in sorted(parts)
    ]
    assert all(p["LastModified"] is not None for p in response["Parts"])


def test_list_parts_initiator_owner_storage_class(
    s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]
) -> None:
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload[0])
    assert response["Initiator"]["ID"]
    assert response["Owner"]["ID"]
    assert response["StorageClass"] == "STANDARD"


def test_list_parts_paging(s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]) -> None:
    upload_id = upload[0]
    pages = []
    marker = 0
    while True:
        response = s3.list_parts(
            Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=3, PartNumberMarker=marker
        )
        numbers = [p["PartNumber"] for p in response["Parts"]]
        pages.append(numbers)
        assert response["MaxParts"] == 3
        assert response["PartNumberMarker"] == marker
        if not response["IsTruncated"]:
            break
        assert response["NextPartNumberMarker"] == numbers[-1]
        marker = response["NextPartNumberMarker"]
    assert pages == [[1, 2, 4], [5, 7, 8], [9]]


def test_list_parts_marker_between_parts(
    s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]
) -> None:
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload[0], PartNumberMarker=3)
    assert [p["PartNumber"] for p in response["Parts"]] == [4, 5, 7, 8, 9]
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload[0], PartNumberMarker=9)
    assert response.get("Parts", []) == []
    assert response["IsTruncated"] is False


def test_list_parts_exact_page_is_not_truncated(
    s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]
) -> None:
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload[0], MaxParts=7)
    assert len(response["Parts"]) == 7
    assert response["IsTruncated"] is False


def test_list_parts_paginator(s3: Any, bucket: str, upload: tuple[str, dict[int, bytes]]) -> None:
    upload_id, parts = upload
    paginator = s3.get_paginator("list_parts")
    numbers = [
        p["PartNumber"]
        for page in paginator.paginate(
            Bucket=bucket, Key="k", UploadId=upload_id, PaginationConfig={"PageSize": 2}
        )
        for p in page.get("Parts", [])
    ]
    assert numbers == sorted(parts)


def test_list_parts_empty_upload(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    response = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert response.get("Parts", []) == []
    assert response["IsTruncated"] is False


def test_list_parts_no_such_upload(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="k", UploadId="no-such-upload")
