"""Signed aws-chunked uploads over raw HTTP: every chunk signature, and the trailer signature, is
checked as it arrives; the first bad one ends the request with 403 SignatureDoesNotMatch, and
nothing is stored.

test_http_bodies.py covers a tampered chunk of STREAMING-AWS4-HMAC-SHA256-PAYLOAD; this module
adds the -TRAILER variant and shows that a bad first chunk is answered before the body is sent.
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import re
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.harness import SECRET_KEY, Server
from tests.server.rawhttp import (
    EMPTY_SHA256,
    STREAMING_SIGNED,
    TIMEOUT,
    Reply,
    assert_alive,
    assert_error,
    assert_ok,
    aws_chunked_headers,
    chunks_of,
    crc32_b64,
    new_upload,
    no_leftovers,
    part_etags,
    send,
    sha256_hex,
    sign,
    signing_key,
    stored,
)

STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
CRC32 = "x-amz-checksum-crc32"
PAYLOAD = bytes(range(256)) * 100  # 25,600 bytes: three full 8 KiB chunks and a short one
OLD = b"old bytes, which must survive"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
MiB = 1024 * 1024


@pytest.fixture(scope="module", autouse=True)
def _server_survives(server: Server) -> Iterator[None]:
    yield
    assert_alive(server)


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client()


# A keep-it signature: tamper(i, signature) returns what to send as the i-th signature.
Tamper = Callable[[int, str], str]


def _keep(index: int, signature: str) -> str:
    return signature


def _hmac_hex(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedBody:
    """An aws-chunked body with signed chunks, built from the AWS pages' grammar:

    <hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n ... then, without trailers,
    0;chunk-signature=<sig>\\r\\n\\r\\n; with trailers, 0;chunk-signature=<sig>\\r\\n
    <name>:<value>\\r\\n ... x-amz-trailer-signature:<sig>\\r\\n\\r\\n.

    Chunk signatures chain from the seed (the Authorization signature); the trailer signature
    chains from the final chunk's and signs the trailers as "name:value\\n".
    """

    chunks: list[bytes]
    trailers: dict[str, str] | None  # None: STREAMING-AWS4-HMAC-SHA256-PAYLOAD

    @property
    def payload_hash(self) -> str:
        return STREAMING_SIGNED if self.trailers is None else STREAMING_SIGNED_TRAILER

    def headers(self, **build: Any) -> dict[str, str]:
        """The framing headers to sign, Content-Length included: every signature is 64 hex
        digits whatever its value, so the length is known before anything is signed."""
        placeholder = ("0" * 64, "20000101T000000Z", "20000101/r/s3/aws4_request")
        length = len(self.build(*placeholder, **build))
        extra = {"Content-Length": str(length)}
        if self.trailers is not None:
            extra["x-amz-trailer"] = ",".join(self.trailers)
        return aws_chunked_headers(sum(map(len, self.chunks)), **extra)

    def build(
        self,
        seed: str,
        amz_date: str,
        scope: str,
        *,
        secret: str = SECRET_KEY,
        signed_trailers: Mapping[str, str] | None = None,
        tamper: Tamper = _keep,
        trailer_signature: bool = True,
    ) -> bytes:
        """The body. ``signed_trailers``: what the trailer signature covers (default: the
        trailers sent). ``tamper`` may replace each signature after it was computed: chunks are
        0..n-1, the final empty chunk n, the trailer signature n+1. ``trailer_signature=False``
        leaves the x-amz-trailer-signature line out."""
        key = signing_key(secret, scope.split("/")[0])
        previous = seed
        body = bytearray()
        for index, chunk in enumerate([*self.chunks, b""]):
            string_to_sign = "\n".join(
                ("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256,
                 sha256_hex(chunk))
            )  # fmt: skip
            previous = _hmac_hex(key, string_to_sign)
            body += b"%x;chunk-signature=%s\r\n" % (len(chunk), tamper(index, previous).encode())
            if chunk or self.trailers is None:
                body += chunk + b"\r\n"
        if self.trailers is None:
            return bytes(body)
        covered = self.trailers if signed_trailers is None else signed_trailers
        canonical = "".join(f"{name}:{value}\n" for name, value in covered.items()).encode()
        string_to_sign = "\n".join(
            ("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, sha256_hex(canonical))
        )
        signature = tamper(len(self.chunks) + 1, _hmac_hex(key, string_to_sign))
        body += "".join(f"{name}:{value}\r\n" for name, value in self.trailers.items()).encode()
        if trailer_signature:
            body += b"x-amz-trailer-signature:%s\r\n" % signature.encode()
        return bytes(body + b"\r\n")


def trailer_body(payload: bytes = PAYLOAD, chunk_size: int = 8192) -> SignedBody:
    return SignedBody(chunks_of(payload, chunk_size), {CRC32: crc32_b64(payload)})


def seed_of(headers: Mapping[str, str]) -> tuple[str, str, str]:
    """(seed signature, x-amz-date, credential scope) of a request botocore signed."""
    authorization = headers["Authorization"]
    seed = re.search(r"Signature=([0-9a-f]{64})", authorization)
    scope = re.search(r"Credential=[^/]+/([^,]+)", authorization)
    assert seed is not None
    assert scope is not None
    return seed[1], headers["X-Amz-Date"], scope[1]


def signed_request(server: Server, target: str, body: SignedBody) -> dict[str, str]:
    return sign(server, "PUT", target, b"", body.headers(), payload_hash=body.payload_hash)


def put(server: Server, target: str, body: SignedBody, **build: Any) -> Reply:
    headers = signed_request(server, target, body)
    reply = send(server, "PUT", target, headers, body.build(*seed_of(headers), **build))
    assert reply is not None, "connection closed without an answer"
    return reply


def flip(signature: str) -> str:
    """The same signature with its first hex digit changed: well-formed, and wrong."""
    return ("1" if signature[0] == "0" else "0") + signature[1:]


def tamper_at(position: int) -> Tamper:
    return lambda index, signature: flip(signature) if index == position else signature


# The builder against the AWS page's worked example.


def test_signed_trailer_builder_reproduces_the_aws_example() -> None:
    """sigv4-streaming-trailers.html: 66,560 bytes of 'a' in a 64 KiB and a 1 KiB chunk, with an
    x-amz-checksum-crc32c trailer; its chunk and trailer signatures are reproduced exactly."""
    seen: list[str] = []

    def record(index: int, signature: str) -> str:
        seen.append(signature)
        return signature

    body = SignedBody([b"a" * 65536, b"a" * 1024], {"x-amz-checksum-crc32c": "sOO8/Q=="}).build(
        "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        secret=DOC_SECRET,
        tamper=record,
    )
    assert seen == [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
    ]
    assert body.startswith(b"10000;chunk-signature=%s\r\n" % seen[0].encode())
    assert body.endswith(
        b"\r\n0;chunk-signature=%s\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n"
        b"x-amz-trailer-signature:%s\r\n\r\n" % (seen[2].encode(), seen[3].encode())
    )


# Good bodies are stored byte-exact.


def test_put_object_signed_trailer_is_stored_byte_exact(
    server: Server, s3: Any, bucket: str
) -> None:
    reply = assert_ok(put(server, f"/{bucket}/k", trailer_body()))
    assert reply.headers[CRC32] == crc32_b64(PAYLOAD)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == PAYLOAD
    assert got["ChecksumCRC32"] == crc32_b64(PAYLOAD)
    assert "ContentEncoding" not in got


def test_upload_part_signed_trailer_is_stored_byte_exact(
    server: Server, s3: Any, bucket: str
) -> None:
    upload_id, etags = new_upload(s3, bucket, "k", OLD)
    target = f"/{bucket}/k?partNumber=2&uploadId={upload_id}"
    etags.append(assert_ok(put(server, target, trailer_body())).headers["ETag"])
    parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert stored(s3, bucket, "k") == OLD + PAYLOAD


def test_put_object_empty_signed_trailer_body_is_stored(
    server: Server, s3: Any, bucket: str
) -> None:
    assert_ok(put(server, f"/{bucket}/k", trailer_body(b"")))
    assert stored(s3, bucket, "k") == b""


# Bad signatures: refused, nothing stored.


@dataclass(frozen=True)
class Write:
    target: str
    state: Callable[[], object]
    initial: object


@pytest.fixture(params=["put-existing", "part-new"])
def write(request: pytest.FixtureRequest, s3: Any, bucket: str) -> Write:
    """PutObject over an existing key, or UploadPart of a new part beside an existing one."""
    if request.param == "put-existing":
        s3.put_object(Bucket=bucket, Key="k", Body=OLD)

        def objects() -> object:
            listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            return {obj["Key"]: stored(s3, bucket, obj["Key"]) for obj in listed}

        return Write(f"/{bucket}/k", objects, objects())
    upload_id, _ = new_upload(s3, bucket, "k", OLD)

    def parts() -> object:
        return part_etags(s3, bucket, "k", upload_id)

    return Write(f"/{bucket}/k?partNumber=2&uploadId={upload_id}", parts, parts())


def refused(server: Server, write: Write, reply: Reply | None, status: int, code: str) -> None:
    assert_error(reply, status, code)
    assert no_leftovers(server)
    assert write.state() == write.initial


CHUNK_COUNT = len(trailer_body().chunks)  # 4 data chunks, then the final one (index 4)


@pytest.mark.parametrize(
    "position",
    [0, 2, CHUNK_COUNT, CHUNK_COUNT + 1],
    ids=["first-chunk", "middle-chunk", "final-chunk", "trailer-signature"],
)
def test_write_signed_trailer_with_a_bad_signature_is_refused(
    server: Server, write: Write, position: int
) -> None:
    reply = put(server, write.target, trailer_body(), tamper=tamper_at(position))
    refused(server, write, reply, 403, "SignatureDoesNotMatch")


def test_write_signed_trailer_with_tampered_chunk_data_is_refused(
    server: Server, write: Write
) -> None:
    body = trailer_body()
    headers = signed_request(server, write.target, body)
    data = bytearray(body.build(*seed_of(headers)))
    data[data.index(body.chunks[1]) + 100] ^= 1  # after it was signed
    reply = send(server, "PUT", write.target, headers, bytes(data))
    refused(server, write, reply, 403, "SignatureDoesNotMatch")


def test_write_signed_trailer_with_tampered_trailer_value_is_refused(
    server: Server, write: Write
) -> None:
    """The trailer signature is right for the checksum the client computed, but the checksum
    sent was changed (to a valid CRC32 of other bytes): the signature check catches it before
    any checksum is compared, so the answer is SignatureDoesNotMatch, not BadDigest."""
    body = SignedBody(chunks_of(PAYLOAD, 8192), {CRC32: crc32_b64(b"other")})
    reply = put(server, write.target, body, signed_trailers={CRC32: crc32_b64(PAYLOAD)})
    refused(server, write, reply, 403, "SignatureDoesNotMatch")


def test_write_signed_trailer_checksum_mismatch_is_bad_digest(server: Server, write: Write) -> None:
    """The contrast: a correctly signed trailer whose checksum is wrong for the data."""
    body = SignedBody(chunks_of(PAYLOAD, 8192), {CRC32: crc32_b64(b"other")})
    refused(server, write, put(server, write.target, body), 400, "BadDigest")


def test_write_signed_trailer_under_another_seed_is_refused(server: Server, write: Write) -> None:
    """Chunks correctly chained, but from another request's seed signature."""
    body = trailer_body()
    headers = signed_request(server, write.target, body)
    _, amz_date, scope = seed_of(headers)
    reply = send(server, "PUT", write.target, headers, body.build(flip("0" * 64), amz_date, scope))
    refused(server, write, reply, 403, "SignatureDoesNotMatch")


