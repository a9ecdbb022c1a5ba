"""Outputs never cost the user data (issue 9, item 6).

* A folder is replaced only when accessplan's marker (``.accessplan-run.json``)
  is in it; a user's folder with a ``summary.json`` and a thesis is refused
  untouched, as is an output of an accessplan that wrote no marker.
* The output folder is checked before any computation.
* SIGINT / SIGTERM at any moment, including between the two renames of the
  swap, leave the previous output or the new one; a swap left half done by a
  killed process is finished by the next run; killed runs' temporary folders
  are removed by the next run, and CBC's temporary files are always removed.
* A full disk, a read-only file system or a denied permission: exit 2, one
  line naming the folder and the cause, previous output byte-identical.

The tests run as root in CI, where permissions do not stop anything, so the
operating system's refusals are simulated by making the call raise the
``OSError`` the kernel would give.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest

from accessplan.location.solver import SolverOptions, solve
from accessplan.planner import pipeline
from accessplan.planner.cli import main
from accessplan.planner.errors import OutputError
from accessplan.planner.output import MARKER, atomic_output_dir, check_output_target, read_marker

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(tiny) -> list[str]:
    """Temporary or old folders of ours beside the output folder."""
    return sorted(p.name for p in tiny.folder.iterdir() if p.name.startswith(".out."))


def run_access(tiny, capsys) -> tuple[int, str]:
    code = main(["access", str(tiny.toml), "--quiet"])
    return code, capsys.readouterr().err


@pytest.fixture
def previous(tiny, capsys) -> dict[str, bytes]:
    """A finished ``accessplan access`` output in ``tiny.out``; returns its bytes."""
    tiny.write()
    code, err = run_access(tiny, capsys)
    assert code == 0, err
    return snapshot(tiny.out)


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def fake_marker(folder: Path, *, pid: int, complete: bool, created: str) -> dict:
    """A marker as accessplan writes it (the documented fields)."""
    marker = {
        "tool": "accessplan",
        "version": "0.1.0",
        "run_id": str(uuid.uuid4()),
        "command": "access",
        "created_utc": created,
        "finished_utc": created if complete else None,
        "complete": complete,
        "pid": pid,
        "host": os.uname().nodename,
    }
    (folder / MARKER).write_text(json.dumps(marker))
    return marker


# --------------------------------------------------------------------------
# The marker
# --------------------------------------------------------------------------


def test_every_output_holds_a_marker_with_run_id_version_command_and_time(previous, tiny):
    marker = json.loads((tiny.out / MARKER).read_text())
    assert marker["tool"] == "accessplan" and marker["command"] == "access"
    assert marker["version"] == version("accessplan")
    assert uuid.UUID(marker["run_id"]).version == 4
    created = datetime.fromisoformat(marker["created_utc"])
    assert created.utcoffset().total_seconds() == 0
    assert marker["complete"] is True and marker["finished_utc"] >= marker["created_utc"]
    assert read_marker(tiny.out) == marker


def test_rerun_replaces_an_accessplan_output_with_a_new_run_id(previous, tiny, capsys):
    first = read_marker(tiny.out)["run_id"]
    (tiny.out / "stale.txt").write_text("from the first run")
    code, err = run_access(tiny, capsys)
    assert code == 0, err
    assert read_marker(tiny.out)["run_id"] != first
    assert not (tiny.out / "stale.txt").exists()
    assert leftovers(tiny) == []


def test_user_folder_with_summary_json_and_a_thesis_is_refused_untouched(tiny, capsys):
    tiny.out.mkdir()
    (tiny.out / "summary.json").write_text('{"chapter": 3}')
    (tiny.out / "thesis.docx").write_bytes(b"PK\x03\x04 years of work")
    before = snapshot(tiny.out)
    tiny.write()
    code, err = run_access(tiny, capsys)
    assert code == 2
    assert err.startswith("accessplan: error: ") and err.count("\n") == 1
    assert str(tiny.out) in err and "not an accessplan output" in err and MARKER in err
    assert snapshot(tiny.out) == before
    assert leftovers(tiny) == []


def test_output_of_an_accessplan_without_marker_is_refused_with_a_way_out(tiny, capsys):
    tiny.out.mkdir()
    for name in ("summary.json", "scenario.json", "areas_access.csv", "travel_times.csv"):
        (tiny.out / name).write_text("written by an earlier version\n")
    before = snapshot(tiny.out)
    tiny.write()
    code, err = run_access(tiny, capsys)
    assert code == 2
    assert "earlier accessplan version" in err and "delete" in err and "--out" in err
    assert snapshot(tiny.out) == before


def test_a_marker_that_is_not_ours_does_not_count(tiny, capsys):
    tiny.out.mkdir()
    (tiny.out / MARKER).write_text("not json")
    (tiny.out / "notes.txt").write_text("mine")
    tiny.write()
    code, err = run_access(tiny, capsys)
    assert code == 2 and "marker is unreadable" in err
    assert (tiny.out / "notes.txt").read_text() == "mine"


def test_an_empty_folder_is_used(tiny, capsys):
    tiny.out.mkdir()
    tiny.write()
    code, err = run_access(tiny, capsys)
    assert code == 0, err
    assert (tiny.out / "summary.json").is_file() and read_marker(tiny.out)["complete"]


# --------------------------------------------------------------------------
# Checked before any computation
# --------------------------------------------------------------------------


def _file_target(tiny):
    tiny.out.write_text("a file the user keeps here")


def _user_folder(tiny):
    tiny.out.mkdir()
    (tiny.out / "summary.json").write_text("{}")
    (tiny.out / "thesis.docx").write_text("precious")


def _parent_is_a_file(tiny):
    (tiny.folder / "results").write_text("a file")
    tiny.sections["output"]["dir"] = "results/out"


def _unreadable_folder(tiny, monkeypatch):
    tiny.out.mkdir()
    (tiny.out / "x.csv").write_text("1")
    real = os.listdir

    def listdir(path="."):
        if Path(path) == tiny.out:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)


def _refusing_parent(err_number):
    def arrange(tiny, monkeypatch):
        real = tempfile.mkdtemp

        def mkdtemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == tiny.folder:
                raise OSError(err_number, os.strerror(err_number), str(dir))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)

    return arrange


BAD_TARGETS = {
    "target is a file": (lambda t, m: _file_target(t), "exists and is not a folder"),
    "user folder": (lambda t, m: _user_folder(t), "not an accessplan output"),
    "parent is a file": (lambda t, m: _parent_is_a_file(t), "is a file, not a folder"),
    "unreadable folder": (_unreadable_folder, "cannot read the output folder"),
    "read-only file system": (_refusing_parent(errno.EROFS), "read-only file system"),
    "parent not writable": (_refusing_parent(errno.EACCES), "permission denied"),
    "disk full": (_refusing_parent(errno.ENOSPC), "disk full"),
}


@pytest.mark.parametrize("case", list(BAD_TARGETS))
def test_bad_output_folder_fails_before_any_computation(tiny, capsys, monkeypatch, case):
    arrange, words = BAD_TARGETS[case]
    arrange(tiny, monkeypatch)
    tiny.write()

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the pipeline ran before the output folder was checked")

    monkeypatch.setattr(pipeline, "run_access", must_not_run)
    code, err = run_access(tiny, capsys)
    assert code == 2, err
    assert err.startswith("accessplan: error: ") and err.count("\n") == 1
    target = (tiny.folder / tiny.sections["output"]["dir"]).resolve()
    assert words in err and str(target) in err and "Traceback" not in err
    assert leftovers(tiny) == []


# --------------------------------------------------------------------------
# Interrupts
# --------------------------------------------------------------------------


def _rename_hook(monkeypatch, tiny, action):
    """Make ``action()`` happen right after the first rename of the swap (target -> old)."""
    real = os.rename

    def rename(src, dst):
        real(src, dst)
        if Path(src) == tiny.out.resolve():
            action()

    monkeypatch.setattr(os, "rename", rename)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_between_the_two_renames_waits_for_the_swap(
    previous, tiny, capsys, monkeypatch, signum, code
):
    first = read_marker(tiny.out)["run_id"]
    _rename_hook(monkeypatch, tiny, lambda: signal.raise_signal(signum))
    got, err = run_access(tiny, capsys)
    assert got == code, err
    assert "after the outputs were written" in err and str(tiny.out) in err
    marker = read_marker(tiny.out)
    assert marker["run_id"] != first and marker["complete"]
    assert (tiny.out / "summary.json").is_file()
    assert leftovers(tiny) == []


def test_exception_between_the_two_renames_puts_the_previous_output_back(
    previous, tiny, monkeypatch
):
    def interrupt():
        raise KeyboardInterrupt

    _rename_hook(monkeypatch, tiny, interrupt)
    with pytest.raises(KeyboardInterrupt), atomic_output_dir(tiny.out) as tmp:
        (tmp / "summary.json").write_text("new")
    monkeypatch.undo()
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_writing_keeps_the_previous_output(
    previous, tiny, capsys, monkeypatch, signum, code
):
    real = pd.DataFrame.to_csv

    def to_csv(self, path=None, *args, **kwargs):
        if path is not None and Path(path).name == "travel_times.csv":
            signal.raise_signal(signum)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    got, err = run_access(tiny, capsys)
    assert got == code
    assert "no outputs were written" in err
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


DRIVER = """
import os, signal, sys
from pathlib import Path
from accessplan.planner.cli import main

