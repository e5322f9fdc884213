"""S3 listing pagination as one pure algorithm, shared by ListObjectsV2 and ListMultipartUploads.

Entries come from a ``fetch`` callback in ascending order of a sort tuple whose first element is
the key (objects sort by key; uploads by key, initiation time, upload id). With a delimiter, keys
that contain it after the prefix fold into one common prefix; max-keys counts entries and common
prefixes together, as S3 does.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html

A common prefix that sorts at or before the marker the listing started from is not returned
again: that is what lets a client continue from a NextMarker / continuation token that names a
common prefix, since every key under it sorts after the prefix itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from storage.models import Page

T = TypeVar("T")

MAX_KEYS = 1000


@dataclass(frozen=True)
class After:
    """The entries whose sort tuple is strictly greater than ``sort``."""

    sort: tuple[Any, ...]


@dataclass(frozen=True)
class AtLeast:
    """The entries whose key is at least ``key``."""

    key: str


Position = After | AtLeast
Fetch = Callable[[Position, int], Awaitable[Iterable[tuple[tuple[Any, ...], T]]]]


def prefix_end(prefix: str) -> str | None:
    """The least string greater than every string that starts with ``prefix`` (None: no bound).

    Python compares strings by code point, which is the order of their UTF-8 bytes, which is the
    order SQLite's BINARY collation and S3 listings use.
    """
    stripped = prefix.rstrip("\U0010ffff")
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    """The common prefix ``key`` folds into, or None when it is listed as itself."""
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return None if at < 0 else key[: at + len(delimiter)]


def start_position(prefix: str, marker: str) -> Position:
    """Where a listing under ``prefix`` that continues after ``marker`` starts."""
    if marker and marker >= prefix:
        return After((marker,))
    return AtLeast(prefix)


async def list_page(
    fetch: Fetch[T],
    start: Position,
    *,
    prefix: str,
    delimiter: str,
    max_keys: int,
    marker: str = "",
) -> Page[T]:
    """Collect one page of at most ``max_keys`` entries and common prefixes from ``start``.

    ``fetch(position, limit)`` returns up to ``limit`` (sort tuple, entry) pairs from
    ``position`` in order, already limited to keys that start with ``prefix``. They are taken
    only as far as the page needs: a common prefix ends a batch, and a database cursor behind
    it is read no further. ``marker`` is the name the client continues after (start-after,
    key-marker or the continuation token).
    """
    page: Page[T] = Page()
    if max_keys <= 0:
        return page
    position = start
    batch = min(max_keys + 1, MAX_KEYS + 1)
    if not delimiter and max_keys <= MAX_KEYS:
        # Nothing folds: the page is the first max_keys rows, and one more says it is truncated.
        rows = list(await fetch(position, max_keys + 1))
        page.entries = [entry for _, entry in rows[:max_keys]]
        page.truncated = len(rows) > max_keys
        if page.entries:
            last_sort, page.last_entry = rows[len(page.entries) - 1]
            page.last_name = last_sort[0]
        return page
    while True:
        taken = 0
        for sort, entry in await fetch(position, batch):
            taken += 1
            key = sort[0]
            folded = common_prefix(key, prefix, delimiter)
            if folded is None:
                if len(page.entries) + len(page.prefixes) == max_keys:
                    page.truncated = True
                    return page
                page.entries.append(entry)
                page.last_name, page.last_entry = key, entry
                position = After(sort)
                continue
            # Every key under ``folded`` is now accounted for: skip past them all.
            end = prefix_end(folded)
            if folded > marker:
                if len(page.entries) + len(page.prefixes) == max_keys:
                    page.truncated = True
                    return page
                page.prefixes.append(folded)
                page.last_name, page.last_entry = folded, None
            if end is None:
                return page
            position = AtLeast(end)
            break
        else:
            if taken < batch:
                return page
