"""Lifecycle rules: AWS's validation, key filters, and when rules fall due."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import S3Error
from storage.lifecycle import (
    Filter,
    Rule,
    abort_rule,
    due,
    expiration_rule,
    expires_written_by,
    from_json,
    started_by,
    to_json,
    validate,
)

DAY = 86_400


def _code(rules: list[Rule]) -> str:
    with pytest.raises(S3Error) as caught:
        validate(rules)
    return caught.value.code


def test_due_rounds_up_to_next_midnight() -> None:
    # Initiated 2024-01-01 10:00 UTC, 1 day: eligible at 2024-01-03 00:00 UTC, as S3 computes.
    initiated = 1_704_103_200.0
    assert due(initiated, 1) == 1_704_240_000.0


def test_due_of_exact_midnight_is_not_rounded_further() -> None:
    assert due(1_704_067_200.0, 2) == 1_704_067_200.0 + 2 * DAY


@given(
    start=st.floats(min_value=0, max_value=4e9),
    now=st.floats(min_value=0, max_value=4e9),
    days=st.integers(min_value=1, max_value=3650),
    day_seconds=st.sampled_from([1.0, 2.0, 60.0, 86_400.0]),
)
def test_started_by_selects_exactly_what_is_due(
    start: float, now: float, days: int, day_seconds: float
) -> None:
    assert (due(start, days, day_seconds) <= now) == (start <= started_by(now, days, day_seconds))


def test_abort_rule_picks_earliest_enabled_matching_rule() -> None:
    rules = [
        Rule("late", True, Filter("logs/"), abort_days=7),
        Rule("early", True, Filter("logs/"), abort_days=2),
        Rule("off", False, Filter("logs/"), abort_days=1),
        Rule("other", True, Filter("img/"), abort_days=1),
        Rule("expire-only", True, Filter(""), expiration_days=1),
    ]
    assert abort_rule(rules, "logs/a", 0.0) == ("early", 2 * DAY)
    assert abort_rule(rules, "data/a", 0.0) is None


def test_filter_matches_prefix_and_sizes() -> None:
    sized = Filter("a/", size_greater_than=10, size_less_than=20, form="and")
    assert sized.matches("a/x", 11)
    assert not sized.matches("a/x", 10)
    assert not sized.matches("a/x", 20)
    assert not sized.matches("b/x", 15)
    assert Filter().matches("anything", 0)


def test_expires_written_by_days_and_date() -> None:
    now = 10 * DAY + 5.0
    assert expires_written_by(Rule("d", True, expiration_days=3), now) == 7 * DAY
    assert expires_written_by(Rule("a", True, abort_days=3), now) is None
    dated = Rule("t", True, expiration_date="1970-01-05T00:00:00.000Z")
    assert expires_written_by(dated, now) == now
    future = Rule("f", True, expiration_date="2100-01-01T00:00:00Z")
    assert expires_written_by(future, now) is None


def test_validate_accepts_aws_example() -> None:
    validate(
        [
            Rule("id1", True, Filter("documents/"), expiration_days=365),
            Rule("id2", False, Filter("logs/", form="prefix"), abort_days=7),
        ]
    )


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([Rule("a" * 256, True, expiration_days=1)], "InvalidArgument"),
        ([Rule("x", True, expiration_days=1), Rule("x", True, abort_days=1)], "InvalidArgument"),
        ([Rule("x", True)], "InvalidArgument"),
        ([Rule("x", True, expiration_days=0)], "InvalidArgument"),
        ([Rule("x", True, abort_days=-1)], "InvalidArgument"),
        ([Rule("x", True, expiration_date="2024-01-01T10:00:00Z")], "InvalidArgument"),
        ([Rule("x", True, expiration_date="yesterday")], "InvalidArgument"),
        ([Rule("x", True, Filter(size_greater_than=5, size_less_than=5), expiration_days=1)],
         "InvalidArgument"),
        ([Rule("x", True, Filter(size_greater_than=-1), expiration_days=1)], "InvalidArgument"),
        ([Rule("x", True, Filter(size_less_than=5), abort_days=1)], "InvalidArgument"),
    ],
)  # fmt: skip
def test_validate_rejects(rules: list[Rule], code: str) -> None:
    assert _code(rules) == code


def test_json_round_trip() -> None:
    rules = [
        Rule("a", True, Filter("p/", 1, 9, "and"), expiration_days=3, abort_days=2),
        Rule("b", False, Filter("q", form="prefix"), expiration_date="2030-01-01T00:00:00Z"),
        Rule("c", True, noncurrent_days=4, newer_noncurrent_versions=2),
    ]
    assert from_json(to_json(rules)) == rules


def test_expiration_rule_earliest_enabled_matching() -> None:
    rules = [
        Rule("slow", True, Filter("a/"), expiration_days=30),
        Rule("fast", True, Filter("a/", size_greater_than=100), expiration_days=2),
        Rule("off", False, Filter("a/"), expiration_days=1),
        Rule("abort-only", True, Filter("a/"), abort_days=1),
        Rule("dated", True, Filter("b/"), expiration_date="2030-01-01T00:00:00Z"),
    ]
    assert expiration_rule(rules, "a/x", 500, 0.0) == ("fast", 2 * DAY)
    assert expiration_rule(rules, "a/x", 50, 0.0) == ("slow", 30 * DAY)
    assert expiration_rule(rules, "b/x", 1, 0.0) == ("dated", 1_893_456_000.0)
    assert expiration_rule(rules, "c/x", 1, 0.0) is None
