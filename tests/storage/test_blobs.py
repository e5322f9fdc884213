"""Data files: writing them whole, and what a failing disk leaves behind."""

from __future__ import annotations

import io
import os

from storage.blobs import _write_all


class ShortWriter(io.RawIOBase):
    """A file that takes at most ``step`` bytes a call, as a filling disk does."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.calls += 1
        taken = bytes(data[: self.step])
        self.data += taken
        return len(taken)


def test_write_all_finishes_short_writes() -> None:
    data = os.urandom(1000)
    fh = ShortWriter(step=300)
    _write_all(fh, memoryview(data))  # type: ignore[arg-type]
    assert bytes(fh.data) == data
    assert fh.calls == 4
