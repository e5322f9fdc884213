"""SigV4 presigned URLs (the query form) against the AWS page's worked example and botocore's
own presigners (the Python one and the CRT one boto3 uses when awscrt is installed).

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import AUTH_TYPE_MAPS, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from server.presign import ERROR_CODE, verify_presigned
from server.sigv4 import SigningContext
from storage import S3Error
from tests.server.test_sigv4 import (
    ACCESS_KEY,
    DOC_ACCESS_KEY,
    DOC_SECRET,
    ENDPOINT,
    KEYS,
    REGION,
    SECRET,
    SECRETS,
    Wire,
    encode_query,
    key_path,
    object_keys,
    query_params,
)

# botocore's presigners: the Python one and, awscrt being installed, the CRT one that
# boto3.client(...).generate_presigned_url uses for signature_version="s3v4".
PYTHON_SIGNER = S3SigV4QueryAuth
CRT_SIGNER = AUTH_TYPE_MAPS["s3v4-query"]
SIGNERS = [pytest.param(PYTHON_SIGNER, id="python"), pytest.param(CRT_SIGNER, id="crt")]

# The AWS page's example: GET /test.txt from examplebucket, valid for 86400 seconds.
DOC_HOST = "examplebucket.s3.amazonaws.com"
DOC_SIGNED_AT = datetime(2013, 5, 24, tzinfo=UTC)
DOC_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
)
DOC_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


def doc_wire(query: str = f"{DOC_QUERY}&X-Amz-Signature={DOC_SIGNATURE}") -> Wire:
    return Wire("GET", "/test.txt", query, CIMultiDict({"Host": DOC_HOST}))


def verify(wire: Wire, now: datetime, **kwargs: Any) -> SigningContext:
    kwargs.setdefault("secret_for", SECRETS.get)
    kwargs.setdefault("region", REGION)
    return verify_presigned(
        wire.method, wire.path, wire.query, CIMultiDictProxy(wire.headers), now=now, **kwargs
    )


def error(wire: Wire, now: datetime, **kwargs: Any) -> S3Error:
    with pytest.raises(S3Error) as info:
        verify(wire, now, **kwargs)
    return info.value


def with_param(query: str, name: str, value: str | None) -> str:
    """``query`` with parameter ``name`` set to ``value`` (encoded), or removed if None."""
    kept = [part for part in query.split("&") if part.partition("=")[0] != name]
    if value is not None:
        kept.append(f"{name}={quote(value, safe='')}")
    return "&".join(kept)


def presigned(
    method: str,
    target: str,
    *,
    signer: type[S3SigV4QueryAuth] = PYTHON_SIGNER,
    expires: int = 3600,
    headers: Sequence[tuple[str, str]] = (),
    token: str | None = None,
    access_key: str = ACCESS_KEY,
) -> tuple[Wire, datetime]:
    """A URL presigned by botocore, as the server receives it, and the instant it was signed."""
    request = AWSRequest(method=method, url=ENDPOINT + target)
    for name, value in headers:
        request.headers[name] = value
    signer(Credentials(access_key, SECRET, token), "s3", REGION, expires=expires).add_auth(request)
    url = urlsplit(request.url)
    wire = CIMultiDict(headers)
    wire["Host"] = url.netloc
    signed_at = dict(p.split("=", 1) for p in url.query.split("&"))["X-Amz-Date"]
    when = datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return Wire(method, url.path, url.query, wire), when


# --- the AWS page's example --------------------------------------------------------------------


def test_aws_doc_example_signature_recomputed_independently() -> None:
    """The page's canonical request and signing steps, by hand, give its signature."""
    canonical_request = "\n".join(
        ("GET", "/test.txt", DOC_QUERY, f"host:{DOC_HOST}", "", "host", "UNSIGNED-PAYLOAD")
    )
    string_to_sign = "\n".join(
        (
            "AWS4-HMAC-SHA256",
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        )
    )
    key = ("AWS4" + DOC_SECRET).encode()
    for part in ("20130524", "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest() == DOC_SIGNATURE


def test_aws_doc_example_verifies() -> None:
    ctx = verify(doc_wire(), DOC_SIGNED_AT)
    assert ctx.access_key == DOC_ACCESS_KEY
    assert ctx.amz_date == "20130524T000000Z"
    assert ctx.scope == "20130524/us-east-1/s3/aws4_request"
    assert ctx.seed_signature == DOC_SIGNATURE
    assert ctx.payload_hash == "UNSIGNED-PAYLOAD"


@pytest.mark.parametrize(
    ("offset", "outcome"),
    [
        (timedelta(minutes=-15), None),  # a signer's clock up to 15 minutes ahead is tolerated
        (timedelta(minutes=-15, seconds=-1), "not yet valid"),
        (timedelta(days=-3), "not yet valid"),
        (timedelta(0), None),
        (timedelta(seconds=86400), None),  # the last valid instant
        (timedelta(seconds=86400, microseconds=1), "expired"),
        (timedelta(seconds=86401), "expired"),
        (timedelta(days=400), "expired"),
    ],
)
def test_aws_doc_example_is_valid_from_its_date_for_its_expires(
    offset: timedelta, outcome: str | None
) -> None:
    now = DOC_SIGNED_AT + offset
    if outcome is None:
        assert verify(doc_wire(), now).seed_signature == DOC_SIGNATURE
        return
    err = error(doc_wire(), now)
    assert (err.code, err.status) == ("AccessDenied", 403)
    if outcome == "expired":  # AWS adds these fields to an expired URL's error
        assert err.fields["X-Amz-Expires"] == 86400
        assert err.fields["Expires"] == "2013-05-25T00:00:00Z"
        assert err.fields["ServerTime"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        assert err.fields == {}


def test_naive_now_is_read_as_utc() -> None:
    assert verify(doc_wire(), DOC_SIGNED_AT.replace(tzinfo=None)).access_key == DOC_ACCESS_KEY
    assert error(doc_wire(), datetime(2013, 5, 26)).code == "AccessDenied"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda w: dataclasses.replace(w, method="PUT"), id="method"),
        pytest.param(lambda w: dataclasses.replace(w, method="HEAD"), id="method-head"),
        pytest.param(lambda w: dataclasses.replace(w, path="/test.txs"), id="path"),
        pytest.param(lambda w: dataclasses.replace(w, path="/test.txt/"), id="path-slash"),
        pytest.param(lambda w: dataclasses.replace(w, query=w.query + "&x=1"), id="query-extra"),
        pytest.param(
            lambda w: dataclasses.replace(w, query=w.query + "&response-content-type=a"),
            id="query-override",
        ),
        pytest.param(
            lambda w: dataclasses.replace(w, query=with_param(w.query, "X-Amz-Expires", "604800")),
            id="expires-longer",
        ),
        pytest.param(
            lambda w: dataclasses.replace(w, query=with_param(w.query, "X-Amz-Expires", "86399")),
            id="expires-shorter",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-Date", "20130524T000001Z")
            ),
            id="date",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-SignedHeaders", "host;x-amz-date")
            ).with_header("x-amz-date", "20130524T000000Z"),
            id="signed-headers",
        ),
        pytest.param(lambda w: w.with_header("Host", "otherbucket.s3.amazonaws.com"), id="host"),
        pytest.param(
            lambda w: w.with_header("x-amz-content-sha256", hashlib.sha256(b"").hexdigest()),
            id="payload-hash-header",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-Signature", "0" + DOC_SIGNATURE[1:])
            ),
            id="signature",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-Signature", DOC_SIGNATURE.upper())
            ),
            id="signature-uppercase",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-Signature", DOC_SIGNATURE + "00")
            ),
            id="signature-long",
        ),
        pytest.param(
            lambda w: dataclasses.replace(
                w, query=with_param(w.query, "X-Amz-Signature", "é" * 64)
            ),
            id="signature-non-ascii",
        ),
    ],
)
def test_tampered_doc_example_is_signature_does_not_match(tamper: Any) -> None:
    err = error(tamper(doc_wire()), DOC_SIGNED_AT)
    assert (err.code, err.status) == ("SignatureDoesNotMatch", 403)


