"""Starts a real ``s3mpu serve`` process on 127.0.0.1 and a free port, for tests and compat.

Used by tests/ and compat/ alike: both talk to the server only over HTTP(S).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key-0123456789"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    ca_bundle: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def client(self, **config: Any) -> Any:
        """A stock boto3 S3 client for this server (default checksum settings, path style)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            verify=self.ca_bundle if self.ca_bundle else True,
            config=BotoConfig(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
                **config,
            ),
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"s3mpu exited early:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"s3mpu did not start in {timeout}s:\n{server.log()}")


@contextlib.contextmanager
def run_server(
    data_dir: Path,
    *args: str,
    tls: tuple[Path, Path, str] | None = None,
    min_part_size: int | None = 5,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``s3mpu serve`` until the block ends. ``tls`` is (cert, key, CA bundle path).

    min_part_size defaults to 5 bytes so tests can exercise multipart with small parts; pass
    None for AWS's 5 MiB. ``env`` adds to (or overrides) the environment the server inherits,
    e.g. {"S3MPU_CLOCK_OFFSET": "7200"} for a server whose clock runs two hours ahead.
    """
    port = free_port()
    argv = [sys.executable, "-m", "server", "serve", "--data-dir", str(data_dir)]
    argv += ["--host", "127.0.0.1", "--port", str(port), *args]
    if min_part_size is not None:
        argv += ["--min-part-size", str(min_part_size)]
    if tls is not None:
        argv += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    extra = dict(env or {})
    process_env = {
        **os.environ,
        "S3MPU_ACCESS_KEY": ACCESS_KEY,
        "S3MPU_SECRET_KEY": SECRET_KEY,
        **extra,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"s3mpu-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=process_env)
    scheme = "https" if tls else "http"
    server = Server(
        url=f"{scheme}://127.0.0.1:{port}",
        port=port,
        data_dir=data_dir,
        process=process,
        log_path=log_path,
        ca_bundle=tls[2] if tls else None,
        env=extra,
    )
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
