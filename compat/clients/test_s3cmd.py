"""s3cmd (from PyPI): put, ls, get, and multipart / abortmp after an interrupted upload.

s3cmd runs as a subprocess with its own config file and nothing from the user's. It uploads in
5 MiB chunks (--multipart-chunk-size-mb, its minimum). An interrupted s3cmd leaves its upload
for the user to resume or abort; its documented cleanup is ``s3cmd multipart`` to list uploads
and ``s3cmd abortmp`` to abort one.
https://s3tools.org/usage
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compat.clients.matrix import (
    STALLED,
    assert_stored_multipart,
    assert_upload_gone,
    stop,
    stored_files,
    wait_for_parts,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server


class S3cmd:
    def __init__(self, server: Server, home: Path) -> None:
        # The s3cmd script pip installed beside this interpreter (pyproject's test extras).
        executable = Path(sys.executable).parent / "s3cmd"
        assert executable.is_file(), "s3cmd is missing: `make install` installs it"
        self.server = server
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / "s3cfg"
        host = server.url.split("://", 1)[1]
        lines = [
            "[default]",
            f"access_key = {ACCESS_KEY}",
            f"secret_key = {SECRET_KEY}",
            f"bucket_location = {REGION}",
            f"host_base = {host}",
            f"host_bucket = {host}",  # no %(bucket)s: path-style addressing
            f"use_https = {server.url.startswith('https')}",
            f"ca_certs_file = {server.ca_bundle or ''}",
            "check_ssl_certificate = True",
            "signature_v2 = False",
            "multipart_chunk_size_mb = 5",
            "progress_meter = False",
        ]
        self.config.write_text("\n".join(lines) + "\n")
        self.argv = [str(executable), "--config", str(self.config), "--no-check-md5"]
        self.env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*self.argv, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*self.argv, *args],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@pytest.fixture
def s3cmd(aws_server: Server, tmp_path: Path) -> S3cmd:
    return S3cmd(aws_server, tmp_path / "home")


def test_s3cmd_put_ls_get_multipart(s3cmd: S3cmd, big_file: Path, tmp_path: Path) -> None:
    s3 = client_for(s3cmd.server)
    bucket = new_bucket(s3)
    s3cmd.run("put", str(big_file), f"s3://{bucket}/dir/big.bin")
    data = big_file.read_bytes()
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    # s3cmd ls: "DATE TIME SIZE s3://bucket/key", and "DIR s3://bucket/dir/" for a prefix.
    top = [line.split() for line in s3cmd.run("ls", f"s3://{bucket}/").splitlines()]
    assert top == [["DIR", f"s3://{bucket}/dir/"]]
    inner = [line.split() for line in s3cmd.run("ls", f"s3://{bucket}/dir/").splitlines()]
    assert [fields[-2:] for fields in inner] == [[str(len(data)), f"s3://{bucket}/dir/big.bin"]]

    target = tmp_path / "down.bin"
    s3cmd.run("get", f"s3://{bucket}/dir/big.bin", str(target))
    assert target.read_bytes() == data


def test_s3cmd_interrupted_upload_then_abortmp(s3cmd: S3cmd) -> None:
    s3 = client_for(s3cmd.server)
    bucket = new_bucket(s3)
    before = stored_files(s3cmd.server)
    # "put -" streams stdin in 5 MiB parts; fed two parts and a byte, it blocks on the third.
    process = s3cmd.popen("put", "-", f"s3://{bucket}/stalled.bin")
    try:
        assert process.stdin is not None
        process.stdin.write(bytes(STALLED))
        process.stdin.flush()
        upload_id = wait_for_parts(s3, bucket, "stalled.bin", 2, process)
    finally:
        stop(process)

    # s3cmd multipart: the bucket, a heading, then "DATE\ts3://bucket/key\tUPLOAD_ID" rows.
    listed = [line.split("\t") for line in s3cmd.run("multipart", f"s3://{bucket}").splitlines()]
    assert [row[1:] for row in listed if row[0] != "Initiated" and len(row) == 3] == [
        [f"s3://{bucket}/stalled.bin", upload_id]
    ]
    # "--": an upload id may begin with "-", which s3cmd would take for an option.
    s3cmd.run("abortmp", "--", f"s3://{bucket}/stalled.bin", upload_id)
    assert_upload_gone(s3cmd.server, s3, bucket, "stalled.bin", upload_id, before)
