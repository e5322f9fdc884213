"""SigV2 presigned URLs (?AWSAccessKeyId=..&Expires=..&Signature=..) against the worked examples
of the AWS page and botocore's own presigner (HmacV1QueryAuth, what boto3 produces for a client
with an endpoint_url and no signature_version).

https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from botocore.auth import HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from server.sigv2 import (
    PARAMETERS,
    SUBRESOURCES,
    signature,
    signed_like_a_header,
    string_to_sign,
    verify_presigned,
)
from server.sigv4 import SigningContext
from storage import S3Error
from tests.server.test_sigv4 import (
    ACCESS_KEY,
    DOC_ACCESS_KEY,
    DOC_SECRET,
    ENDPOINT,
    KEYS,
    SECRET,
    SECRETS,
    Wire,
    key_path,
    object_keys,
)


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def verify(wire: Wire, now: datetime, **kwargs: Any) -> SigningContext:
    kwargs.setdefault("secret_for", SECRETS.get)
    return verify_presigned(
        wire.method, wire.path, wire.query, CIMultiDictProxy(wire.headers), now=now, **kwargs
    )


def error(wire: Wire, now: datetime, **kwargs: Any) -> S3Error:
    with pytest.raises(S3Error) as info:
        verify(wire, now, **kwargs)
    return info.value


def with_param(query: str, name: str, value: str | None) -> str:
    kept = [part for part in query.split("&") if part.partition("=")[0] != name]
    if value is not None:
        kept.append(f"{name}={quote(value, safe='')}")
    return "&".join(kept)


def param(query: str, name: str) -> str:
    return unquote(dict(p.split("=", 1) for p in query.split("&") if "=" in p)[name])


def presigned(
    method: str,
    target: str,
    *,
    expires: int = 3600,
    headers: Sequence[tuple[str, str]] = (),
    token: str | None = None,
) -> tuple[Wire, int]:
    """A URL presigned by botocore's SigV2 presigner as the server receives it, and its
    Expires (epoch seconds). Headers botocore moved into the query are not sent."""
    request = AWSRequest(method=method, url=ENDPOINT + target)
    for name, value in headers:
        request.headers[name] = value
    HmacV1QueryAuth(Credentials(ACCESS_KEY, SECRET, token), expires=expires).add_auth(request)
    url = urlsplit(request.url)
    wire = Wire(method, url.path, url.query, CIMultiDict({"Host": url.netloc}))
    return wire, int(param(url.query, "Expires"))


# --- the AWS page's worked examples ------------------------------------------------------------

# Each: (method, path-style path, query, headers, date line, StringToSign, signature). The
# page's requests are virtual-hosted; the path-style form has the same CanonicalizedResource.
DOC_EXAMPLES = {
    "object-get": (
        "GET", "/johnsmith/photos/puppy.jpg", "", {}, "Tue, 27 Mar 2007 19:36:42 +0000",
        "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
        "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
    ),
    "object-get-awsexamplebucket1": (  # the page's newer edition
        "GET", "/awsexamplebucket1/photos/puppy.jpg", "", {}, "Tue, 27 Mar 2007 19:36:42 +0000",
        "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
        "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
    ),
    "object-put": (
        "PUT", "/johnsmith/photos/puppy.jpg", "",
        {"Content-Type": "image/jpeg", "Content-Length": "94328"},
        "Tue, 27 Mar 2007 21:15:45 +0000",
        "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
        "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
    ),
    "list": (
        "GET", "/johnsmith/", "prefix=photos&max-keys=50&marker=puppy",
        {"User-Agent": "Mozilla/5.0"}, "Tue, 27 Mar 2007 19:42:41 +0000",
        "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
        "htDYFYduRNen8P9ZfE/s9SuKy0U=",
    ),
    "fetch-acl": (
        "GET", "/johnsmith/", "acl", {}, "Tue, 27 Mar 2007 19:44:46 +0000",
        "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
        "c2WLPFtWHVgbEmeEG93a4cG37dM=",
    ),
    "upload": (
        "PUT", "/static.johnsmith.net/db-backup.dat.gz", "",
        CIMultiDict([
            ("User-Agent", "curl/7.15.5"),
            ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"),
            ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
            ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"),
            ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("Content-Disposition", "attachment; filename=database.dat"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "5913339"),
        ]),
        "Tue, 27 Mar 2007 21:06:08 +0000",
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
        "Tue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\n"
        "x-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
        "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
        "/static.johnsmith.net/db-backup.dat.gz",
        "ilyl83RwaSoYIEdixDQcA4OnAnc=",
    ),
    "list-all-my-buckets": (
        "GET", "/", "", {}, "Wed, 28 Mar 2007 01:29:59 +0000",
        "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
        "qGdzdERIC03wnaRNKh6OqZehG9s=",
    ),
    "unicode-keys": (  # the path is signed literally: %C3 and %c3 both stay as sent
        "GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "", {},
        "Wed, 28 Mar 2007 01:49:49 +0000",
        "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
        "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
    ),
    "query-string-auth": (
        "GET", "/johnsmith/photos/puppy.jpg",
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139620",
        {}, "1175139620",
        "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg",
        "NpgCjnDzrM+WFzoENXmpNDUsSn8=",
    ),
}  # fmt: skip
# Left out: the page's "Delete" example puts x-amz-date in the date line and leaves it out of
# the x-amz-* headers, which its own text contradicts; it concerns header signing only.


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_aws_doc_examples_string_to_sign_and_signature(name: str) -> None:
    method, path, query, headers, date, expected, sig = DOC_EXAMPLES[name]
    text = string_to_sign(method, path, query, CIMultiDict(headers), date)
    assert text == expected
    assert signature(DOC_SECRET, text) == sig


def test_bucket_only_path_is_signed_as_the_bucket_with_a_slash() -> None:
    """What the virtual-hosted form signs, and what botocore signs for path-style URLs."""
    assert string_to_sign("GET", "/bkt", "uploads", {}, "9").endswith("\n9\n/bkt/?uploads")
    assert string_to_sign("GET", "/bkt/", "", {}, "9").endswith("\n9\n/bkt/")
    assert string_to_sign("GET", "/bkt", "", {}, "9", literal_path=True).endswith("\n9\n/bkt")
    assert string_to_sign("GET", "/", "", {}, "9").endswith("\n9\n/")
    assert string_to_sign("GET", "", "", {}, "9").endswith("\n9\n/")


@pytest.mark.parametrize("signed_path", ["/bkt/", "/bkt"])
def test_bucket_only_path_verifies_signed_either_way(signed_path: str) -> None:
    text = f"GET\n\n\n2000000000\n{signed_path}?uploads"
    query = f"uploads&AWSAccessKeyId={ACCESS_KEY}&Expires=2000000000"
    query += "&Signature=" + quote(signature(SECRET, text), safe="")
    wire = Wire("GET", "/bkt", query, CIMultiDict({"Host": "h"}))
    assert verify(wire, at(1999999999)).access_key == ACCESS_KEY
    assert error(dataclasses.replace(wire, path="/bkt2"), at(1999999999)).code == (
        "SignatureDoesNotMatch"
    )


DOC_QUERY_URL = Wire(
    "GET",
    "/johnsmith/photos/puppy.jpg",
    "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
    "&Expires=1175139620",
    CIMultiDict({"Host": "s3.amazonaws.com"}),
)


@pytest.mark.parametrize("now", [0, 1175139620 - 86400 * 365, 1175139619, 1175139620])
def test_aws_doc_query_example_verifies_until_it_expires(now: int) -> None:
    ctx = verify(DOC_QUERY_URL, at(now))
    assert (ctx.access_key, ctx.seed_signature) == (DOC_ACCESS_KEY, "NpgCjnDzrM+WFzoENXmpNDUsSn8=")
    assert ctx.payload_hash == "UNSIGNED-PAYLOAD"  # SigV2 never signs a payload


@pytest.mark.parametrize("now", [1175139621, 1175139620 + 86400 * 365])
def test_aws_doc_query_example_expired(now: int) -> None:
    err = error(DOC_QUERY_URL, at(now))
    assert (err.code, err.status) == ("AccessDenied", 403)
    assert err.fields["Expires"] == "2007-03-29T03:40:20Z"
    assert err.fields["ServerTime"] == at(now).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_aws_doc_query_example_expires_a_fraction_after() -> None:
    assert error(DOC_QUERY_URL, at(1175139620) + timedelta(milliseconds=1)).code == "AccessDenied"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda w: dataclasses.replace(w, method="PUT"), id="method"),
        pytest.param(lambda w: dataclasses.replace(w, method="HEAD"), id="method-head"),
        pytest.param(lambda w: dataclasses.replace(w, path="/johnsmith/photos/kitten.jpg"),
                     id="path"),
        pytest.param(lambda w: dataclasses.replace(w, path="/johnsmith/photos/puppy%2Ejpg"),
                     id="path-encoding"),  # signed literally, so a respelling is another path
        pytest.param(lambda w: dataclasses.replace(w, query=w.query + "&uploads"),
                     id="subresource-added"),
        pytest.param(lambda w: dataclasses.replace(w, query=w.query + "&response-expires=0"),
                     id="override-added"),
        pytest.param(lambda w: dataclasses.replace(
            w, query=with_param(w.query, "Expires", "1175139621")), id="expires"),
        pytest.param(lambda w: dataclasses.replace(
            w, query=with_param(w.query, "Signature", "NpgCjnDzrM+WFzoENXmpNDUsSn9=")),
            id="signature"),
        pytest.param(lambda w: w.with_header("Content-Type", "text/plain"), id="content-type"),
        pytest.param(lambda w: w.with_header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
                     id="content-md5"),
        pytest.param(lambda w: w.with_header("x-amz-meta-late", "1"), id="amz-header"),
        pytest.param(lambda w: dataclasses.replace(w, query=w.query + "&x-amz-acl=private"),
                     id="amz-query"),
    ],
)  # fmt: skip
def test_tampered_doc_query_example_is_signature_does_not_match(tamper: Any) -> None:
    err = error(tamper(DOC_QUERY_URL), at(1175139000))
    assert (err.code, err.status) == ("SignatureDoesNotMatch", 403)


def test_other_query_parameters_are_not_signed() -> None:
    """SigV2 signs only the sub-resources: other parameters may be added (AWS's semantics)."""
    wire = dataclasses.replace(DOC_QUERY_URL, query=DOC_QUERY_URL.query + "&prefix=x&x-id=Get")
    assert verify(wire, at(1175139000)).access_key == DOC_ACCESS_KEY


@pytest.mark.parametrize("missing", ["AWSAccessKeyId", "Expires", "Signature"])
def test_missing_parameter_is_access_denied(missing: str) -> None:
    for query in (
        with_param(DOC_QUERY_URL.query, missing, None),
        with_param(DOC_QUERY_URL.query, missing, None) + f"&{missing}",
        with_param(DOC_QUERY_URL.query, missing, ""),
    ):
        err = error(dataclasses.replace(DOC_QUERY_URL, query=query), at(0))
        assert (err.code, err.status) == ("AccessDenied", 403)


@pytest.mark.parametrize("expires", ["soon", "1175139620.5", "2007-03-29", "1e9", " 1", "+1"])
def test_expires_that_is_not_epoch_seconds_is_access_denied(expires: str) -> None:
    wire = dataclasses.replace(
        DOC_QUERY_URL, query=with_param(DOC_QUERY_URL.query, "Expires", expires)
    )
    assert error(wire, at(0)).code == "AccessDenied"


def test_negative_and_huge_expires_are_read_as_numbers() -> None:
    past = dataclasses.replace(
        DOC_QUERY_URL, query=with_param(DOC_QUERY_URL.query, "Expires", "-1")
    )
    assert error(past, at(0)).code == "AccessDenied"  # expired
    far = dataclasses.replace(
        DOC_QUERY_URL, query=with_param(DOC_QUERY_URL.query, "Expires", "9" * 20)
    )
    assert error(far, at(0)).code == "SignatureDoesNotMatch"  # in time, but not what was signed


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    err = error(DOC_QUERY_URL, at(0), secret_for={}.get)
    assert (err.code, err.status) == ("InvalidAccessKeyId", 403)


def test_expiry_is_checked_before_the_key_and_signature() -> None:
    assert error(DOC_QUERY_URL, at(1175139621), secret_for={}.get).code == "AccessDenied"


# --- URLs presigned by botocore ----------------------------------------------------------------

OPERATIONS = [
    ("GET", ""),
    ("HEAD", ""),
    ("PUT", ""),
    ("DELETE", ""),
    ("POST", "uploads"),
    ("PUT", "uploadId=abc%2Bd&partNumber=1"),
    ("POST", "uploadId=abc%2Bd"),
    ("DELETE", "uploadId=abc%2Bd"),
    ("GET", "uploadId=x&max-parts=2&part-number-marker="),
    ("GET", "response-content-type=text%2Fplain&response-content-disposition=a%3B%20b%3D%22c%22"),
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("method", "query"), OPERATIONS)
def test_botocore_presigned_object_requests_verify(key: str, method: str, query: str) -> None:
    wire, expires = presigned(method, key_path("bkt", key) + (f"?{query}" if query else ""))
    ctx = verify(wire, at(expires - 3600))
    assert ctx.access_key == ACCESS_KEY
    assert verify(wire, at(expires)) == ctx
    assert error(wire, at(expires + 1)).code == "AccessDenied"
    for tampered in (
        dataclasses.replace(wire, method="PATCH"),
        dataclasses.replace(wire, path=wire.path + "x"),
        dataclasses.replace(wire, query=with_param(wire.query, "Expires", str(expires + 1))),
        dataclasses.replace(wire, query=wire.query + "&versionId=1"),
    ):
        assert error(tampered, at(expires - 3600)).code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("original", "tampered"),
    [
        ("uploadId=abc&partNumber=1", "uploadId=abc&partNumber=2"),
        ("uploadId=abc&partNumber=1", "uploadId=abd&partNumber=1"),
        ("uploadId=abc&partNumber=1", "partNumber=1"),
        ("uploads", "uploads=x"),
        ("response-content-type=a", "response-content-type=b"),
    ],
)
def test_changed_subresource_is_signature_does_not_match(original: str, tampered: str) -> None:
    wire, expires = presigned("PUT", f"/bkt/key?{original}")
    swapped = dataclasses.replace(wire, query=wire.query.replace(original, tampered, 1))
    assert error(swapped, at(expires - 10)).code == "SignatureDoesNotMatch"


