"""Workloads A-F, the same calls against every server: boto3's for A-E, with setup of many
small things through rawclient; F's small requests through rawclient's burst. Each returns
{measure key: value}; a failure is recorded, not raised."""

from __future__ import annotations

import html
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench import procstat
from bench.rawclient import RawClient, burst, parallel
from bench.report import Value
from bench.servers import Running

MiB = 1024 * 1024
GiB = 1024 * MiB
MB = 1e6  # rates are in MB/s (10^6 bytes), as the issue states them
BUCKET = "bench"


@dataclass(frozen=True)
class Sizes:
    a_parts: int = 128  # x 8 MiB: 1 GiB
    b_counts: tuple[int, ...] = (10, 1000, 10000)
    b_big_parts: int = 100  # x 5 MiB and x 50 MiB
    c_parts: int = 1000
    c_rows: int = 100_000
    f_requests: int = 2000  # of each kind

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            a_parts=16, b_counts=(10, 100, 1000), b_big_parts=10, c_parts=1000, c_rows=5000,
            f_requests=300,
        )  # fmt: skip


Results = dict[str, Value]
# C's ListParts is timed over this many walks of its pages, and the median kept.
WALKS = 5


def _error(exc: BaseException) -> str:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    # s3rver answers an operation it lacks with MethodNotAllowed.
    if code in ("NotImplemented", "MethodNotAllowed"):
        return "not implemented"
    if code:
        return f"error: {code}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "NotImplemented" in text or "not implemented" in text.lower():
        return "not implemented"
    return "error: " + text[:60]


@contextmanager
def recorded(results: Results, *keys: str) -> Iterator[None]:
    """Run a step; on failure mark its measures with the error and go on."""
    try:
        yield
    except Exception as exc:
        for key in keys:
            results.setdefault(key, _error(exc))


def _upload(client: Any, key: str, body: bytes, count: int, concurrency: int) -> float:
    """One multipart upload of ``count`` x ``body``; return the seconds it took."""
    started = time.perf_counter()
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]

    def part(number: int) -> dict[str, Any]:
        etag = client.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )["ETag"]
        return {"PartNumber": number, "ETag": etag}

    with ThreadPoolExecutor(concurrency) as pool:
        parts = list(pool.map(part, range(1, count + 1)))
    client.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return time.perf_counter() - started


def workload_a_e(server: Running, client: Any, sizes: Sizes) -> Results:
    """A: 128 x 8 MiB at 1, 4 and 16 concurrent parts; E: peak RSS during the 16."""
    results: Results = {}
    body = os.urandom(8 * MiB)
    total = sizes.a_parts * len(body)
    for concurrency in (1, 4, 16):
        keys = (f"a{concurrency}_mbps", f"a{concurrency}_cpu")
        with recorded(results, *keys, *(["e_rss"] if concurrency == 16 else [])):
            if concurrency == 16:
                reset = procstat.reset_peak_rss(server.pid)
            cpu = procstat.cpu_seconds(server.pid)
            seconds = _upload(client, "big", body, sizes.a_parts, concurrency)
            cpu = procstat.cpu_seconds(server.pid) - cpu
            results[keys[0]] = total / seconds / MB
            results[keys[1]] = cpu / (total / GiB)
            if concurrency == 16:
                rss = procstat.peak_rss(server.pid) / MB
                results["e_rss"] = rss if reset else f"{rss:,.0f} (lifetime)"
    return results


