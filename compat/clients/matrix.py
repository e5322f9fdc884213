"""What every client in the matrix is held to, checked through boto3 and the server's data dir.

Each client uploads SIZE bytes in 5 MiB parts (the smallest part size every client allows, and
AWS's minimum, so the tests run against the AWS-default server), lists and downloads the object,
and is interrupted midway through an upload that must then leave nothing behind: no upload in
ListMultipartUploads, and no data file the upload wrote still on disk.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compat.helpers import multipart_etag, s3_error
from tests.harness import Server

MiB = 1024 * 1024
PART = 5 * MiB
SIZE = 2 * PART + 12345  # three parts: 5 MiB, 5 MiB and the rest

# Interrupted uploads are fed this much: two whole parts and one byte of the third, so a client
# has sent exactly two parts and is blocked reading the third when it is stopped.
STALLED = 2 * PART + 1


@dataclass
class Command:
    """A command-line client: ``argv``, then each call's words; run in ``env`` and nothing else,
    so no setting of the user's (or of the machine's, such as AWS_CA_BUNDLE) leaks in."""

    server: Server
    argv: list[str]
    env: dict[str, str]

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*self.argv, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args))

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a call with a pipe to its stdin; ``stop`` ends it and closes the pipes."""
        return subprocess.Popen(
            [*self.argv, *args],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def stall(
        self, s3: Any, bucket: str, key: str, args: list[str], line: bytes
    ) -> tuple[str, Any]:
        """Run the call ``args``, which uploads ``key`` and then waits on its stdin (the JS and
        s3fs scripts' ``stall``); once the server lists two parts, send it ``line`` and wait
        for it to exit 0. Returns the upload id and the JSON the call printed."""
        process = self.popen(*args)
        try:
            upload_id = wait_for_parts(s3, bucket, key, 2, process)
            out, err = process.communicate(line, timeout=60)
        finally:
            stop(process)
        assert process.returncode == 0, err
        return upload_id, json.loads(out)


def expected_etag(data: bytes) -> str:
    """The ETag of ``data`` uploaded in PART-sized parts: proves it went multipart, 3 parts."""
    return multipart_etag([data[i : i + PART] for i in range(0, len(data), PART)])


def assert_stored_multipart(s3: Any, bucket: str, key: str, data: bytes) -> None:
    head = s3.head_object(Bucket=bucket, Key=key)
    assert (head["ContentLength"], head["ETag"]) == (len(data), expected_etag(data))
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def stored_files(server: Server) -> set[str]:
    """Every data file the server holds: committed (blobs/) and being received (tmp/)."""
    return {
        str(path.relative_to(server.data_dir))
        for folder in ("blobs", "tmp")
        for path in (server.data_dir / folder).rglob("*")
        if path.is_file()
    }


def wait_for_parts(
    s3: Any, bucket: str, key: str, count: int, process: subprocess.Popen[Any] | None = None
) -> str:
    """Wait until the one upload of ``key`` lists ``count`` parts; return its upload id.

    Fails at once if ``process`` (the client doing the upload) exits first.
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the client exited ({process.returncode}) before {count} parts")
        uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
        if uploads:
            [upload] = uploads
            upload_id: str = upload["UploadId"]
            parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", [])
            if len(parts) >= count:
                assert [p["PartNumber"] for p in parts] == list(range(1, count + 1))
                return upload_id
        time.sleep(0.05)
    raise AssertionError(f"no upload of {key!r} with {count} parts appeared")


def assert_upload_gone(
    server: Server, s3: Any, bucket: str, key: str, upload_id: str, files_before: set[str]
) -> None:
    """The upload is aborted: not listed, NoSuchUpload, and none of its part files remain."""
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    with s3_error("404", 404):  # a HEAD answer has no body, so botocore reports the status
        s3.head_object(Bucket=bucket, Key=key)
    assert stored_files(server) == files_before


def stop(process: subprocess.Popen[Any]) -> None:
    """Kill a client process if it still runs, and close its pipes."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