when, target = sys.argv[1], Path(sys.argv[2])
real = os.rename

def rename(src, dst):
    real(src, dst)
    if when == "kill between renames" and Path(src) == target:
        os.kill(os.getpid(), signal.SIGKILL)

os.rename = rename
if when == "term while writing":
    import pandas as pd
    real_csv = pd.DataFrame.to_csv
    def to_csv(self, path=None, *args, **kwargs):
        if path is not None and Path(path).name == "travel_times.csv":
            os.kill(os.getpid(), signal.SIGTERM)
        return real_csv(self, path, *args, **kwargs)
    pd.DataFrame.to_csv = to_csv
sys.exit(main(sys.argv[3:]))
"""


def _drive(tiny, when: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-c", DRIVER, when, str(tiny.out), "access", str(tiny.toml), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_real_sigterm_in_a_subprocess_removes_its_temporary_folder(previous, tiny):
    done = _drive(tiny, "term while writing")
    assert done.returncode == 143, done.stderr
    assert "interrupted (SIGTERM)" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


def test_swap_cut_by_sigkill_is_finished_by_the_next_run(previous, tiny, capsys):
    done = _drive(tiny, "kill between renames")
    assert done.returncode == -signal.SIGKILL
    # the killed run left the previous output moved aside and its new one complete
    assert not tiny.out.exists()
    names = leftovers(tiny)
    assert len(names) == 2 and any(".old-" in n for n in names)
    new = next(tiny.folder / n for n in names if n.endswith(".tmp"))
    new_id = read_marker(new)["run_id"]
    assert read_marker(new)["complete"]
    # the next run, even one that fails on its input, repairs the folder first
    tiny.sections["access"]["catchment_minutes"] = -1
    code = main(["access", str(tiny.write()), "--quiet", "--out", str(tiny.out)])
    err = capsys.readouterr().err
    assert code == 2 and "catchment_minutes" in err
    assert read_marker(tiny.out)["run_id"] == new_id
    assert leftovers(tiny) == []


def test_swap_cut_before_the_new_folder_was_complete_restores_the_previous(tmp_path):
    target = tmp_path / "out"
    old = tmp_path / ".out.old-abcd1234"
    old.mkdir()
    fake_marker(old, pid=dead_pid(), complete=True, created="2024-01-01T00:00:00+00:00")
    (old / "summary.json").write_text("previous")
    new = tmp_path / ".out.abcd1234.tmp"
    new.mkdir()
    fake_marker(new, pid=dead_pid(), complete=False, created="2024-01-02T00:00:00+00:00")
    (new / "summary.json").write_text("half")
    messages = []
    assert check_output_target(target, log=messages.append) == target
    assert (target / "summary.json").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert "restored the previous output" in messages[0]


def test_only_our_dead_temporary_folders_are_removed(previous, tiny):
    created = "2024-01-01T00:00:00+00:00"
    stale = tiny.folder / ".out.dead0001.tmp"
    stale.mkdir()
    fake_marker(stale, pid=dead_pid(), complete=False, created=created)
    (stale / "areas_access.csv").write_text("half written")
    alive = tiny.folder / ".out.live0001.tmp"  # a concurrent run (pid 1 is always alive)
    alive.mkdir()
    fake_marker(alive, pid=1, complete=False, created=created)
    lookalike = tiny.folder / ".out.mine.tmp"  # not our naming pattern
    lookalike.mkdir()
    (lookalike / "x").write_text("user")
    unmarked = tiny.folder / ".out.nomark01.tmp"  # our pattern, but files and no marker
    unmarked.mkdir()
    (unmarked / "x").write_text("user")
    young_empty = tiny.folder / ".out.empty001.tmp"  # could be a run that just started
    young_empty.mkdir()
    check_output_target(tiny.out)
    assert not stale.exists()
    assert alive.is_dir() and (lookalike / "x").is_file() and (unmarked / "x").is_file()
    assert young_empty.is_dir()
    assert snapshot(tiny.out) == previous


def test_a_folder_killed_while_writing_its_marker_is_removed_once_old(previous, tiny):
    cut = tiny.folder / ".out.cut00001.tmp"
    cut.mkdir()
    (cut / MARKER).write_text("")  # SIGKILL during the marker's write (seen in a stress run)
    check_output_target(tiny.out)
    assert cut.is_dir()  # as young as a run that is starting right now: left alone
    hour_ago = cut.stat().st_mtime - 3600
    os.utime(cut, (hour_ago, hour_ago))
    check_output_target(tiny.out)
    assert not cut.exists() and snapshot(tiny.out) == previous


def test_output_folder_on_a_read_only_file_system(previous, tiny, capsys, monkeypatch):
    target, real_access, real_statvfs = tiny.out.resolve(), os.access, os.statvfs

    def access(path, mode, **kwargs):
        return False if Path(path) == target else real_access(path, mode, **kwargs)

    def statvfs(path):
        if Path(path) == target:
            return os.statvfs_result((4096,) * 8 + (os.ST_RDONLY, 255))
        return real_statvfs(path)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "statvfs", statvfs)
    code, err = run_access(tiny, capsys)
    assert code == 2 and f"{target} is on a read-only file system" in err
    assert snapshot(tiny.out) == previous


def test_a_leftover_old_folder_beside_a_finished_output_is_removed(previous, tiny):
    old = tiny.folder / ".out.old-gone0001"
    old.mkdir()
    fake_marker(old, pid=dead_pid(), complete=True, created="2024-01-01T00:00:00+00:00")
    (old / "summary.json").write_text("older")
    check_output_target(tiny.out)
    assert not old.exists() and snapshot(tiny.out) == previous


# --------------------------------------------------------------------------
# Disk full, read-only, permission denied while writing
# --------------------------------------------------------------------------


def _raise_on(monkeypatch, owner, name, filename, err_number):
    real = getattr(owner, name)

    def patched(self, path=None, *args, **kwargs):
        if path is not None and Path(str(path)).name == filename:
            raise OSError(err_number, os.strerror(err_number), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(owner, name, patched)


@pytest.mark.parametrize(
    "err_number, words",
    [
        (errno.ENOSPC, "disk full"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_write_failure_is_one_line_and_keeps_the_previous_output(
    previous, tiny, capsys, monkeypatch, err_number, words
):
    _raise_on(monkeypatch, pd.DataFrame, "to_csv", "facilities_access.csv", err_number)
    code, err = run_access(tiny, capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(tiny.out) in err and words in err and "facilities_access.csv" in err
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


def test_full_disk_reported_by_gdal_as_a_layer_error(previous, tiny, capsys, monkeypatch):
    """GDAL reports a full disk as 'no such table: gpkg_contents' (seen on a 64 KB tmpfs)."""
    import geopandas as gpd
    from pyogrio.errors import FeatureError

    def to_file(self, *args, **kwargs):
        raise FeatureError("Could not add feature to layer: no such table: gpkg_contents")

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", to_file)
    monkeypatch.setattr(os, "statvfs", lambda _path: Full)
    code, err = run_access(tiny, capsys)
    assert code == 2 and "disk full" in err and str(tiny.out) in err
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


def test_a_bug_while_writing_still_shows_its_traceback(previous, tiny, monkeypatch):
    """Only the disk and permissions become exit 2; a programming error is not hidden."""
    _raise_on(monkeypatch, pd.DataFrame, "to_csv", "areas_access.csv", errno.ENOENT)
    with pytest.raises(FileNotFoundError):
        main(["access", str(tiny.toml), "--quiet"])
    assert snapshot(tiny.out) == previous
    assert leftovers(tiny) == []


def test_folder_replaced_by_a_user_folder_during_the_run_is_not_touched(tiny, monkeypatch):
    with pytest.raises(OutputError, match="not an accessplan output"):
        with atomic_output_dir(tiny.out) as tmp:
            (tmp / "summary.json").write_text("new")
            tiny.out.mkdir()
            (tiny.out / "thesis.docx").write_text("precious")
    assert (tiny.out / "thesis.docx").read_text() == "precious"
    assert leftovers(tiny) == []


# --------------------------------------------------------------------------
# CBC's temporary files
# --------------------------------------------------------------------------


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """A private temporary folder for PuLP (it reads TMPDIR) and tempfile."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def knapsack() -> pulp.LpProblem:
    """max 5a + 4b + 3c, 2a + 3b + c <= 4, binary: a = c = 1, objective 8."""
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    a, b, c = (pulp.LpVariable(n, cat=pulp.LpBinary) for n in "abc")
    problem += 5 * a + 4 * b + 3 * c
    problem += 2 * a + 3 * b + c <= 4
    for v in (a, b, c):
        v.setInitialValue(0)
    return problem


