"""Concurrency against a real server: many threads and several processes racing on one upload
or one key. Whatever the interleaving, every caller gets an answer S3 could give, the final
state equals exactly one of the inputs, and no data file is leaked or missing.

DESIGN.md invariant 5 (claim before you act) is what these tests hold the server to.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from compat.helpers import all_at_once
from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, Server, run_server

T = TypeVar("T")
THREADS = 16
PROCESSES = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # fsync stays on: the windows between a body's end and its commit are the real ones.
    with run_server(tmp_path_factory.mktemp("concurrency") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client(max_pool_connections=THREADS * 2)


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> str:
    name = "c-" + request.node.name.lower().replace("_", "-")[:50].strip("-")
    s3.create_bucket(Bucket=name)
    return name


def outcome(call: Callable[[], Any]) -> Callable[[], str]:
    """``call`` as a thunk answering "ok" or the S3 error code it got."""

    def run() -> str:
        try:
            call()
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"

    return run


def multipart_etag(parts: Sequence[bytes]) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def assert_files_match_rows(server: Server) -> None:
    """Every data file is referenced by a row and every row's file exists (blobs.py layout,
    metadata.py schema), read from the live database: WAL lets a reader in beside the server."""
    db = sqlite3.connect(f"file:{server.data_dir / 'meta.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT blob FROM parts UNION ALL SELECT blob FROM segments")
        referenced = {blob for (blob,) in rows}
    finally:
        db.close()
    files = {p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}
    assert files == referenced
    assert not any((server.data_dir / "tmp").iterdir())


# Process workers: module-level so that a spawned process can import them.


def _client(url: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


_start_together: Any = None  # the barrier each worker process waits at, set by _join


def _join(barrier: Any) -> None:
    global _start_together
    _start_together = barrier


def _complete(url: str, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]) -> str:
    s3 = _client(url)
    _start_together.wait()
    try:
        done = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return str(done["ETag"])


def _in_processes(calls: Sequence[tuple[Any, ...]]) -> list[str]:
    """Run ``_complete`` with each argument tuple in its own process, released together once
    every process has its client."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(calls))
    with ProcessPoolExecutor(
        len(calls), mp_context=context, initializer=_join, initargs=(barrier,)
    ) as pool:
        futures = [pool.submit(_complete, *args) for args in calls]
        return [f.result(timeout=120) for f in futures]


def _upload(s3: Any, bucket: str, key: str, parts: Sequence[bytes]) -> tuple[str, list[Any]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    listed = []
    for number, data in enumerate(parts, 1):
        etag = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )["ETag"]
        listed.append({"PartNumber": number, "ETag": etag})
    return upload_id, listed


def _body(s3: Any, bucket: str, key: str) -> tuple[bytes, str]:
    got = s3.get_object(Bucket=bucket, Key=key)
    return got["Body"].read(), got["ETag"]


def test_concurrent_completes_of_one_upload_threads(s3: Any, server: Server, bucket: str) -> None:
    parts = [os.urandom(6000), os.urandom(3000)]
    upload_id, listed = _upload(s3, bucket, "k", parts)

    def finish() -> str:
        try:
            return str(
                s3.complete_multipart_upload(
                    Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
                )["ETag"]
            )
        except ClientError as error:
            return str(error.response["Error"]["Code"])

    answers = all_at_once([finish] * THREADS)
    expected = multipart_etag(parts)
    # Every caller gets the one answer: success with the same ETag (a retry of a Complete that
    # succeeded is answered its result), or NoSuchUpload.
    assert expected in answers
    assert set(answers) <= {expected, "NoSuchUpload"}
    assert _body(s3, bucket, "k") == (b"".join(parts), expected)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert_files_match_rows(server)


def test_concurrent_completes_of_one_upload_processes(s3: Any, server: Server, bucket: str) -> None:
    parts = [os.urandom(6000), os.urandom(10)]
    upload_id, listed = _upload(s3, bucket, "k", parts)
    answers = _in_processes([(server.url, bucket, "k", upload_id, listed)] * PROCESSES)
    expected = multipart_etag(parts)
    assert expected in answers
    assert set(answers) <= {expected, "NoSuchUpload"}
    assert _body(s3, bucket, "k") == (b"".join(parts), expected)
    assert_files_match_rows(server)


def test_concurrent_uploads_to_one_key_threads(s3: Any, server: Server, bucket: str) -> None:
    inputs = [[os.urandom(5000 + n), os.urandom(100 + n)] for n in range(THREADS)]
    uploads = [_upload(s3, bucket, "k", parts) for parts in inputs]

    def finisher(upload_id: str, listed: list[Any]) -> Callable[[], str]:
        return outcome(
            lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
            )
        )

    assert all_at_once([finisher(u, p) for u, p in uploads]) == ["ok"] * THREADS
    body, etag = _body(s3, bucket, "k")
    # The object is exactly one of the inputs, byte for byte, with that input's ETag.
    winners = [parts for parts in inputs if b"".join(parts) == body]
    assert len(winners) == 1
    assert etag == multipart_etag(winners[0])
    # The losers' part files went with the objects they briefly were.
    assert_files_match_rows(server)


