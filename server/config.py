"""Server configuration, filled from the command line and the environment (server/cli.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from server.credentials import Key
from storage import DEFAULT_MIN_PART_SIZE, LIFECYCLE_DAY_SECONDS

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
    # Virtual-hosted-style addressing: requests to the host "bucket.<domain>" name the bucket
    # in the host. None: path-style only.
    domain: str | None = None
    keys: dict[str, Key] = field(
        default_factory=lambda: {DEV_ACCESS_KEY: Key(DEV_ACCESS_KEY, DEV_SECRET_KEY)}
    )
    min_part_size: int = DEFAULT_MIN_PART_SIZE
    fsync: bool = True
    # Data files written with O_DIRECT when fsync is on (--no-direct-io: through the page cache).
    direct_io: bool = True
    # Bytes of the data dir's filesystem that uploads leave free for the database (None: 1%).
    min_free_space: int | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # A client that sends nothing for this long mid-body gets RequestTimeout.
    body_idle_timeout: float = 60.0
    # Added to the system clock wherever request times are checked (presigned URL expiry, clock
    # skew). For tests and for hosts whose clock is known to be off; S3MPU_CLOCK_OFFSET sets it.
    clock_offset: float = 0.0
    # How long a lifecycle "day" lasts: shorter for development and tests, so that expiry can be
    # watched happen (--lifecycle-day-seconds).
    lifecycle_day_seconds: float = LIFECYCLE_DAY_SECONDS

    def secret_for(self, access_key: str) -> str | None:
        key = self.keys.get(access_key)
        return None if key is None else key.secret_key

    def now(self) -> float:
        return time.time() + self.clock_offset
