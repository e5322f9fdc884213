"""Presigned URLs in the legacy SigV2 query form: ?AWSAccessKeyId=..&Expires=..&Signature=..

boto3's ``generate_presigned_url`` produces this form for a client with a custom endpoint_url
unless it is configured with ``signature_version="s3v4"`` (botocore/auth.py HmacV1QueryAuth), so
browser uploads built with a stock boto3 client arrive this way. SigV2 Authorization headers
stay refused (sigv4.py); only the query form is served.

    Signature    = Base64(HMAC-SHA1(secret, UTF-8(StringToSign)))
    StringToSign = METHOD \\n Content-MD5 \\n Content-Type \\n Expires \\n
                   CanonicalizedAmzHeaders CanonicalizedResource

https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html
(#RESTAuthenticationQueryStringAuth). Pure: strings in, a SigningContext or an S3Error out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime

from server.sigv4 import (
    UNSIGNED_PAYLOAD,
    HeaderItems,
    SigningContext,
    header_map,
    printable,
    query_pairs,
)
from storage import S3Error

# Any of these in the query makes the request a SigV2 presigned one, which then needs them all.
PARAMETERS = ("AWSAccessKeyId", "Expires", "Signature")
# The query parameters that are part of the signed resource ("sub-resources"): the AWS page's
# list (acl ... website, the response-* overrides, delete) as botocore signs it
# (HmacV1Auth.QSAOfInterest). Every other parameter is unsigned in SigV2.
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
        "partNumber", "policy", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "select", "select-type",
        "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
    }
)  # fmt: skip
_POSITIONAL = ("content-md5", "content-type")
_EXPIRES = re.compile(r"-?[0-9]{1,20}")
_ISO8601 = "%Y-%m-%dT%H:%M:%SZ"
_BUCKET_ONLY = re.compile(r"/[^/]+")


def string_to_sign(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: HeaderItems,
    date: str,
    *,
    literal_path: bool = False,
) -> str:
    """What the signature covers. ``date`` is the date line: for the query form, the Expires
    parameter as sent (the header form, which s3mpu refuses, would put the Date header there).

    Content-MD5, Content-Type and x-amz-* come from the headers; botocore moves them into the
    query of the URL it presigns (``content-type=..&x-amz-security-token=..``), so a query
    parameter of that name stands in for a header the request does not carry, as LocalStack
    reads it. The resource is the path exactly as sent (the page: "signed literally as they
    appear in the HTTP request, including URL-Encoding") and the sub-resources, sorted by name,
    with their values decoded ("When signing, you do not encode these values").
    """
    sent = header_map(headers)
    pairs = query_pairs(raw_query)
    fields = {name: [v.strip() for v in sent[name]] for name in sent}
    for name, value in pairs:
        lowered = name.lower()
        # A header sent wins over a query parameter of the same name.
        if value is not None and lowered not in sent and signed_like_a_header(lowered):
            fields.setdefault(lowered, []).append(value.strip())
    content_md5, content_type = (",".join(fields.get(name, [])) for name in _POSITIONAL)
    amz = "".join(
        f"{name}:{','.join(fields[name])}\n" for name in sorted(fields) if name.startswith("x-amz-")
    )
    subresources = sorted(
        ((name, value) for name, value in pairs if name in SUBRESOURCES), key=lambda p: p[0]
    )
    resource = raw_path or "/"
    if not literal_path and _BUCKET_ONLY.fullmatch(resource):
        resource += "/"
    if subresources:
        resource += "?" + "&".join(n if v is None else f"{n}={v}" for n, v in subresources)
    return f"{method}\n{content_md5}\n{content_type}\n{date}\n{amz}{resource}"


def signed_like_a_header(name: str) -> bool:
    """True for a (lowercased) query parameter name that is signed as the header it stands for."""
    return name in _POSITIONAL or name.startswith("x-amz-")


def signature(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode(), text.encode("utf-8", "surrogateescape"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def verify_presigned(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: HeaderItems,
    *,
    secret_for: Callable[[str], str | None],
    now: datetime,
) -> SigningContext:
    """Check a SigV2 presigned request at time ``now``; raise the S3Error AWS answers unless it
    is good. The context it returns has no SigV4 signing key: its payload is never signed
    (UNSIGNED-PAYLOAD), so aws-chunked signed streaming cannot follow it."""
    params: dict[str, str] = {}
    for name, value in query_pairs(raw_query):
        if name in PARAMETERS and value:
            params.setdefault(name, value)
    if len(params) != len(PARAMETERS):
        raise S3Error(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters",
        )
    expires = params["Expires"]
    if not _EXPIRES.fullmatch(expires):
        raise S3Error(
            "AccessDenied", f"Invalid date (should be seconds since epoch): {printable(expires)}"
        )
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if now.timestamp() > int(expires):
        raise S3Error(
            "AccessDenied",
            "Request has expired",
            Expires=_iso8601(int(expires)),
            ServerTime=now.strftime(_ISO8601),
        )
    access_key = params["AWSAccessKeyId"]
    secret = secret_for(access_key)
    if secret is None:
        raise S3Error("InvalidAccessKeyId", AWSAccessKeyId=printable(access_key))
    provided = params["Signature"].encode("utf-8", "surrogateescape")
    signed = string_to_sign(method, raw_path, raw_query, headers, expires)
    # A bucket-only path signed literally ("/bucket", the page's path-style reading) names the
    # same resource as "/bucket/": accepted too.
    literal = string_to_sign(method, raw_path, raw_query, headers, expires, literal_path=True)
    if not any(
        hmac.compare_digest(signature(secret, text).encode(), provided)
        for text in dict.fromkeys((signed, literal))
    ):
        raise S3Error(
            "SignatureDoesNotMatch",
            AWSAccessKeyId=printable(access_key),
            StringToSign=printable(signed),
            SignatureProvided=printable(params["Signature"]),
        )
    return SigningContext(
        access_key=access_key,
        amz_date="",
        scope="",
        signing_key=b"",
        seed_signature=params["Signature"],
        payload_hash=UNSIGNED_PAYLOAD,
    )


def _iso8601(epoch: int) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime(_ISO8601)
    except (OverflowError, OSError, ValueError):
        return str(epoch)
