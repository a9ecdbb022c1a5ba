"""Solve PuLP models with CBC or HiGHS and report honestly what was proved.

PuLP 3 sets ``LpProblem.status`` to *Optimal* when CBC or HiGHS stop on a time
limit with an incumbent; only ``sol_status`` separates a proven optimum from a
merely feasible solution. :func:`solve` reads ``sol_status``, the best bound
(from HiGHS's info, or CBC's log) and the gap, and returns a
:class:`SolveReport` whose ``proven_optimal`` is true only when the solver proved
optimality within the requested relative gap.

CBC does not keep to its own time limit on large models: its root LP, the
processing of a MIP start and the clean-up after the search do not look at the
clock (a 100,000-pair covering model given 2 s ran for 108 s on a loaded
2-core machine, a 200,000-pair one given 10 s for 386 s; the root LP alone took
30 s and 176 s). :func:`solve` therefore watches CBC: at ``time_limit_s +
grace`` (:func:`watchdog_grace_s`: max(2 s, 10 % of the limit), counted from
the start of :func:`solve`) it sends CBC SIGINT, which CBC handles like Ctrl-C
("Exiting on user event") during its search: it stops, writes its best solution
and exits, and the solution is reported as ``"feasible"``, never ``"optimal"``.
CBC 2.10 ignores SIGINT before its search starts (root LP, MIP start), so a CBC
still running one grace later is killed: the run is then ``"not_solved"``, or,
when a complete and feasible MIP start was given, ``"feasible"`` with that start
(no bound). The watchdog finds CBC through /proc (Linux); elsewhere only CBC's
own limit applies. HiGHS runs in-process and keeps to its limit on the same
models.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pulp

from accessplan.location.errors import SolverError, UnknownSolverError

__all__ = [
    "LP_METHODS",
    "SOLVERS",
    "WATCHDOG_GRACE_FRACTION",
    "WATCHDOG_MIN_GRACE_S",
    "SolveReport",
    "SolverOptions",
    "solve",
    "watchdog_grace_s",
]

SOLVERS = ("cbc", "highs")
LP_METHODS = ("ipm", "simplex")

#: CBC may run this long past ``time_limit_s`` (seconds, or this fraction of the limit if
#: more) before it is interrupted, and as long again before it is killed.
WATCHDOG_MIN_GRACE_S = 2.0
WATCHDOG_GRACE_FRACTION = 0.1


def watchdog_grace_s(time_limit_s: float) -> float:
    """Seconds CBC may overrun ``time_limit_s`` before SIGINT: max(2 s, 10 % of the limit)."""
    return max(WATCHDOG_MIN_GRACE_S, WATCHDOG_GRACE_FRACTION * float(time_limit_s))


@dataclass(frozen=True)
class SolverOptions:
    """How to solve a model.

    Parameters
    ----------
    solver : {"cbc", "highs"}, default "cbc"
        CBC is bundled with PuLP; HiGHS runs in-process through highspy.
    time_limit_s : float, optional
        Wall-clock limit in seconds, counted from the call to :func:`solve`. A
        run stopped by it is reported as not proven optimal, with its bound and
        gap. CBC, which overruns it on large models, is interrupted at the limit
        plus :func:`watchdog_grace_s` and killed one grace later
        (``SolveReport.watchdog``).
    gap_rel : float, optional
        Relative MIP gap at which the solver may stop and call the solution
        optimal (solver default when None: CBC 0, HiGHS 1e-4).
    threads : int, optional
        Threads the solver may use.
    msg : bool, default False
        Show the solver's own log.
    warm_start : bool, default False
        Hand the solver the variables' current values (``setInitialValue``)
        as a MIP start: CBC through PuLP's ``warmStart``; HiGHS through
        ``Highs.setSolution`` (PuLP 3.3.2's ``HiGHS`` class has no warm start:
        its ``warmStart`` keyword would be passed on as an unknown HiGHS option).
    lp_method : {"ipm", "simplex"}, optional
        HiGHS only: the method for the LPs (HiGHS options ``mip_lp_solver``
        for a MIP, ``solver`` for an LP); HiGHS chooses when None. On
        maximal-covering models "ipm" solved 2-3x faster end to end, and the
        root LP of a hard instance 25x faster, than simplex
        (see location/coverage.py).
    """

    solver: str = "cbc"
    time_limit_s: float | None = None
    gap_rel: float | None = None
    threads: int | None = None
    msg: bool = False
    warm_start: bool = False
    lp_method: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.lp_method is not None:
            if self.lp_method not in LP_METHODS:
                problems.append(
                    f"lp_method must be one of {list(LP_METHODS)} or None, got {self.lp_method!r}"
                )
            elif self.solver != "highs":
                problems.append("lp_method is a HiGHS option; leave it None for CBC")
        if self.solver not in SOLVERS:
            problems.append(f"unknown solver {self.solver!r}; choose one of {list(SOLVERS)}")
        if self.time_limit_s is not None and not (
            isinstance(self.time_limit_s, int | float) and self.time_limit_s > 0
        ):
            problems.append(f"time_limit_s must be a positive number, got {self.time_limit_s!r}")
        if self.gap_rel is not None and not (
            isinstance(self.gap_rel, int | float) and 0 <= self.gap_rel < 1
        ):
            problems.append(f"gap_rel must be in [0, 1), got {self.gap_rel!r}")
        if self.threads is not None and not (
            isinstance(self.threads, int)
            and not isinstance(self.threads, bool)
            and self.threads >= 1
        ):
            problems.append(f"threads must be a whole number >= 1, got {self.threads!r}")
        if problems:
            raise UnknownSolverError("; ".join(problems))


@dataclass(frozen=True)
class SolveReport:
    """What the solver did and proved.

    Attributes
    ----------
    solver : str
        ``"cbc"`` or ``"highs"``.
    status : str
        ``"optimal"`` (proven within ``gap_rel``), ``"feasible"`` (a solution,
        not proven optimal: time limit), ``"infeasible"``, ``"unbounded"`` or
        ``"not_solved"``.
    objective : float or None
        Objective of the solution returned.
    best_bound : float or None
        The solver's proven bound on the optimum (upper for maximisation,
        lower for minimisation); equals ``objective`` for a pure LP.
    gap : float or None
        ``|best_bound - objective| / max(|objective|, 1e-10)``.
    seconds : float
        Wall-clock time of the solve.
    time_limit_s, gap_rel, threads
        The options used.
    sense : str
        ``"maximize"`` or ``"minimize"``.
    watchdog : str or None
        None when the solver kept to ``time_limit_s`` (or had none);
        ``"interrupted"`` when CBC was still running ``time_limit_s`` +
        :func:`watchdog_grace_s` after the start and was stopped with SIGINT
        (its best solution kept: ``"feasible"``, or ``"not_solved"`` when it
        had none); ``"killed"`` when it then did not stop within another grace
        and was killed: ``"not_solved"``, or ``"feasible"`` holding the MIP
        start (``warm_start``) when that start is complete and feasible.
    """

    solver: str
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    sense: str
    time_limit_s: float | None = None
    gap_rel: float | None = None
    threads: int | None = None
    watchdog: str | None = None

    @property
    def proven_optimal(self) -> bool:
        """True only when the solver proved optimality (within ``gap_rel``)."""
        return self.status == "optimal"

    @property
    def time_limit_reached(self) -> bool:
        """True when the solver stopped on its time limit, before proving optimality.

        The status is then ``"feasible"`` (the best plan found, with ``gap``
        to ``best_bound``) or ``"not_solved"`` (nothing found in time). Always
        true when the watchdog stopped CBC.
        """
        if self.watchdog is not None:
            return True
        return (
            self.time_limit_s is not None
            and self.status in ("feasible", "not_solved")
            and self.seconds >= 0.95 * self.time_limit_s
        )

    @property
    def has_solution(self) -> bool:
        """True when a feasible solution was found (proven optimal or not)."""
        return self.status in ("optimal", "feasible")

    def summary(self) -> str:
        """One line: solver, status, objective, bound, gap and time."""
        parts = [f"{self.solver}: {self.status}"]
        if not self.proven_optimal and self.has_solution:
            parts[0] += " (NOT proven optimal)"
        if self.objective is not None:
            parts.append(f"objective {self.objective:,.6g}")
        if self.best_bound is not None:
            parts.append(f"best bound {self.best_bound:,.6g}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:.3%}")
        parts.append(f"{self.seconds:.2f} s")
        if self.time_limit_reached:
            parts.append(f"time limit reached ({self.time_limit_s:g} s)")
            if self.watchdog == "interrupted":
                kept = "best solution kept" if self.has_solution else "no solution found"
                parts.append(f"{self.solver} overran the limit and was interrupted ({kept})")
            elif self.watchdog == "killed":
                kept = "the MIP start is returned" if self.has_solution else "no solution"
                parts.append(
                    f"{self.solver} overran the limit, ignored the interrupt and was killed "
                    f"({kept})"
                )
        elif self.time_limit_s is not None:
            parts.append(f"time limit {self.time_limit_s:g} s")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        """Plain fields plus ``proven_optimal`` and ``time_limit_reached``, for JSON."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["proven_optimal"] = self.proven_optimal
        out["time_limit_reached"] = self.time_limit_reached
        return out


