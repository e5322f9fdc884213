"""ChunkedDecoder: aws-chunked bodies as real clients frame them, split at every point."""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import random
from collections.abc import Callable, Sequence

import pytest
from botocore.compat import HAS_CRT
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, CrtCrc32Checksum
from hypothesis import given, settings
from hypothesis import strategies as st

from server.chunked import ChunkedDecoder
from storage import S3Error

# boto3 uses the CRT checksum when awscrt is installed (as it is here), else the pure one.
ChecksumCls = CrtCrc32Checksum if HAS_CRT else Crc32Checksum

CHECKSUM = "x-amz-checksum-crc32"


def boto_encode(payload: bytes, chunk_size: int) -> tuple[bytes, dict[str, str]]:
    """The exact body boto3 sends for STREAMING-UNSIGNED-PAYLOAD-TRAILER, and its trailers."""
    wrapper = AwsChunkedWrapper(
        io.BytesIO(payload), checksum_cls=ChecksumCls, checksum_name=CHECKSUM, chunk_size=chunk_size
    )
    body: bytes = wrapper.read()
    checksum = ChecksumCls()
    checksum.update(payload)
    return body, {CHECKSUM: checksum.b64digest()}


def fake_signature(i: int) -> str:
    return hashlib.sha256(b"chunk %d" % i).hexdigest()


TRAILER_SIG = hashlib.sha256(b"trailer").hexdigest()


