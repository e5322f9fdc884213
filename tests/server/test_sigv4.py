"""SigV4 verification against botocore's own signer and the AWS documentation's worked examples.

https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from server import sigv4
from server.sigv4 import (
    EMPTY_SHA256,
    SigningContext,
    canonical_query,
    canonical_uri,
    chunk_string_to_sign,
    query_pairs,
    sign,
    trailer_string_to_sign,
    verify_request,
)
from storage import S3Error

REGION = "us-east-1"
ACCESS_KEY = "AKIDS3MPUEXAMPLE"
SECRET = "s3mpu/secret+KEY=example"
ENDPOINT = "http://s3.example.test:9000"

# The credentials of the AWS documentation's examples.
DOC_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_DATE = "20130524T000000Z"
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"
SECRETS = {ACCESS_KEY: SECRET, DOC_ACCESS_KEY: DOC_SECRET}


@dataclasses.dataclass(frozen=True)
class Wire:
    """A request as the server sees it: the raw path and query and every header line."""

    method: str
    path: str
    query: str
    headers: CIMultiDict[str]

    def with_header(self, name: str, value: str | None) -> Wire:
        headers = CIMultiDict(self.headers)
        headers.popall(name, None)
        if value is not None:
            headers.add(name, value)
        return dataclasses.replace(self, headers=headers)


def verify(wire: Wire, **kwargs: Any) -> SigningContext:
    kwargs.setdefault("secret_for", SECRETS.get)
    kwargs.setdefault("region", REGION)
    return verify_request(
        wire.method, wire.path, wire.query, CIMultiDictProxy(wire.headers), **kwargs
    )


def error_code(wire: Wire, **kwargs: Any) -> str:
    with pytest.raises(S3Error) as info:
        verify(wire, **kwargs)
    return info.value.code


def botocore_signed(
    method: str,
    target: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    data: bytes = b"",
    region: str = REGION,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET,
    context: dict[str, Any] | None = None,
    auth: type[S3SigV4Auth] = S3SigV4Auth,
) -> Wire:
    """Sign with botocore, then hand over what an HTTP client would put on the wire."""
    request = AWSRequest(method=method, url=ENDPOINT + target, data=data)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeats stay repeats
    request.context.update(context or {})
    auth(Credentials(access_key, secret), "s3", region).add_auth(request)
    url = urlsplit(request.url)
    wire = CIMultiDict(request.headers.items())
    if "Host" not in wire:
        wire["Host"] = url.netloc  # botocore signs the host it expects the HTTP client to send
    return Wire(method, url.path, url.query, wire)


def signing_key(secret: str, date: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def key_path(bucket: str, key: str, safe: str = "/~") -> str:
    # botocore's serializer keeps '/' and '~'; some clients encode '/' in keys as %2F.
    return f"/{bucket}/" + quote(key, safe=safe)


def signature_of(wire: Wire) -> str:
    return wire.headers["Authorization"].rsplit("Signature=", 1)[1]


def doc_request(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    signed_headers: str,
    signature: str,
) -> Wire:
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={DOC_ACCESS_KEY}/{DOC_SCOPE},"
        f"SignedHeaders={signed_headers},Signature={signature}"
    )
    return Wire(method, path, query, CIMultiDict({**headers, "Authorization": authorization}))


# --- the AWS documentation's worked examples -------------------------------------------------

DOC_HOST = {"Host": "examplebucket.s3.amazonaws.com"}
DOC_EMPTY = {"x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": DOC_DATE}
DOC_CHUNKED = {
    "Host": "s3.amazonaws.com",
    "x-amz-date": DOC_DATE,
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "Content-Encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "Content-Length": "66824",
}
DOC_CHUNKED_SIGNED = (
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-storage-class"
)
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"


def doc_chunked_put() -> Wire:
    path = "/examplebucket/chunkObject.txt"
    return doc_request("PUT", path, "", DOC_CHUNKED, DOC_CHUNKED_SIGNED, DOC_SEED)


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "signed", "signature"),
    [
        pytest.param(
            "GET",
            "/test.txt",
            "",
            {**DOC_HOST, "Range": "bytes=0-9", **DOC_EMPTY},
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            id="GetObject",
        ),
        pytest.param(
            "PUT",
            "/test$file.text",  # sent unencoded: '$' must be re-encoded as %24
            "",
            {
                **DOC_HOST,
                "Date": "Fri, 24 May 2013 00:00:00 GMT",
                "x-amz-date": DOC_DATE,
                "x-amz-storage-class": "REDUCED_REDUNDANCY",
                "x-amz-content-sha256": hashlib.sha256(b"Welcome to Amazon S3.").hexdigest(),
            },
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            id="PutObject",
        ),
        pytest.param(
            "GET",
            "/",
            "lifecycle",
            {**DOC_HOST, **DOC_EMPTY},
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            id="GetBucketLifecycle",
        ),
        pytest.param(
            "GET",
            "/",
            "prefix=J&max-keys=2",  # out of order on the wire; canonical form sorts
            {**DOC_HOST, **DOC_EMPTY},
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            id="ListObjects",
        ),
        pytest.param(
            "PUT",
            "/examplebucket/chunkObject.txt",
            "",
            DOC_CHUNKED,
            DOC_CHUNKED_SIGNED,
            DOC_SEED,
            id="chunked-PutObject-seed",
        ),
    ],
)
def test_aws_doc_examples_verify(
    method: str, path: str, query: str, headers: dict[str, str], signed: str, signature: str
) -> None:
    wire = doc_request(method, path, query, headers, signed, signature)
    ctx = verify(wire)
    assert ctx.seed_signature == signature
    assert ctx.amz_date == DOC_DATE
    assert ctx.scope == DOC_SCOPE
    assert ctx.access_key == DOC_ACCESS_KEY
    assert ctx.signing_key == signing_key(DOC_SECRET, "20130524", REGION)
    assert ctx.payload_hash == headers["x-amz-content-sha256"]

    wrong = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert error_code(doc_request(method, path, query, headers, signed, wrong)) == (
        "SignatureDoesNotMatch"
    )


def test_aws_doc_chunk_signatures_chain_from_the_seed() -> None:
    ctx = verify(doc_chunked_put())
    expected = [
        (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
        (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ]
    previous = ctx.seed_signature
    for size, signature in expected:
        chunk_hash = hashlib.sha256(b"a" * size).hexdigest()
        previous = sign(ctx, chunk_string_to_sign(ctx, previous, chunk_hash))
        assert previous == signature


def test_aws_doc_trailer_signature_chains_from_the_final_chunk() -> None:
    # The trailer example's seed signature is taken as given; its chain and trailer are checked.
    ctx = SigningContext(
        access_key=DOC_ACCESS_KEY,
        amz_date=DOC_DATE,
        scope=DOC_SCOPE,
        signing_key=signing_key(DOC_SECRET, "20130524", REGION),
        seed_signature="106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
        payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    )
    previous = ctx.seed_signature
    for size, signature in [
        (65536, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"),
        (1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"),
        (0, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"),
    ]:
        previous = sign(
            ctx, chunk_string_to_sign(ctx, previous, hashlib.sha256(b"a" * size).hexdigest())
        )
        assert previous == signature
    trailer_hash = hashlib.sha256(b"x-amz-checksum-crc32c:sOO8/Q==\n").hexdigest()
    assert sign(ctx, trailer_string_to_sign(ctx, previous, trailer_hash)) == (
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    )


def test_chunk_string_to_sign_layout() -> None:
    ctx = SigningContext(ACCESS_KEY, DOC_DATE, DOC_SCOPE, b"k", "seed", "x")
    assert chunk_string_to_sign(ctx, "prev", "chunk").split("\n") == [
        "AWS4-HMAC-SHA256-PAYLOAD", DOC_DATE, DOC_SCOPE, "prev", EMPTY_SHA256, "chunk"
    ]  # fmt: skip
    assert trailer_string_to_sign(ctx, "prev", "trailer").split("\n") == [
        "AWS4-HMAC-SHA256-TRAILER", DOC_DATE, DOC_SCOPE, "prev", "trailer"
    ]  # fmt: skip


def test_signing_key_is_not_in_the_repr() -> None:
    ctx = SigningContext(ACCESS_KEY, DOC_DATE, DOC_SCOPE, b"very-secret-key", "seed", "x")
    assert "very-secret-key" not in repr(ctx)


# --- canonical forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", "/"),
        ("/", "/"),
        ("/bkt/a%20b", "/bkt/a%20b"),
        ("/bkt/a b", "/bkt/a%20b"),
        ("/test$file.text", "/test%24file.text"),
        ("/bkt/a%2fb", "/bkt/a%2Fb"),
        ("/bkt/a+b", "/bkt/a%2Bb"),
        ("/bkt/~-._", "/bkt/~-._"),
        ("/bkt/%7E", "/bkt/~"),
        ("/bkt/%zz%", "/bkt/%25zz%25"),
        ("/bkt//./../x/", "/bkt//./../x/"),
        ("/bkt/%C3%A9/é", "/bkt/%C3%A9/%C3%A9"),
    ],
)
def test_canonical_uri(raw: str, canonical: str) -> None:
    assert canonical_uri(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", ""),
        ("uploads", "uploads="),
        ("uploads=", "uploads="),
        ("partNumber=1&uploadId=abc%2Bd", "partNumber=1&uploadId=abc%2Bd"),
        ("uploadId=a+b", "uploadId=a%2Bb"),  # '+' is a plus, not a space
        ("prefix=a b", "prefix=a%20b"),
        ("prefix=a/b&delimiter=/", "delimiter=%2F&prefix=a%2Fb"),
        ("b=2&a=2&a=1&B=0", "B=0&a=1&a=2&b=2"),
        ("a=%7e&x=%2a", "a=~&x=%2A"),
        ("a=b=c", "a=b%3Dc"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("%zz=%", "%25zz=%25"),
    ],
)
def test_canonical_query(raw: str, canonical: str) -> None:
    assert canonical_query(raw) == canonical


def test_canonical_query_can_leave_out_a_parameter() -> None:
    query = "X-Amz-Signature=abc&b=1&X-Amz-Signature=def&X%2DAmz%2DSignature=x&a=2"
    assert canonical_query(query, exclude="X-Amz-Signature") == "a=2&b=1"
    assert canonical_query("x-amz-signature=1", exclude="X-Amz-Signature") == ("x-amz-signature=1")


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        ("", []),
        ("uploads", [("uploads", None)]),
        ("uploads=", [("uploads", "")]),
        ("a=1&&b", [("a", "1"), ("b", None)]),
        ("k=a+b%2Bc%20d", [("k", "a+b+c d")]),
        ("%41=%C3%A9&x=y=z", [("A", "é"), ("x", "y=z")]),
        ("bad=%ff", [("bad", "\udcff")]),
    ],
)
def test_query_pairs(raw: str, pairs: list[tuple[str, str | None]]) -> None:
    assert query_pairs(raw) == pairs


# --- requests signed by botocore verify -------------------------------------------------------

KEYS = [
    "plain.txt",
    "with space/and  two",
    "ünïcödé/日本語/😀",
    "a+b",
    "tilde~key",
    "a=b&c=d",
    "100%",
    "%2F-literal-percent-2F",
    "!$'()*,;:@[]",
    "dots/./and/../stay",
    "double//slash/",
    "trailing space ",
]


@pytest.mark.parametrize("safe", ["/~", "~"])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("method", "query", "data"),
    [
        ("GET", "", b""),
        ("HEAD", "", b""),
        ("PUT", "", b"hello"),
        ("DELETE", "", b""),
        ("POST", "uploads", b""),
        ("POST", "uploads=", b""),
        ("PUT", "partNumber=1&uploadId=abc%2Bd", b"part body"),
        ("POST", "uploadId=abc%2Bd", b"<CompleteMultipartUpload/>"),
        ("GET", "uploadId=x&max-parts=2&part-number-marker=", b""),
    ],
)
def test_botocore_signed_object_requests_verify(
    key: str, method: str, query: str, data: bytes, safe: str
) -> None:
    target = key_path("bkt", key, safe) + (f"?{query}" if query else "")
    wire = botocore_signed(method, target, data=data)
    ctx = verify(wire)
    assert ctx.seed_signature == signature_of(wire)
    assert ctx.payload_hash == hashlib.sha256(data).hexdigest()
    assert ctx.access_key == ACCESS_KEY
    assert ctx.amz_date == wire.headers["X-Amz-Date"]
    assert ctx.scope == f"{ctx.amz_date[:8]}/{REGION}/s3/aws4_request"


@pytest.mark.parametrize(
    "query",
    [
        "list-type=2&prefix=a%2Fb&delimiter=%2F",
        "list-type=2&prefix=&delimiter=&continuation-token=",
        "uploads&prefix=%E6%97%A5%20x&key-marker=a%2Bb",
        "versions&prefix=a%3Db%26c",
        "prefix=z&prefix=a",  # repeated names sort by value
        "location",
        "",
    ],
)
def test_botocore_signed_bucket_requests_verify(query: str) -> None:
    wire = botocore_signed("GET", "/bkt" + (f"?{query}" if query else ""))
    assert verify(wire).seed_signature == signature_of(wire)


def test_unsigned_payload_verifies() -> None:
    wire = botocore_signed(
        "PUT",
        "/bkt/key",
        data=b"body",
        context={"client_config": Config(s3={"payload_signing_enabled": False})},
    )
    assert wire.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert verify(wire).payload_hash == "UNSIGNED-PAYLOAD"


def test_streaming_unsigned_trailer_verifies() -> None:
    wire = botocore_signed(
        "PUT",
        "/bkt/key",
        data=b"body",
        context={"checksum": {"request_algorithm": {"in": "trailer", "name": "crc32"}}},
    )
    assert verify(wire).payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def fixed_payload(value: str) -> type[S3SigV4Auth]:
    class FixedPayload(S3SigV4Auth):
        def payload(self, request: AWSRequest) -> str:
            return value

    return FixedPayload


@pytest.mark.parametrize(
    "value",
    [
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        EMPTY_SHA256,
        EMPTY_SHA256.upper(),
    ],
)
def test_every_content_sha256_form_is_accepted(value: str) -> None:
    wire = botocore_signed("PUT", "/bkt/key", auth=fixed_payload(value))
    assert verify(wire).payload_hash == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        EMPTY_SHA256[:-1],
        EMPTY_SHA256 + "0",
        "g" * 64,
        "UNSIGNED",
        "unsigned-payload",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD ",
    ],
)
def test_bad_content_sha256_is_invalid_argument(value: str) -> None:
    wire = botocore_signed("PUT", "/bkt/key", auth=fixed_payload(value))
    assert error_code(wire) == "InvalidArgument"


def test_missing_content_sha256_is_invalid_request() -> None:
    wire = botocore_signed("GET", "/bkt/key").with_header("x-amz-content-sha256", None)
    assert error_code(wire) == "InvalidRequest"


def test_date_header_alone_verifies() -> None:
    # botocore signs with Date instead of x-amz-date when the caller set a Date header.
    wire = botocore_signed("GET", "/bkt/key", headers=[("Date", "placeholder")])
    assert "X-Amz-Date" not in wire.headers
    ctx = verify(wire)
    assert datetime.strptime(ctx.amz_date, "%Y%m%dT%H%M%SZ")  # ISO basic, derived from Date


class DateWithOffset(S3SigV4Auth):
    """Sends the signing instant in the Date header, spelled two hours east of UTC."""

    def _set_necessary_date_headers(self, request: AWSRequest) -> None:
        instant = datetime.strptime(request.context["timestamp"], "%Y%m%dT%H%M%SZ")
        local = instant.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
        request.headers["Date"] = local.strftime("%a, %d %b %Y %H:%M:%S +0200")


def test_date_header_with_offset_is_read_as_utc() -> None:
    wire = botocore_signed("GET", "/bkt/key", auth=DateWithOffset)
    assert wire.headers["Date"].endswith("+0200")
    assert "X-Amz-Date" not in wire.headers
    ctx = verify(wire)
    signed_at = datetime.strptime(ctx.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert verify(wire, now=signed_at + timedelta(minutes=1)) == ctx
    assert error_code(wire, now=signed_at + timedelta(hours=2)) == "RequestTimeTooSkewed"


def test_repeated_and_spaced_headers_verify() -> None:
    wire = botocore_signed(
        "PUT",
        "/bkt/key",
        headers=[
            ("x-amz-meta-list", " one "),
            ("x-amz-meta-list", "two   three"),
            ("x-amz-meta-tab", "a\t\tb"),
            ("Content-Type", "text/plain"),
        ],
    )
    assert wire.headers.getall("x-amz-meta-list") == [" one ", "two   three"]
    assert verify(wire).seed_signature == signature_of(wire)


@pytest.mark.parametrize("kind", ["dict", "botocore"])
def test_headers_may_be_any_mapping_with_items(kind: str) -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/bkt/key", data=b"")
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET), "s3", REGION).add_auth(request)
    request.headers["Host"] = "s3.example.test:9000"
    headers: Any = request.headers
    if kind == "dict":
        headers = {name.lower(): value for name, value in request.headers.items()}
    ctx = verify_request("GET", "/bkt/key", "", headers, secret_for=SECRETS.get, region=REGION)
    assert ctx.access_key == ACCESS_KEY


def test_unsigned_ordinary_headers_are_ignored() -> None:
    # botocore does not sign these, and HTTP clients add Content-Type after signing.
    wire = botocore_signed("GET", "/bkt/key", headers=[("User-Agent", "boto"), ("Expect", "x")])
    wire = wire.with_header("Content-Type", "application/octet-stream")
    wire = wire.with_header("X-Amzn-Trace-Id", "Root=1")
    assert verify(wire).seed_signature == signature_of(wire)


# --- errors -----------------------------------------------------------------------------------


def signed_get() -> Wire:
    return botocore_signed("GET", "/bkt/key?uploadId=u1", headers=[("x-amz-meta-a", "1")])


def with_authorization(wire: Wire, old: str, new: str) -> Wire:
    return wire.with_header("Authorization", wire.headers["Authorization"].replace(old, new, 1))


def test_missing_authorization_is_access_denied() -> None:
    assert error_code(signed_get().with_header("Authorization", None)) == "AccessDenied"


def test_sigv2_is_invalid_request() -> None:
    wire = signed_get().with_header("Authorization", f"AWS {ACCESS_KEY}:c2lnbmF0dXJl")
    assert error_code(wire) == "InvalidRequest"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc",
        "Basic dXNlcjpwYXNz",
        "AWS4-ECDSA-P256-SHA256 Credential=x",
        "aws4-hmac-sha256 Credential=x",
        "AWS4-HMAC-SHA25 Credential=x",
        "AWS4-HMAC-SHA256Credential=x",
        "AWS",
        "garbage",
        "",
    ],
)
def test_unknown_authorization_scheme_is_invalid_argument(authorization: str) -> None:
    # S3's own answer for schemes it does not know: github.com/versity/versitygw/issues/1512
    wire = signed_get().with_header("Authorization", authorization)
    with pytest.raises(S3Error) as info:
        verify(wire)
    assert info.value.code == "InvalidArgument"
    assert info.value.fields["ArgumentName"] == "Authorization"


@pytest.mark.parametrize(
    "authorization",
    ["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 garbage", "AWS4-HMAC-SHA256 ,"],
)
def test_garbage_sigv4_authorization_is_malformed(authorization: str) -> None:
    wire = signed_get().with_header("Authorization", authorization)
    assert error_code(wire) == "AuthorizationHeaderMalformed"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Credential=", "Credentials="),
        ("Credential=", "Foo=1, Credential="),
        ("SignedHeaders=", "Signedheaders="),
        ("Signature=", "Sig="),
        (", Signature=", ", SignedHeaders=host, Signature="),
        ("/s3/", "/s3/extra/"),
        (f"{ACCESS_KEY}/", ""),
        ("/s3/", "/ec2/"),
        ("/aws4_request", "/aws4_requests"),
        ("/aws4_request", "/aws4_request/more"),
        ("SignedHeaders=", "SignedHeaders=;"),
        (f"{ACCESS_KEY}/2", f"{ACCESS_KEY}/x2"),
    ],
)
def test_mangled_authorization_is_malformed(old: str, new: str) -> None:
    assert error_code(with_authorization(signed_get(), old, new)) == (
        "AuthorizationHeaderMalformed"
    )


@pytest.mark.parametrize("dropped", ["Credential", "SignedHeaders", "Signature"])
def test_authorization_missing_a_component_is_malformed(dropped: str) -> None:
    wire = signed_get()
    components = wire.headers["Authorization"].removeprefix("AWS4-HMAC-SHA256 ").split(", ")
    kept = [part for part in components if not part.startswith(dropped + "=")]
    assert len(kept) == 2
    wire = wire.with_header("Authorization", "AWS4-HMAC-SHA256 " + ", ".join(kept))
    assert error_code(wire) == "AuthorizationHeaderMalformed"


def test_repeated_authorization_is_malformed() -> None:
    wire = signed_get()
    wire.headers.add("Authorization", wire.headers["Authorization"])
    assert error_code(wire) == "AuthorizationHeaderMalformed"


def test_wrong_region_is_malformed_and_names_the_right_one() -> None:
    wire = botocore_signed("GET", "/bkt/key", region="eu-west-1")
    with pytest.raises(S3Error) as info:
        verify(wire)
    assert info.value.code == "AuthorizationHeaderMalformed"
    assert info.value.fields["Region"] == REGION
    assert verify(wire, region="eu-west-1").scope.endswith("/eu-west-1/s3/aws4_request")


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    wire = botocore_signed("GET", "/bkt/key", access_key="AKIDUNKNOWN")
    assert error_code(wire) == "InvalidAccessKeyId"


def test_wrong_secret_is_signature_does_not_match() -> None:
    wire = botocore_signed("GET", "/bkt/key", secret=SECRET + "x")
    assert error_code(wire) == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda w: dataclasses.replace(w, method="DELETE"), id="method"),
        pytest.param(lambda w: dataclasses.replace(w, path="/bkt/kez"), id="path"),
        pytest.param(lambda w: dataclasses.replace(w, path="/bkt//key"), id="path-slash"),
        pytest.param(lambda w: dataclasses.replace(w, path="/bkt/./key"), id="path-dot"),
        pytest.param(lambda w: dataclasses.replace(w, query="uploadId=u2"), id="query-value"),
        pytest.param(lambda w: dataclasses.replace(w, query=w.query + "&x=1"), id="query-extra"),
        pytest.param(lambda w: dataclasses.replace(w, query=""), id="query-dropped"),
        pytest.param(lambda w: w.with_header("x-amz-meta-a", "2"), id="signed-header"),
        pytest.param(lambda w: w.with_header("Host", "evil.test"), id="host"),
        pytest.param(
            lambda w: w.with_header("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), id="payload"
        ),
        pytest.param(lambda w: w.with_header("x-amz-meta-a", None), id="signed-header-absent"),
        pytest.param(lambda w: with_authorization(w, "Signature=", "Signature=A"), id="sig-long"),
        pytest.param(
            lambda w: with_authorization(w, "Signature=", "Signature=é"), id="sig-non-ascii"
        ),
    ],
)
def test_tampering_is_signature_does_not_match(tamper: Any) -> None:
    wire = signed_get()
    verify(wire)
    assert error_code(tamper(wire)) == "SignatureDoesNotMatch"


def test_uppercase_signature_is_signature_does_not_match() -> None:
    wire = signed_get()
    upper = with_authorization(wire, signature_of(wire), signature_of(wire).upper())
    assert error_code(upper) == "SignatureDoesNotMatch"


def test_unsigned_amz_header_is_access_denied() -> None:
    wire = signed_get()
    wire.headers.add("x-amz-meta-b", "added after signing")
    assert error_code(wire) == "AccessDenied"


def test_host_must_be_signed() -> None:
    wire = with_authorization(signed_get(), "SignedHeaders=host;", "SignedHeaders=")
    assert error_code(wire) == "AccessDenied"


def test_missing_dates_are_access_denied() -> None:
    assert error_code(signed_get().with_header("X-Amz-Date", None)) == "AccessDenied"


@pytest.mark.parametrize(
    "value",
    [
        "2013-05-24T00:00:00Z",
        "20130524T000000",
        "20131324T000000Z",
        "20130524T250000Z",
        "2013524T000000Z",
        "",
    ],
)
def test_malformed_amz_date_is_access_denied(value: str) -> None:
    assert error_code(signed_get().with_header("X-Amz-Date", value)) == "AccessDenied"


def test_malformed_date_header_is_access_denied() -> None:
    wire = signed_get().with_header("X-Amz-Date", None).with_header("Date", "yesterday")
    assert error_code(wire) == "AccessDenied"


def test_amz_date_outside_the_credential_day_is_malformed() -> None:
    wire = signed_get()
    signed_at = datetime.strptime(wire.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    other_day = (signed_at + timedelta(days=1)).strftime("%Y%m%dT%H%M%SZ")
    assert error_code(wire.with_header("X-Amz-Date", other_day)) == "AuthorizationHeaderMalformed"


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (timedelta(minutes=16), "RequestTimeTooSkewed"),
        (timedelta(minutes=-16), "RequestTimeTooSkewed"),
        (timedelta(days=3), "RequestTimeTooSkewed"),
        (timedelta(minutes=14), None),
        (timedelta(minutes=-14), None),
        (timedelta(0), None),
    ],
)
def test_clock_skew_is_checked_when_now_is_given(offset: timedelta, code: str | None) -> None:
    wire = signed_get()
    signed_at = datetime.strptime(wire.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    for now in (signed_at.replace(tzinfo=UTC) + offset, signed_at + offset):  # aware and naive
        if code is None:
            assert verify(wire, now=now).amz_date == wire.headers["X-Amz-Date"]
        else:
            assert error_code(wire, now=now) == code


def test_clock_skew_is_not_checked_by_default() -> None:
    wire = doc_chunked_put()
    assert verify(wire).amz_date == DOC_DATE  # signed in 2013
    assert error_code(wire, now=datetime.now(UTC)) == "RequestTimeTooSkewed"


# --- property: whatever botocore signs verifies, and any one-character change does not --------

_SPECIAL = st.sampled_from(
    ["%", "%2F", "%25", "%zz", "%e2%82", " ", "  ", "+", "~", "=", "&", "?", "#", "/", "//",
     ".", "..", "é", "日本", "\U0001f600", "\t", ";", ":", "@", "*"]
)  # fmt: skip
_LONG = st.builds(
    lambda c, n: c * n, st.characters(exclude_categories=["Cs"]), st.integers(300, 1000)
)
object_keys = (
    st.lists(st.one_of(st.text(max_size=12), _SPECIAL, _LONG), min_size=1, max_size=6)
    .map("".join)
    .filter(bool)
)
query_parts = st.one_of(st.text(max_size=12), _SPECIAL)
query_params = st.lists(st.tuples(query_parts.filter(bool), st.none() | query_parts), max_size=5)
header_names = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=10)
header_values = st.text(  # what an HTTP header line can carry: visible ASCII, space and tab
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"), max_size=30
)
extra_headers = st.lists(
    st.tuples(header_names.map(lambda n: "x-amz-meta-" + n), header_values), max_size=5
)


def encode_query(params: list[tuple[str, str | None]]) -> str:
    return "&".join(
        quote(name, safe="-_.~") + ("" if value is None else "=" + quote(value, safe="-_.~"))
        for name, value in params
    )


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    key=object_keys,
    params=query_params,
    headers=extra_headers,
    safe=st.sampled_from(["/~", "~"]),
    position=st.integers(0, 63),
    shift=st.integers(1, 15),
)
def test_botocore_signed_requests_always_verify(
    method: str,
    key: str,
    params: list[tuple[str, str | None]],
    headers: list[tuple[str, str]],
    safe: str,
    position: int,
    shift: int,
) -> None:
    query = encode_query(params)
    wire = botocore_signed(
        method, key_path("bkt", key, safe) + (f"?{query}" if query else ""), headers=headers
    )
    signature = signature_of(wire)
    assert verify(wire).seed_signature == signature

    flipped = "0123456789abcdef"[(int(signature[position], 16) + shift) % 16]
    bad = signature[:position] + flipped + signature[position + 1 :]
    assert error_code(with_authorization(wire, "Signature=" + signature, "Signature=" + bad)) == (
        "SignatureDoesNotMatch"
    )


def _strptime_request_time(amz_date: str) -> tuple[datetime, str] | None:
    """What _request_time answered when it parsed x-amz-date with strptime."""
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return when, when.strftime("%Y%m%dT%H%M%SZ")


@settings(max_examples=300)
@given(
    st.one_of(
        st.from_regex(r"\d{8}T\d{6}Z", fullmatch=True),
        st.builds(
            lambda d: d.strftime("%Y%m%dT%H%M%SZ").zfill(16),
            st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        ),
    )
)
def test_request_time_x_amz_date_as_strptime_read_it(amz_date: str) -> None:
    expected = _strptime_request_time(amz_date)
    if expected is None:
        with pytest.raises(S3Error) as refused:
            sigv4._request_time({"x-amz-date": [amz_date]})
        assert refused.value.code == "AccessDenied"
    else:
        assert sigv4._request_time({"x-amz-date": [amz_date]}) == expected
