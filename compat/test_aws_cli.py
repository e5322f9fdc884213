"""The AWS CLI (v1): ``aws s3`` high-level commands and ``aws s3api`` multipart calls.

The CLI runs as a subprocess with a throw-away HOME and no config files, so nothing from the
user's setup leaks in; errors are checked by the S3 code the CLI prints, never the message.
https://docs.aws.amazon.com/cli/latest/reference/s3/
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compat.helpers import client_for, multipart_etag, new_bucket, quoted_md5
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server

MiB = 1024 * 1024


class Cli:
    def __init__(self, server: Server, home: Path) -> None:
        self.server = server
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            HOME=str(home),
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(home / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
        )
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "awscli", *args, "--endpoint-url", self.server.url]
        if self.server.ca_bundle:
            argv += ["--ca-bundle", self.server.ca_bundle]
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, (args, done.stderr)
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--output", "json").stdout)


@pytest.fixture
def cli(aws_server: Server, tmp_path: Path) -> Cli:
    """The CLI against the 5 MiB-minimum server, over http and https."""
    return Cli(aws_server, tmp_path / "home")


@pytest.fixture
def http_cli(aws_server_http: Server, tmp_path: Path) -> Cli:
    return Cli(aws_server_http, tmp_path / "home")


def test_aws_cli_s3_cp_multipart_up_and_down(cli: Cli, tmp_path: Path) -> None:
    bucket = new_bucket(client_for(cli.server))
    data = os.urandom(20 * MiB + 777)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    cli.run("s3", "cp", str(source), f"s3://{bucket}/dir/big.bin", "--only-show-errors")

    # The CLI's default 8 MiB chunks: 8 + 8 + 4 MiB.
    head = client_for(cli.server).head_object(Bucket=bucket, Key="dir/big.bin")
    assert head["ContentLength"] == len(data)
    chunks = [data[i : i + 8 * MiB] for i in range(0, len(data), 8 * MiB)]
    assert head["ETag"] == multipart_etag(chunks)

    target = tmp_path / "down.bin"
    cli.run("s3", "cp", f"s3://{bucket}/dir/big.bin", str(target), "--only-show-errors")
    assert target.read_bytes() == data


def test_aws_cli_s3_ls(http_cli: Cli) -> None:
    s3 = client_for(http_cli.server)
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="dir/inner.txt", Body=b"x")

    buckets = http_cli.run("s3", "ls").stdout.splitlines()
    assert any(line.split()[-1] == bucket for line in buckets)

    lines = http_cli.run("s3", "ls", f"s3://{bucket}/").stdout.splitlines()
    assert [line.split() for line in lines if "PRE" in line] == [["PRE", "dir/"]]
    [top] = [line.split() for line in lines if line.endswith("top.txt")]
    assert top[-2:] == ["5", "top.txt"]

    recursive = http_cli.run("s3", "ls", f"s3://{bucket}/", "--recursive").stdout.splitlines()
    assert sorted(line.split()[-1] for line in recursive) == ["dir/inner.txt", "top.txt"]


def test_aws_cli_s3api_multipart_lifecycle(http_cli: Cli, tmp_path: Path) -> None:
    cli = http_cli
    bucket = new_bucket(client_for(cli.server))
    key = "multi part.bin"
    created = cli.json(
        "s3api", "create-multipart-upload", "--bucket", bucket, "--key", key,
        "--content-type", "application/x-cli", "--metadata", "via=cli",
    )  # fmt: skip
    assert (created["Bucket"], created["Key"]) == (bucket, key)
    upload_id = created["UploadId"]

    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    etags = []
    for number, data in enumerate(parts, start=1):
        body = tmp_path / f"part{number}"
        body.write_bytes(data)
        uploaded = cli.json(
            "s3api", "upload-part", "--bucket", bucket, "--key", key, f"--upload-id={upload_id}",
            "--part-number", str(number), "--body", str(body),
        )  # fmt: skip
        assert uploaded["ETag"] == quoted_md5(data)
        etags.append(uploaded["ETag"])

    listed = cli.json(
        "s3api", "list-parts", "--bucket", bucket, "--key", key, f"--upload-id={upload_id}"
    )
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == [
        (1, etags[0], len(parts[0])),
        (2, etags[1], len(parts[1])),
    ]
    assert listed["Initiator"]["ID"]
    assert listed["Owner"]["ID"]
    assert listed["StorageClass"] == "STANDARD"

    uploads = cli.json("s3api", "list-multipart-uploads", "--bucket", bucket)
    assert [(u["Key"], u["UploadId"]) for u in uploads["Uploads"]] == [(key, upload_id)]

    manifest = tmp_path / "parts.json"
    manifest.write_text(
        json.dumps({"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    )
    done = cli.json(
        "s3api", "complete-multipart-upload", "--bucket", bucket, "--key", key,
        f"--upload-id={upload_id}", "--multipart-upload", f"file://{manifest}",
    )  # fmt: skip
    assert (done["Bucket"], done["Key"]) == (bucket, key)
    assert done["ETag"] == multipart_etag(parts)

    head = cli.json("s3api", "head-object", "--bucket", bucket, "--key", key)
    assert head["ContentLength"] == sum(len(p) for p in parts)
    assert head["ETag"] == multipart_etag(parts)
    assert head["ContentType"] == "application/x-cli"
    assert head["Metadata"] == {"via": "cli"}
    s3 = client_for(cli.server)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_aws_cli_s3api_abort_multipart_upload(http_cli: Cli) -> None:
    cli = http_cli
    s3 = client_for(cli.server)
    bucket = new_bucket(s3)
    upload_id = cli.json("s3api", "create-multipart-upload", "--bucket", bucket, "--key", "k")[
        "UploadId"
    ]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"abc")
    cli.run("s3api", "abort-multipart-upload", "--bucket", bucket, "--key", "k",
            f"--upload-id={upload_id}")  # fmt: skip

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    failed = cli.run(
        "s3api", "list-parts", "--bucket", bucket, "--key", "k", f"--upload-id={upload_id}",
        check=False,
    )  # fmt: skip
    assert failed.returncode != 0
    # The CLI prints "An error occurred (<Code>) when calling ...": match the code only.
    assert "(NoSuchUpload)" in failed.stderr
