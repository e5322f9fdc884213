"""s3fs for compat/clients/test_s3fs.py: one call per run, its result as JSON on stdout.

Run by the python of compat/clients/s3fs/.venv, where s3fs and its aiobotocore live apart from
the main test environment's boto3. Configured only by S3MPU_ENDPOINT, S3MPU_ACCESS_KEY,
S3MPU_SECRET_KEY, S3MPU_REGION and, for https, S3MPU_CA_BUNDLE; everything else is s3fs's
default.

    python fs.py put_file FILE PATH CHUNKSIZE   put_file (multipart from 2 x CHUNKSIZE)
    python fs.py find PATH                      find(detail=False)
    python fs.py ls PATH                        ls(detail=False)
    python fs.py size PATH                      size
    python fs.py get_file PATH FILE             get_file
    python fs.py stall PATH BLOCK_SIZE BYTES    open(PATH, "wb") inside fs.transaction, write
                                                BYTES; a line on stdin makes the writer fail
    python fs.py versions                       s3fs, aiobotocore and botocore versions
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from typing import Any

import s3fs


def filesystem() -> s3fs.S3FileSystem:
    client_kwargs = {"region_name": os.environ["S3MPU_REGION"]}
    if os.environ.get("S3MPU_CA_BUNDLE"):
        client_kwargs["verify"] = os.environ["S3MPU_CA_BUNDLE"]
    return s3fs.S3FileSystem(
        key=os.environ["S3MPU_ACCESS_KEY"],
        secret=os.environ["S3MPU_SECRET_KEY"],
        endpoint_url=os.environ["S3MPU_ENDPOINT"],
        client_kwargs=client_kwargs,
        config_kwargs={"retries": {"max_attempts": 1, "mode": "standard"}},
        skip_instance_cache=True,
    )


def stall(fs: s3fs.S3FileSystem, path: str, block_size: int, size: int) -> dict[str, str]:
    """A write that fails inside a transaction: the file is committed only when the
    transaction ends without error, so s3fs discards it, which aborts its multipart upload."""
    try:
        with fs.transaction, fs.open(path, "wb", block_size=block_size) as f:
            # S3File sends its buffer as one part each time it reaches block_size.
            for start in range(0, size, block_size):
                f.write(bytes(min(block_size, size - start)))
            sys.stdin.readline()  # the test has seen the parts arrive
            raise RuntimeError("the writer failed midway")
    except RuntimeError as error:
        return {"error": type(error).__name__}


def run(command: str, *args: str) -> Any:
    if command == "versions":
        return {name: version(name) for name in ("s3fs", "aiobotocore", "botocore")}
    fs = filesystem()
    if command == "put_file":
        fs.put_file(args[0], args[1], chunksize=int(args[2]))
        return args[1]
    if command == "find":
        return fs.find(args[0], detail=False)
    if command == "ls":
        return fs.ls(args[0], detail=False)
    if command == "size":
        return fs.size(args[0])
    if command == "get_file":
        fs.get_file(args[0], args[1])
        return args[1]
    if command == "stall":
        return stall(fs, args[0], int(args[1]), int(args[2]))
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(run(*sys.argv[1:])))
