"""Presigned URLs, used the way a browser uses them: boto3 presigns (SigV2, its default for an
endpoint_url, and s3v4), then plain HTTP with no AWS code sends the request.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html
"""

from __future__ import annotations

import contextlib
import http.client
import ssl
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config as BotoConfig

from compat.helpers import client_for, md5_hex, multipart_etag, new_bucket, payload, s3_error
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server, run_server

VERSIONS = [pytest.param(None, id="sigv2"), pytest.param("s3v4", id="sigv4")]
KEY = "dir/a b+c~é.bin"  # a space, a plus, a tilde and UTF-8: every encoding rule at once


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


def presigner(
    server: Server,
    version: str | None,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> Any:
    """A boto3 client that only presigns: as a web application's backend would hold one."""
    config: dict[str, Any] = {"s3": {"addressing_style": "path"}}
    if version is not None:
        config["signature_version"] = version
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        verify=server.ca_bundle or True,
        config=BotoConfig(**config),
    )


def url_for(
    server: Server,
    version: str | None,
    operation: str,
    expires_in: int = 3600,
    method: str | None = None,
    **params: Any,
) -> str:
    url: str = presigner(server, version).generate_presigned_url(
        operation, Params=params, ExpiresIn=expires_in, HttpMethod=method
    )
    return url


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def code(self) -> str | None:
        """The S3 error code of an XML error body."""
        try:
            return ET.fromstring(self.body).findtext("Code")
        except ET.ParseError:
            return None


