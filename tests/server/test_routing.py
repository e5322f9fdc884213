"""The routing table, against the request examples of the AWS API reference."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from server.routing import Route, route
from storage import S3Error


def _route(method: str, url: str, headers: dict[str, str] | None = None) -> Route:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return route(method, parts.path, query, headers or {})


# (method, URL as in the AWS API reference's request syntax, endpoint, bucket, key)
TABLE = [
    ("GET", "/", "ListBuckets", None, None),
    ("PUT", "/Bucket", "CreateBucket", "Bucket", None),
    ("PUT", "/Bucket/", "CreateBucket", "Bucket", None),
    ("HEAD", "/Bucket", "HeadBucket", "Bucket", None),
    ("DELETE", "/Bucket", "DeleteBucket", "Bucket", None),
    ("GET", "/Bucket?list-type=2&prefix=a&delimiter=/", "ListObjectsV2", "Bucket", None),
    ("GET", "/Bucket?uploads", "ListMultipartUploads", "Bucket", None),
    ("GET", "/Bucket?location", "GetBucketLocation", "Bucket", None),
    ("GET", "/Bucket", "ListObjects", "Bucket", None),
    ("GET", "/Bucket?delimiter=/&marker=a&max-keys=2&prefix=p", "ListObjects", "Bucket", None),
    ("POST", "/Bucket?delete", "DeleteObjects", "Bucket", None),
    ("GET", "/Bucket/example-object?tagging", "GetObjectTagging", "Bucket", "example-object"),
    ("GET", "/Bucket/Key?partNumber=2", "GetObject", "Bucket", "Key"),
    ("HEAD", "/Bucket/Key?partNumber=2", "HeadObject", "Bucket", "Key"),
    ("GET", "/Bucket/Key?attributes", "GetObjectAttributes", "Bucket", "Key"),
    ("PUT", "/Bucket/object-key?tagging", "PutObjectTagging", "Bucket", "object-key"),
    ("DELETE", "/Bucket/exampleobject?tagging", "DeleteObjectTagging", "Bucket", "exampleobject"),
    ("GET", "/Bucket?uploads&max-uploads=3", "ListMultipartUploads", "Bucket", None),
    ("PUT", "/Bucket/Key+", "PutObject", "Bucket", "Key+"),
    ("GET", "/Bucket/my-image.jpg", "GetObject", "Bucket", "my-image.jpg"),
    ("HEAD", "/Bucket/my-image.jpg", "HeadObject", "Bucket", "my-image.jpg"),
    ("DELETE", "/Bucket/my-second-image.jpg", "DeleteObject", "Bucket", "my-second-image.jpg"),
    ("POST", "/Bucket/example-object?uploads", "CreateMultipartUpload", "Bucket", "example-object"),
    (
        "PUT",
        "/Bucket/my-movie.m2ts?partNumber=1&uploadId=VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR",
        "UploadPart",
        "Bucket",
        "my-movie.m2ts",
    ),
    (
        "GET",
        "/Bucket/example-object?uploadId=XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA&max-parts=2&part-number-marker=1",
        "ListParts",
        "Bucket",
        "example-object",
    ),
    (
        "POST",
        "/Bucket/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
        "CompleteMultipartUpload",
        "Bucket",
        "example-object",
    ),
    (
        "DELETE",
        "/Bucket/example-object?uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ",
        "AbortMultipartUpload",
        "Bucket",
        "example-object",
    ),
    (
        "GET",
        "/Bucket/photos/2006/February/sample.jpg",
        "GetObject",
        "Bucket",
        "photos/2006/February/sample.jpg",
    ),
    ("PUT", "/Bucket?lifecycle", "PutBucketLifecycleConfiguration", "Bucket", None),
    ("GET", "/Bucket?lifecycle", "GetBucketLifecycleConfiguration", "Bucket", None),
    ("DELETE", "/Bucket?lifecycle", "DeleteBucketLifecycle", "Bucket", None),
    ("PUT", "/Bucket?cors", "PutBucketCors", "Bucket", None),
    ("GET", "/Bucket?cors", "GetBucketCors", "Bucket", None),
    ("DELETE", "/Bucket?cors", "DeleteBucketCors", "Bucket", None),
    ("OPTIONS", "/Bucket/ObjectName", "CorsPreflight", "Bucket", "ObjectName"),
    ("OPTIONS", "/Bucket", "CorsPreflight", "Bucket", None),
    ("GET", "/Bucket/a%20b%2Bc%2Fd", "GetObject", "Bucket", "a b+c/d"),
    ("GET", "/Bucket//leading-slash", "GetObject", "Bucket", "/leading-slash"),
]


@pytest.mark.parametrize(("method", "url", "endpoint", "bucket", "key"), TABLE)
def test_route_aws_examples(
    method: str, url: str, endpoint: str, bucket: str | None, key: str | None
) -> None:
    assert _route(method, url) == Route(endpoint, bucket, key)


ERRORS = [
    ("PUT", "/", {}, "MethodNotAllowed"),
    ("GET", "/Bucket?acl", {}, "NotImplemented"),
    ("GET", "/Bucket?tagging", {}, "NotImplemented"),  # bucket tagging
    ("GET", "/Bucket?attributes", {}, "NotImplemented"),
    ("POST", "/Bucket/key?tagging", {}, "MethodNotAllowed"),
    ("PUT", "/Bucket?versioning", {}, "NotImplemented"),
    ("GET", "/Bucket?list-type=3", {}, "InvalidArgument"),
    ("POST", "/Bucket?lifecycle", {}, "MethodNotAllowed"),
    ("PUT", "/Bucket/key?lifecycle", {}, "NotImplemented"),
    ("POST", "/Bucket?cors", {}, "MethodNotAllowed"),
    ("GET", "/Bucket/key?cors", {}, "NotImplemented"),
    ("POST", "/Bucket/key", {}, "MethodNotAllowed"),
    ("PATCH", "/Bucket/key", {}, "MethodNotAllowed"),
    ("PUT", "/Bucket/key?uploadId=x", {}, "InvalidRequest"),
    ("PUT", "/Bucket/key?partNumber=1", {}, "InvalidRequest"),
    ("PUT", "/Bucket/key?partNumber=1", {"x-amz-copy-source": "/b/k"}, "InvalidRequest"),
    ("GET", "/Bucket/%ff%fe", {}, "InvalidURI"),
    ("GET", "/Bucket/" + "k" * 1025, {}, "KeyTooLongError"),
]


@pytest.mark.parametrize(("method", "url", "headers", "code"), ERRORS)
def test_route_errors(method: str, url: str, headers: dict[str, str], code: str) -> None:
    with pytest.raises(S3Error) as caught:
        _route(method, url, headers)
    assert caught.value.code == code


def test_route_key_of_exactly_1024_bytes() -> None:
    key = "é" * 512  # 1024 bytes of UTF-8
    assert _route("GET", "/b/" + key).key == key


# Virtual-hosted style: https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
VIRTUAL = [
    ("GET", "bucket.s3.test", "/", "ListObjects", "bucket", None),
    ("GET", "bucket.s3.test:9000", "/?list-type=2", "ListObjectsV2", "bucket", None),
    ("PUT", "Bucket.S3.Test:9000", "/", "CreateBucket", "bucket", None),
    ("GET", "my.dotted.bucket.s3.test", "/photos/puppy.jpg", "GetObject", "my.dotted.bucket",
     "photos/puppy.jpg"),
    ("PUT", "bucket.s3.test", "/a%20b/c?partNumber=1&uploadId=x", "UploadPart", "bucket", "a b/c"),
    ("GET", "bucket.s3.test", "/%2Fleading", "GetObject", "bucket", "/leading"),
    # The bare domain, other hosts and IP addresses are path style.
    ("GET", "s3.test", "/bucket/key", "GetObject", "bucket", "key"),
    ("GET", "s3.test:9000", "/", "ListBuckets", None, None),
    ("GET", "127.0.0.1:9000", "/bucket/key", "GetObject", "bucket", "key"),
    ("GET", "bucket.other.test", "/bucket/key", "GetObject", "bucket", "key"),
    ("GET", "[::1]:9000", "/bucket", "ListObjects", "bucket", None),
]  # fmt: skip


@pytest.mark.parametrize(("method", "host", "url", "endpoint", "bucket", "key"), VIRTUAL)
def test_route_virtual_hosted_style(
    method: str, host: str, url: str, endpoint: str, bucket: str | None, key: str | None
) -> None:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    found = route(method, parts.path, query, {"Host": host}, domain="s3.test")
    assert found == Route(endpoint, bucket, key)


def test_route_without_a_domain_is_path_style() -> None:
    found = route("GET", "/bucket/key", {}, {"Host": "x.s3.test"})
    assert found == Route("GetObject", "bucket", "key")


def test_route_virtual_hosted_key_too_long() -> None:
    with pytest.raises(S3Error) as caught:
        route("GET", "/" + "k" * 1025, {}, {"Host": "b.s3.test"}, domain="s3.test")
    assert caught.value.code == "KeyTooLongError"


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("/Bucket/my-second-image.jpg", "CopyObject"),
        ("/Bucket/newobject?partNumber=2&uploadId=VCVsb2FkIElEIGZvciBlbZZp", "UploadPartCopy"),
    ],
)
def test_route_copies_by_their_header(url: str, endpoint: str) -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_Examples
    headers = {"x-amz-copy-source": "/bucket/my-image.jpg"}
    assert _route("PUT", url, headers).endpoint == endpoint
