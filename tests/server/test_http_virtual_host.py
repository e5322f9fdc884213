"""Virtual-hosted-style addressing over raw HTTP, on a server started with --domain: the bucket
comes from the Host, SigV4 signs the path as sent, and path style keeps working beside it.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Server, run_server
from tests.server.rawhttp import assert_error, assert_ok, request, send, sign

DOMAIN = "s3.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("virtual") / "data"
    with run_server(data_dir, "--domain", DOMAIN) as running:
        yield running


def _host(server: Server, bucket: str) -> dict[str, str]:
    return {"Host": f"{bucket}.{DOMAIN}:{server.port}"}


def test_virtual_host_put_get_list(server: Server, s3: Any, bucket: str) -> None:
    headers = _host(server, bucket)
    assert_ok(request(server, "PUT", "/dir/a%20b.txt", b"hello", headers))
    # The same object, path style.
    assert s3.get_object(Bucket=bucket, Key="dir/a b.txt")["Body"].read() == b"hello"
    reply = assert_ok(request(server, "GET", "/dir/a%20b.txt", b"", headers))
    assert reply.body == b"hello"
    listing = assert_ok(request(server, "GET", "/?list-type=2&prefix=dir%2F", b"", headers))
    assert b"<Key>dir/a b.txt</Key>" in listing.body
    assert f"<Name>{bucket}</Name>".encode() in listing.body


def test_virtual_host_create_and_head_bucket(server: Server, s3: Any) -> None:
    name = "virtual-created"
    assert_ok(request(server, "PUT", "/", b"", _host(server, name)))
    assert_ok(request(server, "HEAD", "/", b"", _host(server, name)))
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_virtual_host_complete_location(server: Server, s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")[
        "ETag"
    ]
    body = (
        f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
        "</CompleteMultipartUpload>"
    ).encode()
    reply = assert_ok(
        request(server, "POST", f"/k?uploadId={upload_id}", body, _host(server, bucket))
    )
    assert f"<Location>http://{bucket}.{DOMAIN}:{server.port}/k</Location>".encode() in reply.body


def test_virtual_host_no_such_bucket(server: Server) -> None:
    reply = request(server, "GET", "/key", b"", _host(server, "no-such-virtual-bucket"))
    assert_error(reply, 404, "NoSuchBucket")


def test_virtual_host_signature_covers_the_path_as_sent(server: Server, bucket: str) -> None:
    # Signed for /bucket/key (path style) but sent to the virtual host as /key: refused.
    signed = sign(server, "GET", f"/{bucket}/key", b"", _host(server, bucket))
    reply = send(server, "GET", "/key", signed)
    assert_error(reply, 403, "SignatureDoesNotMatch")


def test_bare_domain_is_path_style(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    reply = assert_ok(
        request(server, "GET", f"/{bucket}/k", b"", {"Host": f"{DOMAIN}:{server.port}"})
    )
    assert reply.body == b"v"
