"""The access log line and the request id headers, from a real server's output."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.harness import SECRET_KEY, Server


def test_one_access_log_line_per_request(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="logged/key", Body=b"12345")
    s3.get_object(Bucket=bucket, Key="logged/key")["Body"].read()
    pattern = (
        rf"(PUT|GET) /{bucket}/logged/key (PutObject|GetObject) 200 in=(\d+) out=(\d+) "
        r"[\d.]+ms"
    )
    for _ in range(50):
        lines = re.findall(pattern, server.log())
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    assert ("PUT", "PutObject", "5", "0") in lines
    assert ("GET", "GetObject", "0", "5") in lines
    assert SECRET_KEY not in server.log()


def test_request_id_headers(s3: Any, bucket: str) -> None:
    meta = s3.head_bucket(Bucket=bucket)["ResponseMetadata"]
    assert meta["RequestId"]
    assert meta["HTTPHeaders"]["x-amz-request-id"] == meta["RequestId"]
