"""Raw HTTP against a running s3mpu: sign with botocore, send over a plain socket, read S3 errors.

A plain socket rather than an HTTP library, so tests can lie about Content-Length, cut a body
short, send bytes a library would refuse, and still read whatever the server answers.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import re
import socket
import time
import xml.etree.ElementTree as ET
import zlib
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server

TIMEOUT = 10.0
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_ERROR_FIELDS = ("Code", "Message", "Resource", "RequestId")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes

    def fields(self) -> dict[str, str]:
        """The children of an S3 XML <Error> body by element name; {} for any other body."""
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError:
            return {}
        if root.tag != "Error":
            return {}
        return {child.tag: child.text or "" for child in root}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data: bytes) -> str:
    return b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def host(server: Server) -> str:
    return f"127.0.0.1:{server.port}"


def sign(
    server: Server,
    method: str,
    target: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    payload_hash: str | None = None,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
    s3_auth: bool = True,
) -> dict[str, str]:
    """The headers of ``method target`` signed by botocore's SigV4 signer.

    ``target`` is the path and query exactly as sent, already percent-encoded as AWS's canonical
    form wants it (botocore signs S3 paths and queries as given). ``payload_hash`` is sent as
    x-amz-content-sha256 (default: the body's SHA-256). ``s3_auth=False`` signs with the generic
    SigV4 signer, which sends no x-amz-content-sha256 at all. A "Host" in ``headers`` replaces
    the server's address (virtual-hosted-style requests).
    """
    request = AWSRequest(method=method, url=server.url + target, data=body)
    extra = dict(headers or {})
    request.headers["Host"] = extra.pop("Host", host(server))
    for name, value in extra.items():
        request.headers[name] = value
    if s3_auth:
        signer: SigV4Auth = _ChosenPayloadHash(
            Credentials(access_key, secret_key), region, payload_hash or sha256_hex(body)
        )
    else:
        signer = SigV4Auth(Credentials(access_key, secret_key), "s3", region)
    signer.add_auth(request)
    return dict(request.headers.items())


class _ChosenPayloadHash(S3SigV4Auth):
    """botocore's S3 signer, sending and signing the x-amz-content-sha256 the test chose."""

    def __init__(self, credentials: Credentials, region: str, payload_hash: str) -> None:
        super().__init__(credentials, "s3", region)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


def send(
    server: Server,
    method: str,
    target: str | bytes,
    headers: Mapping[str, str],
    body: bytes = b"",
    *,
    shutdown: bool = False,
    timeout: float = TIMEOUT,
) -> Reply | None:
    """Send one request on a fresh connection and read the answer; None if the server closed
    the connection without answering.

    Content-Length is the body's unless ``headers`` sets it (or Transfer-Encoding). ``shutdown``
    half-closes the connection after the body, as a client that stopped sending does. An answer
    that does not come within ``timeout`` seconds raises TimeoutError.
    """
    lines = dict(headers)
    names = {name.lower() for name in lines}
    if "content-length" not in names and "transfer-encoding" not in names:
        lines["Content-Length"] = str(len(body))
    lines.setdefault("Connection", "close")
    path = target if isinstance(target, bytes) else target.encode("ascii")
    head = b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), path)
    head += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in lines.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        try:
            sock.sendall(head + b"\r\n" + body)
            if shutdown:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer, and stop reading, before the body is sent
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None
        return Reply(response.status, response.headers, data)


def request(
    server: Server,
    method: str,
    target: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    **signing: object,
) -> Reply:
    """Sign (see ``sign``) and send; the server must answer."""
    signed = sign(server, method, target, body, headers, **signing)  # type: ignore[arg-type]
    reply = send(server, method, target, signed, body)
    assert reply is not None, f"{method} {target}: connection closed without an answer"
    return reply


def assert_error(reply: Reply | None, status: int, *codes: str) -> dict[str, str]:
    """The reply is S3's XML error ``status``/one of ``codes``, with every field S3 gives."""
    assert reply is not None, "connection closed without an answer"
    assert reply.status != 500, reply.body
    fields = reply.fields()
    got = (reply.status, fields.get("Code"))
    assert got in {(status, code) for code in codes}, f"{got}: {reply.body[:300]!r}"
    for name in _ERROR_FIELDS:
        assert name in fields, f"{name} missing from {reply.body!r}"
    assert reply.headers["x-amz-request-id"] == fields["RequestId"]
    return fields


