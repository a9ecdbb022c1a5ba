"""Wall time and peak memory of the stages of a process, and a supervised subprocess.

Shared by ``benchmarks/scale_plan.py`` (Linux ``/proc``; elsewhere the
readings are zero).

**Peak memory of a stage** (:class:`StageMeter`) is the process's resident
set high-water mark: the kernel's ``VmHWM`` is reset at the start of each
stage (``echo 5 > /proc/self/clear_refs``) and read at its end; where the
reset is not allowed, a thread samples ``VmRSS`` every 50 ms instead
(:attr:`StageMeter.method` says which). The same thread samples the
proportional set size (PSS, ``/proc/PID/smaps_rollup``) of the process's
descendants, e.g. a solver (``solver_peak_gb``; PSS, so that a child forked
from this process does not count the pages it still shares), and the largest
sum of both (``with_solver_peak_gb``). ``getrusage(RUSAGE_CHILDREN)`` is not
used: a child started by fork/exec carries its parent's high-water mark into
``ru_maxrss``.

**A supervised run** (:func:`supervise`) reports ``ru_maxrss`` of the
subprocess (``os.wait4``, as ``/usr/bin/time`` reports it: the largest single
process) and the sum of PSS over its process tree polled every 0.5 s; the
same sum is held against the memory limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

GB = 1e9


def _status_kb(field: str, pid: str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _pss_bytes(pid: int) -> int:
    """Proportional set size of a process: shared pages divided among their users.

    A child forked from a large Python process shares its pages until it
    execs (or for good, for forked workers); its VmRSS would count them twice.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    children = [int(c) for c in f.read().split()]
                out.extend(children)
                todo.extend(children)
        except OSError:
            continue
    return out


def _tree_pss_bytes(pid: int) -> int:
    """Memory of a process and all its descendants: the sum of their PSS (Linux /proc)."""
    return sum(_pss_bytes(p) for p in (pid, *_descendants(pid)))


class StageMeter:
    """Wall time and peak resident memory of consecutive stages of this process.

    ``begin(name)`` closes the running stage (if any) and starts ``name``;
    ``end()`` closes it. Each closed stage is appended to ``results`` and
    handed to ``on_close`` (the child writes its JSON there, so a killed run
    keeps the stages it finished).
    """

    def __init__(self, on_close=None, *, interval_s: float = 0.05) -> None:
        self.results: list[dict] = []
        self.on_close = on_close or (lambda results: None)
        self.current: str | None = None
        self.method = "VmHWM reset per stage (/proc/self/clear_refs)"
        try:
            self._reset_hwm()
        except OSError:
            self.method = "VmRSS sampled every 50 ms"
        self._peak = self._children_peak = self._tree_peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval_s,), daemon=True)
        self._thread.start()

    @staticmethod
    def _reset_hwm() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")

    def _sample(self, interval_s: float) -> None:
        me = os.getpid()
        while not self._stop.wait(interval_s):
            rss = _status_kb("VmRSS") * 1024
            others = sum(_pss_bytes(p) for p in _descendants(me))
            with self._lock:
                self._peak = max(self._peak, rss)
                self._children_peak = max(self._children_peak, others)
                self._tree_peak = max(self._tree_peak, rss + others)

    def begin(self, name: str) -> None:
        if self.current is not None:
            self.end()
        self.current = name
        with contextlib.suppress(OSError):
            self._reset_hwm()
        with self._lock:
            self._peak = self._tree_peak = self._rss_before = _status_kb("VmRSS") * 1024
            self._children_peak = 0
        self._start = time.perf_counter()

    def end(self, **extra) -> None:
        if self.current is None:
            return
        seconds = time.perf_counter() - self._start
        rss = _status_kb("VmRSS") * 1024
        with self._lock:
            sampled = max(self._peak, rss)
            children, tree = self._children_peak, self._tree_peak
        hwm = _status_kb("VmHWM") * 1024 if self.method.startswith("VmHWM") else 0
        record = {
            "stage": self.current,
            "seconds": round(seconds, 3),
            "peak_gb": round(max(hwm, sampled) / GB, 3),
            "rss_before_gb": round(self._rss_before / GB, 3),
            "rss_after_gb": round(rss / GB, 3),
            **extra,
        }
        if children:  # the solver process, sampled with this one
            record["solver_peak_gb"] = round(children / GB, 3)
            record["with_solver_peak_gb"] = round(max(tree, max(hwm, sampled)) / GB, 3)
        self.results.append(record)
        self.current = None
        self.on_close(self.results)

    def close(self) -> None:
        self._stop.set()


@dataclasses.dataclass
class Supervised:
    """What :func:`supervise` saw of a run: wall time, exit code, memory, why it was killed."""

    seconds: float
    returncode: int | None
    maxrss_gb: float
    killed: str | None  # "time" or "memory"
    tree_peak_gb: float


def supervise(
    command, *, max_minutes: float, max_memory_gb: float, log_path: Path, env=None
) -> Supervised:
    """Run ``command``; kill its process group past the time or memory limit.

    Parameters
    ----------
    command : list of str
        The command, started in a new session (its own process group).
    max_minutes : float
        Wall time limit.
    max_memory_gb : float
        Limit on the PSS summed over the process tree, polled every 0.5 s.
    log_path : Path
        Where its standard output and error go.
    env : dict, optional
        Its environment (default: this process's).

    Returns
    -------
    Supervised
        ``killed`` is ``"time"`` or ``"memory"`` when a limit stopped it.
    """
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    killed = None
    tree_peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree = _tree_pss_bytes(proc.pid)
        tree_peak = max(tree_peak, tree)
        if killed is None and time.perf_counter() - start > max_minutes * 60:
            killed = "time"
        elif killed is None and tree > max_memory_gb * GB:
            killed = "memory"
        if killed:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Supervised(
        seconds=seconds,
        returncode=proc.returncode,
        maxrss_gb=usage.ru_maxrss * 1024 / GB,
        killed=killed,
        tree_peak_gb=tree_peak / GB,
    )
