"""rclone (Debian's package): copyto, lsjson, copyto back, and an interrupted rcat.

rclone runs as a subprocess configured only by RCLONE_CONFIG_* variables (an "Other" S3
provider, path style) with an empty config file. It uploads in 5 MiB chunks (--s3-chunk-size,
its minimum) above a 5 MiB cutoff. Interrupted (SIGINT, as by Ctrl-C), rclone aborts the
multipart upload it has open before it exits; killed outright, it leaves the upload behind and
``rclone backend cleanup`` removes it.
https://rclone.org/s3/
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
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

CHUNKS = ["--s3-chunk-size", "5Mi", "--s3-upload-cutoff", "5Mi"]


@pytest.fixture
def rclone(aws_server: Server, tmp_path: Path) -> Command:
    executable = shutil.which("rclone")
    assert executable, "rclone is missing: `make install` installs Debian's package"
    home = tmp_path / "home"
    home.mkdir()
    config = home / "rclone.conf"
    config.write_text("")
    argv = [executable, "--config", str(config), "--retries", "1", "--low-level-retries", "1"]
    if aws_server.ca_bundle:
        argv += ["--ca-cert", aws_server.ca_bundle]
    remote = {
        "TYPE": "s3",
        "PROVIDER": "Other",
        "ACCESS_KEY_ID": ACCESS_KEY,
        "SECRET_ACCESS_KEY": SECRET_KEY,
        "REGION": REGION,
        "ENDPOINT": aws_server.url,
        "FORCE_PATH_STYLE": "true",
    }
    env = {f"RCLONE_CONFIG_S3MPU_{name}": value for name, value in remote.items()}
    env.update(HOME=str(home), PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    return Command(aws_server, argv, env)


def test_rclone_copyto_lsjson_copyto_multipart(
    rclone: Command, big_file: Path, tmp_path: Path
) -> None:
    s3 = client_for(rclone.server)
    bucket = new_bucket(s3)
    rclone.run("copyto", *CHUNKS, str(big_file), f"s3mpu:{bucket}/dir/big.bin")
    data = big_file.read_bytes()
    assert_stored_multipart(s3, bucket, "dir/big.bin", data)

    listed = rclone.json("lsjson", "--recursive", "--files-only", f"s3mpu:{bucket}")
    assert [(entry["Path"], entry["Size"]) for entry in listed] == [("dir/big.bin", len(data))]

    target = tmp_path / "down.bin"
    rclone.run("copyto", f"s3mpu:{bucket}/dir/big.bin", str(target))
    assert target.read_bytes() == data


def _stalled_rcat(rclone: Command, bucket: str, key: str) -> tuple[subprocess.Popen[bytes], str]:
    """rclone rcat fed two parts and a byte from stdin: blocked on the third part.

    --buffer-size 0: rclone's read-ahead buffer would otherwise hold a whole chunk back.
    """
    s3 = client_for(rclone.server)
    process = rclone.popen("rcat", "--buffer-size", "0", *CHUNKS, f"s3mpu:{bucket}/{key}")
    try:
        assert process.stdin is not None
        process.stdin.write(bytes(STALLED))
        process.stdin.flush()
        return process, wait_for_parts(s3, bucket, key, 2, process)
    except BaseException:
        stop(process)
        raise


def test_rclone_rcat_interrupted_aborts_its_upload(rclone: Command) -> None:
    s3 = client_for(rclone.server)
    bucket = new_bucket(s3)
    before = stored_files(rclone.server)
    process, upload_id = _stalled_rcat(rclone, bucket, "stalled.bin")
    try:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) != 0
    finally:
        stop(process)
    assert_upload_gone(rclone.server, s3, bucket, "stalled.bin", upload_id, before)


def test_rclone_rcat_killed_then_backend_cleanup(rclone: Command) -> None:
    s3 = client_for(rclone.server)
    bucket = new_bucket(s3)
    before = stored_files(rclone.server)
    process, upload_id = _stalled_rcat(rclone, bucket, "stalled.bin")
    stop(process)  # SIGKILL: rclone gets no chance to clean up
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [
        upload_id
    ]

    # max-age=0 would mean the 24-hour default; any upload older than a millisecond goes.
    rclone.run("backend", "cleanup", "-o", "max-age=1ms", f"s3mpu:{bucket}")
    assert_upload_gone(rclone.server, s3, bucket, "stalled.bin", upload_id, before)
