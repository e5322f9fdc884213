"""Bucket lifecycle rules: their model, AWS's validation, and when they fall due. Pure.

s3mpu acts on two actions: AbortIncompleteMultipartUpload (uploads initiated DaysAfterInitiation
days ago are aborted) and Expiration (objects are deleted Days days after they were last
written, or on a Date). A lifecycle "day" lasts ``day_seconds`` (86,400 unless the server is run
with --lifecycle-day-seconds), and, as in S3, a due time is rounded up to the next day boundary:
"Amazon S3 calculates the time by adding the number of days specified in the rule to the object
creation time and rounding the resulting time to the next day midnight UTC."
https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from storage.errors import S3Error

DAY_SECONDS = 86_400
MAX_RULES = 1000
MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class Filter:
    """Which keys a rule applies to. ``form`` keeps how the client wrote it, so that
    GetBucketLifecycleConfiguration answers in the same shape: "prefix" (the legacy top-level
    Prefix), "filter" (a Filter with at most one predicate), or "and" (Filter/And)."""

    prefix: str = ""
    size_greater_than: int | None = None
    size_less_than: int | None = None
    form: str = "filter"

    def matches(self, key: str, size: int | None = None) -> bool:
        if not key.startswith(self.prefix):
            return False
        if size is None:
            return True
        if self.size_greater_than is not None and size <= self.size_greater_than:
            return False
        return self.size_less_than is None or size < self.size_less_than


@dataclass(frozen=True)
class Rule:
    id: str
    enabled: bool
    filter: Filter = field(default_factory=Filter)
    expiration_days: int | None = None
    expiration_date: str | None = None  # ISO 8601, midnight UTC, as the client sent it
    expired_object_delete_marker: bool | None = None
    abort_days: int | None = None
    # Accepted and kept, and without effect: s3mpu buckets are unversioned, so there are no
    # noncurrent versions (as on an AWS bucket that never had versioning enabled).
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None

    @property
    def expires_objects(self) -> bool:
        return self.expiration_days is not None or self.expiration_date is not None


def new_rule_id() -> str:
    """S3 names a rule that came without an ID."""
    return secrets.token_urlsafe(36)


def _positive(value: int | None, name: str) -> None:
    if value is not None and value <= 0:
        raise S3Error("InvalidArgument", f"'{name}' must be a positive integer")


def parse_date(value: str) -> float:
    """An Expiration Date as a timestamp: ISO 8601 at midnight UTC, or InvalidArgument."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise S3Error("InvalidArgument", "'Date' must be an ISO 8601 date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = moment.timestamp()
    if stamp % DAY_SECONDS:
        raise S3Error("InvalidArgument", "'Date' must be at midnight GMT")
    return stamp


def validate(rules: Sequence[Rule]) -> None:
    """The InvalidArgument checks AWS applies to a well-formed configuration. (What XML cannot
    express at all, such as a missing Status, is the parser's MalformedXML.)"""
    seen: set[str] = set()
    for rule in rules:
        if len(rule.id) > MAX_ID_LENGTH:
            raise S3Error("InvalidArgument", "ID length should not exceed allowed limit of 255")
        if rule.id in seen:
            raise S3Error(
                "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"
            )
        seen.add(rule.id)
        actions = (
            rule.expiration_days,
            rule.expiration_date,
            rule.expired_object_delete_marker,
            rule.abort_days,
            rule.noncurrent_days,
        )
        if all(action is None for action in actions):
            raise S3Error("InvalidArgument", "At least one action needs to be specified in a rule")
        _positive(rule.expiration_days, "Days")
        _positive(rule.abort_days, "DaysAfterInitiation")
        _positive(rule.noncurrent_days, "NoncurrentDays")
        _positive(rule.newer_noncurrent_versions, "NewerNoncurrentVersions")
        if rule.expiration_date is not None:
            parse_date(rule.expiration_date)
        low, high = rule.filter.size_greater_than, rule.filter.size_less_than
        if (low is not None and low < 0) or (high is not None and high < 0):
            raise S3Error("InvalidArgument", "Object size filters must not be negative")
        if low is not None and high is not None and low >= high:
            raise S3Error(
                "InvalidArgument", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan"
            )
        if rule.abort_days is not None and (low, high) != (None, None):
            raise S3Error(
                "InvalidArgument",
                "AbortIncompleteMultipartUpload cannot be specified with an object size filter",
            )


def due(start: float, days: int, day_seconds: float = DAY_SECONDS) -> float:
    """When something started at ``start`` is ``days`` old: rounded up to a day boundary."""
    return math.ceil((start + days * day_seconds) / day_seconds) * day_seconds


def started_by(now: float, days: int, day_seconds: float = DAY_SECONDS) -> float:
    """The latest start time that is due at ``now``: ``due(t) <= now`` exactly when
    ``t <= started_by(now)``."""
    return (math.floor(now / day_seconds) - days) * day_seconds


def expires_written_by(rule: Rule, now: float, day_seconds: float = DAY_SECONDS) -> float | None:
    """Objects ``rule`` expires at ``now`` are those last written at or before the time this
    returns; None when it expires none."""
    if rule.expiration_days is not None:
        return started_by(now, rule.expiration_days, day_seconds)
    if rule.expiration_date is not None and parse_date(rule.expiration_date) <= now:
        return now
    return None


def abort_rule(
    rules: Sequence[Rule], key: str, initiated: float, day_seconds: float = DAY_SECONDS
) -> tuple[str, float] | None:
    """The rule that will abort an upload of ``key`` initiated at ``initiated``, and when:
    the earliest of the enabled rules that apply (x-amz-abort-rule-id, x-amz-abort-date)."""
    found = [
        (due(initiated, rule.abort_days, day_seconds), rule.id)
        for rule in rules
        if rule.enabled and rule.abort_days is not None and rule.filter.matches(key)
    ]
    if not found:
        return None
    when, rule_id = min(found)
    return rule_id, when


def expiration_rule(
    rules: Sequence[Rule],
    key: str,
    size: int,
    last_modified: float,
    day_seconds: float = DAY_SECONDS,
) -> tuple[str, float] | None:
    """The rule that will expire an object and when (x-amz-expiration): the earliest of the
    enabled Expiration rules that select it."""
    found = []
    for rule in rules:
        if not rule.enabled or not rule.filter.matches(key, size):
            continue
        if rule.expiration_days is not None:
            found.append((due(last_modified, rule.expiration_days, day_seconds), rule.id))
        elif rule.expiration_date is not None:
            found.append((parse_date(rule.expiration_date), rule.id))
    if not found:
        return None
    when, rule_id = min(found)
    return rule_id, when


def to_json(rules: Sequence[Rule]) -> str:
    return json.dumps([asdict(rule) for rule in rules])


def from_json(text: str) -> list[Rule]:
    return [Rule(**{**raw, "filter": Filter(**raw["filter"])}) for raw in json.loads(text)]
