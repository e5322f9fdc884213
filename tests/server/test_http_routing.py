"""Routing and query parameters over raw HTTP: what S3 does not do, bad numbers, bad keys and bad
upload ids get AWS's status and code, never a 500; error bodies carry S3's fields; HEAD answers
carry no body.

https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.harness import Server
from tests.server.rawhttp import (
    TIMEOUT,
    assert_alive,
    assert_error,
    assert_ok,
    keys,
    new_upload,
    part_etags,
    request,
    send,
    sign,
    stored,
)

PART = b"part one, at least five bytes"
# Looks like one of ours (URL-safe base64 of 48 bytes) but was never issued.
GARBAGE_UPLOAD_ID = "Z" * 64
COMPLETE_PART_1 = (
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>"
)


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client()


# Operations s3mpu does not implement


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/{bucket}?acl"),
        ("PUT", "/{bucket}?acl"),
        ("GET", "/{bucket}?versioning"),
        ("PUT", "/{bucket}?versioning"),
        ("GET", "/{bucket}/k?acl"),
        ("PUT", "/{bucket}/k?retention"),
        ("GET", "/{bucket}?list-type=2&versions"),
    ],
)
def test_unknown_subresource_is_not_implemented(
    server: Server, s3: Any, bucket: str, method: str, path: str
) -> None:
    reply = request(server, method, path.format(bucket=bucket), b"")
    assert_error(reply, 501, "NotImplemented")
    assert keys(s3, bucket) == []


def test_post_object_without_uploads_or_upload_id_is_method_not_allowed(
    server: Server, s3: Any, bucket: str
) -> None:
    assert_error(request(server, "POST", f"/{bucket}/k", b"data"), 405, "MethodNotAllowed")
    assert keys(s3, bucket) == []


def test_put_with_upload_id_but_no_part_number_is_refused(
    server: Server, s3: Any, bucket: str
) -> None:
    """Neither PutObject nor UploadPart: AWS documents no code for it; any 400 but a write."""
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    reply = request(server, "PUT", f"/{bucket}/k?uploadId={upload_id}", b"data")
    assert_error(reply, 400, "InvalidRequest", "InvalidArgument")
    assert stored(s3, bucket, "k") is None
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


# Numbers in the query


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "99999999999999999999"])
def test_list_objects_bad_max_keys_is_invalid_argument(
    server: Server, bucket: str, value: str
) -> None:
    """AWS: max-keys must be an integer between 0 and 2147483647, else InvalidArgument."""
    reply = request(server, "GET", f"/{bucket}?list-type=2&max-keys={value}")
    assert_error(reply, 400, "InvalidArgument")


@pytest.mark.parametrize("name", ["max-parts", "part-number-marker"])
@pytest.mark.parametrize("value", ["-1", "abc", "99999999999999999999"])
def test_list_parts_bad_number_is_invalid_argument(
    server: Server, s3: Any, bucket: str, name: str, value: str
) -> None:
    """AWS: "Argument part-number-marker must be an integer between 0 and 2147483647"."""
    upload_id, _ = new_upload(s3, bucket, "k", PART)
    reply = request(server, "GET", f"/{bucket}/k?uploadId={upload_id}&{name}={value}")
    assert_error(reply, 400, "InvalidArgument")


@pytest.mark.parametrize(
    "token",
    ["not-a-token!", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", "%FF%FE", "a"],
    ids=["punctuation", "aws-style", "binary", "short"],
)
def test_list_objects_foreign_continuation_token_is_invalid_argument(
    server: Server, s3: Any, bucket: str, token: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    encoded = token if "%" in token else quote(token, safe="")
    reply = request(server, "GET", f"/{bucket}?list-type=2&continuation-token={encoded}")
    assert_error(reply, 400, "InvalidArgument")


@pytest.mark.parametrize("value", ["0", "10001", "abc", "-1", "99999999999999999999"])
def test_upload_part_bad_part_number_is_invalid_argument(
    server: Server, s3: Any, bucket: str, value: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    target = f"/{bucket}/k?partNumber={value}&uploadId={upload_id}"
    fields = assert_error(request(server, "PUT", target, b"data"), 400, "InvalidArgument")
    assert fields.get("ArgumentName") == "partNumber"
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


# Keys and paths


def test_key_over_1024_bytes_is_key_too_long(server: Server, s3: Any, bucket: str) -> None:
    key = "é" * 512 + "k"  # 1,025 bytes of UTF-8 in 513 characters
    reply = request(server, "PUT", f"/{bucket}/{quote(key, safe='')}", b"data")
    assert_error(reply, 400, "KeyTooLongError")
    assert keys(s3, bucket) == []
    assert_ok(request(server, "PUT", f"/{bucket}/{quote(key[1:], safe='')}", b"data"))


@pytest.mark.parametrize(
    "path", ["/{bucket}/%ff", "/{bucket}/%FF", "/{bucket}/a%C3%28b", "/{bucket}/%ED%A0%80", "/%FF"]
)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_path_that_is_not_utf8_is_invalid_uri(
    server: Server, s3: Any, bucket: str, path: str, method: str
) -> None:
    path = path.format(bucket=bucket)
    body = b"data" if method == "PUT" else b""
    # Signed in canonical form (upper-case escapes), sent as written.
    signed = re.sub(r"%[0-9a-f]{2}", lambda m: m[0].upper(), path)
    reply = send(server, method, path, sign(server, method, signed, body), body)
    assert_error(reply, 400, "InvalidURI")
    assert keys(s3, bucket) == []


# Upload ids


@pytest.mark.parametrize(
    ("method", "query", "body"),
    [
        ("PUT", "partNumber=1&uploadId={upload_id}", b"data"),
        ("GET", "uploadId={upload_id}", b""),
        ("POST", "uploadId={upload_id}", COMPLETE_PART_1),
        ("DELETE", "uploadId={upload_id}", b""),
    ],
    ids=["UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload"],
)
@pytest.mark.parametrize("upload_id", [GARBAGE_UPLOAD_ID, "", "not%20an%20id"])
def test_garbage_upload_id_is_no_such_upload(
    server: Server, s3: Any, bucket: str, method: str, query: str, body: bytes, upload_id: str
) -> None:
    reply = request(server, method, f"/{bucket}/k?" + query.format(upload_id=upload_id), body)
    fields = assert_error(reply, 404, "NoSuchUpload")
    assert fields["UploadId"] == upload_id.replace("%20", " ")
    assert keys(s3, bucket) == []


def test_upload_id_of_another_key_is_no_such_upload(server: Server, s3: Any, bucket: str) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", PART)
    reply = request(server, "PUT", f"/{bucket}/other?partNumber=1&uploadId={upload_id}", b"x")
    assert assert_error(reply, 404, "NoSuchUpload")["UploadId"] == upload_id
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


# Error bodies and HEAD


def test_error_body_has_s3_fields(server: Server, bucket: str) -> None:
    reply = request(server, "GET", f"/{bucket}/missing")
    fields = assert_error(reply, 404, "NoSuchKey")
    assert fields["Resource"] == f"/{bucket}/missing"
    assert reply.headers["Content-Type"].startswith("application/xml")
    other = assert_error(request(server, "GET", f"/{bucket}/missing"), 404, "NoSuchKey")
    assert other["RequestId"] != fields["RequestId"]


def raw_head(server: Server, path: str) -> tuple[str, dict[str, str], bytes]:
    """HEAD ``path`` and read until the server closes: status line, headers, what follows."""
    headers = sign(server, "HEAD", path)
    headers["Connection"] = "close"
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\n{lines}\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    names = dict(field.split(": ", 1) for field in fields)
    return status, {name.lower(): value for name, value in names.items()}, rest


def test_head_object_has_length_and_no_body(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 1234)
    status, headers, rest = raw_head(server, f"/{bucket}/k")
    assert status.startswith("HTTP/1.1 200 ")
    assert headers["content-length"] == "1234"
    assert rest == b""


def test_head_missing_key_is_404_without_body(server: Server, bucket: str) -> None:
    status, headers, rest = raw_head(server, f"/{bucket}/missing")
    assert status.startswith("HTTP/1.1 404 ")
    assert headers["x-amz-request-id"]
    assert rest == b""
