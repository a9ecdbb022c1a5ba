"""The demo plan end to end: wall time and peak memory of ``accessplan demo``.

Runs the command in a fresh process (as a user would), ``--repeat`` times, into a
temporary folder, and prints the wall time of each run and the peak resident
memory of the child process. Targets (issue "Maps, report and the whole plan"):
under 60 s and 2 GB on a 2-core machine.

Run: ``python benchmarks/bench_demo.py``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    command = [sys.executable, "-m", "accessplan.planner.cli", "demo", "--quiet"]
    times = []
    for _ in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="accessplan-bench-"))
        try:
            start = time.perf_counter()
            subprocess.run([*command, "--out", str(folder / "out")], check=True)
            times.append(time.perf_counter() - start)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("accessplan demo (whole plan: access, location, ventilators, maps, figures, report)")
    for i, seconds in enumerate(times, 1):
        print(f"run {i}: {seconds:6.1f} s")
    print(f"best {min(times):.1f} s; peak resident memory {peak_mib:,.0f} MiB")
    ok = min(times) < 60 and peak_mib < 2048
    print("within the targets (60 s, 2 GB)" if ok else "OUTSIDE the targets (60 s, 2 GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
