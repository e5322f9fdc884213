"""HTTP preconditions on an object's ETag and Last-Modified, as S3 evaluates them. Pure.

Shared by conditional reads (GetObject, HeadObject: If-Match, If-None-Match, If-Modified-Since,
If-Unmodified-Since), conditional copies (the x-amz-copy-source-if-* headers) and conditional
writes (If-Match / If-None-Match on PutObject and CompleteMultipartUpload).

S3 follows RFC 9110 section 13.2.2's order, which the GetObject page spells out for the pairs:
If-Match decides and If-Unmodified-Since is then ignored; If-None-Match decides and
If-Modified-Since is then ignored.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax
"""

from __future__ import annotations

import email.utils
import enum
import math
from dataclasses import dataclass

from storage.etag import normalize


def etag_matches(condition: str, etag: str | None) -> bool:
    """Whether an If-Match / If-None-Match value names an object whose (unquoted) ETag is
    ``etag``; None: there is no object. ``*`` matches any existing object; otherwise the value
    is a comma-separated list of ETags, quoted or not, compared case-insensitively and weakly
    (a ``W/`` prefix is ignored: S3's ETags are all strong)."""
    if etag is None:
        return False
    wanted = normalize(etag)
    for item in condition.split(","):
        candidate = item.strip()
        if candidate == "*":
            return True
        if candidate[:2] in ("W/", "w/"):
            candidate = candidate[2:]
        if candidate and normalize(candidate) == wanted:
            return True
    return False


def parse_http_date(value: str | None) -> float | None:
    """An HTTP date (RFC 1123, RFC 850 or asctime) as epoch seconds; None when absent or not a
    date: a condition on a date S3 cannot read is ignored, as RFC 9110 says."""
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


class Outcome(enum.Enum):
    PROCEED = "proceed"
    NOT_MODIFIED = "not modified"  # GET/HEAD answer 304; a copy answers 412
    FAILED = "failed"  # 412 PreconditionFailed


@dataclass(frozen=True)
class Preconditions:
    """The four conditions of a request, as sent (dates already parsed; None: absent)."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: float | None = None
    if_unmodified_since: float | None = None

    def __bool__(self) -> bool:
        return any(
            v is not None
            for v in (
                self.if_match,
                self.if_none_match,
                self.if_modified_since,
                self.if_unmodified_since,
            )
        )


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    condition: str = ""  # which condition decided: "If-Match", "If-None-Match", ...

    @property
    def proceed(self) -> bool:
        return self.outcome is Outcome.PROCEED


def evaluate(conditions: Preconditions, etag: str, last_modified: float) -> Verdict:
    """The verdict of ``conditions`` on an existing object.

    Last-Modified travels in whole seconds, so the object's time is compared truncated to the
    second: an object is "modified since" a date only if its Last-Modified header is later.
    """
    modified = math.floor(last_modified)
    if conditions.if_match is not None:
        if not etag_matches(conditions.if_match, etag):
            return Verdict(Outcome.FAILED, "If-Match")
    elif conditions.if_unmodified_since is not None and modified > conditions.if_unmodified_since:
        return Verdict(Outcome.FAILED, "If-Unmodified-Since")
    if conditions.if_none_match is not None:
        if etag_matches(conditions.if_none_match, etag):
            return Verdict(Outcome.NOT_MODIFIED, "If-None-Match")
    elif conditions.if_modified_since is not None and modified <= conditions.if_modified_since:
        return Verdict(Outcome.NOT_MODIFIED, "If-Modified-Since")
    return Verdict(Outcome.PROCEED)


@dataclass(frozen=True)
class WriteCondition:
    """If-Match and If-None-Match on a write (PutObject, CompleteMultipartUpload): what the
    object at the key must be for the write to happen.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    """

    if_match: str | None = None  # as sent: ETags the object may have, or "*" for any object
    if_none_match: bool = False  # If-None-Match: *: there must be no object

    def failure(self, current_etag: str | None) -> str | None:
        """The S3 error code for writing over an object with ``current_etag`` (None: no
        object), or None when the condition holds. If-Match on a missing key is NoSuchKey, as
        AWS answers; a mismatch either way is PreconditionFailed."""
        if self.if_none_match and current_etag is not None:
            return "PreconditionFailed"
        if self.if_match is None:
            return None
        if current_etag is None:
            return "NoSuchKey"
        if not etag_matches(self.if_match, current_etag):
            return "PreconditionFailed"
        return None
