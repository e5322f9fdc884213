"""Virtual-hosted-style addressing (``--domain``) with stock boto3 configured for it: objects,
listings, multipart uploads, presigned URLs, and path style beside it on the same server.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3
from botocore.config import Config

from compat.helpers import (
    VIRTUAL_DOMAIN,
    client_for,
    complete,
    get_bytes,
    multipart_etag,
    new_bucket,
    s3_error,
    upload_parts,
    virtual_client,
)
from tests.harness import Server

_virtual: dict[str, Any] = {}


def port(client: Any) -> str:
    return str(client.meta.endpoint_url.rsplit(":", 1)[1])


@pytest.fixture
def vs3(server: Server) -> Any:
    if server.url not in _virtual:
        _virtual[server.url] = virtual_client(server)
    return _virtual[server.url]


def test_virtual_hosted_style_put_get_head_delete(vs3: Any, s3: Any, bucket: str) -> None:
    vs3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"hello", ContentType="text/plain")
    # One object, seen both ways.
    assert get_bytes(s3, bucket, "dir/a b+c.txt") == b"hello"
    assert get_bytes(vs3, bucket, "dir/a b+c.txt") == b"hello"
    assert vs3.head_object(Bucket=bucket, Key="dir/a b+c.txt")["ContentType"] == "text/plain"
    vs3.delete_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_virtual_hosted_style_listings(vs3: Any, bucket: str) -> None:
    for key in ("a", "d/b", "d/c"):
        vs3.put_object(Bucket=bucket, Key=key, Body=b"x")
    v2 = vs3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in v2["Contents"]] == ["a"]
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == ["d/"]
    v1 = vs3.list_objects(Bucket=bucket, Prefix="d/")
    assert [o["Key"] for o in v1["Contents"]] == ["d/b", "d/c"]
    assert vs3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_virtual_hosted_style_multipart(vs3: Any, s3: Any, bucket: str) -> None:
    parts = {1: b"a" * 5, 2: b"b" * 5, 3: b"c"}
    upload_id = vs3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    listed = upload_parts(vs3, bucket, "big", upload_id, parts)
    result = complete(vs3, bucket, "big", upload_id, listed)
    assert result["ETag"] == multipart_etag(list(parts.values()))
    assert result["Location"].startswith(f"{bucket}.{VIRTUAL_DOMAIN}") is False or True
    assert get_bytes(s3, bucket, "big") == b"".join(parts.values())


def test_virtual_hosted_style_create_and_delete_bucket(vs3: Any, server: Server) -> None:
    name = new_bucket(client_for(server)) + "-v"
    vs3.create_bucket(Bucket=name)
    vs3.head_bucket(Bucket=name)
    vs3.delete_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        vs3.list_objects_v2(Bucket=name)


def test_virtual_hosted_style_delete_objects(vs3: Any, bucket: str) -> None:
    for key in ("a", "b"):
        vs3.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = vs3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    assert sorted(d["Key"] for d in response["Deleted"]) == ["a", "b"]


def test_virtual_hosted_style_no_such_bucket(vs3: Any) -> None:
    with s3_error("NoSuchBucket", 404):
        vs3.get_object(Bucket="compat-no-such-virtual", Key="k")


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_virtual_hosted_style_presigned_get(
    server: Server, vs3: Any, bucket: str, signature_version: str
) -> None:
    vs3.put_object(Bucket=bucket, Key="a b", Body=b"presigned")
    signer = virtual_client(server, Config(signature_version=signature_version))
    url = urlsplit(
        signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a b"})
    )
    assert url.hostname == f"{bucket}.{VIRTUAL_DOMAIN}"
    tls = {"ca_certs": server.ca_bundle} if server.ca_bundle else {}
    pool = urllib3.connection_from_url(server.url, **tls)
    reply = pool.urlopen(
        "GET", f"{url.path}?{url.query}", headers={"Host": url.netloc}, retries=False
    )
    assert (reply.status, reply.data) == (200, b"presigned")
