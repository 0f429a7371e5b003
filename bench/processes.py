"""Resident memory and CPU time of process trees, read from /proc (Linux)."""

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), from the
    state on; None for a process that is gone."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def parent_pid(pid: int) -> int | None:
    fields = stat_fields(pid)
    return None if fields is None else int(fields[1])


def children(pid: int) -> list[int]:
    pids = [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]
    return [child for child in pids if parent_pid(child) == pid]


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (a gunicorn worker and its render processes)."""
    tree = [pid]
    for child in children(pid):
        tree.extend(process_tree(child))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has waited for; 0 once it is gone."""
    fields = stat_fields(pid)
    if fields is None:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process tree so far: every living member, with the members that ended (a recycled
    gunicorn worker, a replaced render process) in the children times of the parent that reaped them."""
    return sum(cpu_seconds(member) for member in process_tree(pid))


def status_kb(pid: int, field: str) -> int:
    """A VmRSS / VmHWM line of /proc/<pid>/status, in kB; 0 for a process that is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_kb(pid: int, field: str = "VmRSS") -> int:
    return sum(status_kb(member, field) for member in process_tree(pid))


class PeakRssSampler:
    """Samples the RSS of each root's process tree every `interval` s in a thread; keeps the peaks."""

    def __init__(self, roots: list[int], interval: float = 0.01):
        self.roots = roots
        self.interval = interval
        self.peak_kb = {root: 0 for root in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for root in self.roots:
                self.peak_kb[root] = max(self.peak_kb[root], tree_kb(root))
            time.sleep(self.interval)
