"""Conditional writes on the wire: a PutObject whose condition held when its body started and
no longer holds when it ends (another write won meanwhile) is 409 ConditionalRequestConflict,
stores nothing and leaves the winner in place.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (If-None-Match, If-Match)
"""

from __future__ import annotations

import http.client
import socket
import time
from typing import Any

import pytest

from tests.harness import Server
from tests.server.rawhttp import no_leftovers, sign, stored

HALF = b"x" * 65536


def _receiving(server: Server) -> bool:
    """True once a body is being written into the data dir's tmp/ (blobs.py layout)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any((server.data_dir / "tmp").iterdir()):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("condition", ["none-match", "match"])
def test_put_object_condition_broken_mid_body_is_conflict(
    server: Server, s3: Any, bucket: str, condition: str
) -> None:
    key = f"raced-{condition}"
    headers = {"If-None-Match": "*"}
    if condition == "match":
        etag = s3.put_object(Bucket=bucket, Key=key, Body=b"original")["ETag"]
        headers = {"If-Match": etag}
    target = f"/{bucket}/{key}"
    headers["Content-Length"] = str(2 * len(HALF))
    signed = sign(server, "PUT", target, b"", headers, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + HALF)
        assert _receiving(server)
        s3.put_object(Bucket=bucket, Key=key, Body=b"the winner")
        sock.sendall(HALF)
        response = http.client.HTTPResponse(sock, method="PUT")
        response.begin()
        body = response.read()
    assert response.status == 409, body
    assert b"<Code>ConditionalRequestConflict</Code>" in body
    assert stored(s3, bucket, key) == b"the winner"
    assert no_leftovers(server)