def test_signature_is_not_part_of_the_canonical_query() -> None:
    # Where X-Amz-Signature sits in the query does not matter.
    moved = f"X-Amz-Signature={DOC_SIGNATURE}&{DOC_QUERY}"
    assert verify(doc_wire(moved), DOC_SIGNED_AT).seed_signature == DOC_SIGNATURE


# --- malformed query parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Amz-Algorithm", None),
        ("X-Amz-Credential", None),
        ("X-Amz-Date", None),
        ("X-Amz-Expires", None),
        ("X-Amz-SignedHeaders", None),
        ("X-Amz-Signature", None),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
        ("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256"),
        ("X-Amz-Algorithm", "aws4-hmac-sha256"),
        ("X-Amz-Algorithm", ""),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request/x"),
        ("X-Amz-Credential", "/20130524/us-east-1/s3/aws4_request"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/sqs/aws4_request"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_requests"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/2013-05-24/us-east-1/s3/aws4_request"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request"),
        ("X-Amz-Date", "20130524T000000"),
        ("X-Amz-Date", "2013-05-24T00:00:00Z"),
        ("X-Amz-Date", "20131324T000000Z"),
        ("X-Amz-Date", "2013524T0000000Z"),
        ("X-Amz-Date", "\uff12\uff10\uff11\uff130524T000000Z"),  # fullwidth digits
        ("X-Amz-Expires", "abc"),
        ("X-Amz-Expires", "-1"),
        ("X-Amz-Expires", "604801"),
        ("X-Amz-Expires", "99999999999999999999"),
        ("X-Amz-Expires", "1e3"),
        ("X-Amz-Expires", " 1"),
        ("X-Amz-Expires", "\uff11"),  # a fullwidth digit one
        ("X-Amz-Expires", ""),
        ("X-Amz-SignedHeaders", ""),
        ("X-Amz-SignedHeaders", "host;"),
    ],
)
def test_malformed_query_is_authorization_query_parameters_error(
    name: str, value: str | None
) -> None:
    wire = doc_wire(with_param(doc_wire().query, name, value))
    err = error(wire, DOC_SIGNED_AT)
    assert (err.code, err.status) == (ERROR_CODE, 400)


