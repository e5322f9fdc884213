"""Raw HTTP: malformed CopyObject and UploadPartCopy requests get AWS's errors and store nothing.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import assert_alive, assert_error, assert_ok, keys, request


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture
def src(s3: Any, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    return bucket


@pytest.mark.parametrize(
    ("copy_source", "status", "code"),
    [
        ("", 400, "InvalidArgument"),
        ("{b}", 400, "InvalidArgument"),
        ("/{b}/", 400, "InvalidArgument"),
        ("/{b}/%ff", 400, "InvalidArgument"),
        ("/{b}/src?versionId=abc", 404, "NoSuchVersion"),
        ("/{b}/" + "k" * 1025, 400, "KeyTooLongError"),
        ("/{b}/missing", 404, "NoSuchKey"),
        ("/no-such-source-bucket/src", 404, "NoSuchBucket"),
    ],
)
def test_copy_object_bad_sources(
    server: Server, s3: Any, src: str, copy_source: str, status: int, code: str
) -> None:
    headers = {"x-amz-copy-source": copy_source.format(b=src)}
    assert_error(request(server, "PUT", f"/{src}/dst", b"", headers), status, code)
    assert keys(s3, src) == ["src"]


@pytest.mark.parametrize("form", ["{b}/src", "/{b}/src", "/{b}/src?versionId=null", "/{b}/s%72c"])
def test_copy_object_source_forms(server: Server, s3: Any, src: str, form: str) -> None:
    headers = {"x-amz-copy-source": form.format(b=src)}
    reply = assert_ok(request(server, "PUT", f"/{src}/dst", b"", headers))
    assert b"<CopyObjectResult" in reply.body
    assert s3.get_object(Bucket=src, Key="dst")["Body"].read() == b"0123456789"


@pytest.mark.parametrize(
    "headers",
    [
        {"x-amz-metadata-directive": "MOVE"},
        {"x-amz-tagging-directive": "KEEP"},
        {"x-amz-checksum-algorithm": "MD4"},
    ],
)
def test_copy_object_bad_directives(
    server: Server, s3: Any, src: str, headers: dict[str, str]
) -> None:
    sent = {"x-amz-copy-source": f"/{src}/src", **headers}
    reply = request(server, "PUT", f"/{src}/dst", b"", sent)
    assert_error(reply, 400, "InvalidArgument", "InvalidRequest")
    assert keys(s3, src) == ["src"]


def test_copy_object_condition_names_the_header(server: Server, src: str) -> None:
    headers = {"x-amz-copy-source": f"/{src}/src", "x-amz-copy-source-if-match": '"no"'}
    fields = assert_error(request(server, "PUT", f"/{src}/dst", b"", headers), 412,
                          "PreconditionFailed")  # fmt: skip
    assert fields["Condition"] == "x-amz-copy-source-If-Match"


@pytest.mark.parametrize(
    "byte_range",
    ["bytes=0-", "bytes=-5", "bytes=5-2", "bytes=a-b", "0-5", "bytes=0-1,3-4", "bytes= 0-1x"],
)
def test_upload_part_copy_malformed_ranges(
    server: Server, s3: Any, src: str, byte_range: str
) -> None:
    upload_id = s3.create_multipart_upload(Bucket=src, Key="dst")["UploadId"]
    headers = {"x-amz-copy-source": f"/{src}/src", "x-amz-copy-source-range": byte_range}
    target = f"/{src}/dst?partNumber=1&uploadId={upload_id}"
    fields = assert_error(request(server, "PUT", target, b"", headers), 400, "InvalidArgument")
    assert fields["ArgumentName"] == "x-amz-copy-source-range"
    assert "Parts" not in s3.list_parts(Bucket=src, Key="dst", UploadId=upload_id)


def test_upload_part_copy_range_past_the_end(server: Server, s3: Any, src: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=src, Key="dst")["UploadId"]
    headers = {"x-amz-copy-source": f"/{src}/src", "x-amz-copy-source-range": "bytes=5-10"}
    target = f"/{src}/dst?partNumber=1&uploadId={upload_id}"
    fields = assert_error(request(server, "PUT", target, b"", headers), 400, "InvalidArgument")
    assert fields["ArgumentValue"] == "bytes=5-10"


def test_upload_part_copy_bad_part_number(server: Server, s3: Any, src: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=src, Key="dst")["UploadId"]
    headers = {"x-amz-copy-source": f"/{src}/src"}
    for number in ("0", "10001"):
        target = f"/{src}/dst?partNumber={number}&uploadId={upload_id}"
        assert_error(request(server, "PUT", target, b"", headers), 400, "InvalidArgument")