_STATUS = {
    pulp.LpSolutionOptimal: "optimal",
    pulp.LpSolutionIntegerFeasible: "feasible",
    pulp.LpSolutionInfeasible: "infeasible",
    pulp.LpSolutionUnbounded: "unbounded",
    pulp.LpSolutionNoSolutionFound: "not_solved",
}
#: absolute tolerance on bounds, rows and integrality when a MIP start is checked
_START_TOLERANCE = 1e-6
_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s*(\S+)", re.M)
_CBC_CONTINUOUS = re.compile(r"Continuous objective value is\s+(\S+)")
_CBC_OBJECTIVE = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)


def _is_mip(problem: pulp.LpProblem) -> bool:
    return any(v.cat == pulp.LpInteger for v in problem.variables())


def solve(problem: pulp.LpProblem, options: SolverOptions | None = None) -> SolveReport:
    """Solve ``problem`` in place and report status, objective, bound, gap and time.

    Parameters
    ----------
    problem : pulp.LpProblem
        The model; its variables receive the solution values.
    options : SolverOptions, optional
        Solver and limits (default: CBC, no limits).

    Returns
    -------
    SolveReport
        ``status`` comes from PuLP's ``sol_status``, never from ``status``
        alone, so a time-limited run is ``"feasible"``, not ``"optimal"``.

    Raises
    ------
    SolverError
        The solver could not be run.
    """
    options = options or SolverOptions()
    mip = _is_mip(problem)
    log_path = None
    work_dir = None
    if options.solver == "cbc":
        # CBC's model, start, solution and log files go to a private folder that is removed
        # whatever happens (PuLP leaves its .mps/.mst/.sol files behind on an exception)
        work_dir = tempfile.mkdtemp(prefix="accessplan-cbc-")
        log_path = os.path.join(work_dir, "cbc.log")
        solver = pulp.PULP_CBC_CMD(
            msg=options.msg,
            timeLimit=options.time_limit_s,
            gapRel=options.gap_rel,
            threads=options.threads,
            logPath=log_path,
            warmStart=options.warm_start,
        )
        solver.tmpDir = work_dir
    else:
        params = {}
        if options.lp_method is not None:
            params["mip_lp_solver" if mip else "solver"] = options.lp_method
        solver = _QuietHiGHS(
            warm_start=options.warm_start,
            msg=options.msg,
            timeLimit=options.time_limit_s,
            gapRel=options.gap_rel,
            threads=options.threads,
            **params,
        )
    start = time.perf_counter()
    finished = False
    watchdog = None
    if work_dir is not None and options.time_limit_s is not None:
        grace_s = watchdog_grace_s(options.time_limit_s)
        watchdog = _CbcWatchdog(
            work_dir,
            interrupt_at=start + float(options.time_limit_s) + grace_s,
            kill_after_s=max(WATCHDOG_MIN_GRACE_S, grace_s),
        )
    killed = False
    try:
        problem.solve(solver)
        finished = True
    except pulp.PulpSolverError as exc:
        if watchdog is None or not watchdog.stop_sent:
            raise SolverError(f"{options.solver} failed: {exc}") from exc
        # stopped by the watchdog before it could write a solution (killed, or interrupted
        # before CBC had set up its Ctrl-C handler): nothing to read
        finished = killed = True
    finally:
        if watchdog is not None:
            watchdog.stop()
        seconds = time.perf_counter() - start
        log_text = ""
        if log_path is not None and Path(log_path).exists():
            log_text = Path(log_path).read_text(errors="replace")
        if work_dir is not None:
            if not finished:
                _stop_children_using(work_dir)
            shutil.rmtree(work_dir, ignore_errors=True)
    stopped = None if watchdog is None else watchdog.outcome()
    status = "not_solved" if killed else _STATUS.get(problem.sol_status, "not_solved")
    # killed before CBC wrote anything, PuLP left the variables at the values set for the start
    start_kept = killed and options.warm_start and problem.valid(_START_TOLERANCE)
    if start_kept:
        status = "feasible"
    if (
        status == "not_solved"
        and options.solver == "cbc"
        and problem.status == pulp.LpStatusInfeasible
    ):
        # CBC's "Integer infeasible" (search finished, no integer point): PuLP sets the
        # status to infeasible but leaves sol_status at "no solution found"
        status = "infeasible"
    objective = pulp.value(problem.objective) if status in ("optimal", "feasible") else None
    if objective is not None:
        objective = float(objective) + 0.0
    maximize = problem.sense == pulp.LpMaximize
    bound = None
    if objective is not None:
        if not mip:
            bound = objective
        elif options.solver == "highs":
            info = problem.solverModel.getInfo()
            raw = float(info.mip_dual_bound)
            # PuLP hands HiGHS the negated objective for a maximisation.
            raw = -raw if maximize else raw
            if math.isfinite(raw):
                bound = raw + float(problem.objective.constant or 0.0)
        else:
            bound = _cbc_bound(log_text)
            if bound is not None:
                # CBC's bound, like HiGHS's, leaves out the objective's constant term.
                bound += float(problem.objective.constant or 0.0)
            elif (
                status == "optimal"
                and "Optimal solution found" in _cbc_result(log_text)
                and not _cbc_root_unsolved(log_text)
            ):
                bound = objective
    gap = None
    if objective is not None and bound is not None:
        gap = abs(bound - objective) / max(abs(objective), 1e-10)
    if (
        status == "optimal"
        and mip
        and options.solver == "cbc"
        and ("Stopped" in _cbc_result(log_text) or _cbc_root_unsolved(log_text))
    ):
        status = "feasible"
    if stopped is not None and not start_kept:
        # an interrupted run proved nothing: its solution (if any) is merely feasible, and a
        # bound is trusted only when CBC got past its root LP (the log's bound line then
        # comes from the search)
        if status == "optimal":
            status = "feasible"
        if status in ("infeasible", "unbounded"):
            status = "not_solved"
        if not mip:
            # a simplex stopped part way holds no proven LP optimum, nor a trusted point
            status, objective = "not_solved", None
    if stopped is not None and (
        start_kept or objective is None or "Continuous objective value" not in log_text
    ):
        bound = gap = None
    return SolveReport(
        solver=options.solver,
        status=status,
        objective=objective,
        best_bound=bound,
        gap=gap,
        seconds=seconds,
        sense="maximize" if maximize else "minimize",
        time_limit_s=options.time_limit_s,
        gap_rel=options.gap_rel,
        threads=options.threads,
        watchdog=stopped,
    )


