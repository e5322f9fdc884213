"""The Store: S3 semantics over metadata rows and data files. No HTTP, no XML.

Every write follows DESIGN.md's invariants: bytes stream to a file first, one short transaction
makes them visible, and files that rows stop referencing are deleted after that commit.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from storage import cors, lifecycle, listing, upload_checksums
from storage.blobs import BlobStore, WrittenBlob
from storage.checksums import DEFAULT_ALGORITHM, b64
from storage.conditions import WriteCondition
from storage.copying import CopySource
from storage.errors import S3Error
from storage.etag import multipart_etag, normalize
from storage.listing import After, AtLeast, Position
from storage.lock import DataDirLock
from storage.metadata import METADATA_FILE, Body, Metadata, Tx
from storage.models import (
    DEFAULT_MIN_PART_SIZE,
    MAX_OBJECT_SIZE,
    MAX_PART_NUMBER,
    MAX_PART_SIZE,
    MAX_PUT_SIZE,
    MIN_PART_NUMBER,
    Bucket,
    CompletedPart,
    CompleteResult,
    IncomingBody,
    ListedObject,
    ListedUpload,
    Meta,
    ObjectInfo,
    Page,
    Part,
    Segment,
    Tags,
    Upload,
    UploadedPart,
)
from storage.reader import ObjectReader

# Rows a lifecycle sweep deletes per write transaction: other writers wait at most this long.
LIFECYCLE_BATCH = 256


class Store:
    def __init__(
        self,
        meta: Metadata,
        blobs: BlobStore,
        *,
        min_part_size: int,
        lifecycle_day_seconds: float = lifecycle.DAY_SECONDS,
        lock: DataDirLock | None = None,
    ) -> None:
        self.meta = meta
        self.blobs = blobs
        self.min_part_size = min_part_size
        self.lifecycle_day_seconds = lifecycle_day_seconds
        self._lock = lock
        # Each bucket's lifecycle and CORS rules, as committed. Kept in memory because GET,
        # HEAD and PUT consult them on every request, and safe because the data dir lock makes
        # this Store the only writer; the rows are loaded at open.
        self._lifecycles: dict[str, list[lifecycle.Rule]] = {}
        self._cors: dict[str, list[cors.Rule]] = {}
        # The buckets' names, as committed, for the check a write makes before it reads its
        # body; kept like the rules above. The transaction that commits the write checks again.
        self._buckets: set[str] = set()

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        fsync: bool = True,
        direct_io: bool = True,
        min_part_size: int = DEFAULT_MIN_PART_SIZE,
        lifecycle_day_seconds: float = lifecycle.DAY_SECONDS,
        min_free_space: int | None = None,
    ) -> Store:
        """Open (or create) the store in ``data_dir`` and remove what a crash left behind.
        Raises DataDirLocked if another process (a server, fsck) holds ``data_dir``.
        ``min_free_space``: bytes of the filesystem data files leave free for the database (None:
        1% of it, at most 64 MiB). ``direct_io``: data files are written with O_DIRECT when
        ``fsync`` is on too (storage/blobs.py)."""
        async with contextlib.AsyncExitStack() as undo:  # undone only if opening fails
            # Locked before anything is swept: another server's uploads in flight are not
            # leftovers.
            lock = DataDirLock.acquire(data_dir)
            undo.callback(lock.release)
            blobs = BlobStore(
                data_dir, fsync=fsync, direct=fsync and direct_io, min_free=min_free_space
            )
            blobs.prepare()
            meta = await Metadata.open(data_dir / METADATA_FILE, fsync=fsync)
            undo.push_async_callback(meta.close)
            async with meta.read() as tx:
                referenced = await tx.referenced_blobs()
                lifecycles, cors_rules = await tx.lifecycles(), await tx.all_cors()
                buckets = {bucket.name for bucket in await tx.list_buckets()}
            blobs.sweep(referenced)
            undo.pop_all()
        store = cls(
            meta,
            blobs,
            min_part_size=min_part_size,
            lifecycle_day_seconds=lifecycle_day_seconds,
            lock=lock,
        )
        store._lifecycles, store._cors, store._buckets = lifecycles, cors_rules, buckets
        return store

    async def close(self) -> None:
        try:
            await self.meta.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    async def forget_completed(self, before: float) -> int:
        """Drop the answers kept for retried Completes of uploads initiated before ``before``."""
        return await self.meta.transact(lambda tx: tx.forget_completed(before))

    # Buckets

    # Each operation is one transaction body (Metadata.transact, lookup or snapshot): one trip
    # to the database's thread, or none.

    async def create_bucket(self, name: str) -> None:
        async def create(tx: Tx) -> None:
            if not await tx.insert_bucket(name, time.time()):
                # Single-tenant: whoever asks owns every bucket.
                raise S3Error("BucketAlreadyOwnedByYou", BucketName=name)

        await self.meta.transact(create)
        self._buckets.add(name)

    async def head_bucket(self, name: str) -> Bucket:
        return await self.meta.lookup(lambda tx: self._bucket(tx, name))

    async def delete_bucket(self, name: str) -> None:
        async def delete(tx: Tx) -> None:
            await self._bucket(tx, name)
            if await tx.bucket_in_use(name):
                raise S3Error("BucketNotEmpty", BucketName=name)
            await tx.delete_bucket(name)

        await self.meta.transact(delete)
        self._buckets.discard(name)
        self._lifecycles.pop(name, None)
        self._cors.pop(name, None)

    async def list_buckets(self) -> list[Bucket]:
        return await self.meta.snapshot(lambda tx: tx.list_buckets())

    @staticmethod
    async def _bucket(tx: Tx, name: str) -> Bucket:
        bucket = await tx.get_bucket(name)
        if bucket is None:
            raise S3Error("NoSuchBucket", BucketName=name)
        return bucket

    # CORS

    async def put_bucket_cors(self, bucket: str, rules: Sequence[cors.Rule]) -> None:
        cors.validate(rules)

        async def put(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            await tx.put_cors(bucket, rules)

        await self.meta.transact(put)
        self._cors[bucket] = list(rules)

    async def get_bucket_cors(self, bucket: str) -> list[cors.Rule]:
        await self.head_bucket(bucket)
        rules = self.bucket_cors(bucket)
        if rules is None:
            raise S3Error("NoSuchCORSConfiguration", BucketName=bucket)
        return rules

    async def delete_bucket_cors(self, bucket: str) -> None:
        async def delete(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            await tx.delete_cors(bucket)

        await self.meta.transact(delete)
        self._cors.pop(bucket, None)

    def bucket_cors(self, bucket: str) -> list[cors.Rule] | None:
        """The bucket's CORS rules; None when it has none, or when there is no such bucket (a
        browser's preflight learns nothing more)."""
        return self._cors.get(bucket)

    # Lifecycle

    async def put_bucket_lifecycle(self, bucket: str, rules: Sequence[lifecycle.Rule]) -> None:
        lifecycle.validate(rules)

        async def put(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            await tx.put_lifecycle(bucket, rules)

        await self.meta.transact(put)
        self._lifecycles[bucket] = list(rules)

    async def get_bucket_lifecycle(self, bucket: str) -> list[lifecycle.Rule]:
        await self.head_bucket(bucket)
        rules = self._lifecycles.get(bucket)
        if rules is None:
            raise S3Error("NoSuchLifecycleConfiguration", BucketName=bucket)
        return rules

    async def delete_bucket_lifecycle(self, bucket: str) -> None:
        async def delete(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            await tx.delete_lifecycle(bucket)

        await self.meta.transact(delete)
        self._lifecycles.pop(bucket, None)

    def abort_rule(self, upload: Upload) -> tuple[str, float] | None:
        """The lifecycle rule that will abort ``upload`` and when, if one applies."""
        rules = self._lifecycles.get(upload.bucket, [])
        return lifecycle.abort_rule(rules, upload.key, upload.initiated, self.lifecycle_day_seconds)

    def expiration(self, info: ObjectInfo) -> tuple[str, float] | None:
        """The lifecycle rule that will expire the object ``info`` describes and when, if one
        applies (x-amz-expiration)."""
        rules = self._lifecycles.get(info.bucket, [])
        return lifecycle.expiration_rule(
            rules, info.key, info.size, info.last_modified, self.lifecycle_day_seconds
        )

    async def apply_lifecycle(self, now: float) -> tuple[int, int]:
        """Abort the uploads and delete the objects the buckets' rules say are due at ``now``;
        return how many of each. Each batch is claimed and deleted in one write transaction, so
        a Complete, UploadPart or overwrite racing the sweep either wins or finds it gone."""
        aborted = expired = 0
        day = self.lifecycle_day_seconds
        for bucket, rules in list(self._lifecycles.items()):
            for rule in rules:
                if not rule.enabled:
                    continue
                if rule.abort_days is not None:
                    initiated = lifecycle.started_by(now, rule.abort_days, day)
                    aborted += await self._sweep_uploads(bucket, rule.filter.prefix, initiated)
                modified = lifecycle.expires_written_by(rule, now, day)
                if modified is not None:
                    expired += await self._sweep_objects(bucket, rule.filter, modified)
        return aborted, expired

    async def _sweep_uploads(self, bucket: str, prefix: str, initiated: float) -> int:
        async def batch(tx: Tx) -> tuple[int, list[str]]:
            due = await tx.uploads_initiated_by(bucket, prefix, initiated, LIFECYCLE_BATCH)
            return len(due), [blob for upload in due for blob in await tx.delete_upload(upload)]

        return await self._sweep(batch)

    async def _sweep_objects(self, bucket: str, found: lifecycle.Filter, modified: float) -> int:
        async def batch(tx: Tx) -> tuple[int, list[str]]:
            due = await tx.objects_modified_by(bucket, found, modified, LIFECYCLE_BATCH)
            return len(due), [blob for key in due for blob in await tx.delete_object(bucket, key)]

        return await self._sweep(batch)

    async def _sweep(self, batch: Body[tuple[int, list[str]]]) -> int:
        """Run ``batch`` (which deletes up to LIFECYCLE_BATCH rows and answers how many, and
        their files) as transactions until one finds fewer; the files go after each commit."""
        done = 0
        while True:
            count, blobs = await self.meta.transact(batch)
            await self.blobs.delete(blobs)
            done += count
            if count < LIFECYCLE_BATCH:
                return done

    # Objects

    async def put_object(
        self,
        bucket: str,
        key: str,
        body: IncomingBody,
        meta: Meta,
        condition: WriteCondition | None = None,
        *,
        tags: Tags = (),
    ) -> ObjectInfo:
        """PutObject. The object keeps the checksum the client sent, or S3's default CRC64NVME,
        computed in the same pass as the write; either is FULL_OBJECT.

        ``condition`` is checked before the body is read (PreconditionFailed, NoSuchKey) and
        again when the object is committed: if another write changed the key meanwhile so that
        it no longer holds, the answer is ConditionalRequestConflict and nothing is stored."""
        await self._check_destination(bucket, key, condition)
        algorithm = body.checksum_algorithm or DEFAULT_ALGORITHM
        written = await self._write(body, algorithm)
        info, segment = self._single_part(bucket, key, written, algorithm, meta, tags)
        await self._commit_object(info, [segment], [written.blob], condition)
        return info

    async def _check_destination(
        self, bucket: str, key: str, condition: WriteCondition | None
    ) -> None:
        """Before a write's bytes are read: the bucket exists and ``condition`` holds."""
        if condition is None:
            if bucket not in self._buckets:
                raise S3Error("NoSuchBucket", BucketName=bucket)
            return

        async def check(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            if condition is not None:
                self._check_condition(condition, await tx.get_object(bucket, key), key)

        await self.meta.lookup(check)

    @staticmethod
    def _check_condition(
        condition: WriteCondition,
        current: tuple[ObjectInfo, str] | None,
        key: str,
        code: str | None = None,
    ) -> None:
        """Raise the error ``condition`` gives for the object now at ``key`` (``code`` in place
        of it, if given)."""
        failed = condition.failure(None if current is None else current[0].etag)
        if failed == "NoSuchKey" and code is None:
            raise S3Error("NoSuchKey", Key=key)
        if failed is not None:
            raise S3Error(code or failed)

    @staticmethod
    def _single_part(
        bucket: str, key: str, written: WrittenBlob, algorithm: str, meta: Meta, tags: Tags
    ) -> tuple[ObjectInfo, Segment]:
        """The object one written data file makes (PutObject, CopyObject): its ETag is the
        MD5 of its bytes, its checksum FULL_OBJECT of ``algorithm``."""
        etag = written.digests["MD5"].hex()
        checksum = b64(written.digests[algorithm])
        info = ObjectInfo(
            bucket=bucket,
            key=key,
            size=written.size,
            etag=etag,
            last_modified=time.time(),
            meta=meta,
            checksum_algorithm=algorithm,
            checksum_type=upload_checksums.FULL_OBJECT,
            checksum=checksum,
            tags=tags,
        )
        return info, Segment(written.blob, written.size, 1, etag, checksum)

    async def _write(self, body: IncomingBody, algorithm: str) -> WrittenBlob:
        """Stream ``body`` to a file, computing ``algorithm``'s digest as well."""
        return await self.blobs.write(replace(body, digests=body.digests | {algorithm}))

    async def _commit_object(
        self,
        info: ObjectInfo,
        segments: Sequence[Segment],
        orphans: Sequence[str],
        condition: WriteCondition | None = None,
    ) -> None:
        """Make ``info`` visible, replacing any object at its key, if ``condition`` still holds
        (ConditionalRequestConflict if a write since its first check broke it); on failure
        delete ``orphans``, the files written for it."""

        async def commit(tx: Tx) -> list[str]:
            await self._bucket(tx, info.bucket)
            if condition is not None:
                current = await tx.get_object(info.bucket, info.key)
                self._check_condition(
                    condition, current, info.key, code="ConditionalRequestConflict"
                )
            return await tx.put_object(info, secrets.token_hex(16), segments)

        committed = False
        try:
            replaced = await self.meta.transact(commit)
            committed = True
        finally:
            if not committed:
                await self.blobs.delete(orphans)
        await self.blobs.delete(replaced)

    async def head_object(self, bucket: str, key: str) -> ObjectInfo:
        async def read(tx: Tx) -> ObjectInfo:
            return (await self._object(tx, bucket, key))[0]

        return await self.meta.lookup(read)

    async def object_parts(self, bucket: str, key: str) -> tuple[ObjectInfo, list[Segment]]:
        """The object and its parts (one segment for an object PutObject stored), for
        HeadObject by partNumber and GetObjectAttributes; no data file is opened."""
        return await self.meta.lookup(lambda tx: self._object_parts(tx, bucket, key))

    @staticmethod
    async def _object_parts(tx: Tx, bucket: str, key: str) -> tuple[ObjectInfo, list[Segment]]:
        info, object_id = await Store._object(tx, bucket, key)
        return info, await tx.get_segments(object_id)

    @asynccontextmanager
    async def open_object(self, bucket: str, key: str) -> AsyncIterator[ObjectReader]:
        """The object and its data, which stay readable until the block ends even if the object
        is replaced or deleted meanwhile."""
        info, segments = await self.meta.lookup(lambda tx: self._object_parts(tx, bucket, key))
        async with self.blobs.lease(s.blob for s in segments):
            yield ObjectReader(info, segments, self.blobs)

    @staticmethod
    async def _object(tx: Tx, bucket: str, key: str) -> tuple[ObjectInfo, str]:
        found = await tx.get_object(bucket, key)
        if found is None:
            await Store._bucket(tx, bucket)
            raise S3Error("NoSuchKey", Key=key)
        return found

    async def delete_object(self, bucket: str, key: str) -> None:
        """Delete ``key``; deleting a key that does not exist succeeds, as in S3."""

        async def delete(tx: Tx) -> list[str]:
            await self._bucket(tx, bucket)
            return await tx.delete_object(bucket, key)

        await self.blobs.delete(await self.meta.transact(delete))

    async def put_object_tagging(self, bucket: str, key: str, tags: Tags) -> None:
        """PutObjectTagging (and, with no tags, DeleteObjectTagging): replace the tag set; the
        object's data, ETag and Last-Modified stay as they are."""

        async def put(tx: Tx) -> None:
            if not await tx.set_object_tags(bucket, key, tags):
                await self._object(tx, bucket, key)  # NoSuchBucket or NoSuchKey

        await self.meta.transact(put)

    async def delete_objects(self, bucket: str, keys: Sequence[str]) -> None:
        """DeleteObjects: delete every key (those that do not exist too, as S3) in one
        transaction, so the cost of a 1,000-key request is one commit, not 1,000, and one trip
        to the database's thread, not 2,000."""

        async def delete(tx: Tx) -> list[str]:
            await self._bucket(tx, bucket)
            blobs: list[str] = []
            for key in dict.fromkeys(keys):
                blobs += await tx.delete_object(bucket, key)
            return blobs

        await self.blobs.delete(await self.meta.transact(delete))

    async def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, max_keys: int, after: str
    ) -> Page[ListedObject]:
        """ListObjects and ListObjectsV2: keys under ``prefix`` that sort after ``after``. A
        page is one trip to the database's thread, however many queries it takes."""

        async def page(tx: Tx) -> Page[ListedObject]:
            await self._bucket(tx, bucket)

            async def fetch(
                position: Position, limit: int
            ) -> Iterable[tuple[tuple[str], ListedObject]]:
                return await tx.list_objects(bucket, prefix, position, limit)

            start = listing.start_position(prefix, after)
            return await listing.list_page(
                fetch, start, prefix=prefix, delimiter=delimiter, max_keys=max_keys, marker=after
            )

        return await self.meta.snapshot(page)

    # Multipart uploads

    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        meta: Meta,
        *,
        checksum_algorithm: str | None = None,
        checksum_type: str | None = None,
        tags: Tags = (),
    ) -> Upload:
        """CreateMultipartUpload, with the x-amz-checksum-algorithm and x-amz-checksum-type the
        request named (None: absent)."""
        checksum_algorithm, checksum_type = upload_checksums.upload_checksum(
            checksum_algorithm, checksum_type
        )
        # Upload ids are opaque and unguessable: 48 random bytes, URL-safe.
        upload = Upload(
            upload_id=secrets.token_urlsafe(48),
            bucket=bucket,
            key=key,
            initiated=time.time(),
            meta=meta,
            checksum_algorithm=checksum_algorithm,
            checksum_type=checksum_type,
            tags=tags,
        )

        async def insert(tx: Tx) -> None:
            await self._bucket(tx, bucket)
            await tx.insert_upload(upload)

        await self.meta.transact(insert)
        return upload

    @staticmethod
    async def _open_upload(tx: Tx, bucket: str, key: str, upload_id: str) -> Upload:
        return await Store._check_open(tx, await tx.get_upload(upload_id), bucket, key, upload_id)

    @staticmethod
    async def _check_open(
        tx: Tx,
        found: tuple[Upload, str, CompleteResult | None] | None,
        bucket: str,
        key: str,
        upload_id: str,
    ) -> Upload:
        """The upload ``found`` (Tx.get_upload's answer) if it is open and names ``key`` in
        ``bucket``; else NoSuchBucket or NoSuchUpload."""
        if found is None or found[1] != "open" or (found[0].bucket, found[0].key) != (bucket, key):
            await Store._bucket(tx, bucket)
            raise S3Error("NoSuchUpload", UploadId=upload_id)
        return found[0]

    async def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        return await self.meta.lookup(lambda tx: self._open_upload(tx, bucket, key, upload_id))

    @staticmethod
    def _check_part_number(part_number: int) -> None:
        if not MIN_PART_NUMBER <= part_number <= MAX_PART_NUMBER:
            raise S3Error(
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=part_number,
            )

    async def upload_part_copy(
        self, bucket: str, key: str, upload_id: str, part_number: int, source: CopySource
    ) -> UploadedPart:
        """UploadPartCopy: the source's bytes (or its range) stream from its data files through
        UploadPart's write path; the source stays readable for the copy's duration even if it
        is replaced or deleted meanwhile. A part of an upload with a checksum algorithm gets
        that checksum, computed while copying."""
        self._check_part_number(part_number)
        upload = await self.get_upload(bucket, key, upload_id)
        async with self.open_object(source.bucket, source.key) as reader:
            start, end = source.byte_range(reader.info)
            body = IncomingBody(
                source=reader.read(start, end),
                max_size=MAX_PART_SIZE,
                checksum_algorithm=upload.checksum_algorithm,
            )
            return await self.upload_part(bucket, key, upload_id, part_number, body)

    async def copy_object(
        self,
        bucket: str,
        key: str,
        source: CopySource,
        *,
        meta: Meta | None,
        tags: Tags | None,
        checksum_algorithm: str | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """CopyObject: a new single-part object with the source's bytes, streamed through
        PutObject's write path. ``meta`` and ``tags`` None keep the source's (the COPY
        directives). The copy keeps the source's checksum algorithm unless another is named
        (S3's default CRC64NVME for a source without one); its checksum is computed while
        copying, of the whole object. Copying an object onto itself without new metadata is
        InvalidRequest, as on AWS. ``condition`` (If-Match, If-None-Match) is about the
        destination, checked as PutObject checks it."""
        await self._check_destination(bucket, key, condition)
        async with self.open_object(source.bucket, source.key) as reader:
            src = reader.info
            if source.same_object(bucket, key) and meta is None:
                raise S3Error(
                    "InvalidRequest",
                    "This copy request is illegal because it is trying to copy an object to "
                    "itself without changing the object's metadata, storage class, website "
                    "redirect location or encryption attributes.",
                )
            start, end = source.byte_range(src)
            algorithm = checksum_algorithm or src.checksum_algorithm or DEFAULT_ALGORITHM
            body = IncomingBody(source=reader.read(start, end), max_size=MAX_PUT_SIZE)
            written = await self._write(body, algorithm)
        info, segment = self._single_part(
            bucket,
            key,
            written,
            algorithm,
            src.meta if meta is None else meta,
            src.tags if tags is None else tags,
        )
        await self._commit_object(info, [segment], [written.blob], condition)
        return info

    async def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, body: IncomingBody
    ) -> UploadedPart:
        self._check_part_number(part_number)
        upload = await self.get_upload(bucket, key, upload_id)
        algorithm = upload_checksums.part_algorithm(upload, body.checksum_algorithm)
        written = await self._write(body, algorithm)
        part = Part(
            part_number=part_number,
            size=written.size,
            etag=written.digests["MD5"].hex(),
            last_modified=time.time(),
            checksum=b64(written.digests[algorithm]),
        )

        async def commit(tx: Tx) -> str | None:
            # Checked again inside the transaction: a Complete or Abort may have won while the
            # body streamed, and a part must not resurrect a finished upload.
            await self._open_upload(tx, bucket, key, upload_id)
            return await tx.put_part(upload_id, part, written.blob)

        committed = False
        try:
            replaced = await self.meta.transact(commit)
            committed = True
        finally:
            if not committed:
                await self.blobs.delete([written.blob])
        if replaced is not None:
            await self.blobs.delete([replaced])
        answered = upload.checksum_algorithm or body.checksum_algorithm
        if answered is None:
            return UploadedPart(part)
        return UploadedPart(part, answered, b64(written.digests[answered]))

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, max_parts: int, after: int
    ) -> tuple[Upload, list[Part], bool]:
        """ListParts: the upload, up to ``max_parts`` parts numbered above ``after``, and
        whether more follow. One query reads the upload and the page together."""
        async with self.meta.read_one() as tx:
            found, parts = await tx.list_parts(upload_id, after, max_parts + 1)
        if found is None or found[1] != "open" or (found[0].bucket, found[0].key) != (bucket, key):
            await self.head_bucket(bucket)
            raise S3Error("NoSuchUpload", UploadId=upload_id)
        return found[0], parts[:max_parts], len(parts) > max_parts

    async def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: str,
        delimiter: str,
        max_uploads: int,
        key_marker: str,
        upload_id_marker: str,
    ) -> Page[ListedUpload]:
        """ListMultipartUploads: open uploads under ``prefix`` after the markers. A page is
        one trip to the database's thread, however many queries it takes."""

        async def page(tx: Tx) -> Page[ListedUpload]:
            await self._bucket(tx, bucket)
            start: Position = AtLeast(prefix)
            if key_marker and key_marker >= prefix:
                # Without an upload-id-marker, listing resumes after every upload of key-marker.
                start = After((key_marker, float("inf"), ""))
                if upload_id_marker:
                    found = await tx.get_upload(upload_id_marker)
                    if found is not None and found[0].key == key_marker:
                        start = After((key_marker, found[0].initiated, upload_id_marker))

            async def fetch(
                position: Position, limit: int
            ) -> Iterable[tuple[tuple[str, float, str], ListedUpload]]:
                return await tx.list_uploads(bucket, prefix, position, limit)

            return await listing.list_page(
                fetch,
                start,
                prefix=prefix,
                delimiter=delimiter,
                max_keys=max_uploads,
                marker=key_marker,
            )

        return await self.meta.snapshot(page)

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        listed: Sequence[CompletedPart],
        *,
        checksum_type: str | None = None,
        checksum: tuple[str, str] | None = None,
        condition: WriteCondition | None = None,
    ) -> CompleteResult:
        """Join the listed parts into the object at ``key``, atomically and without copying.

        ``checksum_type`` and ``checksum`` (algorithm, base64 value) are the request's
        x-amz-checksum-type and x-amz-checksum-<algorithm>, if any. The object's checksum is
        derived from the stored part checksums: the cost grows with the number of parts.
        ``condition`` (If-Match, If-None-Match) is checked in the transaction that commits, so
        it never races; when it fails the upload stays as it was, for a retry or an Abort.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        object_id = secrets.token_hex(16)

        async def complete(tx: Tx) -> tuple[CompleteResult, list[str]]:
            found = await tx.get_upload(upload_id)
            done = found[2] if found is not None else None
            if done is not None and (done.bucket, done.key) == (bucket, key):
                return done, []  # a retry of a Complete that succeeded
            upload = await self._check_open(tx, found, bucket, key, upload_id)
            if condition is not None:
                self._check_condition(condition, await tx.get_object(bucket, key), key)
            upload_checksums.check_complete_request(upload, checksum_type, checksum)
            segments = self._validate_complete(upload_id, listed, await tx.get_parts(upload_id))
            size = sum(s.size for s in segments)
            if size > MAX_OBJECT_SIZE:
                raise S3Error("EntityTooLarge", ProposedSize=size, MaxSizeAllowed=MAX_OBJECT_SIZE)
            # In the database's thread, like the rest. Combining 10,000 part CRCs takes some
            # 30-45 ms, which the write lock was held for before too (waiting on a worker
            # thread); for a Complete of a few parts that hop cost more than the combining.
            summed = upload_checksums.object_checksum(
                upload, listed, segments, checksum_type, checksum
            )
            result = CompleteResult(
                bucket=bucket,
                key=key,
                etag=multipart_etag(s.etag for s in segments),
                size=size,
                checksum_algorithm=summed.algorithm if summed else None,
                checksum_type=summed.type if summed else None,
                checksum=summed.value if summed else None,
            )
            info = ObjectInfo(
                bucket=bucket,
                key=key,
                size=size,
                etag=result.etag,
                last_modified=time.time(),
                meta=upload.meta,
                checksum_algorithm=result.checksum_algorithm,
                checksum_type=result.checksum_type,
                checksum=result.checksum,
                parts_count=len(segments),
                tags=upload.tags,
            )
            if not await tx.claim_upload(upload_id, result):
                raise S3Error("NoSuchUpload", UploadId=upload_id)
            replaced = await tx.put_object(info, object_id, segments)
            kept = {s.blob for s in segments}
            # Parts the client did not list are deleted with the upload's part rows.
            unlisted = [b for b in await tx.delete_parts(upload_id) if b not in kept]
            return result, replaced + unlisted

        # One trip to the database's thread for all of it, committed with the writes that wait
        # beside it; the files are deleted only once the rows that named them are gone.
        result, orphans = await self.meta.transact(complete)
        await self.blobs.delete(orphans)
        return result

    def _validate_complete(
        self,
        upload_id: str,
        listed: Sequence[CompletedPart],
        parts: dict[int, tuple[Part, str]],
    ) -> list[Segment]:
        """The segments of the object ``listed`` describes, or the S3 error AWS answers."""
        # The order of the whole list is checked before any part is looked up, as MinIO, Garage
        # and LocalStack (snapshot-tested against AWS) do; AWS does not document the precedence.
        numbers = [entry.part_number for entry in listed]
        if any(a >= b for a, b in itertools.pairwise(numbers)):
            raise S3Error("InvalidPartOrder", UploadId=upload_id)
        segments: list[Segment] = []
        for entry in listed:
            found = parts.get(entry.part_number)
            if found is None or found[0].etag != normalize(entry.etag):
                raise S3Error(
                    "InvalidPart",
                    UploadId=upload_id,
                    PartNumber=entry.part_number,
                    ETag=entry.etag,
                )
            part, blob = found
            segments.append(Segment(blob, part.size, part.part_number, part.etag, part.checksum))
        for segment in segments[:-1]:
            if segment.size < self.min_part_size:
                raise S3Error(
                    "EntityTooSmall",
                    ProposedSize=segment.size,
                    MinSizeAllowed=self.min_part_size,
                    PartNumber=segment.part_number,
                    ETag=segment.etag,
                )
        return segments

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        async def abort(tx: Tx) -> list[str]:
            await self._open_upload(tx, bucket, key, upload_id)
            return await tx.delete_upload(upload_id)

        await self.blobs.delete(await self.meta.transact(abort))
