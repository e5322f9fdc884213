"""Crash safety: SIGKILL the real server at random moments of a mixed workload, many times.

Several clients (boto3, and raw HTTP with signed aws-chunked bodies) upload, overwrite parts,
complete, abort, delete and overwrite objects, each on keys of its own, while the server is
killed at a random moment and restarted on the same data dir. A model per client knows, for
every key and part, the states it may be in: exactly one after an answered request, several
after one the crash left unanswered (it may or may not have happened). After every kill:

- fsck finds nothing missing, short, corrupt or inconsistent, only orphans and leftovers;
- the startup recovery (run on a copy of the data dir) leaves no orphan and no leftover;
- after the restart, every object the server ever acknowledged reads back byte for byte, or
  is one of the states an unanswered later request may have left; never anything partial;
- every acknowledged upload and part is there; listings agree with the model.

S3MPU_CRASH_CYCLES and S3MPU_CRASH_SEED set the number of kills and the seed, for longer runs
and to replay one (the seed is in every failure message).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from storage import Store, fsck
from tests.harness import Server, run_server
from tests.server.rawhttp import (
    STREAMING_SIGNED,
    aws_chunked_headers,
    chunks_of,
    send,
    sign,
    signed_chunks_body,
    signed_chunks_length,
)

CYCLES = int(os.environ.get("S3MPU_CRASH_CYCLES", "20"))
SEED = int(os.environ.get("S3MPU_CRASH_SEED", str(random.randrange(2**32))))
BUCKET = "crash"
CLIENTS = ("boto-a", "boto-b", "boto-c", "raw")
KEYS_PER_CLIENT = 4
MAX_OPEN_UPLOADS = 2
PART_NUMBERS = (1, 2, 3)

# An object or part as the model knows it: its bytes and ETag; None for "absent".
Version = tuple[bytes, str] | None


class NoAnswer(Exception):
    """The server died before answering: the request may or may not have taken effect."""


class NotSent(Exception):
    """The server was gone before the request could be sent (a raw client's connection was
    refused): it did not take effect."""


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f"{hashlib.md5(joined).hexdigest()}-{len(parts)}"


def payload(rng: random.Random) -> bytes:
    """Mostly small bodies; some cross the server's 1 MiB write buffer."""
    roll = rng.random()
    if roll < 0.7:
        size = rng.randint(5, 64 * 1024)
    elif roll < 0.95:
        size = rng.randint(64 * 1024, 400 * 1024)
    else:
        size = rng.randint(1100 * 1024, 1800 * 1024)
    return rng.randbytes(size)


@dataclass
class Upload:
    upload_id: str
    key: str
    parts: dict[int, list[Version]] = field(default_factory=dict)
    # The part list of a Complete, or an Abort, that the crash left unanswered.
    completing: list[tuple[int, str]] | None = None
    aborting: bool = False


