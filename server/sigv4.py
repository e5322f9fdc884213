"""AWS Signature Version 4 for header-signed S3 requests: verify the seed, sign the chunks.

Its canonical request and signature check also serve the query form (presign.py).

Pure: strings in, a SigningContext or an S3Error out; no HTTP library. The canonical request is
rebuilt from what was on the wire, so the path and query are percent-decoded and re-encoded here
rather than trusted as the client spelled them.
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote, unquote_to_bytes

from storage import S3Error

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# The x-amz-content-sha256 values that stand for "the body is not hashed up front".
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
PAYLOAD_PLACEHOLDERS = frozenset(
    {
        UNSIGNED_PAYLOAD,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)
# AWS refuses requests more than 15 minutes away from its clock.
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
MAX_SKEW = timedelta(minutes=15)

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class HeaderItems(Protocol):
    """Anything whose items() yields every (name, value) pair, repeats included.

    aiohttp's CIMultiDictProxy, a plain dict and botocore's HTTPHeaders all qualify.
    """

    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True)
class SigningContext:
    """What a verified request carries forward: who signed, and what aws-chunked signed
    streaming and the body reader need. For a SigV2 presigned URL (sigv2.py) amz_date, scope
    and signing_key are empty and payload_hash is UNSIGNED-PAYLOAD."""

    access_key: str
    amz_date: str  # x-amz-date (or Date, respelled) in ISO 8601 basic: 20261121T141300Z
    scope: str  # "20261121/us-east-1/s3/aws4_request"
    signing_key: bytes = field(repr=False)  # a derived secret: keep it out of logs
    seed_signature: str  # the request's Authorization signature (hex)
    payload_hash: str  # x-amz-content-sha256 value as sent


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    date: str
    region: str
    signed_headers: str
    signature: str


def verify_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: HeaderItems,
    *,
    secret_for: Callable[[str], str | None],
    region: str,
    now: datetime | None = None,
) -> SigningContext:
    """Check a request's SigV4 Authorization header; raise S3Error unless it is good.

    ``raw_path`` and ``raw_query`` are as sent on the wire (percent-encoded, no '?').
    ``now`` enables the clock-skew check (RequestTimeTooSkewed); None skips it.
    """
    values = header_map(headers)
    auth = _parse_authorization(values.get("authorization"))
    if auth.region != region:
        raise S3Error(
            "AuthorizationHeaderMalformed",
            f"The authorization header is malformed; the region '{printable(auth.region)}' "
            f"is wrong; expecting '{region}'",
            Region=region,  # botocore's region redirector reads this field
        )
    secret = secret_for(auth.access_key)
    if secret is None:
        raise S3Error("InvalidAccessKeyId", AWSAccessKeyId=printable(auth.access_key))

    request_time, amz_date = _request_time(values)
    if amz_date[:8] != auth.date:
        raise S3Error(
            "AuthorizationHeaderMalformed",
            "Invalid credential date. Date is not the same as X-Amz-Date.",
        )
    if now is not None:
        _check_skew(request_time, now)
    payload_hash = _payload_hash(values)
    ctx = SigningContext(
        access_key=auth.access_key,
        amz_date=amz_date,
        scope=f"{auth.date}/{region}/{SERVICE}/{TERMINATOR}",
        signing_key=signing_key(secret, auth.date, region),
        seed_signature=auth.signature,
        payload_hash=payload_hash,
    )
    check_signature(ctx, method, raw_path, canonical_query(raw_query), values, auth.signed_headers)
    return ctx


def check_signature(
    ctx: SigningContext,
    method: str,
    raw_path: str,
    canonical_query_string: str,
    values: dict[str, list[str]],
    signed_headers: str,
    *,
    exempt: frozenset[str] = frozenset(),
) -> None:
    """Rebuild the canonical request and raise unless ``ctx.seed_signature`` signs it.

    Shared by the header and query (presigned) forms, which differ only in where the parts
    come from. ``values`` is ``header_map`` of the request; ``exempt`` names x-amz-* headers
    that may be sent unsigned.
    """
    signed = signed_headers.split(";")
    check_signed_headers(signed, values, exempt)
    canonical_request = "\n".join(
        (
            method,
            canonical_uri(raw_path),
            canonical_query_string,
            "".join(f"{name}:{_header_value(values[name.lower()])}\n" for name in signed),
            signed_headers,
            ctx.payload_hash,
        )
    )
    string_to_sign = "\n".join((ALGORITHM, ctx.amz_date, ctx.scope, sha256_hex(canonical_request)))
    # Only well-formed signatures reach compare_digest: it refuses non-ASCII str.
    expected = sign(ctx, string_to_sign)
    provided = ctx.seed_signature
    if not (_SIGNATURE.fullmatch(provided) and hmac.compare_digest(expected, provided)):
        # AWS returns these fields so a client can see where its canonical form differs.
        raise S3Error(
            "SignatureDoesNotMatch",
            AWSAccessKeyId=printable(ctx.access_key),
            StringToSign=string_to_sign,
            SignatureProvided=printable(provided),
            CanonicalRequest=printable(canonical_request),
        )


def sign(ctx: SigningContext, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 of ``string_to_sign`` under the request's signing key."""
    return hmac.new(ctx.signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def chunk_string_to_sign(
    ctx: SigningContext, previous_signature: str, chunk_sha256_hex: str
) -> str:
    """The string a STREAMING-AWS4-HMAC-SHA256-PAYLOAD chunk signs; chunks chain by signature.

    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
    """
    return "\n".join(
        (
            "AWS4-HMAC-SHA256-PAYLOAD",
            ctx.amz_date,
            ctx.scope,
            previous_signature,
            EMPTY_SHA256,
            chunk_sha256_hex,
        )
    )


def trailer_string_to_sign(
    ctx: SigningContext, previous_signature: str, trailer_sha256_hex: str
) -> str:
    """The string the trailing headers sign, chained to the final (empty) chunk's signature.

    ``trailer_sha256_hex`` hashes the canonical trailers, each "name:value\\n".
    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
    """
    return "\n".join(
        (
            "AWS4-HMAC-SHA256-TRAILER",
            ctx.amz_date,
            ctx.scope,
            previous_signature,
            trailer_sha256_hex,
        )
    )


def canonical_uri(raw_path: str) -> str:
    """Each path segment decoded, then every byte but unreserved ones encoded.

    Segment by segment, so an encoded slash (%2F) stays a part of its segment. S3, unlike other
    services, neither collapses '//' nor resolves '.' and '..': they can be part of a key.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
    """
    return "/".join(quote(_unquote(segment), safe="") for segment in (raw_path or "/").split("/"))


def canonical_query(raw_query: str, *, exclude: str | None = None) -> str:
    """Each name and value decoded then encoded ('/' too), sorted, joined with '&'.

    '+' stays a literal '+': AWS signers encode spaces as %20, and reading '+' as a space
    would let two different queries share one signature. ``exclude`` leaves out every
    parameter of that (decoded) name: a presigned URL's X-Amz-Signature.
    """
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            decoded = _unquote(name)
            if exclude is not None and decoded == exclude.encode():
                continue
            pairs.append((quote(decoded, safe=""), quote(_unquote(value), safe="")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def query_pairs(raw_query: str) -> list[tuple[str, str | None]]:
    """The query's (name, value) pairs in order, percent-decoded, '+' kept literal; value None
    for a bare name ("?uploads"). Undecodable bytes become lone surrogates, as from aiohttp."""
    pairs: list[tuple[str, str | None]] = []
    for part in raw_query.split("&"):
        if part:
            name, sep, value = part.partition("=")
            pairs.append((_decode(name), _decode(value) if sep else None))
    return pairs


def _unquote(text: str) -> bytes:
    # surrogateescape: the HTTP layer hands undecodable bytes over as lone surrogates.
    return unquote_to_bytes(text.encode("utf-8", "surrogateescape"))


def _decode(text: str) -> str:
    return _unquote(text).decode("utf-8", "surrogateescape")


def header_map(headers: HeaderItems) -> dict[str, list[str]]:
    """Every header's values by lowercased name, repeats kept in order."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        values.setdefault(name.lower(), []).append(value)
    return values


def _header_value(values: list[str]) -> str:
    # Trim each value and collapse its inner whitespace, then join repeats with ','.
    # Deliberate: str.split() collapses tabs and other whitespace too, as botocore and MinIO
    # do; the AWS page names only spaces.
    return ",".join(" ".join(value.split()) for value in values)


def _parse_authorization(values: list[str] | None) -> _Authorization:
    if not values:
        raise S3Error("AccessDenied")  # anonymous requests are not served
    if len(values) > 1:
        raise S3Error("AuthorizationHeaderMalformed")
    header = values[0]
    if header.startswith("AWS "):
        raise S3Error(
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256.",
        )
    if header.partition(" ")[0] != ALGORITHM:
        # What S3 itself answers for a scheme it does not know, typos of SigV4's included:
        # github.com/versity/versitygw/issues/1512 quotes the reply.
        raise S3Error(
            "InvalidArgument",
            "Unsupported Authorization Type",
            ArgumentName="Authorization",
            ArgumentValue=printable(header),
        )
    parts: dict[str, str] = {}
    for component in header[len(ALGORITHM) + 1 :].split(","):
        key, sep, value = component.strip().partition("=")
        if not sep or key in parts or key not in {"Credential", "SignedHeaders", "Signature"}:
            raise S3Error("AuthorizationHeaderMalformed")
        parts[key] = value
    if len(parts) != 3:
        raise S3Error("AuthorizationHeaderMalformed")
    scope = parts["Credential"].split("/")
    if (
        len(scope) != 5
        or scope[3] != SERVICE
        or scope[4] != TERMINATOR
        or "" in parts["SignedHeaders"].split(";")
    ):
        raise S3Error("AuthorizationHeaderMalformed")
    return _Authorization(scope[0], scope[1], scope[2], parts["SignedHeaders"], parts["Signature"])


def _request_time(values: dict[str, list[str]]) -> tuple[datetime, str]:
    """The request time, from x-amz-date or else Date, and its ISO 8601 basic spelling."""
    bad = S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
    try:
        if "x-amz-date" in values:
            (amz_date,) = values["x-amz-date"]
            if not _AMZ_DATE.fullmatch(amz_date):
                raise bad
            if not amz_date.isascii():
                # (\d matches other scripts' digits too, which strptime's fields refuse in
                # places.)
                when = datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
            else:
                # The fields by position, not by strptime (a tenth of the time): the pattern
                # fixes their widths, which is how strptime splits them too, and datetime()
                # refuses the same out-of-range values.
                when = datetime(
                    int(amz_date[0:4]),
                    int(amz_date[4:6]),
                    int(amz_date[6:8]),
                    int(amz_date[9:11]),
                    int(amz_date[11:13]),
                    int(amz_date[13:15]),
                    tzinfo=UTC,
                )
                if when.year >= 1000:  # else strftime writes the year unpadded
                    return when, amz_date  # what strftime would write back
        elif "date" in values:
            # botocore signs with Date alone when the caller set one; the string to sign then
            # carries the same instant in ISO 8601 basic format.
            (date,) = values["date"]
            when = parsedate_to_datetime(date)
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        else:
            raise bad
    except (ValueError, TypeError):
        raise bad from None
    return when, when.strftime(_AMZ_DATE_FORMAT)


def _check_skew(request_time: datetime, now: datetime) -> None:
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    if abs(now - request_time) > MAX_SKEW:
        raise S3Error(
            "RequestTimeTooSkewed",
            RequestTime=request_time.strftime(_AMZ_DATE_FORMAT),
            ServerTime=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            MaxAllowedSkewMilliseconds=int(MAX_SKEW.total_seconds() * 1000),
        )


def _payload_hash(values: dict[str, list[str]]) -> str:
    """x-amz-content-sha256 is mandatory for SigV4 on S3; checking the body is the reader's job."""
    if "x-amz-content-sha256" not in values:
        raise S3Error(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    return checked_payload_hash(values["x-amz-content-sha256"])


def checked_payload_hash(sent: list[str]) -> str:
    """The x-amz-content-sha256 value sent, if it is one S3 knows; else InvalidArgument."""
    value = ",".join(sent)
    if value not in PAYLOAD_PLACEHOLDERS and not _HEX_SHA256.fullmatch(value):
        raise S3Error(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, one of the STREAMING-* values "
            "or a valid sha256 value.",
            ArgumentName="x-amz-content-sha256",
            ArgumentValue=printable(value),
        )
    return value


def check_signed_headers(
    signed: list[str], values: dict[str, list[str]], exempt: frozenset[str] = frozenset()
) -> None:
    """Host and every x-amz-* header present must be signed; every signed header must be sent.

    AWS lists both as requirements of the canonical headers. Content-Type, which AWS also
    names, is deliberately not enforced: HTTP libraries add it after the signer has run.
    https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
    """
    names = {name.lower() for name in signed}
    must_sign = {name for name in values if name.startswith("x-amz-")} - exempt | {"host"}
    unsigned = sorted(must_sign - names)
    if unsigned:
        raise S3Error(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )
    if not names <= values.keys():
        raise S3Error("SignatureDoesNotMatch")


@lru_cache(maxsize=64)
def signing_key(secret: str, date: str, region: str) -> bytes:
    """The derived key, stable for a day per region: cached, since every request needs it."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, SERVICE, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def printable(text: str) -> str:
    # Error fields end up in XML: lone surrogates from undecodable bytes cannot be encoded.
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
