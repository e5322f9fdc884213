"""Listing pagination against a naive model of S3's ListObjectsV2 semantics."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.listing import After, AtLeast, Position, list_page, prefix_end, start_position


def _fetch_from(keys: list[str], prefix: str):  # type: ignore[no-untyped-def]
    ordered = sorted(set(keys))

    async def fetch(position: Position, limit: int) -> Sequence[tuple[tuple[str], str]]:
        rows = [k for k in ordered if k.startswith(prefix)]
        if isinstance(position, After):
            rows = [k for k in rows if k > position.sort[0]]
        else:
            rows = [k for k in rows if k >= position.key]
        return [((k,), k) for k in rows[:limit]]

    return fetch


def _model(keys: list[str], prefix: str, delimiter: str) -> list[str]:
    """Every name a full listing returns, in order: keys and common prefixes."""
    out: list[str] = []
    for key in sorted(set(keys)):
        if not key.startswith(prefix):
            continue
        at = key.find(delimiter, len(prefix)) if delimiter else -1
        name = key if at < 0 else key[: at + len(delimiter)]
        if not out or out[-1] != name:
            out.append(name)
    return out


async def _walk(keys: list[str], prefix: str, delimiter: str, max_keys: int) -> list[str]:
    """Walk every page as a client does, continuing after each page's last name."""
    fetch = _fetch_from(keys, prefix)
    seen: list[str] = []
    marker = ""
    for _ in range(1000):
        page = await list_page(
            fetch,
            start_position(prefix, marker),
            prefix=prefix,
            delimiter=delimiter,
            max_keys=max_keys,
            marker=marker,
        )
        names = sorted(page.entries + page.prefixes)
        assert len(names) <= max_keys
        seen += names
        if not page.truncated:
            return seen
        assert page.last_name == names[-1]
        marker = page.last_name
    raise AssertionError("listing did not terminate")


KEYS = st.lists(st.text(alphabet="ab/c\U0001f600", min_size=1, max_size=6), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    keys=KEYS,
    prefix=st.sampled_from(["", "a", "a/", "b", "\U0001f600"]),
    delimiter=st.sampled_from(["", "/", "b", "/c"]),
    max_keys=st.integers(1, 6),
)
def test_list_page_walk_equals_model(
    keys: list[str], prefix: str, delimiter: str, max_keys: int
) -> None:
    assert asyncio.run(_walk(keys, prefix, delimiter, max_keys)) == _model(keys, prefix, delimiter)


def test_list_page_max_keys_zero_is_empty_and_not_truncated() -> None:
    page = asyncio.run(
        list_page(_fetch_from(["a"], ""), AtLeast(""), prefix="", delimiter="", max_keys=0)
    )
    assert (page.entries, page.prefixes, page.truncated) == ([], [], False)


def test_list_page_common_prefix_not_repeated_after_marker() -> None:
    keys = ["photos/a", "photos/b", "zebra"]
    fetch = _fetch_from(keys, "")
    page = asyncio.run(
        list_page(
            fetch, After(("photos/",)), prefix="", delimiter="/", max_keys=5, marker="photos/"
        )
    )
    assert (page.entries, page.prefixes) == (["zebra"], [])


def test_prefix_end() -> None:
    assert prefix_end("") is None
    assert prefix_end("a/") == "a0"
    assert prefix_end("ab") == "ac"
    assert prefix_end("a\U0010ffff") == "b"
    assert all(not k.startswith("a/") or k < "a0" for k in ["a/", "a/\U0010ffff", "a/zz"])
