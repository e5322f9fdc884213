"""storage/peak.py: the count of bodies at once, and the most there were lately."""

from __future__ import annotations

from storage.peak import RecentPeak


def test_expected_is_the_count_or_the_recent_peak() -> None:
    peak = RecentPeak()
    assert peak.expected(0.0) == 0
    for _ in range(3):
        peak.enter(10.0, memory=0.5)
    assert peak.expected(10.0) == 3
    peak.leave()
    peak.leave()
    # One now, three a moment ago: three are planned for until the memory runs out.
    assert peak.count == 1
    assert peak.expected(10.4) == 3
    assert peak.expected(10.5) == 1


def test_a_peak_is_renewed_when_reached_again_and_replaced_once_forgotten() -> None:
    peak = RecentPeak()
    peak.enter(0.0, memory=1.0)
    peak.enter(0.0, memory=1.0)
    peak.leave()
    peak.enter(0.9, memory=1.0)  # two again: remembered from now
    peak.leave()
    assert peak.expected(1.8) == 2
    peak.leave()
    peak.enter(1.85, memory=1.0)  # one, below a peak still remembered: the peak stands
    assert peak.expected(1.85) == 2
    assert peak.expected(1.9) == 1
    peak.enter(2.5, memory=1.0)  # two, the old peak forgotten: the new one
    peak.leave()
    assert peak.expected(3.4) == 2
    assert peak.expected(3.5) == 1