def _children_using(folder: str) -> list[int]:
    """Process ids of our own live child processes whose command line names ``folder``.

    Linux only (reads /proc); elsewhere the list is empty. Zombies (exited,
    not yet reaped by PuLP's ``wait``) are left out.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    needle = folder.encode()
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X") or int(fields[1]) != os.getpid():
                continue
            if needle in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _stop_children_using(folder: str) -> None:
    """Stop our own child processes whose command line names ``folder`` (an interrupted CBC).

    When the solve is interrupted (SIGTERM, an exception), PuLP does not stop
    the CBC process it started; it would go on running until its time limit.
    Linux only (reads /proc); elsewhere nothing is done.
    """
    _signal_all(_children_using(folder), signal.SIGTERM)


class _CbcWatchdog:
    """Stop a CBC that runs past its time limit: SIGINT, then SIGKILL.

    A daemon thread sleeps until ``interrupt_at`` (on the ``time.perf_counter``
    clock), then sends SIGINT to the CBC processes started in ``folder``; in
    its search CBC handles it like Ctrl-C: it stops, writes its best solution
    and exits normally, and PuLP reads the solution. SIGINT is sent again every
    :attr:`RESEND_S` (CBC drops one that arrives before its search starts). If
    CBC has not started yet (PuLP still writing the model), the thread waits
    for it. CBC processes still alive ``kill_after_s`` after the first SIGINT
    are killed.
    """

    #: seconds between looks at /proc while waiting for CBC to start or to exit
    POLL_S = 0.1
    #: seconds between SIGINTs
    RESEND_S = 0.5

    def __init__(self, folder: str, *, interrupt_at: float, kill_after_s: float) -> None:
        self.folder = folder
        self.interrupt_at = interrupt_at
        self.kill_after_s = kill_after_s
        self.interrupted = False
        self.killed = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accessplan-cbc-watchdog")
        self._thread.daemon = True
        self._thread.start()

    @property
    def stop_sent(self) -> bool:
        """True once CBC was sent SIGINT (and maybe killed)."""
        return self.interrupted or self.killed

    def outcome(self) -> str | None:
        """``"killed"``, ``"interrupted"`` or None (CBC kept to its limit)."""
        if self.killed:
            return "killed"
        return "interrupted" if self.interrupted else None

    def stop(self) -> None:
        """The solve is over: end the thread (it sends nothing more)."""
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        if self._done.wait(max(0.0, self.interrupt_at - time.perf_counter())):
            return
        pids = _children_using(self.folder)
        while not pids:
            if self._done.wait(self.POLL_S):
                return
            pids = _children_using(self.folder)
        self.interrupted = True
        kill_at = time.perf_counter() + self.kill_after_s
        next_sigint = 0.0
        while True:
            alive = [pid for pid in pids if pid in _children_using(self.folder)]
            if not alive:
                return
            now = time.perf_counter()
            if now >= kill_at:
                _signal_all(alive, signal.SIGKILL)
                self.killed = True
                return
            if now >= next_sigint:
                _signal_all(alive, signal.SIGINT)
                next_sigint = now + self.RESEND_S
            if self._done.wait(min(self.POLL_S, kill_at - now)):
                return


@contextlib.contextmanager
def quiet_native_stdout(quiet: bool = True):
    """Send what native code writes to file descriptor 1 to /dev/null while active.

    highspy prints a banner on stdout when a ``Highs`` object is created, before
    any option can silence it; this keeps ``msg=False`` runs quiet.
    """
    if not quiet:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(*, msg: bool = False):
    """A ``highspy.Highs`` object, created without its banner unless ``msg``."""
    import highspy

    with quiet_native_stdout(not msg):
        highs = highspy.Highs()
    if not msg:
        highs.setOptionValue("output_flag", False)
    return highs


class _QuietHiGHS(pulp.HiGHS):
    """pulp.HiGHS without the creation banner, optionally handing HiGHS a MIP start.

    The variables' initial values go to HiGHS as a (partial) MIP start when
    ``warm_start`` is true (PuLP 3.3.2's HiGHS class has no warm start).
    """

    def __init__(self, *, warm_start: bool = False, **options) -> None:
        super().__init__(**options)
        self.warm_start = warm_start

    def createAndConfigureSolver(self, lp):
        with quiet_native_stdout(not self.msg):
            super().createAndConfigureSolver(lp)

    def callSolver(self, lp):
        if not self.warm_start:
            super().callSolver(lp)
            return
        start = [(v.index, v.varValue) for v in lp.variables() if v.varValue is not None]
        if start:
            index, value = zip(*start, strict=True)
            lp.solverModel.setSolution(
                len(index), np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float)
            )
        super().callSolver(lp)


def _cbc_result(log_text: str) -> str:
    match = _CBC_RESULT.search(log_text)
    return match.group(1) if match else ""


def _cbc_root_unsolved(log_text: str) -> bool:
    """CBC ran out of time in the root LP yet printed "Optimal solution found".

    Seen with a MIP start and a short time limit: CBC logs "The LP relaxation is
    infeasible or too expensive", keeps the start, and calls it optimal. With a
    solution in hand the relaxation cannot be infeasible, so nothing was proved.
    CBC prints the same line for the sub-MIPs of its heuristics (after "Full
    problem ... reduced to ..."); the main search then ends with "Search
    completed", which the root-timeout case never prints.
    """
    if (
        "LP relaxation is infeasible or too expensive" not in log_text
        or "Search completed" in log_text
    ):
        return False
    # A MIP start that is already optimal: CBC solved the root LP, found its value equal to
    # the start's, and skipped the search. Both numbers are in CBC's own objective space.
    relaxed = _CBC_CONTINUOUS.search(log_text)
    final = _CBC_OBJECTIVE.search(log_text)
    if relaxed and final:
        try:
            lp_value, mip_value = float(relaxed.group(1)), float(final.group(1))
        except ValueError:
            return True
        # CBC prints the root value with 6 significant digits
        return abs(lp_value - mip_value) > 1e-5 * max(1.0, abs(mip_value))
    return True


def _cbc_bound(log_text: str) -> float | None:
    """The bound CBC prints when it stopped early (none when it proved optimality)."""
    match = _CBC_BOUND.search(log_text)
    if match is None:
        return None
    try:
        return float(match.group(1))
    except ValueError:
        return None
