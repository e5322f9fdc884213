"""PutBucketLifecycleConfiguration over raw HTTP: AWS refuses the body without Content-MD5 or an
x-amz-checksum-* header, checks whichever is sent, and a refused configuration leaves the one in
place untouched.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import Server
from tests.server.rawhttp import (
    assert_alive,
    assert_error,
    assert_ok,
    crc32_b64,
    md5_b64,
    request,
)

CONFIG = (
    b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>a/</Prefix></Filter>"
    b"<Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>"
    b"</LifecycleConfiguration>"
)
OTHER = CONFIG.replace(b"<Days>3</Days>", b"<Days>9</Days>")


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


def _configured(server: Server, bucket: str) -> bytes:
    return assert_ok(request(server, "GET", f"/{bucket}?lifecycle")).body


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "InvalidRequest"),
        ({"Content-MD5": md5_b64(OTHER + b" ")}, "BadDigest"),
        ({"Content-MD5": "not base64!"}, "InvalidDigest"),
        ({"x-amz-checksum-crc32": crc32_b64(OTHER + b" ")}, "BadDigest"),
        ({"x-amz-checksum-crc32": "###"}, "InvalidRequest"),
        ({"x-amz-checksum-crc32": crc32_b64(OTHER), "x-amz-checksum-sha1": "AA=="},
         "InvalidRequest"),
    ],
)  # fmt: skip
def test_put_bucket_lifecycle_configuration_integrity(
    server: Server, bucket: str, headers: dict[str, str], code: str
) -> None:
    assert_ok(
        request(server, "PUT", f"/{bucket}?lifecycle", CONFIG, {"Content-MD5": md5_b64(CONFIG)})
    )
    before = _configured(server, bucket)
    assert_error(request(server, "PUT", f"/{bucket}?lifecycle", OTHER, headers), 400, code)
    assert _configured(server, bucket) == before


@pytest.mark.parametrize("header", ["Content-MD5", "x-amz-checksum-crc32"])
def test_put_bucket_lifecycle_configuration_checked_body_accepted(
    server: Server, bucket: str, header: str
) -> None:
    value = md5_b64(OTHER) if header == "Content-MD5" else crc32_b64(OTHER)
    assert_ok(request(server, "PUT", f"/{bucket}?lifecycle", OTHER, {header: value}))
    assert b"<Days>9</Days>" in _configured(server, bucket)


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml", b"<LifecycleConfiguration><Rule>", b"<Other/>"],
)
def test_put_bucket_lifecycle_configuration_malformed(
    server: Server, bucket: str, body: bytes
) -> None:
    reply = request(server, "PUT", f"/{bucket}?lifecycle", body, {"Content-MD5": md5_b64(body)})
    assert_error(reply, 400, "MalformedXML")
    assert_error(
        request(server, "GET", f"/{bucket}?lifecycle"), 404, "NoSuchLifecycleConfiguration"
    )
