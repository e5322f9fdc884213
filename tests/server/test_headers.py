from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.headers import (
    http_date,
    meta_from_headers,
    parse_range,
    preconditions,
    tags_from_headers,
    write_condition,
)
from storage import Preconditions, S3Error, WriteCondition


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 1)),
        ("bytes=2-4", 10, (2, 5)),
        ("bytes=2-", 10, (2, 10)),
        ("bytes=-3", 10, (7, 10)),
        ("bytes=-30", 10, (0, 10)),
        ("bytes=5-100", 10, (5, 10)),
        ("bytes=9-9", 10, (9, 10)),
        ("bytes=4-2", 10, None),  # invalid: ignored, whole object
        ("bytes=0-1,3-4", 10, None),  # several ranges: whole object, as S3
        ("items=0-1", 10, None),
        ("bytes=a-b", 10, None),
        ("bytes=-", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0)]
)
def test_parse_range_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(S3Error) as caught:
        parse_range(header, size)
    assert caught.value.code == "InvalidRange"


def test_meta_keeps_stored_headers_and_user_meta_only() -> None:
    meta = meta_from_headers(
        {
            "Content-Type": "text/plain",
            "Content-Encoding": "gzip,aws-chunked",
            "X-Amz-Meta-Color": "blue",
            "Authorization": "secret",
            "X-Amz-Date": "x",
        }
    )
    assert meta == {
        "content-type": "text/plain",
        "content-encoding": "gzip",
        "x-amz-meta-color": "blue",
    }


def test_meta_drops_content_encoding_that_was_only_aws_chunked() -> None:
    assert meta_from_headers({"Content-Encoding": "aws-chunked"}) == {}


def test_meta_too_large() -> None:
    with pytest.raises(S3Error) as caught:
        meta_from_headers({"x-amz-meta-big": "v" * 2048})
    assert caught.value.code == "MetadataTooLarge"
    assert meta_from_headers({"x-amz-meta-ok": "v" * (2048 - 2)})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"If-None-Match": "*"}, WriteCondition(if_none_match=True)),
        ({"If-None-Match": " * "}, WriteCondition(if_none_match=True)),
        ({"If-Match": '"ABCdef"'}, WriteCondition(if_match='"ABCdef"')),
        ({"If-Match": "*"}, WriteCondition(if_match="*")),
        ({"If-Match": "a", "If-None-Match": "*"}, WriteCondition(if_match="a", if_none_match=True)),
    ],
)
def test_write_condition(headers: dict[str, str], expected: WriteCondition | None) -> None:
    assert write_condition(headers) == expected


def test_write_condition_if_none_match_etag_not_implemented() -> None:
    with pytest.raises(S3Error) as caught:
        write_condition({"If-None-Match": '"abc"'})
    assert caught.value.code == "NotImplemented"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("tag1=value1&tag2=value2", (("tag1", "value1"), ("tag2", "value2"))),
        ("b=2&a=1", (("a", "1"), ("b", "2"))),
        ("foo=bar&bar", (("bar", ""), ("foo", "bar"))),  # no "=": an empty value
        ("k%20e+y=v%2Fw%3D", (("k e y", "v/w="),)),
        ("caf%C3%A9=%E6%97%A5", (("café", "日"),)),
        ("", ()),
    ],
)
def test_tags_from_headers(header: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert tags_from_headers({"x-amz-tagging": header}) == expected


def test_tags_from_headers_absent() -> None:
    assert tags_from_headers({}) == ()


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("TagSet=[{Key=string,Value=string}]", "InvalidArgument"),  # as AWS answered it
        ("a=1&a=2", "InvalidArgument"),
        ("k=%ff", "InvalidArgument"),
        ("=v", "InvalidTag"),
        ("TagSet%3D%5B%7BKey%3Dstring%7D%5D", "InvalidTag"),  # as AWS answered it
        ("&".join(f"k{n}=v" for n in range(11)), "BadRequest"),
        ("aws%3Akey=v", "InvalidTag"),
    ],
)
def test_tags_from_headers_refused(header: str, code: str) -> None:
    with pytest.raises(S3Error) as caught:
        tags_from_headers({"x-amz-tagging": header})
    assert caught.value.code == code


def test_preconditions_plain_and_copy_source() -> None:
    headers = {
        "if-match": '"a"',
        "if-modified-since": "Tue, 14 Nov 2023 22:13:20 GMT",
        "x-amz-copy-source-if-none-match": '"b"',
        "x-amz-copy-source-if-unmodified-since": "not a date",
    }
    assert preconditions(headers) == Preconditions(if_match='"a"', if_modified_since=1.7e9)
    assert preconditions(headers, "x-amz-copy-source-") == Preconditions(if_none_match='"b"')


@given(
    st.one_of(
        st.floats(min_value=0, max_value=4e9),
        st.integers(0, 4_000_000_000).map(lambda s: s + 0.9999995),
        st.integers(0, 4_000_000_000).map(lambda s: s + 0.999999),
    )
)
def test_http_date_cached_seconds_match_formatdate(ts: float) -> None:
    assert http_date(ts) == email.utils.formatdate(ts, usegmt=True)