def assert_ok(reply: Reply | None, status: int = 200) -> Reply:
    assert reply is not None, "connection closed without an answer"
    assert reply.status == status, reply.body
    return reply


def assert_alive(server: Server) -> None:
    assert server.process.poll() is None, f"s3mpu exited:\n{server.log()}"
    assert_ok(request(server, "GET", "/"))


def no_leftovers(server: Server, timeout: float = 5.0) -> bool:
    """True once no body is still being received into the data dir's tmp/ (blobs.py layout):
    a failed or disconnected upload must leave no file behind (DESIGN.md invariant 2)."""
    tmp = server.data_dir / "tmp"
    deadline = time.monotonic() + timeout
    while True:
        if not tmp.exists() or not any(tmp.iterdir()):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


# aws-chunked bodies, built by hand from the AWS pages:
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html


def chunks_of(payload: bytes, size: int) -> list[bytes]:
    return [payload[i : i + size] for i in range(0, len(payload), size)]


def unsigned_trailer_body(chunks: list[bytes], trailers: Mapping[str, str]) -> bytes:
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER framing: hex size, data, the 0 chunk, trailers."""
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    body += b"0\r\n" + b"".join(f"{k}:{v}\r\n".encode() for k, v in trailers.items())
    return body + b"\r\n"


def aws_chunked_headers(decoded_length: int, **extra: str) -> dict[str, str]:
    """Headers of an aws-chunked body (sign it with the STREAMING-* payload_hash)."""
    return {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(decoded_length),
        **extra,
    }


def signing_key(secret: str, date: str, region: str = REGION) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signed_chunks_body(chunks: list[bytes], signed_headers: Mapping[str, str]) -> bytes:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD framing: each chunk signed, chained from the seed
    signature of the request's Authorization header; the 0-size chunk ends the body."""
    authorization = signed_headers["Authorization"]
    seed = re.search(r"Signature=([0-9a-f]{64})", authorization)
    scope = re.search(r"Credential=[^/]+/([^,]+)", authorization)
    assert seed is not None, authorization
    assert scope is not None, authorization
    amz_date = signed_headers["X-Amz-Date"]
    key = signing_key(SECRET_KEY, scope[1].split("/")[0])
    previous = seed[1]
    body = b""
    for chunk in [*chunks, b""]:
        string_to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope[1],
                previous,
                EMPTY_SHA256,
                sha256_hex(chunk),
            )
        )
        previous = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), previous.encode(), chunk)
    return body


def signed_chunks_length(chunks: list[bytes]) -> int:
    """The Content-Length of ``signed_chunks_body``, needed (and signed) before the body is."""
    return sum(len(b"%x;chunk-signature=\r\n\r\n" % len(c)) + 64 + len(c) for c in [*chunks, b""])


# What the store holds, seen through boto3.


def stored(s3: Any, bucket: str, key: str) -> bytes | None:
    """The object's bytes, or None if there is no such key."""
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return body


def keys(s3: Any, bucket: str) -> list[str]:
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def new_upload(s3: Any, bucket: str, key: str, *parts: bytes) -> tuple[str, list[str]]:
    """A multipart upload with ``parts`` uploaded as parts 1..n: its id and the parts' ETags."""
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)["ETag"]
        for n, data in enumerate(parts, start=1)
    ]
    return upload_id, etags


def part_etags(s3: Any, bucket: str, key: str, upload_id: str) -> dict[int, str]:
    """The upload's parts as ListParts reports them (which also proves the upload is open)."""
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    return {part["PartNumber"]: part["ETag"] for part in listed.get("Parts", [])}


def first_status_line(server: Server, method: str, target: str, headers: Mapping[str, str]) -> str:
    """Send only the head of a request and return the first status line the server sends,
    informational (100 Continue) or final."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(f"{method} {target} HTTP/1.1\r\n{lines}\r\n".encode("latin-1"))
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")
