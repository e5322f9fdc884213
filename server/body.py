"""Request bodies: from the socket to an ``IncomingBody`` the store can stream to disk.

Handles the plain and aws-chunked framings, the x-amz-content-sha256 payload hash, Content-MD5,
and x-amz-checksum-* values sent as headers or as aws-chunked trailers. Every digest is computed
by the store in its single write pass; ``verify`` compares them before anything is committed.
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from server import sigv4
from server.chunked import ChunkedDecoder
from server.receiver import SocketBody, can_take_over
from storage import (
    CHECKSUM_ALGORITHMS,
    Digests,
    IncomingBody,
    S3Error,
    decode_checksum,
    digest_of,
)

CONTINUE_SENT = web.RequestKey("continue_sent", bool)
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
SDK_ALGORITHM = "x-amz-sdk-checksum-algorithm"


def _b64_digest(value: str, algorithm: str, header: str) -> bytes:
    digest = decode_checksum(value.strip(), algorithm)
    if digest is None:
        raise S3Error("InvalidRequest", f"Value for {header} header is invalid.")
    return digest


@dataclass
class _Checksum:
    """The one x-amz-checksum-* a request carries: its algorithm and where its value is."""

    algorithm: str
    header: str
    value: bytes | None  # from the header; None: from the trailer


def _requested_checksum(headers: Mapping[str, str]) -> _Checksum | None:
    sent = [a for a in CHECKSUM_ALGORITHMS if f"x-amz-checksum-{a.lower()}" in headers]
    trailer = headers.get("x-amz-trailer", "").strip().lower()
    if trailer:
        if sent or not trailer.startswith("x-amz-checksum-"):
            raise S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header")
        algorithm = trailer.removeprefix("x-amz-checksum-").upper()
        if algorithm not in CHECKSUM_ALGORITHMS:
            raise S3Error("InvalidRequest", "The value specified in the x-amz-trailer is invalid")
        return _Checksum(algorithm, trailer, None)
    if len(sent) > 1:
        raise S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header")
    if not sent:
        return None
    header = f"x-amz-checksum-{sent[0].lower()}"
    return _Checksum(sent[0], header, _b64_digest(headers[header], sent[0], header))


def _check_sdk_algorithm(headers: Mapping[str, str], checksum: _Checksum | None) -> None:
    """x-amz-sdk-checksum-algorithm, which SDKs send beside the checksum, must name its
    algorithm; sent alone it is refused (the UploadPart page: "When you send this header, there
    must be a corresponding x-amz-checksum or x-amz-trailer header sent")."""
    named = headers.get(SDK_ALGORITHM)
    if named is None:
        return
    if checksum is None:
        raise S3Error(
            "InvalidRequest",
            f"{SDK_ALGORITHM} specified, but no corresponding x-amz-checksum-* or x-amz-trailer "
            "headers were found.",
        )
    if named.strip().upper() != checksum.algorithm:
        raise S3Error("InvalidRequest", f"Value for {SDK_ALGORITHM} header is invalid.")


def _content_md5(headers: Mapping[str, str]) -> bytes | None:
    value = headers.get("Content-MD5")
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise S3Error("InvalidDigest") from exc
    if len(digest) != 16:
        raise S3Error("InvalidDigest")
    return digest


async def continue_expected(request: web.Request) -> None:
    """aiohttp's expect handler, replaced: it would answer "100 Continue" before the request is
    authenticated and checked. We send it when the handler first reads the body, so a request
    refused on its headers (bad signature, EntityTooLarge, NoSuchUpload...) is answered with its
    error and the client never sends the body, as S3 does."""


def awaits_continue(request: web.Request) -> bool:
    """True while the client waits for "100 Continue" before it sends the body: a response
    then must close the connection, or the server would wait for a body that never comes."""
    return (
        request.version >= (1, 1)
        and request.headers.get("Expect", "").lower() == "100-continue"
        and not request.get(CONTINUE_SENT, False)
    )


async def _send_continue(request: web.Request) -> None:
    if awaits_continue(request):
        request[CONTINUE_SENT] = True
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # as aiohttp's own handler: the response has not begun


async def _socket_chunks(request: web.Request, idle_timeout: float) -> AsyncIterator[bytes]:
    """The raw body as it arrives; IncompleteBody if it ends short of its Content-Length."""
    expected = request.content_length
    received = 0
    await _send_continue(request)
    while True:
        try:
            async with asyncio.timeout(idle_timeout):
                data = await request.content.readany()
        except TimeoutError as exc:
            raise S3Error("RequestTimeout") from exc
        except (HttpProcessingError, ConnectionError) as exc:
            raise S3Error("IncompleteBody") from exc
        if not data:
            break
        received += len(data)
        yield data
    if expected is not None and received != expected:
        raise S3Error("IncompleteBody")


async def _decoded(
    raw: AsyncIterator[bytes], decoder: ChunkedDecoder, decoded_length: int
) -> AsyncIterator[bytes | memoryview]:
    async for data in raw:
        for piece in decoder.feed(data):
            yield piece
    decoder.finish()
    if decoder.decoded_length != decoded_length:
        raise S3Error("IncompleteBody")


class _ChunkSignatures:
    """Checks each aws-chunked chunk's signature, chained from the request's seed signature."""

    def __init__(self, ctx: sigv4.SigningContext) -> None:
        self._ctx = ctx
        self._previous = ctx.seed_signature

    def chunk(self, signature: str, sha256: bytes) -> None:
        expected = sigv4.sign(
            self._ctx, sigv4.chunk_string_to_sign(self._ctx, self._previous, sha256.hex())
        )
        self._check(signature, expected)

    def trailer(self, signature: str, trailer: bytes) -> None:
        digest = hashlib.sha256(trailer).hexdigest()
        expected = sigv4.sign(
            self._ctx, sigv4.trailer_string_to_sign(self._ctx, self._previous, digest)
        )
        self._check(signature, expected)

    def _check(self, signature: str, expected: str) -> None:
        if not hmac.compare_digest(signature.lower(), expected):
            raise S3Error("SignatureDoesNotMatch")
        self._previous = expected


def request_body(
    request: web.Request, ctx: sigv4.SigningContext, *, max_size: int, idle_timeout: float
) -> IncomingBody:
    """The body of a PutObject or UploadPart, ready for ``Store.put_object/upload_part``."""
    headers = request.headers
    payload_hash = ctx.payload_hash
    streaming = payload_hash.startswith("STREAMING-")
    if "aws-chunked" in headers.get("Content-Encoding", "").lower() and not streaming:
        raise S3Error("InvalidArgument", "aws-chunked needs a STREAMING- x-amz-content-sha256")
    source: AsyncIterator[bytes | memoryview] | SocketBody = _socket_chunks(request, idle_timeout)
    decoder: ChunkedDecoder | None = None
    if not streaming:
        if request.content_length is None:
            raise S3Error("MissingContentLength")
        size = request.content_length
        if can_take_over(request):
            source = SocketBody(request, idle_timeout, _send_continue)
    else:
        # The length that counts is the decoded one. Content-Length may be absent: botocore
        # sends aws-chunked bodies with Transfer-Encoding: chunked, as the AWS page allows
        # ("If you include the Transfer-Encoding header ... you must omit the Content-Length").
        # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
        decoded = headers.get("x-amz-decoded-content-length", "")
        if not decoded.isascii() or not decoded.isdigit():
            raise S3Error("MissingContentLength")
        size = int(decoded)
        if payload_hash not in (
            STREAMING_UNSIGNED_TRAILER,
            STREAMING_SIGNED,
            STREAMING_SIGNED_TRAILER,
        ):
            raise S3Error("NotImplemented", f"{payload_hash} is not supported")
        signed = payload_hash != STREAMING_UNSIGNED_TRAILER
        signatures = _ChunkSignatures(ctx) if signed else None
        decoder = ChunkedDecoder(
            signed=signed,
            trailer=payload_hash != STREAMING_SIGNED,
            on_chunk=signatures.chunk if signatures else None,
            on_trailer=signatures.trailer if signatures else None,
        )
        source = _decoded(_socket_chunks(request, idle_timeout), decoder, size)
    if size > max_size:
        raise S3Error("EntityTooLarge", ProposedSize=size, MaxSizeAllowed=max_size)

    content_sha256 = None if streaming or payload_hash == UNSIGNED else bytes.fromhex(payload_hash)
    content_md5 = _content_md5(headers)
    checksum = _requested_checksum(headers)
    _check_sdk_algorithm(headers, checksum)
    if checksum is not None and checksum.value is None and decoder is None:
        raise S3Error("InvalidRequest", "x-amz-trailer needs an aws-chunked body")
    digests = set()
    if content_sha256 is not None:
        digests.add("SHA256")
    if checksum is not None:
        digests.add(checksum.algorithm)

    def verify(computed: Digests) -> None:
        if content_sha256 is not None and computed["SHA256"] != content_sha256:
            raise S3Error("XAmzContentSHA256Mismatch")
        if content_md5 is not None and computed["MD5"] != content_md5:
            raise S3Error("BadDigest")
        if checksum is None:
            return
        expected = checksum.value
        if expected is None:
            assert decoder is not None
            sent = decoder.trailers.get(checksum.header)
            if sent is None:
                raise S3Error("MalformedTrailerError")
            expected = _b64_digest(sent, checksum.algorithm, checksum.header)
        if computed[checksum.algorithm] != expected:
            raise S3Error("BadDigest")

    return IncomingBody(
        source=source,
        max_size=max_size,
        digests=frozenset(digests),
        verify=verify,
        checksum_algorithm=checksum.algorithm if checksum else None,
    )


async def read_small(
    request: web.Request,
    ctx: sigv4.SigningContext,
    *,
    limit: int,
    idle_timeout: float,
    integrity_required: bool = False,
) -> bytes:
    """A small request body (XML), whole and checked against its signed payload hash and its
    Content-MD5; bodies over ``limit`` are MalformedXML, as S3 answers for an oversized document.

    ``integrity_required``: the operation is one whose x-amz-checksum-* header covers this body
    and which AWS refuses without it or Content-MD5 (DeleteObjects,
    PutBucketLifecycleConfiguration: "Missing required header for this request: Content-MD5"),
    checked before the body is read. Elsewhere (CompleteMultipartUpload) that header describes
    the object, not the XML.
    """
    checksum = _requested_checksum(request.headers) if integrity_required else None
    if checksum is not None and checksum.value is None:
        raise S3Error("InvalidRequest", "this operation does not take a trailing checksum")
    content_md5 = _content_md5(request.headers)
    if integrity_required and checksum is None and content_md5 is None:
        raise S3Error("InvalidRequest", "Missing required header for this request: Content-MD5")
    if request.content_length is not None and request.content_length > limit:
        raise S3Error("MalformedXML")
    data = bytearray()
    async for chunk in _socket_chunks(request, idle_timeout):
        data += chunk
        if len(data) > limit:
            raise S3Error("MalformedXML")
    if ctx.payload_hash.startswith("STREAMING-"):
        raise S3Error("InvalidRequest", "this operation does not take an aws-chunked body")
    if (
        ctx.payload_hash != UNSIGNED
        and hashlib.sha256(data).hexdigest() != ctx.payload_hash.lower()
    ):
        raise S3Error("XAmzContentSHA256Mismatch")
    if content_md5 is not None and hashlib.md5(data).digest() != content_md5:
        raise S3Error("BadDigest")
    if checksum is not None and digest_of(checksum.algorithm, bytes(data)) != checksum.value:
        raise S3Error("BadDigest")
    return bytes(data)