def test_security_token_is_accepted_and_signed() -> None:
    wire, expires = presigned("GET", "/bkt/key", token="session/token+value==")
    assert param(wire.query, "x-amz-security-token") == "session/token+value=="
    assert verify(wire, at(expires)).access_key == ACCESS_KEY
    tampered = with_param(wire.query, "x-amz-security-token", "another")
    assert error(dataclasses.replace(wire, query=tampered), at(expires)).code == (
        "SignatureDoesNotMatch"
    )


def test_headers_botocore_moves_into_the_query_are_signed() -> None:
    """put_object with ContentType and Metadata: botocore signs them and moves them into the
    query. The request verifies without those headers or with the same values as headers;
    different header values do not."""
    headers = [("Content-Type", "text/plain"), ("x-amz-meta-color", "red")]
    wire, expires = presigned("PUT", "/bkt/key", headers=headers)
    assert param(wire.query, "content-type") == "text/plain"
    assert param(wire.query, "x-amz-meta-color") == "red"
    now = at(expires)
    assert verify(wire, now).access_key == ACCESS_KEY
    same = wire.with_header("Content-Type", "text/plain").with_header("x-amz-meta-color", "red")
    assert verify(same, now).access_key == ACCESS_KEY
    for name, value in [("Content-Type", "text/html"), ("x-amz-meta-color", "blue")]:
        assert error(wire.with_header(name, value), now).code == "SignatureDoesNotMatch"