def workload_d(server: Running, client: Any, sizes: Sizes) -> Results:
    """D: GET the object A left (uploaded here if A did not run), as one stream and as 4
    ranged streams."""
    results: Results = {}
    with recorded(results, "d1_mbps", "d1_cpu", "d4_mbps"):
        try:
            client.head_object(Bucket=BUCKET, Key="big")
        except Exception:
            _upload(client, "big", os.urandom(8 * MiB), sizes.a_parts, 4)

    def read(range_header: str | None) -> int:
        extra = {"Range": range_header} if range_header else {}
        body = client.get_object(Bucket=BUCKET, Key="big", **extra)["Body"]
        got = 0
        for chunk in body.iter_chunks(MiB):
            got += len(chunk)
        return got

    with recorded(results, "d1_mbps", "d4_mbps"):
        size = client.head_object(Bucket=BUCKET, Key="big")["ContentLength"]
        cpu = procstat.cpu_seconds(server.pid)
        started = time.perf_counter()
        assert read(None) == size
        results["d1_mbps"] = size / (time.perf_counter() - started) / MB
        results["d1_cpu"] = (procstat.cpu_seconds(server.pid) - cpu) / (size / GiB)
        quarter = -(-size // 4)
        ranges = [f"bytes={i * quarter}-{min(size, (i + 1) * quarter) - 1}" for i in range(4)]
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            assert sum(pool.map(read, ranges)) == size
        results["d4_mbps"] = size / (time.perf_counter() - started) / MB
    with recorded(results):
        client.delete_object(Bucket=BUCKET, Key="big")
    return results


def _raw(server: Running) -> RawClient:
    return RawClient(server.url, server.access_key, server.secret_key)


def _small_parts(raw: RawClient, key: str, count: int) -> tuple[str, list[dict[str, Any]]]:
    """An upload of ``count`` 1 KiB parts, uploaded through the raw client."""
    _, _, data = raw.request("POST", f"/{BUCKET}/{key}", {"uploads": ""})
    upload_id = data.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
    body = os.urandom(1024)

    def part(number: int) -> dict[str, Any]:
        query = {"partNumber": str(number), "uploadId": upload_id}
        _, headers, _ = raw.request("PUT", f"/{BUCKET}/{key}", query, body)
        return {"PartNumber": number, "ETag": headers["ETag"]}

    return upload_id, parallel(part, range(1, count + 1))


def _complete_ms(client: Any, key: str, upload_id: str, parts: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    client.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return (time.perf_counter() - started) * 1000


def workload_b_c_parts(server: Running, client: Any, sizes: Sizes, *, sink: bool) -> Results:
    """B: Complete of N small parts; C: ListParts of 1,000 parts in pages of 100 (on the
    1,000-part upload before it is completed), by boto3 and by the raw client."""
    results: Results = {}
    raw = _raw(server)
    for count in sizes.b_counts:
        key = f"b{count}"
        c_keys = ["c_parts_ms", "c_parts_raw_ms"] if count == sizes.c_parts else []
        with recorded(results, f"b{count}_ms", *c_keys):
            upload_id, parts = _small_parts(raw, key, count)
            if c_keys and not sink:
                with recorded(results, *c_keys):
                    # One walk is a few tens of milliseconds, at the mercy of a single
                    # hiccup of the shared machine: the median of several.
                    results["c_parts_ms"] = statistics.median(
                        _list_parts_ms(client, key, upload_id, count) for _ in range(WALKS)
                    )
                    results["c_parts_raw_ms"] = statistics.median(
                        _list_parts_raw_ms(raw, key, upload_id, count) for _ in range(WALKS)
                    )
            results[f"b{count}_ms"] = _complete_ms(client, key, upload_id, parts)
            client.delete_object(Bucket=BUCKET, Key=key)
    return results


def _list_parts_ms(client: Any, key: str, upload_id: str, count: int) -> float:
    """Milliseconds to list ``count`` parts in pages of 100 with boto3 (its parsing included)."""
    started = time.perf_counter()
    seen, marker = 0, 0
    while True:
        page = client.list_parts(
            Bucket=BUCKET, Key=key, UploadId=upload_id, MaxParts=100, PartNumberMarker=marker
        )
        seen += len(page.get("Parts", []))
        if not page.get("IsTruncated"):
            break
        marker = page["NextPartNumberMarker"]
    elapsed = (time.perf_counter() - started) * 1000
    if seen != count:
        raise RuntimeError(f"ListParts saw {seen} of {count} parts")
    return elapsed


def _list_parts_raw_ms(raw: RawClient, key: str, upload_id: str, count: int) -> float:
    """The same pages by the raw client: the sum of their times to the last byte."""
    seconds, seen, marker = 0.0, 0, "0"
    while True:
        query = {"uploadId": upload_id, "max-parts": "100", "part-number-marker": marker}
        took, data = raw.timed(f"/{BUCKET}/{key}", query)
        seconds += took
        seen += data.count(b"<Part>")
        if not _truncated(data):
            break
        marker = _element(data, "NextPartNumberMarker") or ""
    if seen != count:
        raise RuntimeError(f"ListParts saw {seen} of {count} parts")
    return seconds * 1000


def _truncated(data: bytes) -> bool:
    return b"<IsTruncated>true</IsTruncated>" in data


def _element(data: bytes, name: str, *, last: bool = False) -> str | None:
    """The text of the first (or ``last``) ``name`` element of a response, unescaped (None:
    absent or empty)."""
    found = re.findall(f"<{name}>([^<]*)</{name}>".encode(), data)
    return html.unescape(found[-1 if last else 0].decode()) if found else None


def workload_b_big(server: Running, client: Any, sizes: Sizes, *, in_memory: bool) -> Results:
    """B: Complete of 100 x 5 MiB against 100 x 50 MiB: the cost should follow the parts."""
    results: Results = {}
    for mib in (5, 50):
        key = f"b_{mib}mib"
        with recorded(results, key + "_ms"):
            if in_memory and mib == 50:
                results[key + "_ms"] = "skipped (in memory)"
                continue
            body = os.urandom(mib * MiB)
            upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]

            def part(
                number: int, key: str = key, upload_id: str = upload_id, body: bytes = body
            ) -> dict[str, Any]:
                etag = client.upload_part(
                    Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=body
                )["ETag"]
                return {"PartNumber": number, "ETag": etag}

            with ThreadPoolExecutor(4) as pool:
                parts = list(pool.map(part, range(1, sizes.b_big_parts + 1)))
            results[key + "_ms"] = _complete_ms(client, key, upload_id, parts)
            client.delete_object(Bucket=BUCKET, Key=key)
    small, large = results.get("b_5mib_ms"), results.get("b_50mib_ms")
    if isinstance(small, float) and isinstance(large, float):
        results["b_big_ratio"] = large / small
    return results


# A listing page: given the last page's continuation (None: the first page), the seconds it
# took, how many rows it listed and the next page's continuation (None: it was the last).
PageCall = Callable[[str | None], tuple[float, int, str | None]]


def _pages_ms(call: PageCall, rows: int) -> float:
    """Median milliseconds per page of a paged listing; checks every row came back once."""
    times, seen, token = [], 0, None
    while True:
        seconds, got, token = call(token)
        times.append(seconds * 1000)
        if got > 1000:
            raise RuntimeError(f"a page of {got} rows: no paging")
        seen += got
        if token is None:
            break
    if seen != rows:
        raise RuntimeError(f"listed {seen} of {rows} rows")
    return statistics.median(times)


def fill_c_listing(server: Running, client: Any, sizes: Sizes) -> None:
    """C's rows: c_rows uploads under u/ and c_rows empty objects under k/, created through the
    S3 API by the raw client, 16 requests at a time."""
    raw = _raw(server)
    client.list_multipart_uploads(Bucket=BUCKET, MaxUploads=1)  # implemented at all?
    parallel(lambda i: raw.request("POST", f"/{BUCKET}/u/{i:06d}", {"uploads": ""}),
             range(sizes.c_rows))  # fmt: skip
    parallel(lambda i: raw.request("PUT", f"/{BUCKET}/k/{i:06d}"), range(sizes.c_rows))


def workload_c_listing(server: Running, client: Any, sizes: Sizes) -> Results:
    """C: ListMultipartUploads and ListObjectsV2 in pages of 1,000 over the c_rows rows
    fill_c_listing made: the median page by boto3 (its parsing included) and by the raw client
    (to the last byte), walking the same pages the same way on every server."""
    results: Results = {}
    raw = _raw(server)

    def uploads_query(token: str | None) -> dict[str, str]:
        query = {"prefix": "u/", "max-uploads": "1000"}
        if token is not None:
            query["key-marker"], query["upload-id-marker"] = token.split("\n")
        return query

    def uploads_page(token: str | None) -> tuple[float, int, str | None]:
        query = uploads_query(token)
        marker = {}
        if "key-marker" in query:
            marker = {"KeyMarker": query["key-marker"], "UploadIdMarker": query["upload-id-marker"]}
        started = time.perf_counter()
        page = client.list_multipart_uploads(Bucket=BUCKET, Prefix="u/", MaxUploads=1000, **marker)
        seconds = time.perf_counter() - started
        uploads = page.get("Uploads", [])
        if not page.get("IsTruncated"):
            return seconds, len(uploads), None
        # Some servers leave the Next*Marker out; the last upload listed is the same marker.
        key = page.get("NextKeyMarker") or uploads[-1]["Key"]
        upload_id = page.get("NextUploadIdMarker") or uploads[-1]["UploadId"]
        return seconds, len(uploads), f"{key}\n{upload_id}"

    def uploads_raw_page(token: str | None) -> tuple[float, int, str | None]:
        query = {"uploads": "", **uploads_query(token)}
        seconds, data = raw.timed(f"/{BUCKET}", query)
        count = data.count(b"<Upload>")
        if not _truncated(data):
            return seconds, count, None
        key = _element(data, "NextKeyMarker") or _element(data, "Key", last=True)
        upload_id = _element(data, "NextUploadIdMarker") or _element(data, "UploadId", last=True)
        return seconds, count, f"{key}\n{upload_id}"

    def keys_page(token: str | None) -> tuple[float, int, str | None]:
        extra = {"ContinuationToken": token} if token else {}
        started = time.perf_counter()
        page = client.list_objects_v2(Bucket=BUCKET, Prefix="k/", MaxKeys=1000, **extra)
        seconds = time.perf_counter() - started
        return seconds, page.get("KeyCount", 0), page.get("NextContinuationToken")

    def keys_raw_page(token: str | None) -> tuple[float, int, str | None]:
        query = {"list-type": "2", "prefix": "k/", "max-keys": "1000"}
        if token:
            query["continuation-token"] = token
        seconds, data = raw.timed(f"/{BUCKET}", query)
        next_token = _element(data, "NextContinuationToken") if _truncated(data) else None
        return seconds, data.count(b"<Contents>"), next_token

    for name, call in [
        ("c_uploads_ms", uploads_page),
        ("c_uploads_raw_ms", uploads_raw_page),
        ("c_keys_ms", keys_page),
        ("c_keys_raw_ms", keys_raw_page),
    ]:
        with recorded(results, name):
            results[name] = _pages_ms(call, sizes.c_rows)
    return results


F_BODY = 4096
F_CONCURRENCY = 16
# F's kinds of request (key, method, name), in the order they run: each HEAD and GET finds an
# object the PUTs made.
F_KINDS = (
    ("put", "PUT", f"PutObject of {F_BODY // 1024} KiB"),
    ("head", "HEAD", "HeadObject"),
    ("get", "GET", f"GetObject of {F_BODY // 1024} KiB"),
)


def workload_f(server: Running, sizes: Sizes, *, sink: bool) -> Results:
    """F: small requests, F_CONCURRENCY at a time on keep-alive connections, signed before the
    clock starts: PutObject of 4 KiB to new keys, then HeadObject, then GetObject of each.
    Requests per second, and server CPU microseconds per request."""
    raw = _raw(server)
    body = os.urandom(F_BODY)
    keys = [f"f/{i}" for i in range(sizes.f_requests)]
    results: Results = {}
    for kind, method, _ in F_KINDS:
        measured = (f"f_{kind}_rps", f"f_{kind}_us")
        with recorded(results, *measured):
            payload = body if method == "PUT" else b""
            requests = [raw.prepared(method, f"/{BUCKET}/{key}", body=payload) for key in keys]
            cpu = procstat.cpu_seconds(server.pid)
            seconds, answers = burst(
                raw.hostname, raw.port, requests, head=method == "HEAD", concurrency=F_CONCURRENCY
            )
            cpu = procstat.cpu_seconds(server.pid) - cpu
            if method == "GET" and not sink and any(answer != body for answer in answers):
                raise RuntimeError("GET answered other bytes than were PUT")
            results[measured[0]] = len(requests) / seconds
            results[measured[1]] = cpu / len(requests) * 1e6
    return results
