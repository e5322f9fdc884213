"""The copy operations: CopyObject and UploadPartCopy.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from aiohttp import web

from server import s3xml
from server.context import Call, xml_response
from server.headers import (
    meta_from_headers,
    optional_upper,
    preconditions,
    tags_from_headers,
    write_condition,
)
from server.routing import MAX_KEY_BYTES
from storage import CHECKSUM_ALGORITHMS, COPY_RANGE_HEADER, CopySource, S3Error

COPY_SOURCE_HEADER = "x-amz-copy-source"
_RANGE = re.compile(r"bytes=([0-9]{1,19})-([0-9]{1,19})")
_BAD_SOURCE = "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
_BAD_RANGE = (
    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
    "last are the zero-based offsets of the first and last bytes to copy"
)


def copy_source(call: Call, *, with_range: bool) -> CopySource:
    """x-amz-copy-source (``bucket/key`` or ``/bucket/key``, URL-encoded, optionally
    ``?versionId=null``), its four conditions and, for UploadPartCopy, its range. The signing
    key must be allowed to see the source bucket."""
    headers = call.request.headers
    raw = headers.get(COPY_SOURCE_HEADER, "")
    path, _, version = raw.partition("?")
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError as exc:
        raise S3Error("InvalidArgument", "Invalid copy source encoding.") from exc
    bucket, _, key = decoded.removeprefix("/").partition("/")
    if not bucket or not key:
        raise S3Error("InvalidArgument", _BAD_SOURCE, ArgumentName=COPY_SOURCE_HEADER)
    if len(key.encode()) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError")
    if version and version != "versionId=null":
        # Buckets are unversioned: only the "null" version exists.
        raise S3Error("NoSuchVersion", Key=key, VersionId=version.removeprefix("versionId="))
    if not call.principal.sees(bucket):
        raise S3Error("AccessDenied")
    first_last = _copy_range(headers) if with_range else None
    return CopySource(
        bucket,
        key,
        conditions=preconditions(headers, "x-amz-copy-source-"),
        first_last=first_last,
        range_header=headers.get(COPY_RANGE_HEADER, ""),
    )


def _copy_range(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """x-amz-copy-source-range, bytes=first-last, inclusive; None when absent. A value of any
    other form, or first after last, is InvalidArgument; a range past the source's end is
    checked against the source (storage/copying.py)."""
    raw = headers.get(COPY_RANGE_HEADER)
    if raw is None:
        return None
    match = _RANGE.fullmatch(raw.strip())
    if match is None or int(match[1]) > int(match[2]):
        raise S3Error(
            "InvalidArgument", _BAD_RANGE, ArgumentName=COPY_RANGE_HEADER, ArgumentValue=raw
        )
    return int(match[1]), int(match[2])


def _directive(headers: Mapping[str, str], name: str, message: str) -> bool:
    """True for REPLACE, False for COPY (the default); anything else is InvalidArgument."""
    value = headers.get(name, "COPY").strip().upper()
    if value not in ("COPY", "REPLACE"):
        raise S3Error("InvalidArgument", message, ArgumentName=name)
    return value == "REPLACE"


async def copy_object(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html"""
    headers = call.request.headers
    source = copy_source(call, with_range=False)
    replace_meta = _directive(headers, "x-amz-metadata-directive", "Unknown metadata directive.")
    replace_tags = _directive(headers, "x-amz-tagging-directive", "Unknown tag directive.")
    algorithm = optional_upper(headers, "x-amz-checksum-algorithm")
    if algorithm is not None and algorithm not in CHECKSUM_ALGORITHMS:
        raise S3Error("InvalidRequest", "Checksum algorithm provided is unsupported.")
    info = await call.store.copy_object(
        call.bucket,
        call.key,
        source,
        meta=meta_from_headers(headers) if replace_meta else None,
        tags=tags_from_headers(headers) if replace_tags else None,
        checksum_algorithm=algorithm,
        condition=write_condition(headers),
    )
    return xml_response(s3xml.copy_object_result(info))


async def upload_part_copy(call: Call) -> web.StreamResponse:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html"""
    part_number = call.query_int("partNumber", 0, low=1)
    source = copy_source(call, with_range=True)
    uploaded = await call.store.upload_part_copy(
        call.bucket, call.key, call.request.query["uploadId"], part_number, source
    )
    return xml_response(s3xml.copy_part_result(uploaded))
