"""Catalogue of output faults (issue 9, items 6 and 11) across the five commands.

Each case sets up the tiny scenario for one command (``access``, ``locate``,
``size``, ``plan``, ``redeploy``), puts the output folder in one bad state or
makes one write step fail (a full disk, a read-only file system, a denied
permission, SIGINT or SIGTERM at a given step), runs the real command line
and asserts: the exit code, one message naming the output folder, no
traceback, and that the user's data or the previous output is byte-identical
(or, when the fault allows the run to finish, that the new output is in place),
with no temporary or old folder left beside it.

The tests run as root, where permissions stop nothing, so the kernel's
refusals are simulated by making the call raise the ``OSError`` it would give.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from accessplan.planner import pipeline
from accessplan.planner import redeploy as redeploy_module
from accessplan.planner.cli import main
from accessplan.planner.output import MARKER, atomic_output_dir, read_marker

COMMANDS = ("access", "locate", "size", "plan", "redeploy")
#: the first table each command writes, and the pipeline step that computes it
FIRST_CSV = {
    "access": "areas_access.csv",
    "locate": "areas_plan.csv",
    "size": "ventilators.csv",
    "plan": "new_sites.csv",
    "redeploy": "unmet.csv",
}
RUN_STEP = {
    "access": (pipeline, "run_access"),
    "locate": (pipeline, "run_plan"),
    "size": (pipeline, "run_size"),
    "plan": (pipeline, "run_full_plan"),
    "redeploy": (redeploy_module, "run_redeploy"),
}


def prepare(tiny, command: str) -> None:
    """Give the tiny scenario what ``command`` needs (as in test_locate/size/redeploy)."""
    if command in ("locate", "plan"):
        tiny.save_candidates()
        tiny.sections["location"] = {"objective": "coverage", "budget": 260.0}
    if command == "size":
        tiny.sections["ventilators"] = {
            "patients_per_100k_day": 2000.0,
            "mean_stay_days": 2.0,
            "target_wait_hours": 3.0,
        }
    if command == "redeploy":
        pd.DataFrame(
            {
                "facility": ["H1", "H2"] * 2,
                "resource": ["ventilators"] * 4,
                "period": [0, 0, 1, 1],
                "demand": [1, 1, 1, 4],
            }
        ).to_csv(tiny.folder / "trace.csv", index=False)
        tiny.sections["redeploy"] = {"demand_trace": "trace.csv", "mobile_share": 1.0}
    tiny.write()


@dataclass
class Ctx:
    """What an arrangement may touch."""

    tiny: object
    command: str
    monkeypatch: pytest.MonkeyPatch

    @property
    def target(self) -> Path:
        return self.tiny.out.resolve()


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def previous_output(ctx: Ctx) -> None:
    """A finished accessplan output of an earlier run (written the way every run writes)."""
    with atomic_output_dir(ctx.tiny.out, command=ctx.command) as tmp:
        (tmp / "summary.json").write_text('{"previous": true}\n')
        (tmp / FIRST_CSV[ctx.command]).write_text("site_id,value\nH1,1\n")


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def marker_for(folder: Path, *, complete: bool) -> str:
    run_id = f"00000000-0000-4000-8000-{dead_pid():012d}"
    (folder / MARKER).write_text(
        json.dumps(
            {
                "tool": "accessplan",
                "version": "0.1.0",
                "run_id": run_id,
                "command": "access",
                "created_utc": "2024-01-01T00:00:00+00:00",
                "finished_utc": None,
                "complete": complete,
                "pid": dead_pid(),
                "host": os.uname().nodename,
            }
        )
    )
    return run_id


# --------------------------------------------------------------------------
# Arrangements
# --------------------------------------------------------------------------


def target_is_a_file(ctx):
    ctx.tiny.out.write_text("a file of the user's, not a folder")


def user_folder_with_summary(ctx):
    ctx.tiny.out.mkdir()
    (ctx.tiny.out / "summary.json").write_text('{"my": "summary"}')
    (ctx.tiny.out / "thesis.docx").write_bytes(b"PK\x03\x04 three years of work")


def user_folder_with_other_files(ctx):
    (ctx.tiny.out / "data").mkdir(parents=True)
    (ctx.tiny.out / "data" / "survey.csv").write_text("id,answer\n1,yes\n")
    (ctx.tiny.out / "notes.md").write_text("# notes")


def output_of_an_accessplan_without_marker(ctx):
    ctx.tiny.out.mkdir()
    for name in ("summary.json", "scenario.json", FIRST_CSV[ctx.command]):
        (ctx.tiny.out / name).write_text("written by an earlier version\n")


def parent_is_a_file(ctx):
    (ctx.tiny.folder / "results").write_text("a file")
    ctx.tiny.sections["output"]["dir"] = "results/out"
    ctx.tiny.write()


def unreadable_folder(ctx):
    previous_output(ctx)
    target, real = ctx.target, os.listdir

    def listdir(path="."):
        if Path(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    ctx.monkeypatch.setattr(os, "listdir", listdir)


def read_only_output_folder(ctx):
    previous_output(ctx)
    target, real = ctx.target, os.access

    def access(path, mode, **kwargs):
        if Path(path) == target and mode & os.W_OK:
            return False
        return real(path, mode, **kwargs)

    ctx.monkeypatch.setattr(os, "access", access)


def refuse_new_folders(err_number, *, after_computing=False):
    """Creating a folder beside the output fails with ``err_number`` (from the start,
    or only once the computation ran: the disk filled up or was remounted read-only)."""

    def arrange(ctx):
        previous_output(ctx)
        parent, real = ctx.target.parent, tempfile.mkdtemp
        state = {"on": not after_computing}

        def mkdtemp(*args, dir=None, **kwargs):
            if state["on"] and dir is not None and Path(dir) == parent:
                raise OSError(err_number, os.strerror(err_number), str(dir))
            return real(*args, dir=dir, **kwargs)

        ctx.monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
        if after_computing:
            owner, name = RUN_STEP[ctx.command]
            step = getattr(owner, name)

            def run_then_fail(*args, **kwargs):
                result = step(*args, **kwargs)
                state["on"] = True
                return result

            ctx.monkeypatch.setattr(owner, name, run_then_fail)

    return arrange


def fail_writing(owner, method: str, filename: str | None, err_number: int):
    """``owner.method`` raises ``err_number`` when it writes ``filename`` (None: the first CSV)."""

    def arrange(ctx):
        previous_output(ctx)
        name = filename or FIRST_CSV[ctx.command]
        real = getattr(owner, method)

        def patched(self, path=None, *args, **kwargs):
            if path is not None and Path(str(path)).name == name:
                raise OSError(err_number, os.strerror(err_number), str(path))
            return real(self, path, *args, **kwargs)

        ctx.monkeypatch.setattr(owner, method, patched)

    return arrange


def fail_writing_text(filename: str, err_number: int):
    """``Path.write_text`` (how JSON outputs are written) fails for ``filename``."""

    def arrange(ctx):
        previous_output(ctx)
        real = Path.write_text

        def write_text(self, *args, **kwargs):
            if self.name == filename:
                raise OSError(err_number, os.strerror(err_number), str(self))
            return real(self, *args, **kwargs)

        ctx.monkeypatch.setattr(Path, "write_text", write_text)

    return arrange


def fail_creating(filename: str, err_number: int):
    """Creating the temporary file of ``filename`` (figures, maps, report) fails."""

    def arrange(ctx):
        previous_output(ctx)
        real = tempfile.mkstemp

        def mkstemp(*args, prefix=None, **kwargs):
            if prefix is not None and prefix.startswith(f".{filename}."):
                raise OSError(err_number, os.strerror(err_number), filename)
            return real(*args, prefix=prefix, **kwargs)

        ctx.monkeypatch.setattr(tempfile, "mkstemp", mkstemp)

    return arrange


def gdal_disk_full(ctx):
    """GDAL reports a full disk as an odd layer error ("no such table: gpkg_contents")."""
    from pyogrio.errors import FeatureError

    previous_output(ctx)

    def to_file(self, *args, **kwargs):
        raise FeatureError("Could not add feature to layer: no such table: gpkg_contents")

    class Full:
        f_bavail, f_frsize = 0, 4096

    ctx.monkeypatch.setattr(gpd.GeoDataFrame, "to_file", to_file)
    ctx.monkeypatch.setattr(os, "statvfs", lambda _path: Full)


def fsync_disk_full(ctx):
    """The disk fills up while the outputs are flushed (fsync reports ENOSPC)."""
    previous_output(ctx)
    real, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) > 1:  # the run's marker (first) is flushed; the outputs are not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    ctx.monkeypatch.setattr(os, "fsync", fsync)


def swap_refused(ctx):
    """Moving the finished folder into place is refused (permissions changed meanwhile)."""
    previous_output(ctx)
    target, real = ctx.target, os.rename

    def rename(src, dst):
        if Path(dst) == target and str(src).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", str(src))
        return real(src, dst)

    ctx.monkeypatch.setattr(os, "rename", rename)


def signal_while_writing(signum):
    def arrange(ctx):
        previous_output(ctx)
        name, real = FIRST_CSV[ctx.command], pd.DataFrame.to_csv

        def to_csv(self, path=None, *args, **kwargs):
            if path is not None and Path(str(path)).name == name:
                signal.raise_signal(signum)
            return real(self, path, *args, **kwargs)

        ctx.monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)

    return arrange


def signal_while_computing(signum):
    def arrange(ctx):
        previous_output(ctx)
        owner, name = RUN_STEP[ctx.command]
        step = getattr(owner, name)

        def interrupted(*args, **kwargs):
            signal.raise_signal(signum)
            return step(*args, **kwargs)

        ctx.monkeypatch.setattr(owner, name, interrupted)

    return arrange


def signal_between_renames(signum):
    def arrange(ctx):
        previous_output(ctx)
        target, real = ctx.target, os.rename

        def rename(src, dst):
            real(src, dst)
            if Path(src) == target:
                signal.raise_signal(signum)

        ctx.monkeypatch.setattr(os, "rename", rename)

    return arrange


def stale_tmp_of_a_killed_run(ctx):
    previous_output(ctx)
    stale = ctx.tiny.folder / ".out.killed01.tmp"
    stale.mkdir()
    marker_for(stale, complete=False)
    (stale / FIRST_CSV[ctx.command]).write_text("half written")


def stale_old_beside_the_output(ctx):
    previous_output(ctx)
    old = ctx.tiny.folder / ".out.old-killed01"
    old.mkdir()
    marker_for(old, complete=True)
    (old / "summary.json").write_text("older")


def killed_between_renames(*, complete: bool, then_bad_input: bool):
    """The state a SIGKILL between the renames leaves: NAME missing, its previous
    content in .NAME.old-TOKEN, the new one in .NAME.TOKEN.tmp."""

    def arrange(ctx):
        previous_output(ctx)
        os.rename(ctx.tiny.out, ctx.tiny.folder / ".out.old-cut00001")
        new = ctx.tiny.folder / ".out.cut00001.tmp"
        new.mkdir()
        marker_for(new, complete=complete)
        (new / "summary.json").write_text('{"new": true}\n')
        if then_bad_input:
            ctx.tiny.sections["access"]["catchment_minutes"] = -1
            ctx.tiny.write()

    return arrange


# --------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One fault: how to arrange it, the exit code, words of the message, what must remain."""

    arrange: Callable[[Ctx], None]
    code: int
    words: tuple[str, ...]
    keeps: str  # "before": everything as it was; "new": the new output is in place