def test_content_type_sent_but_not_signed_is_signature_does_not_match() -> None:
    """What urllib does to a PUT with a body: it adds Content-Type. SigV2 signs Content-Type, so
    a URL presigned without one must be used without one (or sign the type)."""
    wire, expires = presigned("PUT", "/bkt/key")
    assert verify(wire, at(expires)).access_key == ACCESS_KEY
    urlencoded = wire.with_header("Content-Type", "application/x-www-form-urlencoded")
    assert error(urlencoded, at(expires)).code == "SignatureDoesNotMatch"


# --- property: whatever botocore presigns verifies until it expires, and no tampering does -----

# Random names leave out those with a meaning of their own: the auth parameters, and x-amz-*,
# content-type and content-md5, which stand in for headers (botocore moves them there).
other_names = st.text(min_size=1, max_size=12).filter(
    lambda n: n not in PARAMETERS and not signed_like_a_header(n.lower())
)
subresource_params = st.lists(
    st.tuples(
        st.sampled_from(sorted(SUBRESOURCES)) | other_names,
        st.none() | st.text(max_size=20),
    ),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    key=object_keys,
    params=subresource_params,
    expires=st.integers(1, 10 * 365 * 86400),
    position=st.integers(0, 26),
)
def test_botocore_presigned_urls_always_verify(
    method: str,
    key: str,
    params: list[tuple[str, str | None]],
    expires: int,
    position: int,
) -> None:
    query = "&".join(
        quote(name, safe="-_.~") + ("" if value is None else "=" + quote(value, safe="-_.~"))
        for name, value in params
    )
    wire, expires_at = presigned(
        method, key_path("bkt", key) + (f"?{query}" if query else ""), expires=expires
    )
    sig = param(wire.query, "Signature")
    assert verify(wire, at(expires_at)).seed_signature == sig
    assert error(wire, at(expires_at + 1)).code == "AccessDenied"

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    flipped = alphabet[(alphabet.index(sig[position]) + 1) % 64]
    bad = sig[:position] + flipped + sig[position + 1 :]
    tampered = dataclasses.replace(wire, query=with_param(wire.query, "Signature", bad))
    assert error(tampered, at(expires_at)).code == "SignatureDoesNotMatch"
    other_key = dataclasses.replace(wire, path=wire.path + "x")
    assert error(other_key, at(expires_at)).code == "SignatureDoesNotMatch"