class Client:
    """One client's requests and its model of its own keys."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.name = name
        self.rng = rng
        self.raw = name == "raw"
        self.keys = [f"{name}/k{n}" for n in range(KEYS_PER_CLIENT)]
        self.objects: dict[str, list[Version]] = {key: [None] for key in self.keys}
        self.uploads: list[Upload] = []
        self.done: Counter[str] = Counter()  # acknowledged operations, by name
        self.unanswered: Counter[str] = Counter()
        self.error: BaseException | None = None
        self.journal: list[str] = []  # what was done, for failure messages
        self.doing = ""

    # Requests. Each returns on an answer, raises NoAnswer / NotSent when the server is gone,
    # and fails the test on any S3 error: nothing here is expected to fail.

    def _call(self, fn: Callable[..., Any], **params: Any) -> Any:
        try:
            return fn(**params)
        except BotoCoreError as exc:
            # Even "Could not connect" (EndpointConnectionError) may follow a request that was
            # sent: urllib3 retries once on a fresh connection when the first one drops.
            raise NoAnswer from exc
        except ClientError as exc:
            raise AssertionError(f"{self.name}: {fn.__name__} answered {exc.response}") from exc

    def _raw_body(self, s3: Any, method: str, target: str, data: bytes) -> str:
        """A signed aws-chunked upload over a raw socket; the ETag answered."""
        chunks = chunks_of(data, 64 * 1024) if data else []
        length = str(signed_chunks_length(chunks))
        extra = aws_chunked_headers(len(data), **{"Content-Length": length})
        headers = sign(s3.server, method, target, b"", extra, payload_hash=STREAMING_SIGNED)
        try:
            reply = send(s3.server, method, target, headers, signed_chunks_body(chunks, headers))
        except ConnectionRefusedError as exc:
            raise NotSent from exc
        except OSError as exc:
            raise NoAnswer from exc
        if reply is None:
            raise NoAnswer
        assert reply.status == 200, f"{self.name}: {method} {target}: {reply.status} {reply.body!r}"
        return str(reply.headers["ETag"]).strip('"')

    def put(self, s3: Any, key: str, data: bytes) -> str:
        if self.raw:
            return self._raw_body(s3, "PUT", f"/{BUCKET}/{key}", data)
        answer = self._call(s3.put_object, Bucket=BUCKET, Key=key, Body=data)
        return str(answer["ETag"]).strip('"')

    def upload_part(self, s3: Any, upload: Upload, number: int, data: bytes) -> str:
        if self.raw:
            target = f"/{BUCKET}/{upload.key}?partNumber={number}&uploadId={upload.upload_id}"
            return self._raw_body(s3, "PUT", target, data)
        answer = self._call(
            s3.upload_part,
            Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id, PartNumber=number, Body=data,
        )  # fmt: skip
        return str(answer["ETag"]).strip('"')

    def complete(self, s3: Any, upload: Upload, listing: list[tuple[int, str]]) -> str:
        parts = [{"PartNumber": n, "ETag": f'"{etag}"'} for n, etag in listing]
        answer = self._call(
            s3.complete_multipart_upload,
            Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id,
            MultipartUpload={"Parts": parts},
        )  # fmt: skip
        return str(answer["ETag"]).strip('"')

    def read(self, s3: Any, key: str) -> Version:
        """The object at ``key`` as a whole, or None."""
        try:
            answer = s3.get_object(Bucket=BUCKET, Key=key)
            data = answer["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchKey":
                return None
            raise AssertionError(f"{self.name}: GetObject {key}: {exc.response}") from exc
        except BotoCoreError as exc:
            raise NoAnswer from exc
        assert len(data) == answer["ContentLength"]
        return data, str(answer["ETag"]).strip('"')

    # The workload: one random operation at a time, the model updated from the answer.

    def step(self, s3: Any) -> None:
        rng = self.rng
        ready = [u for u in self.uploads if u.completing is None and not u.aborting]
        choices = ["put"] * 6 + ["delete"] * 2 + ["get"] * 2
        if len(ready) < MAX_OPEN_UPLOADS:
            choices += ["create"] * 3
        if ready:
            choices += ["part"] * 8 + ["complete"] * 3 + ["abort"]
        operation = rng.choice(choices)
        self.doing = operation
        try:
            getattr(self, f"_{operation}")(s3, rng, ready)
        except NotSent:
            self.journal.append(f"{self.doing}: not sent")
            raise
        except NoAnswer as exc:
            self.journal.append(f"{self.doing}: no answer ({exc.__cause__!r})")
            self.unanswered[operation] += 1
            raise
        self.journal.append(f"{self.doing}: done")
        self.done[operation] += 1

    def _put(self, s3: Any, rng: random.Random, _: list[Upload]) -> None:
        key, data = rng.choice(self.keys), payload(rng)
        version = (data, md5_hex(data))
        try:
            etag = self.put(s3, key, data)
        except NoAnswer:
            self.objects[key].append(version)
            raise
        assert etag == version[1]
        self.objects[key] = [version]

    def _delete(self, s3: Any, rng: random.Random, _: list[Upload]) -> None:
        key = rng.choice(self.keys)
        try:
            self._call(s3.delete_object, Bucket=BUCKET, Key=key)
        except NoAnswer:
            self.objects[key].append(None)
            raise
        self.objects[key] = [None]

    def _get(self, s3: Any, rng: random.Random, _: list[Upload]) -> None:
        key = rng.choice(self.keys)
        seen = self.read(s3, key)
        assert seen in self.objects[key], f"{self.name}: {key} reads {_describe(seen)}"

    def _create(self, s3: Any, rng: random.Random, _: list[Upload]) -> None:
        key = rng.choice(self.keys)
        # Unanswered, it may have made an upload this model never hears of: harmless, since no
        # part can be sent to it.
        answer = self._call(s3.create_multipart_upload, Bucket=BUCKET, Key=key)
        self.uploads.append(Upload(answer["UploadId"], key))

    def _part(self, s3: Any, rng: random.Random, ready: list[Upload]) -> None:
        upload, number = rng.choice(ready), rng.choice(PART_NUMBERS)
        data = payload(rng)
        version = (data, md5_hex(data))
        self.doing = f"part {number} of {upload.upload_id[:8]} {version[1]}"
        try:
            etag = self.upload_part(s3, upload, number, data)
        except NoAnswer:
            upload.parts.setdefault(number, [None]).append(version)
            raise
        assert etag == version[1]
        upload.parts[number] = [version]  # a new part, or one overwritten

    def _complete(self, s3: Any, rng: random.Random, ready: list[Upload]) -> None:
        upload = rng.choice(ready)
        if not upload.parts:
            return
        numbers = sorted(rng.sample(sorted(upload.parts), rng.randint(1, len(upload.parts))))
        chosen = [_only(upload.parts[n]) for n in numbers]
        listing = [(n, part[1]) for n, part in zip(numbers, chosen, strict=True)]
        content = b"".join(part[0] for part in chosen)
        version = (content, multipart_etag([part[0] for part in chosen]))
        try:
            etag = self.complete(s3, upload, listing)
        except NoAnswer:
            self.objects[upload.key].append(version)
            upload.completing = listing
            raise
        assert etag == version[1]
        self.objects[upload.key] = [version]
        self.uploads.remove(upload)

    def _abort(self, s3: Any, rng: random.Random, ready: list[Upload]) -> None:
        upload = rng.choice(ready)
        try:
            self._call(
                s3.abort_multipart_upload,
                Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id,
            )  # fmt: skip
        except NoAnswer:
            upload.aborting = True
            raise
        self.uploads.remove(upload)

    # After a restart: what the server holds must be one of the states the model allows;
    # unanswered requests are then settled, so the model is exact again.

    def settle(self, s3: Any) -> None:
        for key, allowed in self.objects.items():
            seen = self.read(s3, key)
            assert seen in allowed, (
                f"{self.name}: {key} reads {_describe(seen)}, "
                f"expected one of {[_describe(v) for v in allowed]}"
            )
            self.objects[key] = [seen]
        for upload in list(self.uploads):
            if upload.completing is not None:
                # Completed before the crash (a retried Complete answers the same) or not yet
                # (completes now): either way the object is now exactly these parts.
                etag = self.complete(s3, upload, upload.completing)
                parts = [_only(upload.parts[n])[0] for n, _ in upload.completing]
                assert etag == multipart_etag(parts)
                self.objects[upload.key] = [(b"".join(parts), etag)]
                self.uploads.remove(upload)
            elif upload.aborting:
                # Aborted before the crash (NoSuchUpload now), or aborted now.
                code = _error_code(
                    s3.abort_multipart_upload,
                    Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id,
                )  # fmt: skip
                assert code in (None, "NoSuchUpload"), f"{self.name}: abort answered {code}"
                self.uploads.remove(upload)
            else:
                self._settle_parts(s3, upload)
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{self.name}/").get("Contents", [])
        expected = {key: v for key, (v,) in self.objects.items() if v is not None}
        assert {o["Key"]: o["Size"] for o in listed} == {k: len(v[0]) for k, v in expected.items()}

    def _settle_parts(self, s3: Any, upload: Upload) -> None:
        answer = self._call(s3.list_parts, Bucket=BUCKET, Key=upload.key, UploadId=upload.upload_id)
        listed = {
            p["PartNumber"]: (p["ETag"].strip('"'), p["Size"]) for p in answer.get("Parts", [])
        }
        assert set(listed) <= set(upload.parts), f"{self.name}: parts {listed} never sent"
        for number, allowed in list(upload.parts.items()):
            if number not in listed:
                assert None in allowed, f"{self.name}: acknowledged part {number} lost"
                del upload.parts[number]
                continue
            etag, size = listed[number]
            matches = [v for v in allowed if v is not None and (v[1], len(v[0])) == (etag, size)]
            assert matches, f"{self.name}: part {number} is {etag}/{size}, not one of allowed"
            upload.parts[number] = [matches[0]]

    def run(self, s3: Any, stop: threading.Event) -> None:
        """Steps until the server is gone (or ``stop``); records a failure for the test."""
        try:
            while not stop.is_set():
                self.step(s3)
        except (NoAnswer, NotSent):
            pass
        except BaseException as exc:
            self.error = exc


def _error_code(fn: Callable[..., Any], **params: Any) -> str | None:
    """The S3 error code ``fn`` answers, or None when it succeeds."""
    try:
        fn(**params)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def _only(allowed: list[Version]) -> tuple[bytes, str]:
    (version,) = allowed
    assert version is not None
    return version


def _describe(version: Version) -> str:
    return "nothing" if version is None else f"{len(version[0])} bytes, ETag {version[1]}"


class _RawTarget:
    """What the raw client needs of the server: where it is (it changes at every restart)."""

    def __init__(self, s3: Any, server: Server) -> None:
        self._s3 = s3
        self.server = server

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


async def _recover(data_dir: Path) -> None:
    """What the server does at startup, before it serves: open the store, sweep, close."""
    store = await Store.open(data_dir)
    await store.close()


def _check_after_kill(data_dir: Path, scratch: Path) -> Counter[str]:
    # Straight after the kill: nothing a row references is damaged or missing.
    report = asyncio.run(fsck(data_dir))
    damage = [p for p in report.problems if not p.repairable]
    assert damage == [], "\n".join(report.lines())
    # The startup recovery, on a copy (the real restart recovers the original): nothing left.
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(data_dir, scratch)
    asyncio.run(_recover(scratch))
    recovered = asyncio.run(fsck(scratch))
    assert recovered.problems == [], "\n".join(recovered.lines())
    return Counter(p.kind for p in report.problems)


def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    data_dir, scratch = tmp_path / "data", tmp_path / "scratch"
    clients = [Client(name, random.Random(rng.random())) for name in CLIENTS]
    swept: Counter[str] = Counter()
    started = time.monotonic()
    for cycle in range(CYCLES + 1):
        last = cycle == CYCLES
        context = f"seed {SEED}, cycle {cycle}"
        with run_server(data_dir) as server:
            try:
                s3 = _RawTarget(server.client(connect_timeout=5, read_timeout=30), server)
                if cycle == 0:
                    s3.create_bucket(Bucket=BUCKET)
                for client in clients:
                    client.settle(s3)
                if last:
                    break  # stopped gracefully, then checked below
                stop = threading.Event()
                threads = [
                    threading.Thread(target=client.run, args=(s3, stop), daemon=True)
                    for client in clients
                ]
                for thread in threads:
                    thread.start()
                time.sleep(rng.uniform(0.05, 0.8))
                stop.set()  # no new requests: those in flight are the ones the kill cuts
                server.process.kill()
                server.process.wait()
                for thread in threads:
                    thread.join(timeout=60)
                    assert not thread.is_alive(), "a client hangs on a dead server"
                for client in clients:
                    if client.error is not None:
                        raise client.error
            except BaseException as exc:
                journals = "\n".join(f"{c.name}: " + "; ".join(c.journal[-30:]) for c in clients)
                raise AssertionError(
                    f"{context}: {exc}\n--- clients ---\n{journals}\n"
                    f"--- server log ---\n{server.log()[-4000:]}"
                ) from exc
        try:
            swept += _check_after_kill(data_dir, scratch)
        except AssertionError as exc:
            raise AssertionError(f"{context}: {exc}") from exc
    final = asyncio.run(fsck(data_dir))
    assert final.problems == [], f"seed {SEED}: " + "\n".join(final.lines())
    done = sum((c.done for c in clients), Counter())
    unanswered = sum((c.unanswered for c in clients), Counter())
    print(
        f"\ncrash test: seed {SEED}, {CYCLES} kills in {time.monotonic() - started:.1f}s; "
        f"answered {dict(done)}; unanswered {dict(unanswered)}; "
        f"left by the kills {dict(swept)}; final {final.files} files, {final.bytes} bytes"
    )
    # A run that never killed anything mid-write tests nothing.
    assert sum(unanswered.values()) > 0
    assert done["complete"] > 0
    assert done["part"] > 0
