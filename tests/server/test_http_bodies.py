"""PutObject and UploadPart bodies over raw HTTP: lying lengths, wrong hashes and digests, and
hand-built aws-chunked framings. Each bad body is refused with AWS's status and code, and stores
nothing: a new key or part stays absent, an existing one keeps its bytes.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from awscrt import checksums

from tests.harness import Server
from tests.server.rawhttp import (
    STREAMING_SIGNED,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED,
    Reply,
    assert_alive,
    assert_error,
    assert_ok,
    aws_chunked_headers,
    chunks_of,
    crc32_b64,
    first_status_line,
    md5_b64,
    new_upload,
    no_leftovers,
    part_etags,
    request,
    send,
    sha256_hex,
    sign,
    signed_chunks_body,
    signed_chunks_length,
    stored,
    unsigned_trailer_body,
)

OLD = b"old bytes, which must survive"
PAYLOAD = bytes(range(256)) * 100  # 25,600 bytes: three full 8 KiB chunks and a short one
CHUNKS = chunks_of(PAYLOAD, 8192)
CRC32 = "x-amz-checksum-crc32"
GiB = 1024**3
GOOD_TRAILER_BODY = unsigned_trailer_body(CHUNKS, {CRC32: crc32_b64(PAYLOAD)})


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@dataclass(frozen=True)
class Write:
    """Where a PutObject or UploadPart writes, and how to see what the store holds there."""

    target: str
    state: Callable[[], object]
    initial: object  # state() before the test wrote


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    """One client for the module: creating one per test costs more than most tests here."""
    return server.client()


# The write each bad body is tried on: by default PutObject over an existing key and UploadPart
# of a new part beside an existing one; all four combinations where new vs existing matters.
ALL_WRITES = ["put-new", "put-existing", "part-new", "part-existing"]


@pytest.fixture(params=["put-existing", "part-new"])
def write(request: pytest.FixtureRequest, s3: Any, bucket: str) -> Write:
    if request.param.startswith("put"):
        if request.param == "put-existing":
            s3.put_object(Bucket=bucket, Key="k", Body=OLD)

        def objects() -> object:
            listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            return {obj["Key"]: stored(s3, bucket, obj["Key"]) for obj in listed}

        return Write(f"/{bucket}/k", objects, objects())
    upload_id, _ = new_upload(s3, bucket, "k", OLD)
    number = 1 if request.param == "part-existing" else 2

    def parts() -> object:
        return part_etags(s3, bucket, "k", upload_id)

    return Write(f"/{bucket}/k?partNumber={number}&uploadId={upload_id}", parts, parts())


def refused(server: Server, write: Write, reply: Reply | None, status: int, code: str) -> None:
    """The write was refused with ``status``/``code`` and the store holds what it held."""
    assert_error(reply, status, code)
    assert no_leftovers(server)
    assert write.state() == write.initial


# x-amz-content-sha256


@pytest.mark.parametrize("write", ALL_WRITES, indirect=True)
def test_write_with_wrong_content_sha256_is_mismatch(server: Server, write: Write) -> None:
    reply = request(server, "PUT", write.target, b"data", payload_hash=sha256_hex(b"other"))
    refused(server, write, reply, 400, "XAmzContentSHA256Mismatch")


def test_complete_with_wrong_content_sha256_is_mismatch(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", OLD)
    body = (
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        b"<ETag>%s</ETag></Part></CompleteMultipartUpload>" % etags[0].encode()
    )
    reply = request(
        server, "POST", f"/{bucket}/k?uploadId={upload_id}", body, payload_hash=sha256_hex(b"x")
    )
    assert_error(reply, 400, "XAmzContentSHA256Mismatch")
    assert stored(s3, bucket, "k") is None
    assert part_etags(s3, bucket, "k", upload_id) == {1: etags[0]}


# Content-Length and framing


@pytest.mark.parametrize("write", ALL_WRITES, indirect=True)
def test_write_cut_short_then_half_closed_stores_nothing(server: Server, write: Write) -> None:
    """The client promises 1,000 bytes, sends 400 and stops sending (shutdown SHUT_WR): the
    server answers IncompleteBody or just closes the connection, never 500, never stores."""
    headers = sign(server, "PUT", write.target, payload_hash=UNSIGNED)
    headers["Content-Length"] = "1000"
    reply = send(server, "PUT", write.target, headers, b"x" * 400, shutdown=True)
    if reply is not None:
        assert_error(reply, 400, "IncompleteBody")
    assert no_leftovers(server)
    assert write.state() == write.initial


def test_write_without_content_length_is_missing_content_length(
    server: Server, write: Write
) -> None:
    """Transfer-Encoding: chunked and no Content-Length: AWS answers 411."""
    headers = sign(server, "PUT", write.target, b"data")
    headers["Transfer-Encoding"] = "chunked"
    reply = send(server, "PUT", write.target, headers, b"4\r\ndata\r\n0\r\n\r\n")
    refused(server, write, reply, 411, "MissingContentLength")


@pytest.mark.parametrize("framing", ["plain", "aws-chunked"])
def test_write_over_5_gib_is_entity_too_large_at_once(
    server: Server, write: Write, framing: str
) -> None:
    """Refused from the headers alone: no body is sent, and the answer must still come."""
    if framing == "plain":
        headers = sign(server, "PUT", write.target, payload_hash=UNSIGNED)
        headers["Content-Length"] = str(5 * GiB + 1)
    else:
        extra = aws_chunked_headers(5 * GiB + 1, **{"x-amz-trailer": CRC32})
        headers = sign(
            server, "PUT", write.target, b"", extra, payload_hash=STREAMING_UNSIGNED_TRAILER
        )
        headers["Content-Length"] = str(6 * GiB)
    reply = send(server, "PUT", write.target, headers, timeout=5)
    refused(server, write, reply, 400, "EntityTooLarge")


def test_write_over_5_gib_with_expect_100_continue_gets_no_continue(
    server: Server, write: Write
) -> None:
    """A request refused on its headers alone gets its final answer instead of 100 Continue,
    so the client never starts sending the body: "If the message is rejected based on the
    headers, the body of the message is not sent."
    https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonRequestHeaders.html"""
    headers = sign(server, "PUT", write.target, payload_hash=UNSIGNED)
    headers.update({"Content-Length": str(5 * GiB + 1), "Expect": "100-continue"})
    assert first_status_line(server, "PUT", write.target, headers).startswith("HTTP/1.1 400 ")
    assert write.state() == write.initial


# aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER (what boto3 sends by default)


def put_trailer_body(
    server: Server, target: str, body: bytes, decoded_length: int = len(PAYLOAD)
) -> Reply:
    headers = aws_chunked_headers(decoded_length, **{"x-amz-trailer": CRC32})
    return request(server, "PUT", target, body, headers, payload_hash=STREAMING_UNSIGNED_TRAILER)


def test_put_object_aws_chunked_trailer_is_stored_byte_exact(
    server: Server, s3: Any, bucket: str
) -> None:
    reply = assert_ok(put_trailer_body(server, f"/{bucket}/k", GOOD_TRAILER_BODY))
    assert reply.headers[CRC32] == crc32_b64(PAYLOAD)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == PAYLOAD
    assert got["ChecksumCRC32"] == crc32_b64(PAYLOAD)
    assert "ContentEncoding" not in got  # aws-chunked framed the request, not the object


def test_upload_part_aws_chunked_trailer_is_stored_byte_exact(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", OLD)
    target = f"/{bucket}/k?partNumber=2&uploadId={upload_id}"
    etags.append(assert_ok(put_trailer_body(server, target, GOOD_TRAILER_BODY)).headers["ETag"])
    parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert stored(s3, bucket, "k") == OLD + PAYLOAD


BAD_TRAILER_BODIES: dict[str, tuple[bytes, int, str]] = {
    # name: (body, x-amz-decoded-content-length, expected code)
    "wrong-crc": (
        unsigned_trailer_body(CHUNKS, {CRC32: crc32_b64(b"other")}),
        len(PAYLOAD),
        "BadDigest",
    ),
    "cut-mid-chunk": (GOOD_TRAILER_BODY[: 8192 + 100], len(PAYLOAD), "IncompleteBody"),
    "no-final-chunk": (
        b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in CHUNKS),
        len(PAYLOAD),
        "IncompleteBody",
    ),
    "cut-in-trailer": (GOOD_TRAILER_BODY[:-8], len(PAYLOAD), "IncompleteBody"),
    "garbage-size": (b"zz\r\n" + GOOD_TRAILER_BODY[6:], len(PAYLOAD), "IncompleteBody"),
    "negative-size": (b"-1\r\n" + GOOD_TRAILER_BODY[6:], len(PAYLOAD), "IncompleteBody"),
    "size-past-body": (
        unsigned_trailer_body([PAYLOAD], {})[:-5].replace(b"6400", b"7400", 1),
        len(PAYLOAD),
        "IncompleteBody",
    ),
    "no-crlf-after-data": (
        GOOD_TRAILER_BODY.replace(b"\r\n2000\r\n", b"XX2000\r\n", 1),
        len(PAYLOAD),
        "IncompleteBody",
    ),
    "decoded-length-larger": (GOOD_TRAILER_BODY, len(PAYLOAD) + 1, "IncompleteBody"),
    "decoded-length-smaller": (GOOD_TRAILER_BODY, len(PAYLOAD) - 1, "IncompleteBody"),
}


@pytest.mark.parametrize("case", BAD_TRAILER_BODIES)
def test_write_bad_aws_chunked_body_is_refused(server: Server, write: Write, case: str) -> None:
    body, decoded_length, code = BAD_TRAILER_BODIES[case]
    refused(server, write, put_trailer_body(server, write.target, body, decoded_length), 400, code)


# aws-chunked, STREAMING-AWS4-HMAC-SHA256-PAYLOAD (each chunk signed, chained from the seed)


def put_signed_chunks(server: Server, target: str, tamper: bool = False) -> Reply:
    extra = aws_chunked_headers(
        len(PAYLOAD), **{"Content-Length": str(signed_chunks_length(CHUNKS))}
    )
    headers = sign(server, "PUT", target, b"", extra, payload_hash=STREAMING_SIGNED)
    body = signed_chunks_body(CHUNKS, headers)
    if tamper:  # one byte of the second chunk's data, after it was signed
        at = body.index(CHUNKS[1]) + 100
        body = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
    reply = send(server, "PUT", target, headers, body)
    assert reply is not None
    return reply


def test_put_object_signed_chunks_are_stored_byte_exact(
    server: Server, s3: Any, bucket: str
) -> None:
    assert_ok(put_signed_chunks(server, f"/{bucket}/k"))
    assert stored(s3, bucket, "k") == PAYLOAD


def test_write_tampered_signed_chunk_is_signature_does_not_match(
    server: Server, write: Write
) -> None:
    reply = put_signed_chunks(server, write.target, tamper=True)
    refused(server, write, reply, 403, "SignatureDoesNotMatch")


# Content-MD5 and x-amz-checksum-*


@pytest.mark.parametrize("value", ["not base64!", "AAAA", md5_b64(b"data") + "AA"])
def test_write_malformed_content_md5_is_invalid_digest(
    server: Server, write: Write, value: str
) -> None:
    reply = request(server, "PUT", write.target, b"data", {"Content-MD5": value})
    refused(server, write, reply, 400, "InvalidDigest")


def test_write_wrong_content_md5_is_bad_digest(server: Server, write: Write) -> None:
    reply = request(server, "PUT", write.target, b"data", {"Content-MD5": md5_b64(b"other")})
    refused(server, write, reply, 400, "BadDigest")


def test_write_wrong_checksum_header_is_bad_digest(server: Server, write: Write) -> None:
    reply = request(server, "PUT", write.target, b"data", {CRC32: crc32_b64(b"other")})
    refused(server, write, reply, 400, "BadDigest")


@pytest.mark.parametrize("value", ["not base64!", "AAAAAAAA", ""])
def test_write_malformed_checksum_header_is_invalid_request(
    server: Server, write: Write, value: str
) -> None:
    reply = request(server, "PUT", write.target, b"data", {CRC32: value})
    refused(server, write, reply, 400, "InvalidRequest")


def test_write_two_checksum_headers_is_invalid_request(server: Server, write: Write) -> None:
    # Both values right: refused only for being two.
    crc32c = b64encode(checksums.crc32c(b"data").to_bytes(4, "big")).decode()
    both = {CRC32: crc32_b64(b"data"), "x-amz-checksum-crc32c": crc32c}
    reply = request(server, "PUT", write.target, b"data", both)
    refused(server, write, reply, 400, "InvalidRequest")


def test_write_non_canonical_checksum_is_invalid_request(server: Server, write: Write) -> None:
    # "y/Q5Jg==" is CRC32("123456789"); "y/Q5Jh==" sets padding bits that lenient decoders drop.
    # AWS refuses it as malformed (swift's tests against AWS), not as a BadDigest.
    reply = request(server, "PUT", write.target, b"123456789", {CRC32: "y/Q5Jh=="})
    refused(server, write, reply, 400, "InvalidRequest")


@pytest.mark.parametrize("named", ["CRC32C", "SHA1", "MD4"])
def test_write_sdk_algorithm_not_the_checksum_sent_is_invalid_request(
    server: Server, write: Write, named: str
) -> None:
    headers = {CRC32: crc32_b64(b"data"), "x-amz-sdk-checksum-algorithm": named}
    reply = request(server, "PUT", write.target, b"data", headers)
    refused(server, write, reply, 400, "InvalidRequest")


def test_write_sdk_algorithm_without_checksum_is_invalid_request(
    server: Server, write: Write
) -> None:
    headers = {"x-amz-sdk-checksum-algorithm": "CRC32"}
    reply = request(server, "PUT", write.target, b"data", headers)
    refused(server, write, reply, 400, "InvalidRequest")


def test_write_sdk_algorithm_matching_the_checksum_is_accepted(
    server: Server, s3: Any, bucket: str
) -> None:
    headers = {CRC32: crc32_b64(b"data"), "x-amz-sdk-checksum-algorithm": "crc32"}
    assert_ok(request(server, "PUT", f"/{bucket}/k", b"data", headers))
    assert stored(s3, bucket, "k") == b"data"
