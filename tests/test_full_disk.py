"""A full disk, for real: the server's data dir on a small tmpfs, filled up through boto3.

Every write that does not fit answers 507 XMinioStorageFull, leaves no partial file behind, and
the server goes on serving: existing objects read, and a smaller write succeeds. Mounting needs
root (and a machine that allows it); elsewhere these tests skip, and the injected-error tests
in tests/storage/test_blobs.py still cover the same paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from storage import fsck
from tests.harness import Server, run_server
from tests.server.rawhttp import TIMEOUT, UNSIGNED, sign

MiB = 1024 * 1024
SIZE = 8 * MiB


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "fs"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
            check=True, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        pytest.skip(f"cannot mount a small tmpfs on this machine (needs root): {detail}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def storage_full(call: Any, **params: Any) -> bool:
    try:
        call(**params)
    except ClientError as exc:
        error = exc.response["Error"]["Code"]
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (error, status) == ("XMinioStorageFull", 507)
        return True
    return False


def leftovers(data_dir: Path) -> list[Path]:
    return list((data_dir / "tmp").iterdir())


def data_files(data_dir: Path) -> set[Path]:
    return {p for p in (data_dir / "blobs").rglob("*") if p.is_file()}


def fill(path: Path) -> None:
    """Write zeros to ``path`` until the filesystem has no room left."""
    with path.open("wb", buffering=0) as fh:
        chunk = bytes(64 * 1024)
        while True:
            try:
                fh.write(chunk)
            except OSError:
                return


@pytest.fixture
def full(small_fs: Path) -> Iterator[Server]:
    with run_server(small_fs / "data") as running:
        yield running
    report = asyncio.run(fsck(small_fs / "data"))
    assert report.problems == [], list(report.lines())


def test_put_object_larger_than_the_disk(full: Server) -> None:
    s3 = full.client()
    s3.create_bucket(Bucket="full")
    kept = os.urandom(100_000)
    s3.put_object(Bucket="full", Key="kept", Body=kept)
    before = data_files(full.data_dir)
    assert storage_full(s3.put_object, Bucket="full", Key="big", Body=os.urandom(12 * MiB))
    assert leftovers(full.data_dir) == []
    assert data_files(full.data_dir) == before
    with pytest.raises(ClientError):
        s3.head_object(Bucket="full", Key="big")
    # The partial file is gone, so its room is back: a smaller upload fits, reads still work.
    small = os.urandom(2 * MiB)
    s3.put_object(Bucket="full", Key="small", Body=small)
    assert s3.get_object(Bucket="full", Key="small")["Body"].read() == small
    assert s3.get_object(Bucket="full", Key="kept")["Body"].read() == kept


def test_upload_part_until_the_disk_is_full(full: Server) -> None:
    s3 = full.client()
    s3.create_bucket(Bucket="parts")
    upload_id = s3.create_multipart_upload(Bucket="parts", Key="k")["UploadId"]
    parts: list[tuple[int, str]] = []
    for number in range(1, 10):
        body = os.urandom(2 * MiB)
        try:
            etag = s3.upload_part(
                Bucket="parts", Key="k", UploadId=upload_id, PartNumber=number, Body=body
            )["ETag"]
        except ClientError:
            assert storage_full(
                s3.upload_part,
                Bucket="parts", Key="k", UploadId=upload_id, PartNumber=number, Body=body,
            )  # fmt: skip
            break
        parts.append((number, etag))
    else:
        pytest.fail("9 parts of 2 MiB fitted on an 8 MiB filesystem")
    assert parts, "not even one 2 MiB part fitted"
    assert leftovers(full.data_dir) == []
    listed = s3.list_parts(Bucket="parts", Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == parts
    # Aborting frees the parts' room for the next upload.
    s3.abort_multipart_upload(Bucket="parts", Key="k", UploadId=upload_id)
    assert data_files(full.data_dir) == set()
    big = os.urandom(5 * MiB)
    s3.put_object(Bucket="parts", Key="after", Body=big)
    assert s3.get_object(Bucket="parts", Key="after")["Body"].read() == big


def test_deletes_and_aborts_still_work_once_uploads_fill_the_disk(full: Server) -> None:
    s3 = full.client()
    s3.create_bucket(Bucket="fill")
    upload_id = s3.create_multipart_upload(Bucket="fill", Key="open")["UploadId"]
    s3.upload_part(Bucket="fill", Key="open", UploadId=upload_id, PartNumber=1, Body=b"p" * 1000)
    stored: list[str] = []
    # Objects of shrinking sizes, each until the disk takes no more: it fills to the last few
    # bytes uploads may have.
    for size in (500_000, 100_000, 20_000, 4_000, 1_000, 100):
        while not storage_full(
            s3.put_object, Bucket="fill", Key=f"k{len(stored):03}", Body=os.urandom(size)
        ):
            stored.append(f"k{len(stored):03}")
            assert len(stored) < 1000, "the 8 MiB filesystem never filled up"
    # Every upload stops short of the room kept for the database: what frees room is recorded.
    for key in stored[:3]:
        s3.delete_object(Bucket="fill", Key=key)
    s3.abort_multipart_upload(Bucket="fill", Key="open", UploadId=upload_id)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="fill")["Contents"]] == sorted(stored[3:])
    again = os.urandom(500_000)
    s3.put_object(Bucket="fill", Key="again", Body=again)
    assert s3.get_object(Bucket="fill", Key="again")["Body"].read() == again


def test_no_room_at_all(full: Server, small_fs: Path) -> None:
    s3 = full.client()
    s3.create_bucket(Bucket="none")
    s3.put_object(Bucket="none", Key="kept", Body=b"kept")
    filler = small_fs / "filler"  # beside the data dir, on the same filesystem
    fill(filler)
    # Data files and the database alike are out of room: each write is refused as full (which
    # of the two fails first depends on what SQLite has preallocated), never a 500.
    refused = [
        storage_full(s3.put_object, Bucket="none", Key=f"k{n}", Body=os.urandom(100_000))
        for n in range(3)
    ]
    assert all(refused)
    assert leftovers(full.data_dir) == []
    assert s3.get_object(Bucket="none", Key="kept")["Body"].read() == b"kept"
    assert s3.head_object(Bucket="none", Key="kept")["ContentLength"] == 4
    filler.unlink()
    s3.put_object(Bucket="none", Key="k0", Body=b"room again")
    assert s3.get_object(Bucket="none", Key="k0")["Body"].read() == b"room again"


def test_body_that_overflows_its_last_write_is_refused(small_fs: Path, tmp_path: Path) -> None:
    # Data files on the small filesystem, the database on a roomy one: the write of the body's
    # only buffer runs out of room midway, and nothing else does. An unchecked short write here
    # once stored a truncated file and answered 200.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in ("tmp", "blobs"):
        (small_fs / name).mkdir()
        (data_dir / name).symlink_to(small_fs / name)
    # No room kept free: the body itself must meet the end of the disk.
    with run_server(data_dir, "--min-free-space", "0") as running:
        s3 = running.client()
        s3.create_bucket(Bucket="short")
        filler = small_fs / "filler"
        fill(filler)
        with filler.open("r+b") as fh:  # leave about 100 KB free
            fh.truncate(filler.stat().st_size - 100_000)
        body = os.urandom(300_000)  # less than one write buffer
        assert storage_full(s3.put_object, Bucket="short", Key="k", Body=body)
        assert leftovers(data_dir) == []
        assert data_files(data_dir) == set()
        s3.put_object(Bucket="short", Key="k", Body=body[:50_000])
        assert s3.get_object(Bucket="short", Key="k")["Body"].read() == body[:50_000]
    assert asyncio.run(fsck(data_dir)).problems == []


def test_put_object_large_raw_body_on_a_full_disk_closes_at_once(full: Server) -> None:
    """A large plain body (received by server/receiver.py) that stops fitting mid-way: 507,
    and the connection is closed right after the answer, not kept waiting for the rest of a
    body the server will not read."""
    s3 = full.client()
    s3.create_bucket(Bucket="raw")
    body = os.urandom(12 * MiB)
    headers = sign(full, "PUT", "/raw/big", payload_hash=UNSIGNED)
    headers["Content-Length"] = str(len(body))
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", full.port), timeout=TIMEOUT) as sock:
        sending = threading.Thread(target=_send_quietly, args=(sock, b"PUT /raw/big HTTP/1.1\r\n"
                                   + head + b"\r\n" + body))  # fmt: skip
        sending.start()
        response = http.client.HTTPResponse(sock, method="PUT")
        response.begin()
        assert response.status == 507
        response.read()
        # aiohttp would otherwise linger for the body (10 s) before closing: well past this.
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""
        sending.join()
    assert leftovers(full.data_dir) == []


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)
