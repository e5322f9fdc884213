import os

from bench.procstat import Stat, cpu_seconds, parse_stat, parse_vmhwm, peak_rss, tree

# A command name with spaces and parentheses: fields must be counted from the last ")".
STAT = (
    "4242 (weird) name (x)) S 17 4242 4242 0 -1 4194560 1000 0 0 0 "
    "150 25 7 3 20 0 4 0 123 456789 1234 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0"
)

STATUS = """Name:\tpython3
VmPeak:\t  300000 kB
VmHWM:\t   51200 kB
VmRSS:\t   40000 kB
"""


def test_parse_stat_counts_fields_after_the_command_name() -> None:
    assert parse_stat(STAT) == Stat(pid=4242, ppid=17, ticks=150 + 25 + 7 + 3)


def test_parse_vmhwm_bytes_and_absent() -> None:
    assert parse_vmhwm(STATUS) == 51200 * 1024
    assert parse_vmhwm("Name:\tzombie\nState:\tZ\n") == 0


def test_tree_collects_descendants_only() -> None:
    stats = [Stat(1, 0, 1), Stat(10, 1, 2), Stat(11, 10, 4), Stat(12, 10, 8), Stat(20, 1, 16)]
    assert sorted(s.pid for s in tree(10, stats)) == [10, 11, 12]
    assert tree(99, stats) == []


def test_cpu_and_rss_of_this_process_are_positive() -> None:
    assert cpu_seconds(os.getpid()) > 0
    assert peak_rss(os.getpid()) > 0
