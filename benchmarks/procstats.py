"""This process's resident memory and threads, as the soak benchmark and the leak tests
(tests/reliability) measure them: one implementation, so their figures compare."""

from __future__ import annotations

import os


def rss_mb() -> float:
    """Resident memory of this process in MiB (VmRSS of /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def os_threads() -> list[str]:
    """Names of this process's threads as the OS lists them (Python, Qt, torch and all),
    without Qt's idle pool threads ("Thread (pooled)"), which end by themselves 30 s after
    their last job; the global pool's busy threads are checked through QThreadPool."""
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                names.append(comm.read().strip())
        except OSError:  # ended meanwhile
            continue
    return sorted(n for n in names if n != "Thread (pooled)")
