"""Raw HTTP: malformed DeleteObjects, ListObjects (v1) and GetBucketLocation requests get S3's
errors, and a refused DeleteObjects deletes nothing.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import (
    assert_alive,
    assert_error,
    assert_ok,
    crc32_b64,
    keys,
    md5_b64,
    request,
)


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture
def full_bucket(s3: Any, bucket: str) -> str:
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    return bucket


DELETE_A = b"<Delete><Object><Key>a</Key></Object></Delete>"


def _delete(server: Server, bucket: str, body: bytes, headers: dict[str, str]) -> Any:
    return request(server, "POST", f"/{bucket}?delete", body, headers)


def test_delete_objects_with_content_md5(server: Server, s3: Any, full_bucket: str) -> None:
    reply = assert_ok(_delete(server, full_bucket, DELETE_A, {"Content-MD5": md5_b64(DELETE_A)}))
    assert b"<Deleted><Key>a</Key></Deleted>" in reply.body
    assert keys(s3, full_bucket) == ["b"]


def test_delete_objects_with_a_checksum_instead(server: Server, s3: Any, full_bucket: str) -> None:
    sha = base64.b64encode(hashlib.sha256(DELETE_A).digest()).decode()
    assert_ok(_delete(server, full_bucket, DELETE_A, {"x-amz-checksum-sha256": sha}))
    assert keys(s3, full_bucket) == ["b"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 400, "InvalidRequest"),  # Content-MD5 or a checksum is required
        ({"Content-MD5": md5_b64(b"other")}, 400, "BadDigest"),
        ({"Content-MD5": "not base64!"}, 400, "InvalidDigest"),
        ({"x-amz-checksum-crc32": crc32_b64(b"other")}, 400, "BadDigest"),
        ({"x-amz-checksum-crc32": "AAA"}, 400, "InvalidRequest"),
        (
            {"x-amz-checksum-crc32": crc32_b64(DELETE_A), "x-amz-checksum-sha1": "AAAA"},
            400,
            "InvalidRequest",
        ),
    ],
)
def test_delete_objects_integrity_headers(
    server: Server, s3: Any, full_bucket: str, headers: dict[str, str], status: int, code: str
) -> None:
    assert_error(_delete(server, full_bucket, DELETE_A, headers), status, code)
    assert keys(s3, full_bucket) == ["a", "b"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<Delete>",
        b"<Delete></Delete>",
        b"<Delete><Object></Object></Delete>",
        b"<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>",
        b"<Delete>" + b"<Object><Key>a</Key></Object>" * 1001 + b"</Delete>",
        b"<DeleteObjects><Object><Key>a</Key></Object></DeleteObjects>",
    ],
)
def test_delete_objects_malformed_xml(
    server: Server, s3: Any, full_bucket: str, body: bytes
) -> None:
    reply = _delete(server, full_bucket, body, {"Content-MD5": md5_b64(body)})
    assert_error(reply, 400, "MalformedXML")
    assert keys(s3, full_bucket) == ["a", "b"]


def test_delete_objects_oversized_body(server: Server, s3: Any, full_bucket: str) -> None:
    body = b"<Delete>" + b" " * (8 * 1024 * 1024) + b"</Delete>"
    reply = _delete(server, full_bucket, body, {"Content-MD5": md5_b64(body)})
    assert_error(reply, 400, "MalformedXML")
    assert keys(s3, full_bucket) == ["a", "b"]


def test_delete_objects_no_such_bucket(server: Server) -> None:
    reply = _delete(server, "no-such-bucket-raw", DELETE_A, {"Content-MD5": md5_b64(DELETE_A)})
    assert_error(reply, 404, "NoSuchBucket")


@pytest.mark.parametrize(
    ("query", "argument"),
    [("max-keys=-1", "max-keys"), ("max-keys=ten", "max-keys"), ("encoding-type=xml", None)],
)
def test_list_objects_bad_arguments(
    server: Server, full_bucket: str, query: str, argument: str | None
) -> None:
    fields = assert_error(request(server, "GET", f"/{full_bucket}?{query}"), 400, "InvalidArgument")
    if argument is not None:
        assert fields["ArgumentName"] == argument


def test_list_objects_plain_get_is_v1(server: Server, full_bucket: str) -> None:
    reply = assert_ok(request(server, "GET", f"/{full_bucket}?max-keys=1"))
    assert b"<Marker />" in reply.body or b"<Marker></Marker>" in reply.body
    assert b"<KeyCount>" not in reply.body  # a version 2 element
    assert b"<IsTruncated>true</IsTruncated>" in reply.body


def test_get_bucket_location_no_such_bucket(server: Server) -> None:
    assert_error(request(server, "GET", "/no-such-bucket-raw?location"), 404, "NoSuchBucket")