def signed_encode(
    payload: bytes, chunk_size: int, trailers: dict[str, str] | None
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) body with stand-in signatures.

    Returns the body and the (signature, sha256 of data) each chunk should report, in order.
    """
    chunks = [payload[i : i + chunk_size] for i in range(0, len(payload), chunk_size)] + [b""]
    wire = bytearray()
    expected = []
    for i, chunk in enumerate(chunks):
        sig = fake_signature(i)
        expected.append((sig, hashlib.sha256(chunk).digest()))
        wire += b"%x;chunk-signature=%s\r\n" % (len(chunk), sig.encode())
        if chunk or trailers is None:
            wire += chunk + b"\r\n"
    if trailers is not None:
        for name, value in trailers.items():
            wire += f"{name}:{value}\r\n".encode()
        wire += f"x-amz-trailer-signature:{TRAILER_SIG}\r\n\r\n".encode()
    return bytes(wire), expected


def decode(decoder: ChunkedDecoder, pieces: Sequence[bytes]) -> bytes:
    out = bytearray()
    for piece in pieces:
        for part in decoder.feed(piece):
            out += part
    decoder.finish()
    return bytes(out)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(points)]


def raises(code: str, action: Callable[[], object]) -> None:
    with pytest.raises(S3Error) as exc:
        action()
    assert exc.value.code == code


def feed_all(decoder: ChunkedDecoder, body: bytes) -> Callable[[], object]:
    return lambda: decode(decoder, [body])


# Round trips ------------------------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    chunk_size=st.one_of(st.integers(1, 64), st.integers(1, 70_000)),
    data=st.data(),
)
def test_botocore_unsigned_trailer_round_trip(
    seed: int, chunk_size: int, data: st.DataObject
) -> None:
    # Cap the chunk count: AwsChunkedWrapper.read() is quadratic in it.
    size = data.draw(st.integers(0, min(300_000, chunk_size * 300)), label="size")
    payload = random.Random(seed).randbytes(size)
    body, trailers = boto_encode(payload, chunk_size)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=30), label="cuts")
    decoder = ChunkedDecoder(signed=False, trailer=True)
    assert decode(decoder, split(body, cuts)) == payload
    assert decoder.done
    assert decoder.trailers == trailers
    assert decoder.decoded_length == size


def test_every_single_split_point_and_byte_by_byte() -> None:
    body, trailers = boto_encode(b"hello, chunked world", 7)
    for cut in range(len(body) + 1):
        decoder = ChunkedDecoder(signed=False, trailer=True)
        assert decode(decoder, [body[:cut], body[cut:]]) == b"hello, chunked world"
        assert decoder.trailers == trailers
    decoder = ChunkedDecoder(signed=False, trailer=True)
    assert decode(decoder, [body[i : i + 1] for i in range(len(body))]) == b"hello, chunked world"
    assert decoder.trailers == trailers


def test_botocore_without_checksum_has_empty_trailer_section() -> None:
    body = AwsChunkedWrapper(io.BytesIO(b"abc"), chunk_size=2).read()
    assert body == b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
    decoder = ChunkedDecoder(signed=False, trailer=True)
    assert decode(decoder, [body]) == b"abc"
    assert decoder.trailers == {}


@settings(max_examples=120, deadline=None)
@given(
    payload=st.binary(max_size=3000),
    chunk_size=st.integers(1, 1024),
    with_trailer=st.booleans(),
    cuts=st.lists(st.integers(0, 10**6), max_size=20),
)
def test_signed_round_trip_reports_signatures_and_digests(
    payload: bytes, chunk_size: int, with_trailer: bool, cuts: list[int]
) -> None:
    trailers = {CHECKSUM: "AAAAAA==", "x-amz-checksum-sha256": "x" * 44} if with_trailer else None
    body, expected = signed_encode(payload, chunk_size, trailers)
    chunks: list[tuple[str, bytes]] = []
    signed_trailers: list[tuple[str, bytes]] = []
    decoder = ChunkedDecoder(
        signed=True,
        trailer=with_trailer,
        on_chunk=lambda sig, digest: chunks.append((sig, digest)),
        on_trailer=lambda sig, raw: signed_trailers.append((sig, raw)),
    )
    assert decode(decoder, split(body, cuts)) == payload
    assert chunks == expected
    if with_trailer:
        raw = f"{CHECKSUM}:AAAAAA==\nx-amz-checksum-sha256:{'x' * 44}\n".encode()
        assert signed_trailers == [(TRAILER_SIG, raw)]
        assert decoder.trailers == trailers
    else:
        assert signed_trailers == []
        assert decoder.trailers == {}


def test_unsigned_on_chunk_gets_no_signature_and_no_digest() -> None:
    chunks: list[tuple[str, bytes]] = []
    decoder = ChunkedDecoder(
        signed=False, trailer=True, on_chunk=lambda sig, d: chunks.append((sig, d))
    )
    assert decode(decoder, [b"3\r\nabc\r\n0\r\n\r\n"]) == b"abc"
    assert chunks == [("", b""), ("", b"")]


def test_signed_final_chunk_reports_empty_digest() -> None:
    chunks: list[tuple[str, bytes]] = []
    decoder = ChunkedDecoder(
        signed=True, trailer=False, on_chunk=lambda s, d: chunks.append((s, d))
    )
    decode(decoder, [f"0;chunk-signature={fake_signature(0)}\r\n\r\n".encode()])
    assert chunks == [(fake_signature(0), hashlib.sha256(b"").digest())]


def test_payload_is_returned_as_slices_of_the_fed_bytes() -> None:
    piece = b"5\r\nhello\r\n3\r\nabc\r\n"
    parts = ChunkedDecoder(signed=False, trailer=True).feed(piece)
    assert [bytes(p) for p in parts] == [b"hello", b"abc"]
    assert all(isinstance(p, memoryview) and p.obj is piece for p in parts)


def test_header_only_piece_returns_nothing_and_state_is_tracked() -> None:
    decoder = ChunkedDecoder(signed=False, trailer=True)
    assert decoder.feed(b"A\r") == []
    assert [bytes(p) for p in decoder.feed(b"\n0123")] == [b"0123"]
    assert decoder.decoded_length == 4
    assert not decoder.done
    decoder.feed(b"456789\r\n0\r\nx:1\r\n\r\n")
    assert decoder.done
    assert decoder.decoded_length == 10


# Leniency ---------------------------------------------------------------------------------------


def test_upper_case_hex_sizes() -> None:
    body = b"1A\r\n" + b"z" * 26 + b"\r\n0\r\n\r\n"
    assert decode(ChunkedDecoder(signed=False, trailer=True), [body]) == b"z" * 26


def test_whitespace_around_trailer_colon_and_names_lowercased() -> None:
    decoder = ChunkedDecoder(signed=False, trailer=True)
    decode(decoder, [b"0\r\nX-Amz-Checksum-CRC32 : abc= \r\nx-other:\tv\r\n\r\n"])
    assert decoder.trailers == {CHECKSUM: "abc=", "x-other": "v"}


@pytest.mark.parametrize("signed", [False, True])
def test_trailer_section_without_final_empty_line(signed: bool) -> None:
    body, _ = (
        signed_encode(b"data", 3, {CHECKSUM: "AAAAAA=="}) if signed else boto_encode(b"data", 3)
    )
    assert body.endswith(b"\r\n\r\n")
    decoder = ChunkedDecoder(signed=signed, trailer=True)
    assert decode(decoder, [body[:-2]]) == b"data"
    assert decoder.done
    assert CHECKSUM in decoder.trailers


# Errors -----------------------------------------------------------------------------------------

MODES = {
    "unsigned-trailer": (False, True, boto_encode(b"hello world", 4)[0]),
    "signed": (True, False, signed_encode(b"hello world", 4, None)[0]),
    "signed-trailer": (True, True, signed_encode(b"hello world", 4, {CHECKSUM: "AAAAAA=="})[0]),
}


@pytest.mark.parametrize("mode", MODES)
def test_truncation_at_every_offset_is_incomplete_body(mode: str) -> None:
    signed, trailer, body = MODES[mode]
    # With a trailer, the body may end right before the final empty line (see leniency above).
    accepted = {len(body), len(body) - 2} if trailer else {len(body)}
    for cut in range(len(body) + 1):
        decoder = ChunkedDecoder(signed=signed, trailer=trailer)
        decoder.feed(body[:cut])
        if cut in accepted:
            decoder.finish()
            assert decoder.done
        else:
            assert not decoder.done
            raises("IncompleteBody", decoder.finish)


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nab\r\n0\r\n\r\n",
        b"-1\r\n",
        b"0x2\r\nab\r\n0\r\n\r\n",
        b" 2\r\nab\r\n0\r\n\r\n",
        b"2 \r\nab\r\n0\r\n\r\n",
        b"\r\nab\r\n0\r\n\r\n",
        b"2\nab\r\n0\r\n\r\n",
        b"2;foo=bar\r\nab\r\n0\r\n\r\n",
        b"11111111111111111\r\n",
    ],
)
def test_bad_chunk_header(body: bytes) -> None:
    raises("IncompleteBody", feed_all(ChunkedDecoder(signed=False, trailer=True), body))


@pytest.mark.parametrize(
    "body",
    [b"2\r\nabc\r\n0\r\n\r\n", b"2\r\nab\n0\r\n\r\n", b"2\r\nab\r0\r\n\r\n", b"2\r\nabXY"],
)
def test_missing_crlf_after_data(body: bytes) -> None:
    for cut in range(len(body) + 1):
        decoder = ChunkedDecoder(signed=False, trailer=True)
        raises("IncompleteBody", functools.partial(decode, decoder, [body[:cut], body[cut:]]))


def test_missing_crlf_after_final_signed_chunk() -> None:
    body = f"0;chunk-signature={fake_signature(0)}\r\nXX".encode()
    raises("IncompleteBody", feed_all(ChunkedDecoder(signed=True, trailer=False), body))


def test_chunk_larger_than_max_chunk_size() -> None:
    decoder = ChunkedDecoder(signed=False, trailer=True, max_chunk_size=10)
    assert decode(decoder, [b"a\r\n0123456789\r\n0\r\n\r\n"]) == b"0123456789"
    raises(
        "IncompleteBody",
        lambda: ChunkedDecoder(signed=False, trailer=True, max_chunk_size=10).feed(b"b\r\n"),
    )


@pytest.mark.parametrize("piece", [1, 1000, 5000])
def test_header_line_longer_than_4k_without_crlf(piece: int) -> None:
    body = b"1" * 5000
    decoder = ChunkedDecoder(signed=False, trailer=True)
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    raises("IncompleteBody", lambda: [decoder.feed(p) for p in pieces])


def test_signed_chunk_without_signature_and_unsigned_with_one() -> None:
    sig = fake_signature(0).encode()
    raises("IncompleteBody", feed_all(ChunkedDecoder(signed=True, trailer=False), b"0\r\n\r\n"))
    raises(
        "IncompleteBody",
        feed_all(
            ChunkedDecoder(signed=False, trailer=True), b"0;chunk-signature=" + sig + b"\r\n\r\n"
        ),
    )
    # Complete bodies whose only fault is the extension, so finish() cannot be what raises.
    for extension in (
        b";chunk-signature" + sig,
        b";chunk-signature:" + sig,
        b";chunk-signature=" + sig[:63],
        b";chunk-signature=" + sig[:63] + b"g",
        b";chunk-signature=" + sig + b"0",
        b";chunk-signature==" + sig,
        b";chunk-signature=" + sig + b";x=y",
    ):
        decoder = ChunkedDecoder(signed=True, trailer=False)
        raises("IncompleteBody", functools.partial(decoder.feed, b"0" + extension + b"\r\n\r\n"))


def test_trailers_sent_when_none_expected() -> None:
    body = f"0;chunk-signature={fake_signature(0)}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    raises("IncompleteBody", feed_all(ChunkedDecoder(signed=True, trailer=False), body.encode()))


SIG_LINE = f"x-amz-trailer-signature:{TRAILER_SIG}\r\n"


@pytest.mark.parametrize(
    ("signed", "trailer_section"),
    [
        (False, "no colon here\r\n\r\n"),
        (False, ":value\r\n\r\n"),
        (False, "a:1\r\na:2\r\n\r\n"),
        (False, "x-caf\u00e9:1\r\n\r\n"),
        (False, SIG_LINE + "\r\n"),  # a trailer signature where nothing is signed
        (False, "a:" + "v" * 9000 + "\r\n\r\n"),
        (False, "".join(f"x-{i}:{'v' * 80}\r\n" for i in range(100)) + "\r\n"),
        (True, "a:1\r\n\r\n"),  # signed trailers without their signature
        (True, "\r\n"),
        (True, SIG_LINE + "a:1\r\n\r\n"),  # the signature must come last
        (True, SIG_LINE + SIG_LINE + "\r\n"),
    ],
)
def test_malformed_trailer(signed: bool, trailer_section: str) -> None:
    final = f"0;chunk-signature={fake_signature(0)}\r\n" if signed else "0\r\n"
    body = (final + trailer_section).encode()
    for cut in (0, len(final) + 1, len(body) - 1):
        decoder = ChunkedDecoder(signed=signed, trailer=True)
        pieces = [body[:cut], body[cut:]]
        raises("MalformedTrailerError", functools.partial(decode, decoder, pieces))


def test_trailer_section_of_exactly_8k_is_accepted() -> None:
    line = "x-a:" + "v" * (8192 - 2 - 2 - 4) + "\r\n"
    decoder = ChunkedDecoder(signed=False, trailer=True)
    decode(decoder, [("0\r\n" + line + "\r\n").encode()])
    assert decoder.done
    raises(
        "MalformedTrailerError",
        feed_all(ChunkedDecoder(signed=False, trailer=True), ("0\r\nx" + line + "\r\n").encode()),
    )


@pytest.mark.parametrize("mode", MODES)
def test_data_after_done_is_invalid_request(mode: str) -> None:
    signed, trailer, body = MODES[mode]
    decoder = ChunkedDecoder(signed=signed, trailer=trailer)
    decoder.feed(body)
    assert decoder.done
    assert decoder.feed(b"") == []
    raises("InvalidRequest", lambda: decoder.feed(b"x"))
    raises(
        "InvalidRequest", lambda: ChunkedDecoder(signed=signed, trailer=trailer).feed(body + b"0")
    )


def test_callback_errors_propagate() -> None:
    def reject_second(sig: str, digest: bytes) -> None:
        if sig == fake_signature(1):
            raise S3Error("SignatureDoesNotMatch")

    def reject_trailer(sig: str, raw: bytes) -> None:
        raise S3Error("SignatureDoesNotMatch")

    body, _ = signed_encode(b"0123456789", 4, {CHECKSUM: "AAAAAA=="})
    first_chunk_end = body.index(b"0123\r\n") + 6
    decoder = ChunkedDecoder(signed=True, trailer=True, on_chunk=reject_second)
    assert [bytes(p) for p in decoder.feed(body[:first_chunk_end])] == [b"0123"]
    raises("SignatureDoesNotMatch", lambda: decoder.feed(body[first_chunk_end:]))
    decoder = ChunkedDecoder(signed=True, trailer=True, on_trailer=reject_trailer)
    raises("SignatureDoesNotMatch", feed_all(decoder, body))
