"""GetObject bodies on the wire (server/sendfile.py): the pump's windows and part boundaries,
more bodies at once than pump threads, clients that stall and clients that hang up mid-body,
data files shortened under a GET.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from server.sendfile import HANDBACK, PUMPS, READ_WHOLE, WINDOW
from tests.harness import Server, run_server
from tests.server.rawhttp import assert_alive, new_upload, request, sign

# Larger than what the socket buffers on both ends hold while the client reads nothing, so a
# body of it stalls the server until the client reads.
BIG = 24 << 20
# The multipart object's parts: a window and a bit (the bit not page-aligned), a small part
# (the tests' server allows 5 bytes), two windows, and a tail.
P1, P2, P3, P4 = WINDOW + 4097, 5, 2 * WINDOW, 12345


def _payload(size: int, seed: int) -> bytes:
    # Different bytes at every offset, so a body shifted or spliced wrongly cannot match.
    block = os.urandom(1 << 16) if seed < 0 else bytes((seed + i) % 251 for i in range(1 << 16))
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own, whose log and descriptors the tests read."""
    with run_server(tmp_path_factory.mktemp("get-bodies") / "data") as running:
        yield running
        assert_alive(running)


@pytest.fixture(scope="module")
def objects(own_server: Server) -> dict[str, bytes]:
    """A multipart object whose parts straddle the pump's windows, and one BIG object."""
    s3 = own_server.client()
    s3.create_bucket(Bucket="bodies")
    parts = [_payload(P1, 1), _payload(P2, 2), _payload(P3, 3), _payload(P4, 4)]
    upload_id, etags = new_upload(s3, "bodies", "mp", *parts)
    done = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    s3.complete_multipart_upload(
        Bucket="bodies", Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    big = _payload(BIG, -1)
    s3.put_object(Bucket="bodies", Key="big", Body=big)
    s3.put_object(Bucket="bodies", Key="empty", Body=b"")
    return {"mp": b"".join(parts), "big": big, "empty": b""}


def _get(s3: Any, key: str, **extra: Any) -> Any:
    return s3.get_object(Bucket="bodies", Key=key, **extra)


def test_get_object_whole_multipart_across_windows(
    own_server: Server, objects: dict[str, bytes]
) -> None:
    got = _get(own_server.client(), "mp", ChecksumMode="ENABLED")
    # boto3 checks the CRC64NVME the server sends for the whole object as it reads.
    assert "ChecksumCRC64NVME" in got
    assert got["Body"].read() == objects["mp"]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (0, 0),
        (WINDOW - 1, WINDOW),  # the first window's edge
        (4095, P1),  # not page-aligned, to the first byte of part 2
        (P1, P1 + P2 - 1),  # part 2 alone
        (P1 - 3, P1 + P2 + 2),  # a small body (read whole) from three parts
        (P1 - 3, P1 + P2 + WINDOW + 5),  # across three parts and a window edge
        (P1 + P2 + P3 - 1, None),  # the last byte of part 3 to the end
    ],
)
def test_get_object_range_across_parts_and_windows(
    own_server: Server, objects: dict[str, bytes], first: int, last: int | None
) -> None:
    whole = objects["mp"]
    last = len(whole) - 1 if last is None else last
    got = _get(own_server.client(), "mp", Range=f"bytes={first}-{last}")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == whole[first : last + 1]


def test_get_object_part_number_of_multipart(own_server: Server, objects: dict[str, bytes]) -> None:
    got = _get(own_server.client(), "mp", PartNumber=3)
    assert got["Body"].read() == objects["mp"][P1 + P2 : P1 + P2 + P3]


def test_get_object_empty(own_server: Server, objects: dict[str, bytes]) -> None:
    got = _get(own_server.client(), "empty")
    assert got["ContentLength"] == 0
    assert got["Body"].read() == b""