def test_concurrent_uploads_to_one_key_processes(s3: Any, server: Server, bucket: str) -> None:
    inputs = [[os.urandom(5000 + n), os.urandom(7 + n)] for n in range(PROCESSES)]
    uploads = [_upload(s3, bucket, "k", parts) for parts in inputs]
    answers = _in_processes([(server.url, bucket, "k", u, p) for u, p in uploads])
    assert answers == [multipart_etag(parts) for parts in inputs]
    body, etag = _body(s3, bucket, "k")
    assert [multipart_etag(p) for p in inputs if b"".join(p) == body] == [etag]
    assert_files_match_rows(server)


def test_upload_part_racing_complete(s3: Any, server: Server, bucket: str) -> None:
    # Part 1 is listed in the Complete; parts 2..N arrive while it runs. Whatever wins, the
    # object is part 1 alone, late parts get NoSuchUpload or are dropped with the upload, and
    # no part file survives without a row.
    first = os.urandom(5000)
    upload_id, listed = _upload(s3, bucket, "k", [first])
    late = {n: os.urandom(20_000) for n in range(2, THREADS + 1)}

    def send(number: int) -> Callable[[], str]:
        return outcome(
            lambda: s3.upload_part(
                Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=late[number]
            )
        )

    finish = outcome(
        lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
        )
    )
    answers = all_at_once([finish, *(send(n) for n in late)])
    assert answers[0] == "ok"
    assert set(answers[1:]) <= {"ok", "NoSuchUpload"}
    assert _body(s3, bucket, "k") == (first, multipart_etag([first]))
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert caught.value.response["Error"]["Code"] == "NoSuchUpload"
    assert_files_match_rows(server)


def test_abort_racing_upload_part(s3: Any, server: Server, bucket: str) -> None:
    upload_id, _ = _upload(s3, bucket, "k", [os.urandom(100)])
    bodies = {n: os.urandom(50_000) for n in range(1, THREADS)}

    def send(number: int) -> Callable[[], str]:
        return outcome(
            lambda: s3.upload_part(
                Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=bodies[number]
            )
        )

    abort = outcome(lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id))
    answers = all_at_once([abort, *(send(n) for n in bodies)])
    assert answers[0] == "ok"
    assert set(answers[1:]) <= {"ok", "NoSuchUpload"}
    # No resurrected upload: it is gone for every operation, and none of its parts is on disk.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    for call in (
        lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id),
        lambda: s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"again"
        ),
    ):
        assert outcome(call)() == "NoSuchUpload"
    assert_files_match_rows(server)


def test_one_part_number_uploaded_concurrently(s3: Any, server: Server, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    inputs = [os.urandom(30_000 + n) for n in range(THREADS)]

    def send(data: bytes) -> Callable[[], str]:
        return lambda: str(
            s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=3, Body=data)[
                "ETag"
            ]
        )

    etags = all_at_once([send(data) for data in inputs])
    assert etags == [f'"{hashlib.md5(d).hexdigest()}"' for d in inputs]
    # ListParts and Complete agree on one winner, and only its file is kept.
    [part] = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    winner = inputs[etags.index(part["ETag"])]
    assert part["Size"] == len(winner)
    assert_files_match_rows(server)
    for loser in {e for e in etags if e != part["ETag"]}:
        with pytest.raises(ClientError) as caught:
            s3.complete_multipart_upload(
                Bucket=bucket,
                Key="k",
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": loser}]},
            )
        assert caught.value.response["Error"]["Code"] == "InvalidPart"
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": part["ETag"]}]},
    )
    assert _body(s3, bucket, "k")[0] == winner
    assert_files_match_rows(server)


def test_overwrites_and_deletes_of_one_key(s3: Any, server: Server, bucket: str) -> None:
    # PutObject, DeleteObject and Complete on one key at once: the key ends as one of the
    # written values or absent, and no file outlives its row.
    values = [os.urandom(1000 + n) for n in range(THREADS // 2)]
    upload_id, listed = _upload(s3, bucket, "k", [b"multipart value"])
    calls = [outcome(lambda v=v: s3.put_object(Bucket=bucket, Key="k", Body=v)) for v in values]
    calls += [outcome(lambda: s3.delete_object(Bucket=bucket, Key="k"))] * 4
    calls.append(
        outcome(
            lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": listed}
            )
        )
    )
    assert set(all_at_once(calls)) == {"ok"}
    if s3.list_objects_v2(Bucket=bucket)["KeyCount"]:
        assert _body(s3, bucket, "k")[0] in [*values, b"multipart value"]
    assert_files_match_rows(server)