def test_wrong_region_names_the_right_one() -> None:
    query = with_param(
        DOC_QUERY, "X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request"
    )
    err = error(doc_wire(f"{query}&X-Amz-Signature={DOC_SIGNATURE}"), DOC_SIGNED_AT)
    assert (err.code, err.fields["Region"]) == (ERROR_CODE, REGION)


@pytest.mark.parametrize("name", ["X-Amz-Date", "X-Amz-Signature", "X-Amz-Expires"])
def test_repeated_or_bare_parameter_is_authorization_query_parameters_error(name: str) -> None:
    query = doc_wire().query
    value = dict(p.split("=", 1) for p in query.split("&"))[name]
    for bad in (f"{query}&{name}={value}", f"{with_param(query, name, None)}&{name}"):
        assert error(doc_wire(bad), DOC_SIGNED_AT).code == ERROR_CODE


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    err = error(doc_wire(), DOC_SIGNED_AT, secret_for={}.get)
    assert (err.code, err.status) == ("InvalidAccessKeyId", 403)


def test_unsigned_amz_header_is_access_denied() -> None:
    err = error(doc_wire().with_header("x-amz-meta-late", "1"), DOC_SIGNED_AT)
    assert (err.code, err.status, err.fields) == (
        "AccessDenied",
        403,
        {"HeadersNotSigned": "x-amz-meta-late"},
    )


def test_unsigned_ordinary_headers_are_ignored() -> None:
    # What a browser adds: none of it is signed, and none of it needs to be.
    wire = doc_wire()
    for name, value in [("Content-Type", "image/png"), ("Range", "bytes=0-1"), ("Origin", "x")]:
        wire = wire.with_header(name, value)
    assert verify(wire, DOC_SIGNED_AT).seed_signature == DOC_SIGNATURE


# --- URLs presigned by botocore ----------------------------------------------------------------


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("method", "query"),
    [
        ("GET", ""),
        ("HEAD", ""),
        ("PUT", ""),
        ("DELETE", ""),
        ("POST", "uploads"),
        ("PUT", "partNumber=1&uploadId=abc%2Bd"),
        ("POST", "uploadId=abc%2Bd"),
        ("DELETE", "uploadId=abc%2Bd"),
        ("GET", "uploadId=x&max-parts=2&part-number-marker="),
        ("GET", "response-content-type=text%2Fplain&response-content-disposition=a%3B%20b"),
    ],
)
def test_botocore_presigned_object_requests_verify(
    signer: type[S3SigV4QueryAuth], key: str, method: str, query: str
) -> None:
    target = key_path("bkt", key) + (f"?{query}" if query else "")
    wire, signed_at = presigned(method, target, signer=signer)
    ctx = verify(wire, signed_at)
    assert ctx.access_key == ACCESS_KEY
    assert ctx.payload_hash == "UNSIGNED-PAYLOAD"
    assert verify(wire, signed_at + timedelta(seconds=3600)) == ctx
    assert error(wire, signed_at + timedelta(seconds=3601)).code == "AccessDenied"
    assert error(dataclasses.replace(wire, method="PATCH"), signed_at).code == (
        "SignatureDoesNotMatch"
    )


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("expires", [1, 60, 604800])
def test_botocore_expires_is_honoured_to_the_second(
    signer: type[S3SigV4QueryAuth], expires: int
) -> None:
    wire, signed_at = presigned("GET", "/bkt/key", signer=signer, expires=expires)
    assert verify(wire, signed_at + timedelta(seconds=expires)).access_key == ACCESS_KEY
    assert error(wire, signed_at + timedelta(seconds=expires + 1)).code == "AccessDenied"


