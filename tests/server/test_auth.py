"""server/auth.py: which mechanism a request uses, and "now" from the server's clock.

URLs come from boto3's own generate_presigned_url, with the signature version boto3 picks for
an endpoint_url (SigV2) and with s3v4, for the operations a browser upload or download uses.
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from botocore.config import Config as BotoConfig
from multidict import CIMultiDict

from server.auth import authenticate, query_form
from server.config import Config
from server.credentials import Key
from server.sigv4 import SigningContext
from storage import S3Error
from tests.server.test_sigv4 import botocore_signed

ACCESS_KEY = "AKIDS3MPUEXAMPLE"
SECRET = "s3mpu/secret+KEY=example"
OTHER_KEY, OTHER_SECRET = "reader", "reader-secret"
ENDPOINT = "http://s3.example.test:9000"
HOST = "s3.example.test:9000"
KEYS = {
    ACCESS_KEY: Key(ACCESS_KEY, SECRET),
    OTHER_KEY: Key(OTHER_KEY, OTHER_SECRET, read_only=True),
}


@dataclasses.dataclass(frozen=True)
class FixedClock(Config):
    """A Config whose clock reads ``at`` (epoch seconds)."""

    at: float = 0.0

    def now(self) -> float:
        return self.at


def request_for(method: str, url: str, headers: dict[str, str] | None = None) -> web.Request:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return make_mocked_request(
        method, target, headers=CIMultiDict({"Host": HOST, **(headers or {})})
    )


def auth(method: str, url: str, at: float, headers: dict[str, str] | None = None) -> SigningContext:
    return authenticate(request_for(method, url, headers), FixedClock(keys=KEYS, at=at))


def auth_error(
    method: str, url: str, at: float, headers: dict[str, str] | None = None
) -> tuple[str, int]:
    with pytest.raises(S3Error) as info:
        auth(method, url, at, headers)
    return info.value.code, info.value.status


def client(
    signature_version: str | None, access_key: str = ACCESS_KEY, secret: str = SECRET
) -> Any:
    config: dict[str, Any] = {"s3": {"addressing_style": "path"}}
    if signature_version is not None:
        config["signature_version"] = signature_version
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=BotoConfig(**config),
    )


@dataclasses.dataclass(frozen=True)
class Presigned:
    method: str
    url: str
    signed_at: float  # epoch seconds
    expires_at: float

    def with_query(self, name: str, value: str | None) -> Presigned:
        parts = urlsplit(self.url)
        pairs = [(n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True) if n != name]
        if value is not None:
            pairs.append((name, value))
        query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
        return dataclasses.replace(self, url=parts._replace(query=query).geturl())


def presign(
    signature_version: str | None, operation: str, params: dict[str, Any], method: str,
    expires_in: int = 3600,
) -> Presigned:  # fmt: skip
    url = client(signature_version).generate_presigned_url(
        operation, Params=params, ExpiresIn=expires_in, HttpMethod=method
    )
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if "X-Amz-Date" in query:
        when = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        signed_at = when.timestamp()
        assert int(query["X-Amz-Expires"]) == expires_in
    else:
        signed_at = int(query["Expires"]) - expires_in
    return Presigned(method, url, signed_at, signed_at + expires_in)


VERSIONS = [pytest.param(None, id="boto3-default-sigv2"), pytest.param("s3v4", id="s3v4")]
UPLOAD = {"Bucket": "bkt", "Key": "dir/a b+c.bin", "UploadId": "upload+id/1"}
OPERATIONS = [
    ("get_object", {"Bucket": "bkt", "Key": "dir/a b+c.bin"}, "GET"),
    ("get_object", {"Bucket": "bkt", "Key": "k", "ResponseContentType": "text/plain"}, "GET"),
    ("head_object", {"Bucket": "bkt", "Key": "k"}, "HEAD"),
    ("put_object", {"Bucket": "bkt", "Key": "dir/a b+c.bin"}, "PUT"),
    ("upload_part", {**UPLOAD, "PartNumber": 7}, "PUT"),
    ("complete_multipart_upload", UPLOAD, "POST"),
    ("abort_multipart_upload", UPLOAD, "DELETE"),
    ("list_parts", UPLOAD, "GET"),
    ("create_multipart_upload", {"Bucket": "bkt", "Key": "k"}, "POST"),
    ("list_objects_v2", {"Bucket": "bkt", "Prefix": "dir/"}, "GET"),
    ("list_multipart_uploads", {"Bucket": "bkt"}, "GET"),
    ("head_bucket", {"Bucket": "bkt"}, "HEAD"),
    ("list_buckets", {}, "GET"),
]
OPERATION_IDS = [f"{op}-{n}" for n, (op, _, _) in enumerate(OPERATIONS)]


def test_boto3_presigns_sigv2_for_an_endpoint_url_unless_told_s3v4() -> None:
    """Why both forms are served: a stock boto3 client with an endpoint_url presigns SigV2."""
    default = presign(None, "get_object", {"Bucket": "bkt", "Key": "k"}, "GET")
    assert "AWSAccessKeyId=" in default.url
    assert "X-Amz-Signature=" not in default.url
    v4 = presign("s3v4", "get_object", {"Bucket": "bkt", "Key": "k"}, "GET")
    assert "X-Amz-Signature=" in v4.url


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("operation", "params", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_presigned_url_is_valid_until_it_expires(
    version: str | None, operation: str, params: dict[str, Any], method: str
) -> None:
    url = presign(version, operation, params, method)
    for at in (url.signed_at - 60, url.signed_at, url.expires_at - 1, url.expires_at):
        ctx = auth(method, url.url, at)
        assert ctx.access_key == ACCESS_KEY
        assert ctx.payload_hash == "UNSIGNED-PAYLOAD"
    assert auth_error(method, url.url, url.expires_at + 1) == ("AccessDenied", 403)
    assert auth_error(method, url.url, url.expires_at + 86400) == ("AccessDenied", 403)


@pytest.mark.parametrize(("operation", "params", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_sigv4_presigned_url_from_the_future_is_not_valid_yet(
    operation: str, params: dict[str, Any], method: str
) -> None:
    url = presign("s3v4", operation, params, method)
    assert auth(method, url.url, url.signed_at - 15 * 60).access_key == ACCESS_KEY
    assert auth_error(method, url.url, url.signed_at - 15 * 60 - 1) == ("AccessDenied", 403)


def test_sigv2_presigned_url_has_no_start_time() -> None:
    url = presign(None, "get_object", {"Bucket": "bkt", "Key": "k"}, "GET")
    assert auth("GET", url.url, url.signed_at - 365 * 86400).access_key == ACCESS_KEY


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("operation", "params", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_presigned_url_for_another_method_key_or_expiry_is_signature_does_not_match(
    version: str | None, operation: str, params: dict[str, Any], method: str
) -> None:
    url = presign(version, operation, params, method)
    other_method = "GET" if method != "GET" else "DELETE"
    parts = urlsplit(url.url)
    other_key = parts._replace(path=parts.path + "2").geturl()
    expiry = "X-Amz-Expires" if version else "Expires"
    longer = url.with_query(expiry, str(604800 if version else int(url.expires_at) + 3600))
    for method_sent, url_sent in [
        (other_method, url.url),
        (method, other_key),
        (method, longer.url),
    ]:
        assert auth_error(method_sent, url_sent, url.signed_at) == ("SignatureDoesNotMatch", 403)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("original", "tampered"),
    [
        ({"PartNumber": 7}, {"PartNumber": 8}),
        ({"PartNumber": 7}, {"PartNumber": 7, "UploadId": "another"}),
    ],
)
def test_presigned_part_url_for_another_part_or_upload_is_signature_does_not_match(
    version: str | None, original: dict[str, Any], tampered: dict[str, Any]
) -> None:
    url = presign(version, "upload_part", {**UPLOAD, **original}, "PUT")
    names = {"PartNumber": "partNumber", "UploadId": "uploadId"}
    changed = url
    for name, value in tampered.items():
        changed = changed.with_query(names[name], str(value))
    assert auth_error("PUT", changed.url, url.signed_at) == ("SignatureDoesNotMatch", 403)


@pytest.mark.parametrize("version", VERSIONS)
def test_presigned_url_resolves_its_key_from_the_config(version: str | None) -> None:
    params = {"Bucket": "bkt", "Key": "k"}
    url = client(version, OTHER_KEY, OTHER_SECRET).generate_presigned_url("put_object", params)
    at = presign(version, "put_object", params, "PUT").signed_at
    assert auth("PUT", url, at).access_key == OTHER_KEY  # authorization then applies its scope
    unknown = client(version, "AKIDUNKNOWN", "x").generate_presigned_url("put_object", params)
    assert auth_error("PUT", unknown, at) == ("InvalidAccessKeyId", 403)
    wrong = client(version, OTHER_KEY, "not-the-secret").generate_presigned_url(
        "put_object", params
    )
    assert auth_error("PUT", wrong, at) == ("SignatureDoesNotMatch", 403)


# --- one mechanism per request -----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc", "AWS4-HMAC-SHA256 Credential=x", f"AWS {ACCESS_KEY}:c2ln", ""],
)
def test_presigned_url_with_an_authorization_header_is_invalid_argument(
    version: str | None, authorization: str
) -> None:
    """AWS: "Only one auth mechanism allowed" (400 InvalidArgument), whatever the header says,
    as clients that forward a bearer token to a presigned URL on redirect keep finding out."""
    url = presign(version, "get_object", {"Bucket": "bkt", "Key": "k"}, "GET")
    headers = {"Authorization": authorization}
    assert auth_error("GET", url.url, url.signed_at, headers) == ("InvalidArgument", 400)


def test_both_query_forms_at_once_is_invalid_argument() -> None:
    v4 = presign("s3v4", "get_object", {"Bucket": "bkt", "Key": "k"}, "GET")
    both = v4.with_query("AWSAccessKeyId", ACCESS_KEY).with_query("Signature", "c2ln")
    assert auth_error("GET", both.url, v4.signed_at) == ("InvalidArgument", 400)


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("", None),
        ("list-type=2&prefix=X-Amz-Date", None),
        ("uploads", None),
        ("X-Amz-Signature=x", "v4"),
        ("X-Amz-Date=x&uploadId=1", "v4"),
        ("X%2DAmz%2DCredential=x", "v4"),  # names are compared decoded
        ("Signature=x", "v2"),
        ("Expires=1", "v2"),
        ("AWSAccessKeyId", "v2"),
    ],
)
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "AuthorizationQueryParametersError"),
        ("X-Amz-Signature=" + "0" * 64, "AuthorizationQueryParametersError"),
        ("Signature=c2ln", "AccessDenied"),
        ("AWSAccessKeyId=" + ACCESS_KEY, "AccessDenied"),
    ],
)
def test_incomplete_query_authentication(query: str, code: str) -> None:
    assert auth_error("GET", f"/bkt/k?{query}", datetime.now(UTC).timestamp())[0] == code


# --- header signing and the server's clock -----------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (timedelta(minutes=-20), "RequestTimeTooSkewed"),
        (timedelta(minutes=-15, seconds=-1), "RequestTimeTooSkewed"),
        (timedelta(minutes=-10), None),
        (timedelta(0), None),
        (timedelta(minutes=10), None),
        (timedelta(minutes=15), None),
        (timedelta(minutes=15, seconds=1), "RequestTimeTooSkewed"),
        (timedelta(minutes=20), "RequestTimeTooSkewed"),
        (timedelta(days=1), "RequestTimeTooSkewed"),
    ],
)
def test_header_signed_request_is_held_to_15_minutes_of_the_server_clock(
    offset: timedelta, code: str | None
) -> None:
    """The server's clock is Config.now() (system clock plus S3MPU_CLOCK_OFFSET)."""
    wire = botocore_signed("GET", "/bkt/key?uploadId=u1")
    signed_at = datetime.strptime(wire.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    request = make_mocked_request("GET", "/bkt/key?uploadId=u1", headers=wire.headers)
    config = FixedClock(
        keys={ACCESS_KEY: Key(ACCESS_KEY, SECRET)}, at=(signed_at + offset).timestamp()
    )
    if code is None:
        assert authenticate(request, config).access_key == ACCESS_KEY
        return
    with pytest.raises(S3Error) as info:
        authenticate(request, config)
    assert (info.value.code, info.value.status) == (code, 403)


def test_config_clock_offset_moves_now() -> None:
    now = datetime.now(UTC).timestamp()
    assert abs(Config(clock_offset=7200).now() - (now + 7200)) < 5
