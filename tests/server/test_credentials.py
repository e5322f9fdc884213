from __future__ import annotations

import json
from pathlib import Path

import pytest

from server import credentials
from server.credentials import READ_OPERATIONS, CredentialsError, Key
from server.handlers import HANDLERS
from storage import S3Error

TOML = """
[[keys]]
access_key = "writer"
secret_key = "w-secret"

[[keys]]
access_key = "reader"
secret_key = "r-secret"
access = "read-only"
buckets = ["photos", "docs"]
"""


def test_load_toml(tmp_path: Path) -> None:
    path = tmp_path / "creds.toml"
    path.write_text(TOML)
    assert credentials.load(path) == [
        Key("writer", "w-secret"),
        Key("reader", "r-secret", read_only=True, buckets=frozenset({"photos", "docs"})),
    ]


def test_load_json(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"keys": [{"access_key": "a", "secret_key": "s", "buckets": []}]}))
    assert credentials.load(path) == [Key("a", "s", buckets=frozenset())]


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        "keys = []",
        "[[keys]]\naccess_key = 'a'",
        "[[keys]]\naccess_key = 'a'\nsecret_key = ''",
        "[[keys]]\naccess_key = 'a'\nsecret_key = 's'\naccess = 'admin'",
        "[[keys]]\naccess_key = 'a'\nsecret_key = 's'\nbuckets = 'photos'",
        "[[keys]]\naccess_key = 'a'\nsecret_key = 's'\nsecret = 'typo'",
    ],
)
def test_load_rejects_bad_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "creds.toml"
    path.write_text(text)
    with pytest.raises(CredentialsError):
        credentials.load(path)


def test_duplicate_access_keys_rejected() -> None:
    with pytest.raises(CredentialsError):
        credentials.by_access_key([Key("a", "1"), Key("a", "2")])


def test_secret_not_in_repr() -> None:
    assert "hidden-secret" not in repr(Key("a", "hidden-secret"))


def test_read_operations_are_real_operations_and_writes_are_denied() -> None:
    reader = Key("r", "s", read_only=True)
    for operation in HANDLERS:
        if operation in READ_OPERATIONS:
            reader.authorize(operation, "b")
        else:
            with pytest.raises(S3Error) as caught:
                reader.authorize(operation, "b")
            assert caught.value.code == "AccessDenied"
    assert {"PutObject", "UploadPart", "CompleteMultipartUpload"}.isdisjoint(READ_OPERATIONS)


def test_bucket_scope() -> None:
    scoped = Key("s", "s", buckets=frozenset({"photos"}))
    scoped.authorize("PutObject", "photos")
    scoped.authorize("ListBuckets", None)
    with pytest.raises(S3Error) as caught:
        scoped.authorize("GetObject", "other")
    assert caught.value.code == "AccessDenied"