def _cases() -> dict[str, tuple[str, Case]]:
    refused = ("not an accessplan output", MARKER)
    cases: dict[str, tuple[str, Case]] = {}

    def add(command, label, case):
        cases[f"{command}: {label}"] = (command, case)

    for command in COMMANDS:
        add(command, "target is a file", Case(target_is_a_file, 2, ("not a folder",), "before"))
        add(
            command,
            "user folder with summary.json and a thesis",
            Case(user_folder_with_summary, 2, (*refused, "summary.json"), "before"),
        )
        add(
            command,
            "disk full writing the first table",
            Case(
                fail_writing(pd.DataFrame, "to_csv", None, errno.ENOSPC),
                2,
                ("disk full", FIRST_CSV[command]),
                "before",
            ),
        )
    for command in ("access", "plan"):
        add(
            command,
            "user folder with other files",
            Case(user_folder_with_other_files, 2, refused, "before"),
        )
    for command in ("locate", "redeploy"):
        add(
            command,
            "output of an accessplan without marker",
            Case(
                output_of_an_accessplan_without_marker,
                2,
                ("earlier accessplan version", "--out"),
                "before",
            ),
        )
    add(
        "size",
        "parent is a file",
        Case(parent_is_a_file, 2, ("is a file, not a folder",), "before"),
    )
    for command in ("access", "redeploy"):
        add(
            command,
            "unreadable output folder",
            Case(unreadable_folder, 2, ("cannot read", "permission denied"), "before"),
        )
    add(
        "locate",
        "read-only output folder",
        Case(read_only_output_folder, 2, ("read-only",), "before"),
    )
    for command, number, words in (
        ("locate", errno.EROFS, "read-only file system"),
        ("plan", errno.EROFS, "read-only file system"),
        ("size", errno.EACCES, "permission denied"),
        ("redeploy", errno.ENOSPC, "disk full"),
    ):
        add(
            command,
            f"{errno.errorcode[number]} beside the output before computing",
            Case(refuse_new_folders(number), 2, (words,), "before"),
        )
    for command, number, words in (
        ("access", errno.EROFS, "read-only file system"),
        ("locate", errno.ENOSPC, "disk full"),
    ):
        add(
            command,
            f"{errno.errorcode[number]} once the computation ran",
            Case(refuse_new_folders(number, after_computing=True), 2, (words,), "before"),
        )
    for command in ("access", "size", "redeploy"):
        add(
            command,
            "disk full writing summary.json",
            Case(
                fail_writing_text("summary.json", errno.ENOSPC),
                2,
                ("disk full", "summary.json"),
                "before",
            ),
        )
    add(
        "plan",
        "disk full writing a figure",
        Case(fail_creating("lorenz.png", errno.ENOSPC), 2, ("disk full", "lorenz.png"), "before"),
    )
    add(
        "redeploy",
        "read-only file system writing its chart",
        Case(
            fail_creating("unmet.png", errno.EROFS),
            2,
            ("read-only file system", "unmet.png"),
            "before",
        ),
    )
    add("locate", "disk full reported by GDAL", Case(gdal_disk_full, 2, ("disk full",), "before"))
    add("size", "disk full at fsync", Case(fsync_disk_full, 2, ("disk full",), "before"))
    for command in ("access", "redeploy"):
        add(command, "swap refused", Case(swap_refused, 2, ("permission denied",), "before"))
    add(
        "access",
        "SIGINT while computing",
        Case(
            signal_while_computing(signal.SIGINT),
            130,
            ("interrupted (SIGINT)", "no outputs were written"),
            "before",
        ),
    )
    add(
        "redeploy",
        "SIGTERM while computing",
        Case(
            signal_while_computing(signal.SIGTERM),
            143,
            ("interrupted (SIGTERM)", "no outputs were written"),
            "before",
        ),
    )
    add(
        "locate",
        "SIGINT while writing",
        Case(
            signal_while_writing(signal.SIGINT),
            130,
            ("interrupted (SIGINT)", "no outputs were written"),
            "before",
        ),
    )
    add(
        "size",
        "SIGTERM while writing",
        Case(
            signal_while_writing(signal.SIGTERM),
            143,
            ("interrupted (SIGTERM)", "no outputs were written"),
            "before",
        ),
    )
    add(
        "size",
        "SIGINT between the renames",
        Case(
            signal_between_renames(signal.SIGINT), 130, ("after the outputs were written",), "new"
        ),
    )
    add(
        "plan",
        "SIGTERM between the renames",
        Case(
            signal_between_renames(signal.SIGTERM), 143, ("after the outputs were written",), "new"
        ),
    )
    add(
        "access",
        "stale temporary folder of a killed run",
        Case(stale_tmp_of_a_killed_run, 0, (), "new"),
    )
    add(
        "locate",
        "stale old folder beside the output",
        Case(stale_old_beside_the_output, 0, (), "new"),
    )
    add(
        "access",
        "killed between the renames, then a good run",
        Case(killed_between_renames(complete=True, then_bad_input=False), 0, (), "new"),
    )
    add(
        "access",
        "killed between the renames (new folder complete), then a bad input",
        Case(
            killed_between_renames(complete=True, then_bad_input=True),
            2,
            ("catchment_minutes",),
            "cut-new",
        ),
    )
    add(
        "access",
        "killed between the renames (new folder incomplete), then a bad input",
        Case(
            killed_between_renames(complete=False, then_bad_input=True),
            2,
            ("catchment_minutes",),
            "before",
        ),
    )
    return cases


