"""Small helpers shared by the compat tests: expected errors, payloads, ETags."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import pytest
import urllib3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server

T = TypeVar("T")

# The --domain every compat server is started with: "bucket.s3mpu.test" names a bucket.
VIRTUAL_DOMAIN = "s3mpu.test"

_bucket_numbers = itertools.count()
_clients: dict[str, Any] = {}


def client_for(server: Server) -> Any:
    """One stock boto3 client per server, reused: building clients is slow."""
    if server.url not in _clients:
        _clients[server.url] = server.client()
    return _clients[server.url]


def new_bucket(s3: Any) -> str:
    """Create a bucket with a name no other test uses."""
    name = f"compat-{next(_bucket_numbers):04d}"
    s3.create_bucket(Bucket=name)
    return name


@contextmanager
def s3_error(code: str, status: int) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect the block to fail with S3 error ``code`` and HTTP ``status`` (never the message)."""
    with pytest.raises(ClientError) as info:
        yield info
    response = info.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        code,
        status,
    )


def payload(size: int) -> bytes:
    return os.urandom(size)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data: bytes) -> str:
    """The x-amz-checksum-crc32 value of ``data``: big-endian CRC32, base64."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def quoted_md5(data: bytes) -> str:
    return f'"{md5_hex(data)}"'


def multipart_etag(parts: Sequence[bytes]) -> str:
    """S3's ETag of a multipart object: md5 of the concatenated binary part md5s, '-N', quoted."""
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def get_bytes(s3: Any, bucket: str, key: str, **kwargs: Any) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()  # type: ignore[no-any-return]


def upload_parts(
    s3: Any, bucket: str, key: str, upload_id: str, parts: dict[int, bytes]
) -> list[dict[str, Any]]:
    """Upload ``parts`` by number; the Parts list Complete wants, in ascending order."""
    done = []
    for number, data in parts.items():
        etag = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    return sorted(done, key=lambda p: p["PartNumber"])


def complete(s3: Any, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]) -> Any:
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


def all_at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``calls`` in threads released together; their results in order (errors re-raised)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result() for future in futures]


def virtual_client(server: Server, config: BotoConfig | None = None) -> Any:
    """A stock boto3 client that addresses buckets virtual-hosted style
    (``http://bucket.s3mpu.test:port/key``). No resolver knows those names, so the requests,
    signed for them, are sent to 127.0.0.1 with their Host header unchanged, the way a wildcard
    DNS record would deliver them."""
    scheme = server.url.split(":", 1)[0]
    client = boto3.client(
        "s3",
        endpoint_url=f"{scheme}://{VIRTUAL_DOMAIN}:{server.port}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=BotoConfig(
            s3={"addressing_style": "virtual"}, retries={"max_attempts": 1, "mode": "standard"}
        ).merge(config or BotoConfig()),
    )
    pool: urllib3.HTTPConnectionPool = (
        urllib3.HTTPSConnectionPool("127.0.0.1", server.port, ca_certs=server.ca_bundle)
        if scheme == "https"
        else urllib3.HTTPConnectionPool("127.0.0.1", server.port)
    )

    def send_to_loopback(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        headers = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in request.headers.items()
            if name.lower() != "host"
        }
        headers["Host"] = url.netloc
        raw = pool.urlopen(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            body=request.body,
            headers=headers,
            retries=False,
            preload_content=False,
            decode_content=False,
            chunked=headers.get("Transfer-Encoding", "").lower() == "chunked",
        )
        response = AWSResponse(request.url, raw.status, raw.headers, raw)
        if not request.stream_output:
            response.content  # noqa: B018 - read the body now, as botocore's own sender does
        return response

    client.meta.events.register("before-send.s3", send_to_loopback)
    return client
