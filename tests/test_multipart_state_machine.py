"""Random sequences of multipart operations against a real s3mpu process, checked against a small
in-memory model of S3's rules.

The model is the specification: every answer (success values and error codes) and every stored
byte the server gives is compared with what the model predicts. Where AWS documents a rule the
model follows it; where the documentation is silent the comment says which behaviour we assume.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.harness import Server, run_server

MIN_PART_SIZE = 16
# Several uploads share a key; "a" is a prefix of the others, and one key needs URL encoding.
KEYS = ("a", "a/b", "ab", "b c/\u00fc")
PREFIXES = ("", "a", "a/", "b", "zz")
CONTENT_TYPES = (None, "text/plain", "image/png", "application/x-custom")
VALID_PART_NUMBERS = (1, 2, 3, 5, 9, 10000)
INVALID_PART_NUMBERS = (0, 10001)
# Part numbers nobody uploads here, for Complete lists that name a missing part.
UNUSED_PART_NUMBERS = (4, 6, 7, 9999)
# How a valid Complete list gets spoiled; "empty" last so that shrinking prefers the others.
MUTATIONS = ("swap", "wrong_etag", "missing", "descending", "empty")
BOGUS_UPLOAD_ID = "bogus-upload-id-" + "x" * 48
DEFAULT_CONTENT_TYPE = "binary/octet-stream"

_bucket_numbers = itertools.count()
# One server and one client for the module; the machine is instantiated once per example and
# finds them here (set by the test function).
_shared: dict[str, Any] = {}


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def quoted_md5(data: bytes) -> str:
    return f'"{md5_hex(data)}"'


def multipart_etag(parts: list[bytes]) -> str:
    """The quoted ETag S3 gives an object completed from parts with these bytes, in order.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    """
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def expected_complete_error(
    listed: list[tuple[int, str]], parts: dict[int, bytes], min_size: int
) -> str | None:
    """The error S3 answers a Complete of an open upload with, or None if it succeeds.

    Precedence: an empty list is MalformedXML; then the order of the whole list
    (InvalidPartOrder); then each entry in list order (InvalidPart: not uploaded, or another
    ETag); then the size of every part but the last (EntityTooSmall). AWS documents the codes
    but not their precedence; checking the order of the whole list before looking up any part
    is what MinIO, Garage and LocalStack (whose tests are snapshotted against AWS) do.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    """
    if not listed:
        return "MalformedXML"
    numbers = [n for n, _ in listed]
    if any(a >= b for a, b in itertools.pairwise(numbers)):
        return "InvalidPartOrder"
    for number, etag in listed:
        if number not in parts or quoted_md5(parts[number]) != etag:
            return "InvalidPart"
    for number, _ in listed[:-1]:
        if len(parts[number]) < min_size:
            return "EntityTooSmall"
    return None


def make_body(size: int, seed: int) -> bytes:
    """``size`` pseudo-random bytes. Bodies are drawn as (size, seed) rather than as raw bytes,
    so shrinking a failure does not try every byte of every part against the server."""
    stream = b"".join(hashlib.sha256(b"%d:%d" % (seed, i)).digest() for i in range(3))
    return stream[:size]


def call_expecting(code: str, method: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as raised:
        method(*args, **kwargs)
    assert raised.value.response["Error"]["Code"] == code, raised.value.response


part_numbers = st.one_of(
    st.sampled_from(VALID_PART_NUMBERS),
    st.sampled_from(VALID_PART_NUMBERS),
    st.sampled_from(VALID_PART_NUMBERS),
    st.sampled_from(INVALID_PART_NUMBERS),
)
# Mostly at least the minimum part size, so Completes of several parts succeed; often at its
# edges, so EntityTooSmall happens and its boundary is checked exactly.
part_sizes = st.one_of(
    st.sampled_from([MIN_PART_SIZE - 1, MIN_PART_SIZE]),
    st.integers(MIN_PART_SIZE, 64),
    st.integers(0, 64),
)
part_bodies = st.builds(make_body, part_sizes, st.integers(0, 255))
metas = st.text(alphabet="abcxyz0123456789-", max_size=8)


@dataclass
class ModelUpload:
    name: str  # u0, u1, ... in initiation order: what a failing example prints
    upload_id: str
    key: str
    content_type: str | None
    meta: str
    parts: dict[int, bytes] = field(default_factory=dict)
    state: str = "open"  # open, completed, aborted
    # Set when completed: the list that completed it and the ETag it answered.
    completed_with: list[tuple[int, str]] | None = None
    completed_etag: str | None = None


@dataclass
class ModelObject:
    data: bytes
    etag: str
    content_type: str | None
    meta: str


@dataclass
class Target:
    """What a request addresses: an upload id and a key, and the upload S3 should find there
    (None when S3 should answer NoSuchUpload, because the id is unknown, finished, or not the
    key's)."""

    upload_id: str
    key: str
    known: ModelUpload | None
    open: ModelUpload | None


def any_open(machine: MultipartMachine) -> bool:
    """Whether an upload is open. The rules that address an upload only run then: they still
    address finished and unknown uploads often, but not for whole examples on end."""
    return any(u.state == "open" for u in machine.uploads)


class MultipartMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s3 = _shared["client"]
        # A fresh bucket per example, so examples never see each other's uploads or objects.
        self.bucket = f"sm-{next(_bucket_numbers)}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.uploads: list[ModelUpload] = []  # in initiation order
        self.objects: dict[str, ModelObject] = {}

    # Helpers

    def _pick(self, plan: st.DataObject, *, with_parts: bool = False) -> Target:
        """Mostly an open upload (one with parts, if ``with_parts`` and there is one); sometimes
        a finished upload, a known upload id under another key, or an id S3 never issued."""
        opened = [u for u in self.uploads if u.state == "open"]
        if with_parts:
            opened = [u for u in opened if u.parts] or opened
        pools: dict[str, list[ModelUpload]] = {
            "open": opened,
            "finished": [u for u in self.uploads if u.state != "open"],
            "other key": self.uploads,
        }
        kinds = ["open"] * 5 + ["finished", "other key", "bogus"]
        kind = plan.draw(
            st.sampled_from([k for k in kinds if k == "bogus" or pools[k]]), label="target"
        )
        if kind == "bogus":
            return Target(BOGUS_UPLOAD_ID, KEYS[0], None, None)
        name = plan.draw(st.sampled_from([u.name for u in pools[kind]]), label="upload")
        upload = next(u for u in self.uploads if u.name == name)
        key = upload.key
        if kind == "other key":
            key = plan.draw(st.sampled_from([k for k in KEYS if k != upload.key]), label="key")
        is_open = upload.state == "open" and key == upload.key
        return Target(upload.upload_id, key, upload, upload if is_open else None)

    def _create(self, key: str, content_type: str | None, meta: str) -> ModelUpload:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Metadata": {"m": meta}}
        if content_type is not None:
            kwargs["ContentType"] = content_type
        got = self.s3.create_multipart_upload(**kwargs)
        assert (got["Bucket"], got["Key"]) == (self.bucket, key)
        assert got["UploadId"]
        assert got["UploadId"] not in {u.upload_id for u in self.uploads}
        name = f"u{len(self.uploads)}"
        upload = ModelUpload(name, got["UploadId"], key, content_type, meta)
        self.uploads.append(upload)
        return upload

    def _upload_part(self, target: Target, number: int, data: bytes) -> None:
        upload = target.open
        if number in INVALID_PART_NUMBERS and upload is None:
            # AWS does not document whether the number or the upload is checked first.
            number = 1
        kwargs = {
            "Bucket": self.bucket,
            "Key": target.key,
            "UploadId": target.upload_id,
            "PartNumber": number,
            "Body": data,
        }
        if upload is None:
            call_expecting("NoSuchUpload", self.s3.upload_part, **kwargs)
        elif number in INVALID_PART_NUMBERS:
            call_expecting("InvalidArgument", self.s3.upload_part, **kwargs)
        else:
            assert self.s3.upload_part(**kwargs)["ETag"] == quoted_md5(data)
            upload.parts[number] = data  # a number uploaded again replaces the part

    def _complete(self, target: Target, listed: list[tuple[int, str]]) -> Any:
        return self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=target.key,
            UploadId=target.upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in listed]},
        )

    def _check_object(self, key: str) -> None:
        expected = self.objects.get(key)
        if expected is None:
            call_expecting("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key=key)
            return
        got = self.s3.get_object(Bucket=self.bucket, Key=key)
        assert got["Body"].read() == expected.data
        assert got["ETag"] == expected.etag
        assert got["ContentLength"] == len(expected.data)
        assert got["ContentType"] == (expected.content_type or DEFAULT_CONTENT_TYPE)
        assert got["Metadata"] == {"m": expected.meta}

    # Rules

    @initialize(
        uploads=st.lists(
            st.tuples(
                st.sampled_from(KEYS),
                st.sampled_from(CONTENT_TYPES),
                metas,
                st.lists(
                    st.tuples(st.sampled_from(VALID_PART_NUMBERS), part_bodies),
                    min_size=1,
                    max_size=4,
                ),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def first_uploads(
        self, uploads: list[tuple[str, str | None, str, list[tuple[int, bytes]]]]
    ) -> None:
        """Every example starts with uploads that have parts, so that the rules which need
        one (whichever of them swarm testing leaves on) have something to work on."""
        for key, content_type, meta, parts in uploads:
            upload = self._create(key, content_type, meta)
            target = Target(upload.upload_id, key, upload, upload)
            for number, data in parts:
                self._upload_part(target, number, data)

    @rule(
        key=st.sampled_from(KEYS),
        content_type=st.sampled_from(CONTENT_TYPES),
        meta=metas,
    )
    def create_upload(self, key: str, content_type: str | None, meta: str) -> None:
        self._create(key, content_type, meta)

    @precondition(any_open)
    @rule(
        plan=st.data(),
        parts=st.lists(st.tuples(part_numbers, part_bodies), min_size=1, max_size=3),
    )
    def upload_part(self, plan: st.DataObject, parts: list[tuple[int, bytes]]) -> None:
        """UploadPart, one to three times in a row (so uploads get several parts sooner)."""
        target = self._pick(plan)
        for number, data in parts:
            self._upload_part(target, number, data)

    @precondition(any_open)
    @rule(plan=st.data(), max_parts=st.integers(1, 5))
    def list_parts(self, plan: st.DataObject, max_parts: int) -> None:
        """ListParts, walking every page with part-number-marker."""
        target = self._pick(plan)
        kwargs = {
            "Bucket": self.bucket,
            "Key": target.key,
            "UploadId": target.upload_id,
            "MaxParts": max_parts,
        }
        if target.open is None:
            call_expecting("NoSuchUpload", self.s3.list_parts, **kwargs)
            return
        remaining = [(n, quoted_md5(d), len(d)) for n, d in sorted(target.open.parts.items())]
        marker = 0
        while True:
            got = self.s3.list_parts(**kwargs, PartNumberMarker=marker)
            page = [(p["PartNumber"], p["ETag"], p["Size"]) for p in got.get("Parts", [])]
            assert page == remaining[:max_parts], (marker, got)
            assert got["IsTruncated"] == (len(remaining) > max_parts)
            assert (got["Key"], got["UploadId"]) == (target.key, target.upload_id)
            assert got["MaxParts"] == max_parts
            remaining = remaining[max_parts:]
            if not got["IsTruncated"]:
                break
            assert got["NextPartNumberMarker"] == page[-1][0]
            marker = got["NextPartNumberMarker"]

    @rule(max_uploads=st.integers(1, 4), prefix=st.sampled_from(PREFIXES))
    def list_uploads(self, max_uploads: int, prefix: str) -> None:
        """ListMultipartUploads, walking every page with key-marker and upload-id-marker.
        Uploads sort by key, then by initiation time.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
        """
        remaining = sorted(
            ((u.key, u.upload_id) for u in self.uploads if u.state == "open"),
            key=lambda entry: entry[0],  # stable: initiation order within a key
        )
        remaining = [entry for entry in remaining if entry[0].startswith(prefix)]
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "MaxUploads": max_uploads}
        if prefix:
            kwargs["Prefix"] = prefix
        while True:
            got = self.s3.list_multipart_uploads(**kwargs)
            page = [(u["Key"], u["UploadId"]) for u in got.get("Uploads", [])]
            assert page == remaining[:max_uploads], (kwargs, got)
            assert got["IsTruncated"] == (len(remaining) > max_uploads)
            assert got["MaxUploads"] == max_uploads
            remaining = remaining[max_uploads:]
            if not got["IsTruncated"]:
                break
            assert (got["NextKeyMarker"], got["NextUploadIdMarker"]) == page[-1]
            kwargs["KeyMarker"] = got["NextKeyMarker"]
            kwargs["UploadIdMarker"] = got["NextUploadIdMarker"]

    @precondition(any_open)
    @rule(plan=st.data())
    def complete(self, plan: st.DataObject) -> None:
        target = self._pick(plan, with_parts=True)
        done = target.known
        if done is not None and done.state == "completed" and done.key == target.key:
            # A retry of a Complete that succeeded answers the same result and changes nothing.
            assert done.completed_with is not None
            assert self._complete(target, done.completed_with)["ETag"] == done.completed_etag
            return
        upload = target.open
        listed = self._draw_parts_list(plan, upload.parts if upload is not None else {})
        if upload is None:
            # AWS does not document whether an empty list or a missing upload is found first.
            listed = listed or [(1, quoted_md5(b""))]
            call_expecting("NoSuchUpload", self._complete, target, listed)
            return
        expected = expected_complete_error(listed, upload.parts, MIN_PART_SIZE)
        if expected is not None:
            call_expecting(expected, self._complete, target, listed)
            return
        chosen = [upload.parts[n] for n, _ in listed]
        etag = multipart_etag(chosen)
        got = self._complete(target, listed)
        assert (got["ETag"], got["Bucket"], got["Key"]) == (etag, self.bucket, target.key)
        upload.state = "completed"
        upload.completed_with = listed
        upload.completed_etag = etag
        self.objects[target.key] = ModelObject(
            b"".join(chosen), etag, upload.content_type, upload.meta
        )
        self._check_object(target.key)
        assert self._complete(target, listed)["ETag"] == etag

    @staticmethod
    def _draw_parts_list(plan: st.DataObject, parts: dict[int, bytes]) -> list[tuple[int, str]]:
        """A Complete list: the valid one (all parts or an ascending subset), sometimes spoiled
        by one or two mutations (a swap, descending order, a wrong ETag, a missing part)."""
        listed = [(n, quoted_md5(d)) for n, d in sorted(parts.items())]
        if listed and plan.draw(st.sampled_from([False, False, True]), label="subset"):
            kept = plan.draw(st.lists(st.sampled_from(listed), min_size=1, unique=True))
            listed = sorted(kept)
        count = plan.draw(st.sampled_from([0, 0, 0, 1, 1, 2]), label="mutation count")
        mutations = plan.draw(
            st.lists(st.sampled_from(MUTATIONS), min_size=count, max_size=count),
            label="mutations",
        )
        for mutation in mutations:
            if mutation == "swap" and len(listed) >= 2:
                i = plan.draw(st.integers(0, len(listed) - 2), label="swap at")
                listed[i], listed[i + 1] = listed[i + 1], listed[i]
            elif mutation == "wrong_etag" and listed:
                i = plan.draw(st.integers(0, len(listed) - 1), label="wrong ETag at")
                number, etag = listed[i]
                listed[i] = (number, '"' + ("1" if etag[1] == "0" else "0") + etag[2:])
            elif mutation == "missing":
                used = {n for n, _ in listed} | set(parts)
                number = next(n for n in UNUSED_PART_NUMBERS if n not in used)
                i = plan.draw(st.integers(0, len(listed)), label="missing part at")
                listed.insert(i, (number, quoted_md5(b"never uploaded")))
            elif mutation == "descending":
                listed.reverse()
            elif mutation == "empty":
                listed = []
        return listed

    @precondition(any_open)
    @rule(plan=st.data())
    def abort(self, plan: st.DataObject) -> None:
        target = self._pick(plan)
        kwargs = {"Bucket": self.bucket, "Key": target.key, "UploadId": target.upload_id}
        if target.open is None:
            call_expecting("NoSuchUpload", self.s3.abort_multipart_upload, **kwargs)
            return
        got = self.s3.abort_multipart_upload(**kwargs)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 204
        target.open.state = "aborted"

    @rule(key=st.sampled_from(KEYS))
    def get_object(self, key: str) -> None:
        self._check_object(key)


@pytest.fixture(scope="module")
def sm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # --no-fsync: the data is thrown away, and fsync would dominate the run time.
    data_dir = tmp_path_factory.mktemp("state-machine") / "data"
    with run_server(data_dir, "--no-fsync", min_part_size=MIN_PART_SIZE) as running:
        yield running


def test_multipart_state_machine(sm_server: Server) -> None:
    _shared["client"] = sm_server.client()
    try:
        run_state_machine_as_test(
            MultipartMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                # Shrink one failure, not each distinct one, and skip the explain phase, which
                # replays hundreds of variants of the failing example: every one of them talks
                # to the server, so together they would take minutes.
                report_multiple_bugs=False,
                phases=[phase for phase in Phase if phase is not Phase.explain],
            ),
        )
    finally:
        _shared.clear()
