"""Access keys and what each may do: read-write or read-only, every bucket or named ones.

A credentials file (``s3mpu serve --credentials FILE``) lists keys in TOML or JSON:

    # credentials.toml
    [[keys]]
    access_key = "uploader"
    secret_key = "a long random secret"
    access = "read-write"          # or "read-only"; default read-write
    buckets = ["uploads"]          # optional; default every bucket

    {"keys": [{"access_key": "reader", "secret_key": "...", "access": "read-only"}]}

A key outside its scope gets 403 AccessDenied, as S3 answers a request its policy denies.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage import S3Error

# The operations a read-only key may call; every other operation writes.
READ_OPERATIONS = frozenset(
    {
        "ListBuckets",
        "HeadBucket",
        "ListObjectsV2",
        "ListObjects",
        "GetObject",
        "HeadObject",
        "GetObjectAttributes",
        "ListParts",
        "ListMultipartUploads",
        "GetBucketLocation",
        "GetBucketLifecycleConfiguration",
        "GetBucketCors",
        "GetObjectTagging",
    }
)


@dataclass(frozen=True)
class Key:
    access_key: str
    secret_key: str = field(repr=False)
    read_only: bool = False
    buckets: frozenset[str] | None = None  # None: every bucket

    def sees(self, bucket: str) -> bool:
        return self.buckets is None or bucket in self.buckets

    def authorize(self, operation: str, bucket: str | None) -> None:
        """AccessDenied unless this key may call ``operation`` on ``bucket``."""
        if self.read_only and operation not in READ_OPERATIONS:
            raise S3Error("AccessDenied")
        if bucket is not None and not self.sees(bucket):
            raise S3Error("AccessDenied")


class CredentialsError(ValueError):
    """A credentials file that cannot be used; the message says why."""


def _key(entry: Any, where: str) -> Key:
    if not isinstance(entry, dict):
        raise CredentialsError(f"{where}: a key must be a table/object")
    unknown = set(entry) - {"access_key", "secret_key", "access", "buckets"}
    if unknown:
        raise CredentialsError(f"{where}: unknown field(s) {sorted(unknown)}")
    access_key, secret_key = entry.get("access_key"), entry.get("secret_key")
    if not isinstance(access_key, str) or not access_key:
        raise CredentialsError(f"{where}: access_key must be a non-empty string")
    if not isinstance(secret_key, str) or not secret_key:
        raise CredentialsError(f"{where}: secret_key must be a non-empty string")
    access = entry.get("access", "read-write")
    if access not in ("read-write", "read-only"):
        raise CredentialsError(f"{where}: access must be read-write or read-only")
    buckets = entry.get("buckets")
    if buckets is not None and (
        not isinstance(buckets, list) or not all(isinstance(b, str) for b in buckets)
    ):
        raise CredentialsError(f"{where}: buckets must be a list of bucket names")
    return Key(
        access_key=access_key,
        secret_key=secret_key,
        read_only=access == "read-only",
        buckets=None if buckets is None else frozenset(buckets),
    )


def load(path: Path) -> list[Key]:
    """The keys of a credentials file: JSON if it ends in .json, TOML otherwise."""
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CredentialsError(f"{path}: {exc}") from exc
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CredentialsError(f"{path}: expected a non-empty list of keys under 'keys'")
    return [_key(entry, f"{path}: key {n}") for n, entry in enumerate(entries, 1)]


def by_access_key(keys: Iterable[Key]) -> dict[str, Key]:
    found: dict[str, Key] = {}
    for key in keys:
        if key.access_key in found:
            raise CredentialsError(f"access key {key.access_key!r} is listed twice")
        found[key.access_key] = key
    return found
