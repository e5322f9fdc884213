"""s3cmd (from PyPI): put, ls, get, and multipart / abortmp after an interrupted upload.

s3cmd runs as a subprocess with its own config file and nothing from the user's. It uploads in
5 MiB chunks (--multipart-chunk-size-mb, its minimum). An interrupted s3cmd leaves its upload
for the user to resume or abort; its documented cleanup is ``s3cmd multipart`` to list uploads
and ``s3cmd abortmp`` to abort one.
https://s3tools.org/usage
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from compat.clients.matrix import (
    STALLED,
    Command,
    assert_stored_multipart,
    assert_upload_gone,
    stop,
    stored_files,
    wait_for_parts,
)
from compat.helpers import client_for, new_bucket
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server


@pytest.fixture
def s3cmd(aws_server: Server, tmp_path: Path) -> Command:
    # The s3cmd script pip installed beside this interpreter (pyproject's test extras).
    executable = Path(sys.executable).parent / "s3cmd"
    assert executable.is_file(), "s3cmd is missing: `make install` installs it"
    home = tmp_path / "home"
    home.mkdir()
    host = aws_server.url.split("://", 1)[1]
    settings = {
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "bucket_location": REGION,
        "host_base": host,
        "host_bucket": host,  # no %(bucket)s: path-style addressing
        "use_https": str(aws_server.url.startswith("https")),
        "ca_certs_file": aws_server.ca_bundle or "",
        "check_ssl_certificate": "True",
        "signature_v2": "False",
        "multipart_chunk_size_mb": "5",
        "progress_meter": "False",
    }
    config = home / "s3cfg"
    config.write_text("[default]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    argv = [str(executable), "--config", str(config)]
    return Command(aws_server, argv, {"HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_s3cmd_put_ls_get_multipart(s3cmd: Command, big_file: Path, tmp_path: Path) -> None:
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


def test_s3cmd_interrupted_upload_then_abortmp(s3cmd: Command) -> None:
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