def test_write_signed_trailer_without_trailer_signature_is_malformed(
    server: Server, write: Write
) -> None:
    body = trailer_body()
    headers = sign(
        server, "PUT", write.target, b"", body.headers(trailer_signature=False),
        payload_hash=STREAMING_SIGNED_TRAILER,
    )  # fmt: skip
    data = body.build(*seed_of(headers), trailer_signature=False)
    reply = send(server, "PUT", write.target, headers, data)
    refused(server, write, reply, 400, "MalformedTrailerError")


def test_write_signed_trailer_chunk_without_signature_is_incomplete_body(
    server: Server, write: Write
) -> None:
    body = trailer_body()
    headers = signed_request(server, write.target, body)
    data = body.build(*seed_of(headers))
    at = data.index(b";chunk-signature=")
    data = data[:at] + b" " * (len(b";chunk-signature=") + 64) + data[at + 81 :]
    refused(server, write, send(server, "PUT", write.target, headers, data), 400, "IncompleteBody")


# A bad first chunk ends the request at once.


@pytest.mark.parametrize("trailer", [False, True], ids=["no-trailer", "trailer"])
def test_bad_first_chunk_signature_is_answered_before_the_body_is_sent(
    server: Server, s3: Any, bucket: str, trailer: bool
) -> None:
    """An 8 MiB upload whose first 64 KiB chunk carries a bad signature: the client sends only
    the head and that chunk, then waits. The server answers 403 SignatureDoesNotMatch without
    waiting for the rest of the body (which it could not trust), and stores nothing."""
    payload = b"\x5a" * (8 * MiB)
    chunks = chunks_of(payload, 64 * 1024)
    body = SignedBody(chunks, {CRC32: crc32_b64(payload)} if trailer else None)
    target = f"/{bucket}/big"
    headers = signed_request(server, target, body)
    data = body.build(*seed_of(headers), tamper=tamper_at(0))
    first = data[: data.index(b"\r\n", len(chunks[0])) + 2]  # chunk header, data and CRLF
    assert len(first) < len(data) // 100
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = f"PUT {target} HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode("latin-1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(head + first)
        # Nothing more is sent: an answer can only come from the first chunk's check.
        response = http.client.HTTPResponse(sock, method="PUT")
        response.begin()
        reply = Reply(response.status, response.headers, response.read())
    assert_error(reply, 403, "SignatureDoesNotMatch")
    assert no_leftovers(server)
    assert stored(s3, bucket, "big") is None
