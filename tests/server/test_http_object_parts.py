"""Raw HTTP: bad partNumber reads and bad GetObjectAttributes requests get AWS's errors.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import assert_alive, assert_error, assert_ok, request


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture
def obj(s3: Any, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    return f"/{bucket}/k"


@pytest.mark.parametrize("value", ["0", "10001", "-1", "x", "", "1.0", "99999999999999"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_part_number_out_of_range(server: Server, obj: str, value: str, method: str) -> None:
    reply = request(server, method, f"{obj}?partNumber={value}")
    if method == "GET":
        fields = assert_error(reply, 400, "InvalidArgument")
        assert fields["ArgumentName"] == "partNumber"
    else:
        assert reply.status == 400


def test_part_number_and_range(server: Server, obj: str) -> None:
    reply = request(server, "GET", f"{obj}?partNumber=1", b"", {"Range": "bytes=0-1"})
    assert_error(reply, 400, "InvalidRequest")


def test_part_number_past_the_last_part(server: Server, obj: str) -> None:
    fields = assert_error(request(server, "GET", f"{obj}?partNumber=2"), 416, "InvalidPartNumber")
    assert (fields["PartNumberRequested"], fields["ActualPartCount"]) == ("2", "1")


def test_part_number_one_of_a_plain_object(server: Server, obj: str) -> None:
    reply = assert_ok(request(server, "GET", f"{obj}?partNumber=1"), 206)
    assert reply.body == b"0123456789"
    assert reply.headers["Content-Range"] == "bytes 0-9/10"
    head = assert_ok(request(server, "HEAD", f"{obj}?partNumber=1"), 206)
    assert head.headers["Content-Length"] == "10"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "InvalidRequest"),
        ({"x-amz-object-attributes": ""}, "InvalidRequest"),
        ({"x-amz-object-attributes": " , "}, "InvalidRequest"),
        ({"x-amz-object-attributes": "ETag,Owner"}, "InvalidArgument"),
        ({"x-amz-object-attributes": "etag"}, "InvalidArgument"),
        ({"x-amz-object-attributes": "ETag", "x-amz-max-parts": "-1"}, "InvalidArgument"),
        ({"x-amz-object-attributes": "ETag", "x-amz-max-parts": "ten"}, "InvalidArgument"),
        ({"x-amz-object-attributes": "ETag", "x-amz-part-number-marker": "x"}, "InvalidArgument"),
    ],
)
def test_get_object_attributes_bad_headers(
    server: Server, obj: str, headers: dict[str, str], code: str
) -> None:
    assert_error(request(server, "GET", f"{obj}?attributes", b"", headers), 400, code)


def test_get_object_attributes_answers_last_modified(server: Server, obj: str) -> None:
    reply = assert_ok(
        request(server, "GET", f"{obj}?attributes", b"", {"x-amz-object-attributes": "ETag"})
    )
    assert reply.headers["Last-Modified"]
    assert b"<ETag>781e5e245d69b566979b86e28d23f2c7</ETag>" in reply.body