def _open_get(
    server: Server, key: str, receive_buffer: int | None = None, tls: str | None = None
) -> tuple[socket.socket, http.client.HTTPResponse]:
    """Send a GET on a fresh connection (over TLS: ``tls`` is the CA bundle's path) and read
    only the status line and headers."""
    target = f"/bodies/{key}"
    headers = sign(server, "GET", target, b"", None)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sock = socket.socket()
    sock.settimeout(60)
    if receive_buffer is not None:  # set before connecting: it bounds the TCP window
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port))
    if tls is not None:
        sock = ssl.create_default_context(cafile=tls).wrap_socket(sock, server_hostname="127.0.0.1")
    sock.sendall(f"GET {target} HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode())
    response = http.client.HTTPResponse(sock, method="GET")
    response.begin()
    assert response.status == 200
    return sock, response


def test_get_object_more_stalled_bodies_than_pump_threads(
    own_server: Server, objects: dict[str, bytes]
) -> None:
    # Every body stalls (the client reads nothing), so the first PUMPS hold the pump threads
    # and the next ones go through the event loop; after HANDBACK seconds of stall the pumped
    # ones continue there too. Each must still arrive whole and in order.
    opened = [_open_get(own_server, "big") for _ in range(PUMPS + 2)]
    time.sleep(HANDBACK + 1)
    try:
        for _, response in reversed(opened):
            assert response.read() == objects["big"]
    finally:
        for sock, response in opened:
            response.close()
            sock.close()
    # And a body that has the pump to itself meanwhile.
    assert _get(own_server.client(), "big")["Body"].read() == objects["big"]


def _descriptors(server: Server) -> int:
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_get_object_client_hangs_up_mid_body(own_server: Server, objects: dict[str, bytes]) -> None:
    s3 = own_server.client()
    assert _get(s3, "big")["Body"].read() == objects["big"]  # every lazy descriptor opened
    before = _descriptors(own_server)
    log_before = len(own_server.log())
    for read in (0, 1, 1 << 20, WINDOW + 1, 10 << 20):
        sock, response = _open_get(own_server, "big")
        assert response.read(read) == objects["big"][:read]
        # A reset rather than a polite close: the server's next write fails at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        response.close()
        sock.close()
    assert _get(s3, "big", Range="bytes=5-9")["Body"].read() == objects["big"][5:10]
    # The pumps close their files and sockets as they notice; wait for that, bounded.
    deadline = time.monotonic() + 30
    while _descriptors(own_server) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _descriptors(own_server) <= before
    log = own_server.log()[log_before:]
    assert "Traceback" not in log, log
    assert "aborted mid-body" not in log, log
    assert_alive(own_server)


# A data file shortened by something outside the server, before or during a GET. The status
# line has gone out by then, so the body can only be cut: the connection closes before
# Content-Length bytes, every byte sent is the object's, and the server goes on serving.


def _object_and_file(server: Server, key: str, size: int = BIG) -> tuple[bytes, Path]:
    """An object of its own, of ``size`` bytes, and its data file."""
    blobs = server.data_dir / "blobs"
    before = set(blobs.rglob("*"))
    body = _payload(size, -1)
    server.client().put_object(Bucket="bodies", Key=key, Body=body)
    (data_file,) = (path for path in set(blobs.rglob("*")) - before if path.is_file())
    return body, data_file


def _read_cut(response: http.client.HTTPResponse) -> bytes:
    """The rest of a body the server must cut short."""
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    return cut.value.partial


def _assert_cut(
    server: Server, objects: dict[str, bytes], body: bytes, got: bytes, descriptors: int
) -> None:
    assert len(got) < len(body)
    assert got == body[: len(got)]
    # The server goes on serving: another object whole, and no descriptor left open.
    assert _get(server.client(), "mp")["Body"].read() == objects["mp"]
    deadline = time.monotonic() + 30
    while _descriptors(server) > descriptors and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _descriptors(server) <= descriptors
    assert server.process.poll() is None, server.log()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
@pytest.mark.parametrize("cut_at", [0, WINDOW + 4097, 2 * WINDOW])
def test_get_object_data_file_shortened_before_get(
    own_server: Server, objects: dict[str, bytes], cut_at: int
) -> None:
    body, data_file = _object_and_file(own_server, f"short-{cut_at}")
    descriptors = _descriptors(own_server)
    os.truncate(data_file, cut_at)
    sock, response = _open_get(own_server, f"short-{cut_at}")
    with sock, response:
        assert response.length == BIG
        got = _read_cut(response)
    assert len(got) <= cut_at
    _assert_cut(own_server, objects, body, got, descriptors)


def test_get_object_small_data_file_shortened_before_get(
    own_server: Server, objects: dict[str, bytes]
) -> None:
    # A small body is read whole before the headers go out: found short, it is answered with
    # S3's InternalError instead, and the server goes on serving.
    _, data_file = _object_and_file(own_server, "short-small", READ_WHOLE)
    os.truncate(data_file, 1000)
    reply = request(own_server, "GET", "/bodies/short-small")
    assert (reply.status, reply.fields()["Code"]) == (500, "InternalError")
    assert _get(own_server.client(), "mp")["Body"].read() == objects["mp"]
    assert_alive(own_server)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
@pytest.mark.parametrize(
    ("stall", "cut_at"),
    [
        (False, BIG // 2 + 123),  # ahead of the pump: its next window is cut
        (False, 0),  # under the pump's mapped window: its write(2) fails (EFAULT, not SIGBUS)
        (True, BIG // 2 + 123),  # the rest of the body goes through the loop's sendfile
    ],
    ids=["pumped", "pumped-under-the-window", "stalled-then-in-loop"],
)
def test_get_object_data_file_shortened_mid_body(
    own_server: Server, objects: dict[str, bytes], stall: bool, cut_at: int
) -> None:
    # Read slowly (a small receive buffer, so the server cannot get far ahead), or not at all
    # until the pump hands the body back to the event loop; shorten the file meanwhile.
    key = f"shortened-{stall}-{cut_at}"
    body, data_file = _object_and_file(own_server, key)
    descriptors = _descriptors(own_server)
    sock, response = _open_get(own_server, key, receive_buffer=64 << 10)
    with sock, response:
        if stall:
            time.sleep(HANDBACK + 1)
            got = b""
        else:
            got = response.read(1 << 20)
        os.truncate(data_file, cut_at)
        got += _read_cut(response)
    _assert_cut(own_server, objects, body, got, descriptors)


# Another object on the TLS server, read whole after each cut body.
TLS_OTHER = _payload(WINDOW + 5, 7)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server over TLS, where bodies are read in a worker thread and written through the
    transport (no pump, no sendfile), and its CA bundle's path."""
    directory = tmp_path_factory.mktemp("get-bodies-tls")
    ca = trustme.CA()
    cert, key, bundle = (directory / name for name in ("cert.pem", "key.pem", "ca.pem"))
    issued = ca.issue_cert("127.0.0.1")
    issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(bundle))
    with run_server(directory / "data", tls=(cert, key, str(bundle))) as running:
        running.client().create_bucket(Bucket="bodies")
        running.client().put_object(Bucket="bodies", Key="mp", Body=TLS_OTHER)
        yield running, str(bundle)
        running.client().list_buckets()
        assert running.process.poll() is None, running.log()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
@pytest.mark.parametrize("cut_at", [0, BIG // 2 + 123])
def test_get_object_data_file_shortened_mid_body_over_tls(
    tls_server: tuple[Server, str], cut_at: int
) -> None:
    server, bundle = tls_server
    body, data_file = _object_and_file(server, f"tls-short-{cut_at}")
    descriptors = _descriptors(server)
    sock, response = _open_get(server, f"tls-short-{cut_at}", receive_buffer=64 << 10, tls=bundle)
    with sock, response:
        got = response.read(1 << 20)
        os.truncate(data_file, cut_at)
        got += _read_cut(response)
    _assert_cut(server, {"mp": TLS_OTHER}, body, got, descriptors)
