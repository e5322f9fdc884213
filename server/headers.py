"""Object attributes to and from HTTP headers, and the Range header."""

from __future__ import annotations

import email.utils
import functools
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

from storage import (
    CHECKSUM_ALGORITHMS,
    Meta,
    ObjectInfo,
    Preconditions,
    S3Error,
    Tags,
    WriteCondition,
    parse_http_date,
    quote,
    validate_tags,
)

# The headers a PutObject or CreateMultipartUpload keeps and GetObject/HeadObject return.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
STORED_HEADERS = (
    "content-type",
    "content-disposition",
    "content-encoding",
    "content-language",
    "cache-control",
    "expires",
)
USER_META_PREFIX = "x-amz-meta-"
MAX_USER_META = 2048  # bytes of names and values together, as AWS counts them
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 answers for objects stored without one
_RANGE = re.compile(r"bytes\s*=\s*(\d*)\s*-\s*(\d*)", re.IGNORECASE)


def meta_from_headers(headers: Mapping[str, str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    user_size = 0
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(USER_META_PREFIX):
            meta[lower] = value
            user_size += len(lower) - len(USER_META_PREFIX) + len(value.encode())
        elif lower in STORED_HEADERS:
            meta[lower] = value
    encoding = meta.get("content-encoding")
    if encoding is not None:
        # aws-chunked describes the request's framing, not the object (botocore appends it to
        # any encoding the object has: "gzip,aws-chunked").
        kept = [e.strip() for e in encoding.split(",") if e.strip().lower() != "aws-chunked"]
        if kept:
            meta["content-encoding"] = ",".join(kept)
        else:
            del meta["content-encoding"]
    if user_size > MAX_USER_META:
        raise S3Error("MetadataTooLarge", Size=user_size, MaxSizeAllowed=MAX_USER_META)
    return meta


def http_date(ts: float) -> str:
    # formatdate rounds to the microsecond, then drops the fraction: but for a time within a
    # microsecond of the next second, that is its whole second's string, formatted once (cached).
    if ts >= 0 and ts % 1 < 0.999999:
        return _http_date_seconds(int(ts // 1))
    return email.utils.formatdate(ts, usegmt=True)


@functools.lru_cache(maxsize=4096)
def _http_date_seconds(seconds: int) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def object_headers(info: ObjectInfo, *, checksum_mode: bool = False) -> dict[str, str]:
    """The headers GetObject and HeadObject answer with, except the length."""
    headers = {
        "ETag": quote(info.etag),
        "Last-Modified": http_date(info.last_modified),
        "Accept-Ranges": "bytes",
        "Content-Type": DEFAULT_CONTENT_TYPE,
    }
    headers.update(_stored(info.meta))
    if info.tags:
        headers["x-amz-tagging-count"] = str(len(info.tags))
    if checksum_mode:
        headers.update(
            checksum_headers(
                info.checksum_algorithm, info.checksum, info.checksum_type or "FULL_OBJECT"
            )
        )
    return headers


def checksum_headers(
    algorithm: str | None, value: str | None, checksum_type: str | None = None
) -> dict[str, str]:
    """x-amz-checksum-<algorithm> (and x-amz-checksum-type, when given) for a response."""
    if not algorithm or not value:
        return {}
    headers = {f"x-amz-checksum-{algorithm.lower()}": value}
    if checksum_type:
        headers["x-amz-checksum-type"] = checksum_type
    return headers


def optional_upper(headers: Mapping[str, str], name: str) -> str | None:
    """A header whose values S3 reads case-insensitively (algorithm and type names), uppercased;
    None when absent or empty."""
    value = headers.get(name, "").strip()
    return value.upper() or None


def checksum_header(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """The one x-amz-checksum-<algorithm> header a request without a body carries, as
    (algorithm, value); InvalidRequest when it carries several."""
    sent = [
        (a, headers[f"x-amz-checksum-{a.lower()}"].strip())
        for a in CHECKSUM_ALGORITHMS
        if f"x-amz-checksum-{a.lower()}" in headers
    ]
    if len(sent) > 1:
        raise S3Error(
            "InvalidRequest",
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )
    return sent[0] if sent else None


def write_condition(headers: Mapping[str, str]) -> WriteCondition | None:
    """If-Match and If-None-Match on PutObject or CompleteMultipartUpload; None when neither is
    sent. If-None-Match takes only "*" on a write: an ETag there is a conditional read's
    header, which S3 does not implement for writes (501 NotImplemented).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    """
    if_match, if_none_match = headers.get("If-Match"), headers.get("If-None-Match")
    if if_match is None and if_none_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise S3Error("NotImplemented", "If-None-Match on a write takes only *")
    return WriteCondition(if_match=if_match, if_none_match=if_none_match is not None)


def _stored(meta: Meta) -> dict[str, str]:
    return {name.title() if "meta-" not in name else name: value for name, value in meta.items()}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The [start, end) bytes a Range header asks for, or None for the whole object.

    A header S3 cannot parse, or one with several ranges, is ignored and the whole object is
    served, as S3 does; a syntactically valid range that lies past the end is InvalidRange.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:
        suffix = int(match[2])
        if suffix == 0:
            raise S3Error("InvalidRange", ActualObjectSize=size)
        return max(0, size - suffix), size
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        return None
    if start >= size:
        raise S3Error("InvalidRange", ActualObjectSize=size)
    return start, min(int(match[2]) + 1, size) if match[2] else size


_TAGGING_HEADER = "x-amz-tagging"
_BAD_TAGGING_HEADER = (
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
    "without tag name duplicates."
)


def tags_from_headers(headers: Mapping[str, str]) -> Tags:
    """The tag set of x-amz-tagging (PutObject, CreateMultipartUpload, CopyObject): URL query
    parameters, "k1=v1&k2=v2"; a parameter without "=" is a tag with an empty value. A header
    that is not such a query (a second "=" in a pair, bad UTF-8, a key twice) is InvalidArgument,
    as AWS answers; the tags themselves are held to S3's limits (storage/tagging.py).
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_RequestSyntax
    """
    value = headers.get(_TAGGING_HEADER)
    if value is None or not value.strip():
        return ()
    pairs: list[tuple[str, str]] = []
    for item in value.strip().split("&"):
        if not item:
            continue
        name, _, text = item.partition("=")
        if "=" in text:
            raise S3Error("InvalidArgument", _BAD_TAGGING_HEADER, ArgumentName=_TAGGING_HEADER)
        try:
            pairs.append((unquote_plus(name, errors="strict"), unquote_plus(text, errors="strict")))
        except UnicodeDecodeError as exc:
            raise S3Error(
                "InvalidArgument", _BAD_TAGGING_HEADER, ArgumentName=_TAGGING_HEADER
            ) from exc
    if len({name for name, _ in pairs}) != len(pairs):
        raise S3Error("InvalidArgument", _BAD_TAGGING_HEADER, ArgumentName=_TAGGING_HEADER)
    return validate_tags(pairs)


def preconditions(headers: Mapping[str, str], prefix: str = "") -> Preconditions:
    """If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since, or with ``prefix``
    "x-amz-copy-source-" the copy-source conditions of CopyObject and UploadPartCopy. A date
    that cannot be read is ignored, as RFC 9110 has it."""
    return Preconditions(
        if_match=headers.get(f"{prefix}if-match"),
        if_none_match=headers.get(f"{prefix}if-none-match"),
        if_modified_since=parse_http_date(headers.get(f"{prefix}if-modified-since")),
        if_unmodified_since=parse_http_date(headers.get(f"{prefix}if-unmodified-since")),
    )