CASES = _cases()


def test_the_catalogue_is_large_and_covers_every_command():
    assert len(CASES) >= 40
    assert {command for command, _ in CASES.values()} == set(COMMANDS)


@pytest.mark.parametrize("name", list(CASES))
def test_output_fault(tiny, capsys, monkeypatch, name):
    command, case = CASES[name]
    prepare(tiny, command)
    ctx = Ctx(tiny=tiny, command=command, monkeypatch=monkeypatch)
    # what must survive: the previous output, or the user's data, as they are now
    case.arrange(ctx)
    target = (tiny.folder / tiny.sections["output"]["dir"]).resolve()
    cut_old = tiny.folder / ".out.old-cut00001"
    before = snapshot(cut_old) if cut_old.exists() else snapshot(target)
    before_file = target.read_bytes() if target.is_file() else None
    ran_before = read_marker(target)["run_id"] if read_marker(target) else None

    code = main([command, str(tiny.toml), "--quiet", "--out", str(target)])
    monkeypatch.undo()
    err = capsys.readouterr().err

    assert code == case.code, err
    assert "Traceback" not in err
    for words in case.words:
        assert words in err, err
    if code == 2:
        assert err.startswith("accessplan: error: "), err
        if "catchment_minutes" not in case.words:  # an output fault: one line naming the folder
            assert err.count("\n") == 1 and str(target) in err, err
    if code in (130, 143):
        assert str(target) in err, err
    if before_file is not None:
        assert target.read_bytes() == before_file
    elif case.keeps == "before":
        assert snapshot(target) == before
    elif case.keeps == "cut-new":
        # the interrupted run's complete new output was moved into place
        assert json.loads((target / "summary.json").read_text()) == {"new": True}
    else:
        marker = read_marker(target)
        assert marker is not None and marker["complete"] and marker["command"] == command
        assert marker["run_id"] != ran_before
        assert json.loads((target / "summary.json").read_text()).get("previous") is None
    if target.parent.is_dir():
        beside = sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".out."))
        assert beside == []
