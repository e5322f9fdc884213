"""How many bodies are being received at once, and the most there were a moment ago.

A client uploading N parts at once does not keep N bodies streaming: each of its threads hashes
a part before sending it (the payload's SHA-256 that SigV4 signs, the CRC) and waits for the
answer after it, so the count drops and climbs back within tens of milliseconds. What is tuned
to the number of bodies (md5lanes.py's wait for company, blobs.py's batch size) goes by the
most seen lately, not by the count at that instant.
"""

from __future__ import annotations


class RecentPeak:
    """A count of things at once, and the most there were, remembered for a while after the
    count reached it. Not thread-safe: its owner holds whatever lock guards it."""

    def __init__(self) -> None:
        self.count = 0
        self._peak = 0
        self._until = 0.0  # the time.monotonic() the peak stands until

    def enter(self, now: float, memory: float) -> None:
        """One more, at ``now``: a new peak (or the same again) is remembered ``memory``
        seconds from now, an old one until its time is up."""
        self.count += 1
        if self.count >= self._peak or now >= self._until:
            self._peak, self._until = self.count, now + memory

    def leave(self) -> None:
        self.count -= 1

    def expected(self, now: float) -> int:
        """The count to plan for: the count now, or the peak while it is remembered."""
        return max(self.count, self._peak if now < self._until else 0)
