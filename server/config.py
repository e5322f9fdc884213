"""Server configuration, filled from the command line and the environment (server/cli.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage import DEFAULT_MIN_PART_SIZE

# The documented development credentials, used when S3MPU_ACCESS_KEY / S3MPU_SECRET_KEY are not
# set. The server refuses to listen beyond loopback with them.
DEV_ACCESS_KEY = "s3mpu-dev"
DEV_SECRET_KEY = "s3mpu-dev-secret-key"


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 9000
    region: str = "us-east-1"
    credentials: dict[str, str] = field(default_factory=lambda: {DEV_ACCESS_KEY: DEV_SECRET_KEY})
    min_part_size: int = DEFAULT_MIN_PART_SIZE
    fsync: bool = True
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # A client that sends nothing for this long mid-body gets RequestTimeout.
    body_idle_timeout: float = 60.0
