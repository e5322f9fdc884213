"""storage/_md5x.c, the multi-buffer MD5: every kernel (one stream, two interleaved, 4 and 8
lanes) against hashlib.md5, over random lengths and split points."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.storage.extension import md5x_or_skip

md5x = md5x_or_skip()


@contextlib.contextmanager
def avx2(on: bool) -> Iterator[None]:
    """With or without the AVX2 kernels (the 128-bit ones are what a CPU without AVX2 runs)."""
    was = md5x._use_avx2(on)
    try:
        yield
    finally:
        md5x._use_avx2(was)


kernels = pytest.mark.parametrize("wide", [True, False], ids=["avx2", "vector128"])


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[bytes, list[int]]]:
    """1 to 10 bodies, each with the sizes of the pieces it is fed in (lengths on and off the
    64-byte block boundaries, pieces shorter and longer than a block)."""
    count = draw(st.integers(1, 10))
    out = []
    for _ in range(count):
        size = draw(st.integers(0, 3000))
        data = draw(st.binary(min_size=size, max_size=size))
        cuts = sorted(draw(st.lists(st.integers(0, size), max_size=4)))
        pieces = [b - a for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
        out.append((data, pieces))
    return out


@kernels
@settings(max_examples=300, deadline=None)
@given(bodies=streams())
def test_update_many_matches_hashlib(wide: bool, bodies: list[tuple[bytes, list[int]]]) -> None:
    states = [md5x.md5() for _ in bodies]
    offsets = [0] * len(bodies)
    rounds = max(len(pieces) for _, pieces in bodies)
    for turn in range(rounds):
        buffers = []
        for i, (data, pieces) in enumerate(bodies):
            size = pieces[turn] if turn < len(pieces) else 0
            buffers.append(memoryview(data)[offsets[i] : offsets[i] + size])
            offsets[i] += size
        with avx2(wide):
            md5x.update_many(states, buffers)
    for state, (data, _) in zip(states, bodies, strict=True):
        assert state.digest() == hashlib.md5(data).digest()


@kernels
@pytest.mark.parametrize("lanes", [1, 2, 3, 4, 5, 8, 9])
def test_update_many_long_equal_and_unequal_lanes(wide: bool, lanes: int) -> None:
    # Whole kernels' worth of blocks: lanes of equal length run in lockstep to the end, unequal
    # ones leave lanes that go on with fewer company.
    data = [bytes(range(256)) * (64 + 37 * lane) + b"x" * lane for lane in range(lanes)]
    states = [md5x.md5() for _ in data]
    with avx2(wide):
        md5x.update_many(states, data)
    assert [s.hexdigest() for s in states] == [hashlib.md5(d).hexdigest() for d in data]


def test_md5_object_is_hashlibs_shape() -> None:
    data = bytes(range(256)) * 40
    state = md5x.md5(data[:100])
    state.update(memoryview(data)[100:])  # a large update (without the GIL)
    copy = state.copy()
    copy.update(b"more")
    assert state.digest() == hashlib.md5(data).digest()
    assert state.hexdigest() == hashlib.md5(data).hexdigest()
    assert copy.digest() == hashlib.md5(data + b"more").digest()
    assert (state.name, state.digest_size, state.block_size) == ("md5", 16, 64)
    assert md5x.md5().digest() == hashlib.md5().digest()


def test_update_many_refuses_bad_arguments() -> None:
    state = md5x.md5()
    with pytest.raises(ValueError, match="twice"):
        md5x.update_many([state, state], [b"a", b"b"])
    with pytest.raises(ValueError, match="as many"):
        md5x.update_many([state], [b"a", b"b"])
    with pytest.raises(TypeError):
        md5x.update_many([hashlib.md5()], [b"a"])
    with pytest.raises(TypeError):
        md5x.update_many([state], ["text"])
    # Nothing was digested by the refused calls.
    assert state.digest() == hashlib.md5().digest()
