"""CORS over raw HTTP, as a browser speaks it: the preflight OPTIONS, and the headers on the
actual requests, for a bucket with CORS rules and for one without.
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import assert_alive, assert_error, assert_ok, request, send

APP = "https://app.example.com"
RULES = {
    "CORSRules": [
        {
            "AllowedHeaders": ["content-*", "x-amz-*", "authorization"],
            "AllowedMethods": ["PUT", "POST", "DELETE"],
            "AllowedOrigins": ["https://*.example.com"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        },
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]},
    ]
}


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture
def cors_bucket(s3: Any, bucket: str) -> str:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    return bucket


def preflight(server: Server, target: str, **headers: str) -> Any:
    names = {
        "origin": "Origin",
        "method": "Access-Control-Request-Method",
        "headers": "Access-Control-Request-Headers",
    }
    sent = {names[name]: value for name, value in headers.items()}
    sent["Host"] = f"127.0.0.1:{server.port}"
    return send(server, "OPTIONS", target, sent)


def test_preflight_allowed(server: Server, cors_bucket: str) -> None:
    reply = assert_ok(
        preflight(
            server,
            f"/{cors_bucket}/big.iso?partNumber=1&uploadId=x",
            origin=APP,
            method="PUT",
            headers="content-type, x-amz-date",
        )
    )
    assert reply.headers["Access-Control-Allow-Origin"] == APP
    assert reply.headers["Access-Control-Allow-Methods"] == "PUT, POST, DELETE"
    assert reply.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert reply.headers["Access-Control-Max-Age"] == "600"
    assert reply.headers["Access-Control-Expose-Headers"] == "ETag"
    assert reply.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in reply.headers["Vary"]


def test_preflight_wildcard_origin(server: Server, cors_bucket: str) -> None:
    reply = assert_ok(preflight(server, f"/{cors_bucket}/k", origin="http://x.test", method="GET"))
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in reply.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.test", "method": "PUT"},
        {"origin": APP, "method": "PATCH"},
        {"origin": APP, "method": "PUT", "headers": "x-custom"},
        {"origin": "http://x.test", "method": "GET", "headers": "range"},
    ],
)
def test_preflight_refused(server: Server, cors_bucket: str, headers: dict[str, str]) -> None:
    reply = preflight(server, f"/{cors_bucket}/k", **headers)
    assert_error(reply, 403, "AccessForbidden")
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_preflight_without_rules_or_bucket_refused(server: Server, bucket: str) -> None:
    for target in (f"/{bucket}/k", "/no-such-bucket-anywhere/k", "/"):
        assert_error(preflight(server, target, origin=APP, method="PUT"), 403, "AccessForbidden")


@pytest.mark.parametrize("headers", [{"origin": APP}, {"method": "PUT"}, {}])
def test_preflight_missing_headers(
    server: Server, cors_bucket: str, headers: dict[str, str]
) -> None:
    assert_error(preflight(server, f"/{cors_bucket}/k", **headers), 400, "BadRequest")


def test_actual_request_gets_cors_headers(server: Server, cors_bucket: str) -> None:
    reply = assert_ok(request(server, "PUT", f"/{cors_bucket}/k", b"data", {"Origin": APP}))
    assert reply.headers["Access-Control-Allow-Origin"] == APP
    assert reply.headers["Access-Control-Expose-Headers"] == "ETag"
    got = assert_ok(request(server, "GET", f"/{cors_bucket}/k", headers={"Origin": "http://a.b"}))
    assert got.body == b"data"
    assert got.headers["Access-Control-Allow-Origin"] == "*"


def test_error_response_gets_cors_headers(server: Server, cors_bucket: str) -> None:
    # A page must be able to read the S3 error its request got.
    reply = request(server, "GET", f"/{cors_bucket}/missing", headers={"Origin": APP})
    assert_error(reply, 404, "NoSuchKey")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_no_cors_headers_without_origin_or_rules(server: Server, bucket: str) -> None:
    assert_ok(request(server, "PUT", f"/{bucket}/k", b"data", {"Origin": APP}))
    reply = assert_ok(request(server, "GET", f"/{bucket}/k", headers={"Origin": APP}))
    assert "Access-Control-Allow-Origin" not in reply.headers
