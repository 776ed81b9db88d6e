"""Processes known by identity, not by number: a pid plus its start time from /proc/<pid>/stat.

A pid written to a file outlives its process, and the kernel hands the number to the next
process that starts. Before signalling a pid read from a file, :func:`alive` checks that the
process with that number started at the recorded time (field 22 of stat(5), clock ticks since
boot), which no other process shares, so a stale file never makes us signal a stranger.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after ``comm`` (field 3 of stat(5) is index 0 here).

    ``comm`` may hold spaces and parentheses, so the split happens after its last ``)``.
    Raises OSError when there is no such process.
    """
    return _fields_after_comm(Path(f"/proc/{pid}/stat").read_text())


def _fields_after_comm(stat: str) -> list[str]:
    return stat.rsplit(")", 1)[1].split()


def _cpu_of(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime, fields 14 and 15 of stat(5)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, all its threads (what the benchmarks and loadtest read a
    JVM's CPU from). Raises OSError when there is no such process."""
    return _cpu_of(stat_fields(pid))


_THREAD_NUMBER = re.compile(r"[-_ #]*\d+$")


def thread_group(comm: str) -> str:
    """A thread's name without its pool number ("lava-daemon-pool-12" and "lava-daemon-pool-3"
    are one group), so a JVM's CPU can be told apart by what its threads do. The kernel keeps
    only the first 15 bytes of a name, so the groups are those prefixes."""
    return _THREAD_NUMBER.sub("", comm) or comm


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """utime + stime per thread group (see :func:`thread_group`) of the process's live threads.
    A thread that ended since the last reading takes its seconds with it, so differences of two
    readings are of the threads alive at both. Raises OSError when there is no such process."""
    groups: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue  # the thread ended between the listing and the read
        group = thread_group(text[text.index("(") + 1 : text.rindex(")")])
        groups[group] = groups.get(group, 0.0) + _cpu_of(_fields_after_comm(text))
    return groups


def memory_bytes(pid: int) -> dict[str, int]:
    """The memory sizes of /proc/<pid>/status (VmRSS, VmHWM, ...), in bytes. Raises OSError when
    there is no such process."""
    sizes = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            sizes[key] = int(parts[0]) * 1024
    return sizes


def start_ticks(pid: int) -> int | None:
    """The process's start time (clock ticks after boot), or None when it does not exist."""
    try:
        fields = stat_fields(pid)
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":  # a zombie has ended; only its parent's wait() is missing
        return None
    return int(fields[19])  # field 22 of stat(5)


@dataclass(frozen=True)
class ProcRecord:
    """Who a process is: what we call it, its pid and its start time."""

    name: str
    pid: int
    start: int

    @classmethod
    def of(cls, name: str, pid: int) -> ProcRecord | None:
        start = start_ticks(pid)
        return None if start is None else cls(name, pid, start)

    def alive(self) -> bool:
        """True while the process this record names runs (not another one with the same pid)."""
        return start_ticks(self.pid) == self.start

    def leads_its_group(self) -> bool:
        try:
            return os.getpgid(self.pid) == self.pid
        except OSError:
            return False

    def signal(self, sig: int) -> bool:
        """Send ``sig`` to the process (to its group when it leads one); False when it is gone."""
        if not self.alive():
            return False
        try:
            if self.leads_its_group():
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; True when it was running."""
        if not self.signal(signal.SIGTERM):
            return False
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.alive():
            self.signal(signal.SIGKILL)
            deadline = time.monotonic() + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
        return True


def read_records(path: Path) -> list[ProcRecord]:
    """The records in a JSON file written by :func:`write_records`; [] when missing or unreadable."""
    try:
        raw = json.loads(path.read_text())
        return [ProcRecord(str(r["name"]), int(r["pid"]), int(r["start"])) for r in raw]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def write_records(path: Path, records: list[ProcRecord]) -> None:
    """Replace the file atomically, so a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps([asdict(r) for r in records], indent=2) + "\n")
    os.replace(tmp, path)
