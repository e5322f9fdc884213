"""CORS rules: which rule answers a browser, and AWS's validation."""

from __future__ import annotations

import pytest

from storage import S3Error
from storage.cors import Rule, first_match, from_json, to_json, validate

UPLOADS = Rule(
    allowed_methods=("PUT", "POST"),
    allowed_origins=("https://*.example.com",),
    allowed_headers=("content-*", "x-amz-*"),
    expose_headers=("ETag",),
    max_age_seconds=3000,
    id="uploads",
)
READS = Rule(allowed_methods=("GET", "HEAD"), allowed_origins=("*",))


@pytest.mark.parametrize(
    ("origin", "method", "headers", "expected"),
    [
        ("https://app.example.com", "PUT", [], UPLOADS),
        ("https://app.example.com", "PUT", ["Content-Type", "X-Amz-Date"], UPLOADS),
        ("https://app.example.com", "PUT", ["Authorization"], None),
        ("http://app.example.com", "PUT", [], None),
        ("https://example.com", "PUT", [], None),  # the * needs its "." before
        ("https://anything.test", "GET", [], READS),
        ("https://anything.test", "GET", ["Range"], None),  # READS allows no headers
        ("https://app.example.com", "DELETE", [], None),
    ],
)
def test_first_match(origin: str, method: str, headers: list[str], expected: Rule | None) -> None:
    assert first_match([UPLOADS, READS], origin, method, headers) == expected


def test_first_match_takes_the_first_of_several() -> None:
    broad = Rule(("PUT",), ("*",), ("*",))
    assert first_match([broad, UPLOADS], "https://a.example.com", "PUT") == broad


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([], "MalformedXML"),
        ([Rule((), ("*",))], "MalformedXML"),
        ([Rule(("GET",), ())], "MalformedXML"),
        ([Rule(("PATCH",), ("*",))], "InvalidRequest"),
        ([Rule(("GET",), ("https://*.*.com",))], "InvalidRequest"),
        ([Rule(("GET",), ("*",), ("x-*-*",))], "InvalidRequest"),
        ([Rule(("GET",), ("*",), max_age_seconds=-1)], "MalformedXML"),
        ([READS] * 101, "MalformedXML"),
    ],
)
def test_validate_rejects(rules: list[Rule], code: str) -> None:
    with pytest.raises(S3Error) as caught:
        validate(rules)
    assert caught.value.code == code


def test_json_round_trip() -> None:
    assert from_json(to_json([UPLOADS, READS])) == [UPLOADS, READS]
