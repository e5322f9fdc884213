"""Stopping a real server (SIGTERM, SIGINT) while a large GET streams to a client that reads
nothing and a large PutObject body is half received (server/receiver.py has taken it over).

The process exits by itself, with status 0 and no traceback: the requests in flight get a few
seconds (server/cli.py SHUTDOWN_GRACE) and are then cut. After a restart on the same data dir
the store is consistent: `s3mpu fsck` finds nothing wrong, the object that was being read is
whole, and the upload that was cut is not an object.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.receiver import TAKEOVER_SIZE
from tests.harness import Server, run_server
from tests.server.rawhttp import TIMEOUT, UNSIGNED, sign, stored

BIG = 24 << 20  # more than the socket buffers of both ends hold
HANG_GUARD = 60.0  # seconds: only so that a hung server fails the test instead of blocking it


def _connect(server: Server, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.sendall(head)
    return sock


def _request_head(server: Server, method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} {target} HTTP/1.1\r\n{lines}\r\n".encode()


def _stalled_get(server: Server) -> tuple[socket.socket, http.client.HTTPResponse]:
    """A GET of the big object whose client reads the headers, then nothing."""
    headers = sign(server, "GET", "/stop/big", b"", None)
    sock = _connect(server, _request_head(server, "GET", "/stop/big", headers))
    response = http.client.HTTPResponse(sock, method="GET")
    response.begin()
    assert response.status == 200
    return sock, response


def _stalled_put(server: Server) -> socket.socket:
    """A PutObject of BIG bytes whose client sends a few MiB of them, then nothing."""
    headers = sign(server, "PUT", "/stop/cut", b"", {"x-amz-content-sha256": UNSIGNED})
    headers["Content-Length"] = str(BIG)
    sock = _connect(server, _request_head(server, "PUT", "/stop/cut", headers))
    sock.sendall(os.urandom(2 * TAKEOVER_SIZE + 1))
    # Wait until its body is being received into the data dir's tmp/ (storage/blobs.py).
    deadline = time.monotonic() + HANG_GUARD
    while not any((server.data_dir / "tmp").glob("*")):
        assert time.monotonic() < deadline, "the PUT's body never reached the data dir"
        time.sleep(0.02)
    return sock


def _rest(sock: socket.socket) -> bytes:
    """What the server still sends before it closes the connection."""
    data = b""
    while chunk := sock.recv(1 << 20):
        data += chunk
    return data


def _fsck(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "fsck", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=HANG_GUARD, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("signum", "times"),
    [(signal.SIGTERM, 1), (signal.SIGINT, 2)],  # Ctrl-C pressed twice: the shutdown goes on
    ids=["SIGTERM", "SIGINT-twice"],
)
def test_serve_stops_on_signal_mid_get_and_mid_put(
    tmp_path: Path, signum: signal.Signals, times: int
) -> None:
    data_dir = tmp_path / "data"
    big = os.urandom(BIG)
    with run_server(data_dir) as server:
        s3 = server.client()
        s3.create_bucket(Bucket="stop")
        s3.put_object(Bucket="stop", Key="big", Body=big)
        get_sock, get_response = _stalled_get(server)
        put_sock = _stalled_put(server)
        with get_sock, get_response, put_sock:
            time.sleep(0.5)  # the GET's pump has the socket full
            server.process.send_signal(signum)
            if times == 2:
                time.sleep(0.5)  # within the shutdown's grace
                server.process.send_signal(signum)
            assert server.process.wait(timeout=HANG_GUARD) == 0
            # The GET was cut: fewer bytes than Content-Length, all of them the object's.
            with pytest.raises(http.client.IncompleteRead) as cut:
                get_response.read()
            assert cut.value.partial == big[: len(cut.value.partial)]
            # The PUT was not acknowledged.
            assert not _rest(put_sock).startswith(b"HTTP/1.1 200")
        log = server.log()
        assert "Traceback" not in log, log
    checked = _fsck(data_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with run_server(data_dir) as again:
        s3 = again.client()
        listed = s3.list_objects_v2(Bucket="stop")["Contents"]
        assert [item["Key"] for item in listed] == ["big"]
        assert stored(s3, "stop", "big") == big
        assert stored(s3, "stop", "cut") is None
