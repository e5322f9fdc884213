"""Object tag sets held to S3's limits.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
"""

from __future__ import annotations

import pytest

from storage import S3Error
from storage.tagging import validate


def test_validate_sorts_by_key_and_keeps_empty_values() -> None:
    assert validate([("b", "2"), ("a", ""), ("c d", "x+y=z@/:._-")]) == (
        ("a", ""), ("b", "2"), ("c d", "x+y=z@/:._-"),
    )  # fmt: skip


def test_validate_limits_accepted() -> None:
    tags = [(f"{n}" + "k" * 127, "v" * 256) for n in range(10)]
    assert len(validate(tags)) == 10
    assert validate([("é" * 128, "日本" * 128)])  # Unicode letters, counted in UTF-16 units


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([(str(n), "v") for n in range(11)], "BadRequest"),
        ([("k" * 129, "v")], "InvalidTag"),
        ([("\U0001f600" * 65, "v")], "InvalidTag"),  # 65 emoji are 130 UTF-16 units
        ([("k", "v" * 257)], "InvalidTag"),
        ([("", "v")], "InvalidTag"),
        ([("k", "v"), ("k", "w")], "InvalidTag"),
        ([("aws:k", "v")], "InvalidTag"),
        ([("AWS:k", "v")], "InvalidTag"),
        ([("k[0]", "v")], "InvalidTag"),
        ([("k", "v,w")], "InvalidTag"),
        ([("k", "tab\there")], "InvalidTag"),
    ],
)
def test_validate_refuses(tags: list[tuple[str, str]], code: str) -> None:
    with pytest.raises(S3Error) as caught:
        validate(tags)
    assert caught.value.code == code
