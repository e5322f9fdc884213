"""server/sendfile.py's windows: how a body is cut into pieces a pump thread can map."""

from __future__ import annotations

import pytest

from server.sendfile import WINDOW, _windows
from storage.reader import Span


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], []),
        ([Span("a", 0, 10)], [(0, 0, 10)]),
        ([Span("a", 0, WINDOW)], [(0, 0, WINDOW)]),
        ([Span("a", 0, WINDOW + 1)], [(0, 0, WINDOW), (0, WINDOW, 1)]),
        # A span starting inside a window ends its first window on the window's edge.
        ([Span("a", 5, WINDOW)], [(0, 5, WINDOW - 5), (0, WINDOW, 5)]),
        (
            [Span("a", WINDOW - 1, 2), Span("b", 0, 3), Span("c", 7, 2 * WINDOW)],
            [
                (0, WINDOW - 1, 1),
                (0, WINDOW, 1),
                (1, 0, 3),
                (2, 7, WINDOW - 7),
                (2, WINDOW, WINDOW),
                (2, 2 * WINDOW, 7),
            ],
        ),
    ],
)
def test_windows_cover_the_spans_within_window_edges(
    spans: list[Span], expected: list[tuple[int, int, int]]
) -> None:
    assert _windows(spans) == expected
