"""storage/checksums: the combine and composite arithmetic against checksums computed directly
over the concatenated bytes (zlib, awscrt, hashlib), and the strict base64 S3 applies."""

from __future__ import annotations

import base64
import hashlib
import itertools
import zlib

import pytest
from awscrt import checksums as crt
from hypothesis import given
from hypothesis import strategies as st

from storage.checksums import (
    CRC_ALGORITHMS,
    DIGEST_SIZES,
    combine_crc,
    composite_checksum,
    decode,
    digest_of,
    full_object_checksum,
)

# The reference implementations, called directly rather than through storage's hashers.
DIRECT = {
    "CRC32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "CRC32C": lambda data: crt.crc32c(data).to_bytes(4, "big"),
    "CRC64NVME": lambda data: crt.crc64nvme(data).to_bytes(8, "big"),
    "SHA1": lambda data: hashlib.sha1(data).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
}
CRCS = sorted(CRC_ALGORITHMS)


def splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize("algorithm", sorted(DIRECT))
def test_digest_of_matches_the_reference(algorithm: str) -> None:
    data = bytes(range(256)) * 5
    assert digest_of(algorithm, data) == DIRECT[algorithm](data)


def test_known_check_values() -> None:
    # The catalogued check values of "123456789" (CRC RevEng catalogue); CRC-64/NVME's is the one
    # AWS's own SDK tests use.
    assert digest_of("CRC32", b"123456789").hex() == "cbf43926"
    assert digest_of("CRC32C", b"123456789").hex() == "e3069283"
    assert digest_of("CRC64NVME", b"123456789").hex() == "ae8b14860a799888"


@pytest.mark.parametrize("algorithm", CRCS)
@given(first=st.binary(max_size=300), second=st.binary(max_size=300))
def test_combine_two_blocks(algorithm: str, first: bytes, second: bytes) -> None:
    combined = combine_crc(
        algorithm, DIRECT[algorithm](first), DIRECT[algorithm](second), len(second)
    )
    assert combined == DIRECT[algorithm](first + second)


@pytest.mark.parametrize("algorithm", CRCS)
@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=12))
def test_full_object_checksum_over_random_splits(
    algorithm: str, data: bytes, cuts: list[int]
) -> None:
    parts = splits(data, cuts)
    assert b"".join(parts) == data
    summed = full_object_checksum(algorithm, [(DIRECT[algorithm](p), len(p)) for p in parts])
    assert summed == DIRECT[algorithm](data)


@pytest.mark.parametrize("algorithm", CRCS)
def test_full_object_checksum_of_large_parts_without_their_bytes(algorithm: str) -> None:
    # Parts of a gibibyte and more are combined from their CRCs alone. The reference: a part of
    # n zero bytes, whose CRC awscrt computes by streaming a zero buffer.
    zeros = bytes(1 << 20)
    crc = 0
    direct = {"CRC32": zlib.crc32, "CRC32C": crt.crc32c, "CRC64NVME": crt.crc64nvme}[algorithm]
    for _ in range(1024):
        crc = direct(zeros, crc)
    gib = crc.to_bytes(DIGEST_SIZES[algorithm], "big")
    head = DIRECT[algorithm](b"head")
    summed = full_object_checksum(algorithm, [(head, 4), (gib, 1 << 30)])
    expected = direct(zeros, direct(b"head"))
    for _ in range(1023):
        expected = direct(zeros, expected)
    assert summed == expected.to_bytes(DIGEST_SIZES[algorithm], "big")


@pytest.mark.parametrize("algorithm", CRCS)
def test_full_object_checksum_of_nothing_and_of_empty_parts(algorithm: str) -> None:
    empty = DIRECT[algorithm](b"")
    assert full_object_checksum(algorithm, []) == empty
    data = b"payload"
    parts = [(empty, 0), (DIRECT[algorithm](data), len(data)), (empty, 0)]
    assert full_object_checksum(algorithm, parts) == DIRECT[algorithm](data)


@pytest.mark.parametrize("algorithm", sorted(DIRECT))
@given(parts=st.lists(st.binary(max_size=100), min_size=1, max_size=8))
def test_composite_is_the_digest_of_the_concatenated_part_digests(
    algorithm: str, parts: list[bytes]
) -> None:
    digests = [DIRECT[algorithm](p) for p in parts]
    assert composite_checksum(algorithm, digests) == DIRECT[algorithm](b"".join(digests))


def test_composite_known_value() -> None:
    # openstack/swift's functional tests, which run against AWS: one part "123456789" uploaded to
    # a CRC32 composite upload completes as "7kxlUA==-1" (and as "pzJFoA==-1" for CRC32C).
    one = [DIRECT["CRC32"](b"123456789")]
    assert base64.b64encode(composite_checksum("CRC32", one)).decode() == "7kxlUA=="
    one_c = [DIRECT["CRC32C"](b"123456789")]
    assert base64.b64encode(composite_checksum("CRC32C", one_c)).decode() == "pzJFoA=="


@pytest.mark.parametrize(
    ("value", "algorithm", "expected"),
    [
        ("y/Q5Jg==", "CRC32", bytes.fromhex("cbf43926")),
        ("y/Q5Jh==", "CRC32", None),  # non-canonical: stray bits in the padding
        ("y/Q5Jg", "CRC32", None),  # missing padding
        ("y/Q5", "CRC32", None),  # 3 bytes
        ("rosUhgp5mIg=", "CRC64NVME", bytes.fromhex("ae8b14860a799888")),
        ("rosUhgp5mIg=", "CRC32", None),  # 8 bytes for a 4-byte algorithm
        ("not base64!", "SHA1", None),
        ("", "SHA256", None),
        # What a lax decoder skips or stops at: the value must be the digest's encoding exactly.
        ("y/Q5\nJg==", "CRC32", None),
        (" y/Q5Jg==", "CRC32", None),
        ("y/Q5Jg==\n", "CRC32", None),
        ("y/Q5Jg===", "CRC32", None),
        ("y/Q5Jg==y/Q5Jg==", "CRC32", None),
        ("y/Q5Jg-_", "CRC32", None),
        ("y/Q5Jg=\u00e9", "CRC32", None),  # not ASCII
    ],
)
def test_decode_is_strict(value: str, algorithm: str, expected: bytes | None) -> None:
    assert decode(value, algorithm) == expected