def test_zero_expires_is_valid_only_in_the_second_it_was_signed() -> None:
    """X-Amz-Expires=0 is accepted as MinIO and versitygw accept it; such a URL is expired a
    second later. (Whether AWS refuses it outright is unconfirmed; docs/compatibility.md.)"""
    wire, signed_at = presigned("GET", "/bkt/key", expires=0)
    assert verify(wire, signed_at).access_key == ACCESS_KEY
    assert error(wire, signed_at + timedelta(seconds=1)).code == "AccessDenied"


@pytest.mark.parametrize("signer", SIGNERS)
def test_security_token_is_accepted_and_signed(signer: type[S3SigV4QueryAuth]) -> None:
    wire, signed_at = presigned("GET", "/bkt/key", signer=signer, token="session/token+value==")
    assert "X-Amz-Security-Token=" in wire.query
    assert verify(wire, signed_at).access_key == ACCESS_KEY
    tampered = with_param(wire.query, "X-Amz-Security-Token", "another-token")
    assert error(dataclasses.replace(wire, query=tampered), signed_at).code == (
        "SignatureDoesNotMatch"
    )


@pytest.mark.parametrize("signer", SIGNERS)
def test_signed_headers_must_be_sent_as_signed(signer: type[S3SigV4QueryAuth]) -> None:
    """put_object with ContentType and Metadata: botocore signs those headers, so the URL works
    only with them, unchanged."""
    headers = [("Content-Type", "text/plain"), ("x-amz-meta-color", "red")]
    wire, signed_at = presigned("PUT", "/bkt/key", signer=signer, headers=headers)
    assert "content-type" in wire.query.lower()
    assert verify(wire, signed_at).access_key == ACCESS_KEY
    for name, value in [("Content-Type", "text/html"), ("x-amz-meta-color", "blue")]:
        assert error(wire.with_header(name, value), signed_at).code == "SignatureDoesNotMatch"
    assert error(wire.with_header("Content-Type", None), signed_at).code == (
        "SignatureDoesNotMatch"
    )


class _SignedPayload(S3SigV4QueryAuth):
    """A presigner that signs a payload hash instead of UNSIGNED-PAYLOAD."""

    def payload(self, request: AWSRequest) -> str:
        return hashlib.sha256(b"body").hexdigest()


def test_payload_hash_header_replaces_unsigned_payload() -> None:
    """A client that sends x-amz-content-sha256 with a presigned URL has it in the canonical
    request (and checked against the body by the reader), signed or not."""
    digest = hashlib.sha256(b"body").hexdigest()
    wire, signed_at = presigned("PUT", "/bkt/key", signer=_SignedPayload)
    assert error(wire, signed_at).code == "SignatureDoesNotMatch"  # signed for a hash not sent
    ctx = verify(wire.with_header("x-amz-content-sha256", digest), signed_at)
    assert ctx.payload_hash == digest
    other = hashlib.sha256(b"other").hexdigest()
    assert error(wire.with_header("x-amz-content-sha256", other), signed_at).code == (
        "SignatureDoesNotMatch"
    )
    plain, signed_at = presigned("PUT", "/bkt/key")
    unsigned = plain.with_header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
    assert verify(unsigned, signed_at).payload_hash == "UNSIGNED-PAYLOAD"
    assert error(plain.with_header("x-amz-content-sha256", "nonsense"), signed_at).code == (
        "InvalidArgument"
    )


# --- property: whatever botocore presigns verifies until it expires, and no tampering does -----


@settings(max_examples=120, deadline=None)
@given(
    signer=st.sampled_from([PYTHON_SIGNER, CRT_SIGNER]),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    key=object_keys,
    params=query_params,
    expires=st.integers(1, 604800),
    position=st.integers(0, 63),
    shift=st.integers(1, 15),
)
def test_botocore_presigned_urls_always_verify(
    signer: type[S3SigV4QueryAuth],
    method: str,
    key: str,
    params: list[tuple[str, str | None]],
    expires: int,
    position: int,
    shift: int,
) -> None:
    query = encode_query(params)
    target = key_path("bkt", key) + (f"?{query}" if query else "")
    wire, signed_at = presigned(method, target, signer=signer, expires=expires)
    signature = dict(p.split("=", 1) for p in wire.query.split("&"))["X-Amz-Signature"]
    assert verify(wire, signed_at + timedelta(seconds=expires)).seed_signature == signature
    assert error(wire, signed_at + timedelta(seconds=expires + 1)).code == "AccessDenied"

    flipped = "0123456789abcdef"[(int(signature[position], 16) + shift) % 16]
    bad = signature[:position] + flipped + signature[position + 1 :]
    tampered = dataclasses.replace(wire, query=with_param(wire.query, "X-Amz-Signature", bad))
    assert error(tampered, signed_at).code == "SignatureDoesNotMatch"
    other_key = dataclasses.replace(wire, path=wire.path + "x")
    assert error(other_key, signed_at).code == "SignatureDoesNotMatch"
