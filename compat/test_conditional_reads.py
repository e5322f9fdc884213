"""Conditional GetObject and HeadObject: If-Match, If-None-Match, If-Modified-Since and
If-Unmodified-Since, with S3's precedence, 304 Not Modified and 412 PreconditionFailed.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from compat.helpers import s3_error

PAST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE = datetime.now(UTC) + timedelta(days=365)
OTHER = '"0123456789abcdef0123456789abcdef"'


@pytest.fixture
def etag(s3: Any, bucket: str) -> str:
    return s3.put_object(Bucket=bucket, Key="k", Body=b"data")["ETag"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("operation", ["get_object", "head_object"])
def test_conditional_reads_that_proceed(s3: Any, bucket: str, etag: str, operation: str) -> None:
    call = getattr(s3, operation)
    for conditions in (
        {"IfMatch": etag},
        {"IfMatch": "*"},
        {"IfNoneMatch": OTHER},
        {"IfModifiedSince": PAST},
        {"IfUnmodifiedSince": FUTURE},
        # If-Match true decides; a false If-Unmodified-Since is ignored.
        {"IfMatch": etag, "IfUnmodifiedSince": PAST},
        # If-None-Match true decides; a false If-Modified-Since is ignored.
        {"IfNoneMatch": OTHER, "IfModifiedSince": FUTURE},
    ):
        response = call(Bucket=bucket, Key="k", **conditions)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, conditions
        assert response["ETag"] == etag


@pytest.mark.parametrize(
    "conditions",
    [
        {"IfMatch": OTHER},
        {"IfUnmodifiedSince": PAST},
        {"IfMatch": OTHER, "IfUnmodifiedSince": FUTURE},
    ],
)
def test_get_object_precondition_failed(
    s3: Any, bucket: str, etag: str, conditions: dict[str, Any]
) -> None:
    with s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key="k", **conditions)
    # HEAD has no body, so botocore reports the status as the code.
    with s3_error("412", 412):
        s3.head_object(Bucket=bucket, Key="k", **conditions)


@pytest.mark.parametrize(
    "conditions",
    [
        {"IfNoneMatch": "ETAG"},
        {"IfNoneMatch": "*"},
        {"IfModifiedSince": FUTURE},
        # If-None-Match false (the ETag matches) and If-Modified-Since true: 304, as the page says.
        {"IfNoneMatch": "ETAG", "IfModifiedSince": PAST},
    ],
)
def test_conditional_reads_not_modified(
    s3: Any, bucket: str, etag: str, conditions: dict[str, Any]
) -> None:
    conditions = {k: etag if v == "ETAG" else v for k, v in conditions.items()}
    for operation in (s3.get_object, s3.head_object):
        with s3_error("304", 304) as caught:
            operation(Bucket=bucket, Key="k", **conditions)
        assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag


def test_conditional_read_of_a_missing_key_is_no_such_key(s3: Any, bucket: str) -> None:
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="missing", IfMatch=OTHER)
