"""Presigned URLs in the SigV4 query form: X-Amz-Algorithm, -Credential, -Date, -Expires,
-SignedHeaders and -Signature in the query instead of an Authorization header.

Pure, like sigv4.py, whose canonical request it shares: the canonical query is every parameter
but X-Amz-Signature, and the payload hash is UNSIGNED-PAYLOAD unless the client sends an
x-amz-content-sha256 header. A presigned URL is not held to the 15-minute clock skew of header
signing, only to its expiry; an X-Amz-Date more than 15 minutes ahead is "not valid yet".
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html

Error codes: AuthorizationQueryParametersError for a query that cannot be read (AWS's
messages, as versitygw and MinIO quote them), AccessDenied once it is read but expired or not
yet valid, then InvalidAccessKeyId and SignatureDoesNotMatch as for header signing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from server.sigv4 import (
    ALGORITHM,
    MAX_SKEW,
    SERVICE,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    HeaderItems,
    SigningContext,
    canonical_query,
    check_signature,
    checked_payload_hash,
    header_map,
    printable,
    query_pairs,
    signing_key,
)
from storage import S3Error

ERROR_CODE = "AuthorizationQueryParametersError"

SIGNATURE = "X-Amz-Signature"
# Any of these in the query makes the request a SigV4 presigned one, which then needs them all.
PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    SIGNATURE,
)
MAX_EXPIRES = 7 * 24 * 3600  # a week, AWS's limit for X-Amz-Expires
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# The payload header may be sent unsigned: its value is in the canonical request either way.
_EXEMPT = frozenset({"x-amz-content-sha256"})


def _query_error(message: str, **fields: str | int) -> S3Error:
    return S3Error(ERROR_CODE, message, **fields)


def verify_presigned(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: HeaderItems,
    *,
    secret_for: Callable[[str], str | None],
    region: str,
    now: datetime,
) -> SigningContext:
    """Check a SigV4 presigned request at time ``now``; raise the S3Error AWS answers unless
    it is good. ``raw_path`` and ``raw_query`` are as sent on the wire."""
    params = _auth_parameters(raw_query)
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    access_key, date, scope_region = _credential(params["X-Amz-Credential"])
    amz_date = params["X-Amz-Date"]
    signed_at = _amz_date(amz_date)
    expires = _expires(params["X-Amz-Expires"])
    if scope_region != region:
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; the region "
            f"'{printable(scope_region)}' is wrong; expecting '{region}'",
            Region=region,
        )
    if date != amz_date[:8]:
        raise _query_error(
            f'Invalid credential date "{printable(date)}". This date is not the same as '
            f'X-Amz-Date: "{amz_date[:8]}".'
        )
    secret = secret_for(access_key)
    if secret is None:
        raise S3Error("InvalidAccessKeyId", AWSAccessKeyId=printable(access_key))
    _check_time(signed_at, expires, now)

    values = header_map(headers)
    sent = values.get("x-amz-content-sha256")
    ctx = SigningContext(
        access_key=access_key,
        amz_date=amz_date,
        scope=f"{date}/{region}/{SERVICE}/{TERMINATOR}",
        signing_key=signing_key(secret, date, region),
        seed_signature=params[SIGNATURE],
        payload_hash=UNSIGNED_PAYLOAD if sent is None else checked_payload_hash(sent),
    )
    signed_headers = params["X-Amz-SignedHeaders"]
    if "" in signed_headers.split(";"):
        raise _query_error("X-Amz-SignedHeaders is malformed")
    check_signature(
        ctx,
        method,
        raw_path,
        canonical_query(raw_query, exclude=SIGNATURE),
        values,
        signed_headers,
        exempt=_EXEMPT,
    )
    return ctx


def _auth_parameters(raw_query: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in query_pairs(raw_query):
        if name in PARAMETERS:
            if name in found or value is None:
                raise _query_error(f"{name} must be given once, with a value")
            found[name] = value
    if len(found) != len(PARAMETERS):
        raise _query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters."
        )
    return found


def _amz_date(text: str) -> datetime:
    bad = _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    if not _AMZ_DATE.fullmatch(text):  # strptime alone would take unpadded fields
        raise bad
    try:
        return datetime.strptime(text, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise bad from None


def _credential(credential: str) -> tuple[str, str, str]:
    """(access key, date, region) of "<key>/<yyyymmdd>/<region>/s3/aws4_request"."""
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0]:
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
    access_key, date, scope_region, service, terminator = parts
    if service != SERVICE:
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; incorrect service "
            f'"{printable(service)}". This endpoint belongs to "s3".'
        )
    if terminator != TERMINATOR:
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; incorrect terminal "
            f'"{printable(terminator)}". This endpoint uses "aws4_request".'
        )
    if not (len(date) == 8 and date.isascii() and date.isdigit()):
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; incorrect date format "
            f'"{printable(date)}". This date in the credential must be in the format '
            '"yyyyMMdd".'
        )
    return access_key, date, scope_region


def _expires(text: str) -> int:
    """X-Amz-Expires in seconds: a number from 0 to a week.

    0 is accepted, as MinIO and versitygw accept it: such a URL is valid only within the second
    it was signed. Negative and over-a-week values are refused with AWS's messages.
    """
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
        raise _query_error("X-Amz-Expires should be a number")
    expires = int(text)
    if expires < 0:
        raise _query_error("X-Amz-Expires must be non-negative")
    if expires > MAX_EXPIRES:
        raise _query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds"
        )
    return expires


def _check_time(signed_at: datetime, expires: int, now: datetime) -> None:
    """AccessDenied unless ``now`` is within [X-Amz-Date - 15 min, X-Amz-Date + X-Amz-Expires]."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if signed_at - now > MAX_SKEW:
        # A URL signed by a clock far ahead: honouring it would stretch its life past Expires.
        raise S3Error("AccessDenied", "Request is not valid yet")
    expires_at = signed_at + timedelta(seconds=expires)
    if now > expires_at:
        # AWS's answer carries these fields (versitygw's ExpiredPresignedURLError).
        raise S3Error(
            "AccessDenied",
            "Request has expired",
            **{"X-Amz-Expires": expires},
            Expires=expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
