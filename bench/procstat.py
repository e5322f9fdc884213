"""A server's resource use from /proc: CPU-seconds and peak RSS of its whole process tree.

CPU: utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks) of the server process
and every descendant, plus cutime + cstime (16 and 17) for children already reaped. Peak RSS:
VmHWM from /proc/<pid>/status, summed over the tree; writing "5" to /proc/<pid>/clear_refs
resets it, so a peak can be taken for one workload.
https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    ticks: int  # utime + stime + cutime + cstime


def parse_stat(text: str) -> Stat:
    """One /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
    hold spaces or parentheses, so fields are counted from the last ")"."""
    head, _, rest = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = rest.split()
    # rest starts at field 3 (state): field N is fields[N - 3].
    ppid = int(fields[4 - 3])
    utime, stime, cutime, cstime = (int(fields[n - 3]) for n in (14, 15, 16, 17))
    return Stat(pid, ppid, utime + stime + cutime + cstime)


def parse_vmhwm(text: str) -> int:
    """Bytes of VmHWM in a /proc/<pid>/status text (0 when absent, as for a zombie)."""
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", unit
            return int(value) * 1024
    return 0


def tree(root: int, stats: Iterable[Stat]) -> list[Stat]:
    """``root`` and its descendants among ``stats``."""
    children: dict[int, list[Stat]] = {}
    by_pid = {}
    for stat in stats:
        by_pid[stat.pid] = stat
        children.setdefault(stat.ppid, []).append(stat)
    if root not in by_pid:
        return []
    found, todo = [], [by_pid[root]]
    while todo:
        stat = todo.pop()
        found.append(stat)
        todo.extend(children.get(stat.pid, []))
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # the process ended meanwhile
        return None


def all_stats() -> list[Stat]:
    stats = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            text = _read(entry / "stat")
            if text is not None:
                stats.append(parse_stat(text))
    return stats


def tree_pids(root: int) -> list[int]:
    return [stat.pid for stat in tree(root, all_stats())]


def cpu_seconds(root: int) -> float:
    """CPU-seconds the process tree under ``root`` has used so far."""
    return sum(stat.ticks for stat in tree(root, all_stats())) / TICKS


def peak_rss(root: int) -> int:
    """Sum of VmHWM over the process tree, in bytes."""
    total = 0
    for pid in tree_pids(root):
        text = _read(PROC / str(pid) / "status")
        total += parse_vmhwm(text) if text else 0
    return total


def reset_peak_rss(root: int) -> bool:
    """Reset VmHWM of the tree to the current RSS; False if the kernel refused."""
    ok = True
    for pid in tree_pids(root):
        try:
            (PROC / str(pid) / "clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok
