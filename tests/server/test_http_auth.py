"""Authentication over raw HTTP: a real s3mpu process refuses every request that is not correctly
SigV4-signed, with AWS's status and error code, and stores nothing for it.

https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import (
    UNSIGNED,
    assert_alive,
    assert_error,
    assert_ok,
    host,
    keys,
    request,
    send,
    sign,
    stored,
)


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


def test_signed_request_is_served(server: Server, s3: Any, bucket: str) -> None:
    """The baseline every other test here breaks one thing of."""
    assert_ok(request(server, "PUT", f"/{bucket}/k", b"data"))
    assert stored(s3, bucket, "k") == b"data"


def test_no_authorization_is_access_denied(server: Server, s3: Any, bucket: str) -> None:
    reply = send(server, "PUT", f"/{bucket}/k", {"Host": host(server)}, b"data")
    assert_error(reply, 403, "AccessDenied")
    assert keys(s3, bucket) == []


def test_unknown_access_key_is_invalid_access_key_id(server: Server, bucket: str) -> None:
    reply = request(server, "GET", f"/{bucket}?list-type=2", access_key="AKIDNOSUCHKEY")
    assert_error(reply, 403, "InvalidAccessKeyId")


def test_wrong_secret_is_signature_does_not_match(server: Server, s3: Any, bucket: str) -> None:
    reply = request(server, "PUT", f"/{bucket}/k", b"data", secret_key="not-the-secret")
    assert_error(reply, 403, "SignatureDoesNotMatch")
    assert keys(s3, bucket) == []


def test_tampered_path_is_signature_does_not_match(server: Server, s3: Any, bucket: str) -> None:
    headers = sign(server, "PUT", f"/{bucket}/signed", b"data")
    reply = send(server, "PUT", f"/{bucket}/sent", headers, b"data")
    assert_error(reply, 403, "SignatureDoesNotMatch")
    assert keys(s3, bucket) == []


def test_tampered_query_is_signature_does_not_match(server: Server, bucket: str) -> None:
    headers = sign(server, "GET", f"/{bucket}?list-type=2&prefix=a")
    reply = send(server, "GET", f"/{bucket}?list-type=2&prefix=b", headers)
    assert_error(reply, 403, "SignatureDoesNotMatch")


def test_tampered_signed_header_is_signature_does_not_match(
    server: Server, s3: Any, bucket: str
) -> None:
    headers = sign(server, "PUT", f"/{bucket}/k", b"data", {"x-amz-meta-color": "red"})
    headers["x-amz-meta-color"] = "blue"
    assert_error(
        send(server, "PUT", f"/{bucket}/k", headers, b"data"), 403, "SignatureDoesNotMatch"
    )
    assert keys(s3, bucket) == []


def test_tampered_body_hash_is_signature_does_not_match(
    server: Server, s3: Any, bucket: str
) -> None:
    # x-amz-content-sha256 is part of the canonical request: changing it breaks the signature
    # before any body hash is compared.
    headers = sign(server, "PUT", f"/{bucket}/k", b"data")
    headers["X-Amz-Content-SHA256"] = UNSIGNED
    assert_error(
        send(server, "PUT", f"/{bucket}/k", headers, b"data"), 403, "SignatureDoesNotMatch"
    )
    assert keys(s3, bucket) == []


def test_unsigned_amz_header_is_access_denied(server: Server, s3: Any, bucket: str) -> None:
    """AWS: every x-amz-* header sent must be signed ("There were headers present in the
    request which were not signed")."""
    headers = sign(server, "PUT", f"/{bucket}/k", b"data")
    headers["x-amz-meta-added"] = "later"
    assert_error(send(server, "PUT", f"/{bucket}/k", headers, b"data"), 403, "AccessDenied")
    assert keys(s3, bucket) == []


def test_sigv2_authorization_is_invalid_request(server: Server, s3: Any, bucket: str) -> None:
    """SigV2 ("AWS key:signature") is refused as an unsupported mechanism, as in regions that
    only take SigV4."""
    headers = sign(server, "PUT", f"/{bucket}/k", b"data")
    headers["Authorization"] = "AWS test-access-key:frJIUN8DYpKDtOLCwo//yllqDzg="
    assert_error(send(server, "PUT", f"/{bucket}/k", headers, b"data"), 400, "InvalidRequest")
    assert keys(s3, bucket) == []


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Credential=test-access-key, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=test-access-key/20260101/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 Credential=test-access-key/2026/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=test-access-key/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
    ],
    ids=["algorithm-only", "no-components", "short-credential", "credential-only", "bad-date",
         "wrong-service"],
)  # fmt: skip
def test_garbled_sigv4_authorization_is_malformed(
    server: Server, s3: Any, bucket: str, authorization: str
) -> None:
    headers = sign(server, "PUT", f"/{bucket}/k", b"data")
    headers["Authorization"] = authorization
    reply = send(server, "PUT", f"/{bucket}/k", headers, b"data")
    assert_error(reply, 400, "AuthorizationHeaderMalformed")
    assert keys(s3, bucket) == []


@pytest.mark.parametrize(
    "authorization", ["garbage", "Bearer abc.def.ghi", "Basic dXNlcjpwYXNz", "AWS-HMAC-SHA25 x"]
)
def test_unknown_authorization_scheme_is_invalid_argument(
    server: Server, s3: Any, bucket: str, authorization: str
) -> None:
    """What AWS answers for a scheme it does not know (not SigV2, not SigV4):
    InvalidArgument "Unsupported Authorization Type", ArgumentName Authorization. Real AWS
    answers quoted in github.com/versity/versitygw/issues/1705 and
    github.com/danialfarid/ng-file-upload/issues/615."""
    headers = sign(server, "PUT", f"/{bucket}/k", b"data")
    headers["Authorization"] = authorization
    reply = send(server, "PUT", f"/{bucket}/k", headers, b"data")
    fields = assert_error(reply, 400, "InvalidArgument")
    assert fields.get("ArgumentName") == "Authorization"
    assert keys(s3, bucket) == []


def test_wrong_region_in_scope_is_malformed(server: Server, s3: Any, bucket: str) -> None:
    reply = request(server, "PUT", f"/{bucket}/k", b"data", region="eu-west-1")
    fields = assert_error(reply, 400, "AuthorizationHeaderMalformed")
    # botocore's region redirector reads the region the server expects from this field.
    assert fields["Region"] == "us-east-1"
    assert keys(s3, bucket) == []


def test_missing_content_sha256_is_invalid_request(server: Server, s3: Any, bucket: str) -> None:
    """S3 needs x-amz-content-sha256 on every SigV4 request, even one whose signature is
    otherwise good (the generic SigV4 signer does not send it)."""
    reply = request(server, "PUT", f"/{bucket}/k", b"data", s3_auth=False)
    assert_error(reply, 400, "InvalidRequest")
    assert_error(
        request(server, "GET", f"/{bucket}?list-type=2", s3_auth=False), 400, "InvalidRequest"
    )
    assert keys(s3, bucket) == []


def test_failed_auth_leaves_existing_object_intact(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"old")
    headers = sign(server, "PUT", f"/{bucket}/k", b"new", secret_key="not-the-secret")
    assert_error(send(server, "PUT", f"/{bucket}/k", headers, b"new"), 403, "SignatureDoesNotMatch")
    headers = sign(server, "DELETE", f"/{bucket}/k", secret_key="not-the-secret")
    assert_error(send(server, "DELETE", f"/{bucket}/k", headers), 403, "SignatureDoesNotMatch")
    assert stored(s3, bucket, "k") == b"old"
