"""Preconditions: ETag matching and the order S3 evaluates the four conditions in.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

import pytest

from storage.conditions import (
    Outcome,
    Preconditions,
    WriteCondition,
    etag_matches,
    evaluate,
    parse_http_date,
)

ETAG = "d41d8cd98f00b204e9800998ecf8427e"
OTHER = "0123456789abcdef0123456789abcdef"
T = 1_700_000_000.0  # the object's Last-Modified, a whole second
BEFORE, AFTER = T - 60, T + 60


@pytest.mark.parametrize(
    ("condition", "etag", "expected"),
    [
        (f'"{ETAG}"', ETAG, True),
        (ETAG, ETAG, True),
        (f'"{ETAG.upper()}"', ETAG, True),
        (f'W/"{ETAG}"', ETAG, True),
        (f'"{OTHER}", "{ETAG}"', ETAG, True),
        (f'"{OTHER}"', ETAG, False),
        ("*", ETAG, True),
        ("*", None, False),
        (f'"{ETAG}"', None, False),
        ("", ETAG, False),
        (f'"{ETAG}-2"', f"{ETAG}-2", True),
        (f'"{ETAG}"', f"{ETAG}-2", False),
    ],
)
def test_etag_matches(condition: str, etag: str | None, expected: bool) -> None:
    assert etag_matches(condition, etag) is expected


def test_parse_http_date_forms() -> None:
    assert parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT") == T
    assert parse_http_date("Tuesday, 14-Nov-23 22:13:20 GMT") == T
    assert parse_http_date("Tue Nov 14 22:13:20 2023") is None  # asctime has no zone
    assert parse_http_date("yesterday") is None
    assert parse_http_date("") is None
    assert parse_http_date(None) is None


def _verdict(**conditions: object) -> tuple[Outcome, str]:
    verdict = evaluate(Preconditions(**conditions), ETAG, T + 0.75)  # type: ignore[arg-type]
    return verdict.outcome, verdict.condition


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, (Outcome.PROCEED, "")),
        ({"if_match": ETAG}, (Outcome.PROCEED, "")),
        ({"if_match": OTHER}, (Outcome.FAILED, "If-Match")),
        ({"if_unmodified_since": AFTER}, (Outcome.PROCEED, "")),
        ({"if_unmodified_since": T}, (Outcome.PROCEED, "")),  # compared to the second
        ({"if_unmodified_since": BEFORE}, (Outcome.FAILED, "If-Unmodified-Since")),
        # If-Match true decides; If-Unmodified-Since false is ignored (the GetObject page).
        ({"if_match": ETAG, "if_unmodified_since": BEFORE}, (Outcome.PROCEED, "")),
        ({"if_match": OTHER, "if_unmodified_since": AFTER}, (Outcome.FAILED, "If-Match")),
        ({"if_none_match": ETAG}, (Outcome.NOT_MODIFIED, "If-None-Match")),
        ({"if_none_match": "*"}, (Outcome.NOT_MODIFIED, "If-None-Match")),
        ({"if_none_match": OTHER}, (Outcome.PROCEED, "")),
        ({"if_modified_since": BEFORE}, (Outcome.PROCEED, "")),
        ({"if_modified_since": T}, (Outcome.NOT_MODIFIED, "If-Modified-Since")),
        ({"if_modified_since": AFTER}, (Outcome.NOT_MODIFIED, "If-Modified-Since")),
        # If-None-Match false (the ETag matches) and If-Modified-Since true: 304 (the page).
        (
            {"if_none_match": ETAG, "if_modified_since": BEFORE},
            (Outcome.NOT_MODIFIED, "If-None-Match"),
        ),
        # If-None-Match true decides; If-Modified-Since is ignored.
        ({"if_none_match": OTHER, "if_modified_since": AFTER}, (Outcome.PROCEED, "")),
        # A failed If-Match wins over a matching If-None-Match.
        ({"if_match": OTHER, "if_none_match": ETAG}, (Outcome.FAILED, "If-Match")),
    ],
)
def test_evaluate_precedence(conditions: dict[str, object], expected: tuple[Outcome, str]) -> None:
    assert _verdict(**conditions) == expected


def test_preconditions_truthiness() -> None:
    assert not Preconditions()
    assert Preconditions(if_modified_since=0.0)


@pytest.mark.parametrize(
    ("condition", "current", "failure"),
    [
        (WriteCondition(if_none_match=True), None, None),
        (WriteCondition(if_none_match=True), "abc", "PreconditionFailed"),
        (WriteCondition(if_match='"abc"'), "abc", None),
        (WriteCondition(if_match='"xyz", "ABC"'), "abc", None),
        (WriteCondition(if_match="*"), "abc", None),
        (WriteCondition(if_match='"xyz"'), "abc", "PreconditionFailed"),
        (WriteCondition(if_match="*"), None, "NoSuchKey"),
        (WriteCondition(if_match='"abc"', if_none_match=True), "abc", "PreconditionFailed"),
    ],
)
def test_write_condition_failure(
    condition: WriteCondition, current: str | None, failure: str | None
) -> None:
    assert condition.failure(current) == failure
