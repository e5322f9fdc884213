"""Raw HTTP: malformed tagging requests and conditional reads.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import assert_alive, assert_error, assert_ok, md5_b64, request

TAGGING = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture
def obj(s3: Any, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", Tagging="keep=1")
    return f"/{bucket}/k"


def _tags(s3: Any, path: str) -> list[dict[str, str]]:
    bucket, key = path[1:].split("/")
    return s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]  # type: ignore[no-any-return]


def test_put_object_tagging_with_content_md5(server: Server, s3: Any, obj: str) -> None:
    assert_ok(request(server, "PUT", f"{obj}?tagging", TAGGING, {"Content-MD5": md5_b64(TAGGING)}))
    assert _tags(s3, obj) == [{"Key": "a", "Value": "1"}]


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (TAGGING, {}, "InvalidRequest"),  # Content-MD5 or a checksum is required
        (TAGGING, {"Content-MD5": md5_b64(b"x")}, "BadDigest"),
        (b"<Tagging><Tag><Key>a</Key><Value/></Tag></Tagging>", None, "MalformedXML"),
        (b"<Tagging><TagSet>", None, "MalformedXML"),
        (b"", None, "MalformedXML"),
        (b"<Tagging><TagSet><Tag><Key></Key><Value/></Tag></TagSet></Tagging>", None, "InvalidTag"),
    ],
)
def test_put_object_tagging_refused(
    server: Server, s3: Any, obj: str, body: bytes, headers: dict[str, str] | None, code: str
) -> None:
    sent = {"Content-MD5": md5_b64(body)} if headers is None else headers
    assert_error(request(server, "PUT", f"{obj}?tagging", body, sent), 400, code)
    assert _tags(s3, obj) == [{"Key": "keep", "Value": "1"}]


def test_post_tagging_is_method_not_allowed(server: Server, obj: str) -> None:
    assert_error(request(server, "POST", f"{obj}?tagging"), 405, "MethodNotAllowed")


def test_bucket_tagging_is_not_implemented(server: Server, bucket: str) -> None:
    assert_error(request(server, "GET", f"/{bucket}?tagging"), 501, "NotImplemented")


def test_head_not_modified_has_no_body(server: Server, s3: Any, obj: str) -> None:
    etag = s3.head_object(Bucket=obj.split("/")[1], Key="k")["ETag"]
    for method in ("GET", "HEAD"):
        reply = assert_ok(request(server, method, obj, b"", {"If-None-Match": etag}), 304)
        assert reply.body == b""
        assert reply.headers["ETag"] == etag
        assert reply.headers["Last-Modified"]


def test_get_precondition_failed_names_the_condition(server: Server, obj: str) -> None:
    fields = assert_error(request(server, "GET", obj, b"", {"If-Match": '"nope"'}), 412,
                          "PreconditionFailed")  # fmt: skip
    assert fields["Condition"] == "If-Match"


def test_unreadable_dates_are_ignored(server: Server, obj: str) -> None:
    for header in ("If-Modified-Since", "If-Unmodified-Since"):
        reply = assert_ok(request(server, "GET", obj, b"", {header: "not a date"}))
        assert reply.body == b"data"


def test_conditions_apply_before_range(server: Server, obj: str) -> None:
    reply = request(server, "GET", obj, b"", {"If-Match": '"nope"', "Range": "bytes=100-200"})
    assert_error(reply, 412, "PreconditionFailed")