def test_cbc_leaves_no_temporary_files(scratch):
    report = solve(knapsack(), SolverOptions(solver="cbc", warm_start=True))
    assert report.proven_optimal and report.objective == 8.0
    assert list(scratch.iterdir()) == []


def test_interrupted_cbc_leaves_no_temporary_files(scratch, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pulp.PULP_CBC_CMD, "readsol_MPS", interrupted)
    with pytest.raises(KeyboardInterrupt):
        solve(knapsack(), SolverOptions(solver="cbc", warm_start=True))
    assert list(scratch.iterdir()) == []


def test_interrupted_cbc_process_is_stopped(scratch, monkeypatch):
    """Market split (m=4, n=30): hours of branching; the interrupt must stop CBC, not wait."""
    rng = np.random.default_rng(1)
    a = rng.integers(0, 100, size=(4, 30))
    problem = pulp.LpProblem("split", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j}", cat=pulp.LpBinary) for j in range(30)]
    dev = [pulp.LpVariable(f"d{i}", lowBound=0) for i in range(8)]
    for i in range(4):
        row = pulp.lpSum(int(a[i, j]) * x[j] for j in range(30))
        problem += row - dev[2 * i] + dev[2 * i + 1] == int(a[i].sum() // 2)
    problem += pulp.lpSum(dev)
    started = []
    real_wait = subprocess.Popen.wait

    def wait(self, timeout=None):
        if not started and "cbc" in str(self.args[0]):
            started.append(self)
            raise KeyboardInterrupt
        return real_wait(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", wait)
    with pytest.raises(KeyboardInterrupt):
        solve(problem, SolverOptions(solver="cbc", time_limit_s=60))
    (cbc,) = started
    assert real_wait(cbc, timeout=10) == -signal.SIGTERM
    assert list(scratch.iterdir()) == []
