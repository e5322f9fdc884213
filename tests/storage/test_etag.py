from __future__ import annotations

import hashlib

from storage.etag import multipart_etag, normalize, quote


def test_multipart_etag_is_md5_of_binary_part_md5s_then_count() -> None:
    parts = [b"a" * 10, b"b" * 7, b""]
    md5s = [hashlib.md5(p).digest() for p in parts]
    expected = hashlib.md5(b"".join(md5s)).hexdigest() + "-3"
    assert multipart_etag(d.hex() for d in md5s) == expected


def test_multipart_etag_known_value() -> None:
    # Parts "hello" and "world", computed with coreutils: md5sum of each, then
    # printf "$a$b" | xxd -r -p | md5sum.
    etags = ["5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7"]
    assert multipart_etag(etags) == "065947336a2f2a95ba8899f3675c3be6-2"


def test_normalize_accepts_quoted_unquoted_any_case() -> None:
    value = "9B2CF535F27731C974343645A3985328"
    assert normalize(f'"{value}"') == normalize(value) == normalize(value.lower()) == value.lower()
    assert quote(value.lower()) == f'"{value.lower()}"'
