"""Large plain bodies, received straight from the socket (server/receiver.py): bytes stored
exactly, the connection closed after the answer, nothing read past the body, and every way a
body can go wrong (cut short, dropped, stalled, wrong digest) refused with S3's code, storing
nothing and keeping the old bytes."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.receiver import TAKEOVER_SIZE
from tests.harness import Server, run_server
from tests.server.rawhttp import (
    TIMEOUT,
    UNSIGNED,
    Reply,
    assert_alive,
    assert_error,
    assert_ok,
    md5_b64,
    new_upload,
    no_leftovers,
    part_etags,
    send,
    sign,
    stored,
)

LARGE = os.urandom(3 * TAKEOVER_SIZE + 12345)  # past two 2 MiB store buffers, not a multiple
OLD = b"old bytes, which must survive"


def _head_and_body(server: Server, method: str, target: str, body: bytes, **extra: str) -> bytes:
    headers = sign(server, method, target, body, extra)
    headers["Content-Length"] = str(len(body))
    lines = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())
    return b"%s %s HTTP/1.1\r\n%s\r\n%s" % (method.encode(), target.encode(), lines, body)


def _answer(sock: socket.socket) -> Reply:
    response = http.client.HTTPResponse(sock, method="PUT")
    response.begin()
    return Reply(response.status, response.headers, response.read())


@pytest.fixture
def old_object(s3: Any, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="k", Body=OLD)
    return bucket


def test_put_object_large_body_is_stored_and_closes_the_connection(
    server: Server, s3: Any, bucket: str
) -> None:
    target = f"/{bucket}/k"
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(_head_and_body(server, "PUT", target, LARGE, Connection="keep-alive"))
        response = _answer(sock)
        assert_ok(response)
        assert response.headers["Connection"] == "close"
        assert response.headers["ETag"] == f'"{hashlib.md5(LARGE).hexdigest()}"'
        assert sock.recv(1) == b""  # the server closed its end
    assert stored(s3, bucket, "k") == LARGE


def test_put_object_small_body_keeps_the_connection(server: Server, s3: Any, bucket: str) -> None:
    small = os.urandom(TAKEOVER_SIZE - 1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        for key in ("a", "b"):
            sock.sendall(_head_and_body(server, "PUT", f"/{bucket}/{key}", small))
            response = assert_ok(_answer(sock))
            assert response.headers["Connection"] is None
    assert stored(s3, bucket, "a") == stored(s3, bucket, "b") == small


def test_put_object_large_body_reads_nothing_past_its_end(
    server: Server, s3: Any, bucket: str
) -> None:
    """A client pipelines a second request right behind the body: the body is exactly its
    Content-Length bytes, and the second request is not taken for part of it."""
    first = _head_and_body(server, "PUT", f"/{bucket}/k", LARGE)
    second = _head_and_body(server, "PUT", f"/{bucket}/other", b"second")
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(first + second)
        assert _answer(sock).headers["Connection"] == "close"
    assert stored(s3, bucket, "k") == LARGE
    assert stored(s3, bucket, "other") is None


def test_upload_part_large_bodies_with_expect_continue_complete_byte_exact(
    s3: Any, bucket: str
) -> None:
    """boto3 sends parts over 1 MiB with Expect: 100-continue, each on a new connection once
    the last one was closed."""
    parts = [LARGE, os.urandom(TAKEOVER_SIZE), b"tail"]
    upload_id, etags = new_upload(s3, bucket, "k", *parts)
    assert etags == [f'"{hashlib.md5(part).hexdigest()}"' for part in parts]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    assert stored(s3, bucket, "k") == b"".join(parts)


def test_put_object_large_body_cut_short_stores_nothing(
    server: Server, s3: Any, old_object: str
) -> None:
    target = f"/{old_object}/k"
    headers = sign(server, "PUT", target, payload_hash=UNSIGNED)
    headers["Content-Length"] = str(len(LARGE))
    reply = send(server, "PUT", target, headers, LARGE[: 2 * TAKEOVER_SIZE], shutdown=True)
    if reply is not None:
        assert_error(reply, 400, "IncompleteBody")
    assert no_leftovers(server)
    assert stored(s3, old_object, "k") == OLD
    assert_alive(server)


def test_upload_part_large_body_dropped_mid_way_stores_nothing(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, _ = new_upload(s3, bucket, "k", OLD)
    target = f"/{bucket}/k?partNumber=1&uploadId={upload_id}"
    headers = sign(server, "PUT", target, payload_hash=UNSIGNED)
    headers["Content-Length"] = str(len(LARGE))
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.sendall(b"PUT %s HTTP/1.1\r\n%s\r\n" % (target.encode(), head))
    sock.sendall(LARGE[: 2 * TAKEOVER_SIZE])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # close: reset
    sock.close()
    assert no_leftovers(server)
    assert part_etags(s3, bucket, "k", upload_id) == {1: f'"{hashlib.md5(OLD).hexdigest()}"'}
    assert_alive(server)


@pytest.mark.parametrize("header", ["Content-MD5", "x-amz-content-sha256"])
def test_put_object_large_body_with_wrong_digest_is_refused(
    server: Server, s3: Any, old_object: str, header: str
) -> None:
    target = f"/{old_object}/k"
    if header == "Content-MD5":
        headers = sign(server, "PUT", target, LARGE, {"Content-MD5": md5_b64(b"other")})
        code = "BadDigest"
    else:
        headers = sign(server, "PUT", target, payload_hash=hashlib.sha256(b"other").hexdigest())
        code = "XAmzContentSHA256Mismatch"
    reply = send(server, "PUT", target, headers, LARGE)
    assert_error(reply, 400, code)
    assert no_leftovers(server)
    assert stored(s3, old_object, "k") == OLD


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that gives up on a body after one idle second."""
    data: Path = tmp_path_factory.mktemp("impatient") / "data"
    with run_server(data, "--body-idle-timeout", "1") as running:
        running.client().create_bucket(Bucket="idle")
        yield running


@pytest.mark.parametrize("sent", [0, 2 * TAKEOVER_SIZE])
def test_put_object_large_body_stalled_is_request_timeout(impatient: Server, sent: int) -> None:
    """The client sends part of the body (none, or past aiohttp's buffer into the store's) and
    then nothing: RequestTimeout once the idle time is up, and nothing stored."""
    target = "/idle/k"
    headers = sign(impatient, "PUT", target, payload_hash=UNSIGNED)
    headers["Content-Length"] = str(len(LARGE))
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"PUT %s HTTP/1.1\r\n%s\r\n" % (target.encode(), head) + LARGE[:sent])
        assert_error(_answer(sock), 400, "RequestTimeout")
    assert no_leftovers(impatient)
    assert_ok(send(impatient, "HEAD", target, sign(impatient, "HEAD", target)), 404)