def send(
    server: Server,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request with http.client, which adds no header of its own but Host, Accept-Encoding
    and (with a body) Content-Length: no Content-Type, as a browser PUTs an ArrayBuffer."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=server.ca_bundle)
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.netloc, timeout=30, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request(method, f"{parts.path}?{parts.query}", body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def refused(reply: Reply, status: int, code: str) -> None:
    assert (reply.status, reply.code) == (status, code), reply.body[:300]


# --- UploadPart, the reason presigned URLs matter here --------------------------------------


@pytest.fixture(params=["http", "https"])
def any_server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.mark.parametrize("version", VERSIONS)
def test_upload_part_presigned_parts_sent_as_a_browser_sends_them(
    any_server: Server, version: str | None
) -> None:
    """The backend creates the upload and presigns one URL per part; the client PUTs each part's
    bytes with plain HTTP and reads the ETag header; the backend completes with boto3."""
    s3 = client_for(any_server)
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    parts = [payload(256 * 1024), payload(256 * 1024 + 7), payload(1000)]
    etags = []
    for number, data in enumerate(parts, start=1):
        url = url_for(
            any_server, version, "upload_part",
            Bucket=bucket, Key=KEY, UploadId=upload_id, PartNumber=number,
        )  # fmt: skip
        reply = send(any_server, "PUT", url, data)
        assert reply.status == 200, reply.body
        assert reply.headers["ETag"] == f'"{md5_hex(data)}"'
        etags.append({"PartNumber": number, "ETag": reply.headers["ETag"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload={"Parts": etags}
    )
    assert done["ETag"] == multipart_etag(parts)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"".join(parts)


@pytest.mark.parametrize("version", VERSIONS)
def test_multipart_upload_entirely_through_presigned_urls(
    server: Server, version: str | None
) -> None:
    """Create, UploadPart, ListParts, Complete, and an Abort, every one a presigned request."""
    s3 = client_for(server)
    bucket = new_bucket(s3)
    create = send(server, "POST", url_for(server, version, "create_multipart_upload",
                                          Bucket=bucket, Key=KEY))  # fmt: skip
    assert create.status == 200, create.body
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    upload_id = ET.fromstring(create.body).findtext("s3:UploadId", namespaces=ns)
    assert upload_id
    parts = [payload(100), payload(50)]
    upload: dict[str, Any] = {"Bucket": bucket, "Key": KEY, "UploadId": upload_id}
    etags = []
    for number, data in enumerate(parts, start=1):
        url = url_for(server, version, "upload_part", PartNumber=number, **upload)
        etags.append(send(server, "PUT", url, data).headers["ETag"])
    listed = send(server, "GET", url_for(server, version, "list_parts", **upload))
    assert listed.status == 200
    assert [p.findtext("s3:ETag", namespaces=ns)
            for p in ET.fromstring(listed.body).findall("s3:Part", ns)] == etags  # fmt: skip
    document = (
        "<CompleteMultipartUpload>"
        + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            for n, etag in enumerate(etags, start=1)
        )
        + "</CompleteMultipartUpload>"
    )
    completed = send(
        server, "POST", url_for(server, version, "complete_multipart_upload", **upload),
        document.encode(),
    )  # fmt: skip
    assert completed.status == 200, completed.body
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"".join(parts)

    abandoned = s3.create_multipart_upload(Bucket=bucket, Key="other")["UploadId"]
    url = url_for(server, version, "abort_multipart_upload",
                  Bucket=bucket, Key="other", UploadId=abandoned)  # fmt: skip
    assert send(server, "DELETE", url).status == 204
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_upload_part_presigned_for_another_part_or_upload_is_refused(
    server: Server, version: str | None
) -> None:
    s3 = client_for(server)
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    url = url_for(server, version, "upload_part",
                  Bucket=bucket, Key=KEY, UploadId=upload_id, PartNumber=1)  # fmt: skip
    for tampered in (
        url.replace("partNumber=1", "partNumber=2"),
        url.replace(f"/{bucket}/", f"/{bucket}/other-"),
    ):
        refused(send(server, "PUT", tampered, b"data"), 403, "SignatureDoesNotMatch")
    refused(send(server, "POST", url, b"data"), 403, "SignatureDoesNotMatch")
    assert s3.list_parts(Bucket=bucket, Key=KEY, UploadId=upload_id).get("Parts", []) == []


# --- GetObject, HeadObject, PutObject -------------------------------------------------------


@pytest.fixture
def stored(s3: Any, bucket: str) -> bytes:
    data = payload(5000)
    s3.put_object(Bucket=bucket, Key=KEY, Body=data, ContentType="application/x-original")
    return data


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_with_urllib(
    server: Server, bucket: str, stored: bytes, version: str | None
) -> None:
    url = url_for(server, version, "get_object", Bucket=bucket, Key=KEY)
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        assert response.read() == stored
        assert response.headers["Content-Type"] == "application/x-original"


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_with_range(
    server: Server, bucket: str, stored: bytes, version: str | None
) -> None:
    url = url_for(server, version, "get_object", Bucket=bucket, Key=KEY)
    reply = send(server, "GET", url, headers={"Range": "bytes=100-199"})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes 100-199/{len(stored)}"
    assert reply.body == stored[100:200]


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_with_response_overrides(
    server: Server, bucket: str, stored: bytes, version: str | None
) -> None:
    url = url_for(
        server, version, "get_object", Bucket=bucket, Key=KEY,
        ResponseContentType="text/plain; charset=utf-8",
        ResponseContentDisposition='attachment; filename="a b.bin"',
    )  # fmt: skip
    reply = send(server, "GET", url)
    assert reply.status == 200
    assert reply.body == stored
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="a b.bin"'
    # The overrides are signed: changing one breaks the URL.
    tampered = url.replace("charset%3Dutf-8", "charset%3Dlatin-1")
    assert tampered != url
    refused(send(server, "GET", tampered), 403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("version", VERSIONS)
def test_head_object_presigned(
    server: Server, bucket: str, stored: bytes, version: str | None
) -> None:
    reply = send(server, "HEAD", url_for(server, version, "head_object", Bucket=bucket, Key=KEY))
    assert reply.status == 200
    assert reply.headers["Content-Length"] == str(len(stored))
    assert reply.headers["ETag"] == f'"{md5_hex(stored)}"'
    assert reply.body == b""


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_url_is_for_its_method_and_key_only(
    server: Server, s3: Any, bucket: str, stored: bytes, version: str | None
) -> None:
    url = url_for(server, version, "get_object", Bucket=bucket, Key=KEY)
    refused(send(server, "DELETE", url), 403, "SignatureDoesNotMatch")
    refused(send(server, "PUT", url, b"overwrite"), 403, "SignatureDoesNotMatch")
    refused(send(server, "GET", url.replace("/dir/", "/other/")), 403, "SignatureDoesNotMatch")
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == stored


@pytest.mark.parametrize("version", VERSIONS)
def test_put_object_presigned(server: Server, s3: Any, bucket: str, version: str | None) -> None:
    data = payload(3000)
    reply = send(
        server, "PUT", url_for(server, version, "put_object", Bucket=bucket, Key=KEY), data
    )
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] == f'"{md5_hex(data)}"'
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == data


@pytest.mark.parametrize("version", VERSIONS)
def test_put_object_presigned_with_a_content_type_sends_it(
    server: Server, s3: Any, bucket: str, version: str | None
) -> None:
    """A URL presigned with ContentType is used with that Content-Type header; another type is
    refused (both signature versions sign it)."""
    url = url_for(server, version, "put_object", Bucket=bucket, Key=KEY, ContentType="image/png")
    refused(send(server, "PUT", url, b"png", {"Content-Type": "image/gif"}), 403,
            "SignatureDoesNotMatch")  # fmt: skip
    reply = send(server, "PUT", url, b"png", {"Content-Type": "image/png"})
    assert reply.status == 200, reply.body
    assert s3.head_object(Bucket=bucket, Key=KEY)["ContentType"] == "image/png"


@pytest.mark.parametrize("version", VERSIONS)
def test_presigned_url_with_an_authorization_header_is_invalid_argument(
    server: Server, bucket: str, version: str | None
) -> None:
    url = url_for(server, version, "put_object", Bucket=bucket, Key=KEY)
    reply = send(server, "PUT", url, b"x", {"Authorization": "Bearer a-session-token"})
    refused(reply, 400, "InvalidArgument")


# --- time: expiry against the server's clock, and the skew of header signing -----------------


class ClockServers:
    """Servers whose clocks run ``offset`` seconds ahead (behind if negative) of the system
    clock, through S3MPU_CLOCK_OFFSET; each started on first use, stopped with the module."""

    def __init__(self, root: Path, stack: contextlib.ExitStack) -> None:
        self._root = root
        self._stack = stack
        self._servers: dict[int, Server] = {}

    def __getitem__(self, offset: int) -> Server:
        if offset not in self._servers:
            self._servers[offset] = self._stack.enter_context(
                run_server(
                    self._root / f"offset{offset}" / "data",
                    "--no-fsync",
                    env={"S3MPU_CLOCK_OFFSET": str(offset)},
                )
            )
        return self._servers[offset]


@pytest.fixture(scope="module")
def clock_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockServers]:
    with contextlib.ExitStack() as stack:
        yield ClockServers(tmp_path_factory.mktemp("clocks"), stack)


def prepare_through_presigned_urls(server: Server, version: str | None) -> tuple[str, bytes]:
    """A bucket and object on ``server``, made through week-long presigned URLs, since a server
    whose clock is off refuses header-signed requests."""
    bucket = f"clock-{version or 'v2'}"
    create = url_for(server, version, "create_bucket", 604800, Bucket=bucket)
    assert send(server, "PUT", create).status == 200
    data = payload(100)
    url = url_for(server, version, "put_object", 604800, Bucket=bucket, Key=KEY)
    assert send(server, "PUT", url, data).status == 200
    return bucket, data


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_url_expires_by_the_server_clock(
    server: Server, clock_servers: ClockServers, version: str | None
) -> None:
    """ExpiresIn=3600 works now, and is AccessDenied on a server whose clock reads two hours
    later; ExpiresIn=10800 still works there."""
    s3 = client_for(server)
    bucket = new_bucket(s3)
    data = payload(100)
    s3.put_object(Bucket=bucket, Key=KEY, Body=data)
    hour = url_for(server, version, "get_object", 3600, Bucket=bucket, Key=KEY)
    assert send(server, "GET", hour).body == data

    ahead = clock_servers[7200]
    bucket, data = prepare_through_presigned_urls(ahead, version)
    hour = url_for(ahead, version, "get_object", 3600, Bucket=bucket, Key=KEY)
    refused(send(ahead, "GET", hour), 403, "AccessDenied")
    three_hours = url_for(ahead, version, "get_object", 10800, Bucket=bucket, Key=KEY)
    assert send(ahead, "GET", three_hours).body == data


@pytest.mark.parametrize(("version", "works"), [(None, True), ("s3v4", False)])
def test_presigned_url_from_a_clock_20_minutes_ahead(
    clock_servers: ClockServers, version: str | None, works: bool
) -> None:
    """A server whose clock is 20 minutes behind the signer: a SigV4 URL is 'not valid yet'
    (AccessDenied); SigV2 has no start time, only its Expires."""
    behind = clock_servers[-1200]
    url = url_for(behind, version, "list_buckets")
    reply = send(behind, "GET", url)
    if works:
        assert reply.status == 200, reply.body
    else:
        refused(reply, 403, "AccessDenied")


@pytest.mark.parametrize(
    ("offset", "skewed"),
    [(1200, True), (-1200, True), (600, False), (-600, False)],
    ids=["20min-ahead", "20min-behind", "10min-ahead", "10min-behind"],
)
def test_header_signed_requests_against_a_skewed_server_clock(
    clock_servers: ClockServers, offset: int, skewed: bool
) -> None:
    """Header signing is held to 15 minutes of the server's clock, presigned URLs are not."""
    skewed_server = clock_servers[offset]
    s3 = skewed_server.client()
    if skewed:
        with s3_error("RequestTimeTooSkewed", 403):
            s3.list_buckets()
    else:
        s3.list_buckets()
    assert send(skewed_server, "GET", url_for(skewed_server, None, "list_buckets")).status == 200


# --- presigned URLs are only as strong as their signer's key ---------------------------------

CREDENTIALS = """
[[keys]]
access_key = "reader"
secret_key = "reader-secret-0123456789"
access = "read-only"

[[keys]]
access_key = "photos"
secret_key = "photos-secret-0123456789"
buckets = ["photos"]
"""


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root: Path = tmp_path_factory.mktemp("presign-keys")
    (root / "credentials.toml").write_text(CREDENTIALS)
    with run_server(
        root / "data", "--no-fsync", "--credentials", str(root / "credentials.toml")
    ) as running:
        admin = running.client()
        for bucket in ("photos", "private"):
            admin.create_bucket(Bucket=bucket)
            admin.put_object(Bucket=bucket, Key="existing", Body=b"existing bytes")
        yield running


@pytest.mark.parametrize("version", VERSIONS)
def test_put_object_presigned_by_a_read_only_key_is_access_denied(
    keyed_server: Server, version: str | None
) -> None:
    reader = presigner(keyed_server, version, "reader", "reader-secret-0123456789")
    put = reader.generate_presigned_url("put_object", {"Bucket": "private", "Key": "existing"})
    refused(send(keyed_server, "PUT", put, b"overwrite"), 403, "AccessDenied")
    upload_id = keyed_server.client().create_multipart_upload(Bucket="private", Key="mpu")[
        "UploadId"
    ]
    part = reader.generate_presigned_url(
        "upload_part", {"Bucket": "private", "Key": "mpu", "UploadId": upload_id, "PartNumber": 1}
    )
    refused(send(keyed_server, "PUT", part, b"part"), 403, "AccessDenied")
    get = reader.generate_presigned_url("get_object", {"Bucket": "private", "Key": "existing"})
    assert send(keyed_server, "GET", get).body == b"existing bytes"
    admin = keyed_server.client()
    assert admin.get_object(Bucket="private", Key="existing")["Body"].read() == b"existing bytes"
    assert admin.list_parts(Bucket="private", Key="mpu", UploadId=upload_id).get("Parts", []) == []
    admin.abort_multipart_upload(Bucket="private", Key="mpu", UploadId=upload_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_get_object_presigned_by_a_bucket_scoped_key_outside_its_bucket_is_access_denied(
    keyed_server: Server, version: str | None
) -> None:
    photos = presigner(keyed_server, version, "photos", "photos-secret-0123456789")
    mine = photos.generate_presigned_url("get_object", {"Bucket": "photos", "Key": "existing"})
    assert send(keyed_server, "GET", mine).body == b"existing bytes"
    other = photos.generate_presigned_url("get_object", {"Bucket": "private", "Key": "existing"})
    refused(send(keyed_server, "GET", other), 403, "AccessDenied")


@pytest.mark.parametrize("version", VERSIONS)
def test_presigned_url_by_an_unknown_key_is_invalid_access_key_id(
    server: Server, version: str | None
) -> None:
    stranger = presigner(server, version, "AKIDUNKNOWN", "whatever")
    refused(send(server, "GET", stranger.generate_presigned_url("list_buckets")), 403,
            "InvalidAccessKeyId")  # fmt: skip
