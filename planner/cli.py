"""The ``accessplan`` command.

``accessplan`` alone prints the list of commands (to stdout, exit 0, as git
and pip do). Every command takes ``-q/--quiet`` (no step messages or
progress bars), ``-v/--verbose`` (debug detail and step timings) and
``--log-file PATH`` (every message with a UTC timestamp, also under ``-q``).
Step messages go to stderr; a run's last lines on stdout are its headline
numbers (read back from the ``summary.json`` it wrote) and the path of its
report, so ``accessplan plan s.toml | tail -n 1`` is the report's path.
``--set section.key=value`` changes one scenario value for one run (see
:mod:`accessplan.planner.overrides`); it is recorded in ``scenario.json``.
``access``, ``locate``, ``size`` and ``plan`` also take ``--jobs N``,
``--cluster ADDRESS``, ``--max-memory-gb X`` and ``--no-cache``, which set
``[compute]`` keys for the run the same way (:mod:`accessplan.planner.compute`);
``demo`` and ``sweep`` take all but ``--jobs`` (theirs counts sweep workers).

Exit codes: 0 success, 2 bad input or an output folder that cannot be written
(a readable message, no traceback, no partial outputs), 130 interrupted by
SIGINT (Ctrl-C), 143 stopped by SIGTERM. Any other failure is a bug and shows
its traceback.

The output folder is checked before any computation
(:func:`accessplan.planner.output.check_output_target`); an interrupt leaves
the previous output or the new one in place, never neither.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import platform
import signal
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from accessplan.data.errors import AccessplanError
from accessplan.planner.console import Console
from accessplan.planner.headline import headline_lines, read_summary
from accessplan.planner.output import RunRecord, check_output_target, recording

__all__ = ["Terminated", "main"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so temporary outputs are removed."""


def _raise_terminated(_signum, _frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_unwinds():
    """While active, SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _version() -> str:
    try:
        return version("accessplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


#: commands that run a scenario and write an output folder
_RUN_COMMANDS = ("demo", "access", "locate", "size", "plan", "redeploy")


def _messages(p: argparse.ArgumentParser) -> None:
    """``-q``, ``-v`` and ``--log-file``: on every command."""
    group = p.add_argument_group("messages")
    level = group.add_mutually_exclusive_group()
    level.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no step messages or progress bars (results, warnings and errors still show)",
    )
    level.add_argument(
        "-v", "--verbose", action="store_true", help="debug detail and the time each step took"
    )
    group.add_argument(
        "--log-file",
        type=Path,
        metavar="PATH",
        help="append every message to PATH with a UTC timestamp (also with -q)",
    )


def _sets(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=(
            "change one scenario value for this run, e.g. --set location.budget=2e8 "
            "(a TOML value, or a bare string); repeatable; recorded in scenario.json"
        ),
    )


def _compute_options(p: argparse.ArgumentParser, *, jobs: bool = True) -> None:
    """``--jobs``, ``--cluster``, ``--max-memory-gb``, ``--no-cache``: the [compute] section.

    ``jobs=False`` for the commands whose ``--jobs`` counts sweep workers (demo, sweep).
    """
    group = p.add_argument_group(
        "computing (override [compute]; recorded in scenario.json; results do not change)"
    )
    if jobs:
        group.add_argument(
            "--jobs",
            dest="compute_jobs",
            metavar="N",
            help='worker processes for travel times: a number >= 1 or "all" (default: all cores)',
        )
    group.add_argument(
        "--cluster",
        dest="compute_cluster",
        metavar="ADDRESS",
        help='a Dask scheduler (tcp://host:8786) or "local" (a LocalCluster on this machine)',
    )
    group.add_argument(
        "--max-memory-gb",
        dest="compute_max_memory_gb",
        metavar="X",
        help="stop before computing when the run's memory estimate exceeds X GB",
    )
    group.add_argument(
        "--no-cache",
        dest="compute_no_cache",
        action="store_true",
        help="neither read nor write the network cache for this run",
    )


def _compute_sets(args: argparse.Namespace) -> list[str]:
    """The ``--set compute.KEY=VALUE`` items of the computing options (none when absent)."""
    from accessplan.planner.compute import cli_overrides

    return cli_overrides(
        jobs=getattr(args, "compute_jobs", None),
        cluster=getattr(args, "compute_cluster", None),
        max_memory_gb=getattr(args, "compute_max_memory_gb", None),
        no_cache=getattr(args, "compute_no_cache", False),
    )


def _run_options(p: argparse.ArgumentParser, *, pdf: bool = False) -> None:
    p.add_argument("--out", type=Path, help="output folder (default: the scenario's [output] dir)")
    _sets(p)
    if pdf:
        p.add_argument(
            "--pdf",
            action="store_true",
            help="also print report.pdf beside report.html (needs Chromium or Chrome)",
        )
    _messages(p)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accessplan",
        description=(
            "Plan regional health-care access: travel times, access scores, inequity, "
            "new sites under a budget, ventilator sizing, maps and a report."
        ),
        epilog=(
            "Start with 'accessplan init' (a commented scenario on the demo data) or "
            "'accessplan demo'. 'accessplan COMMAND --help' shows a command's options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"accessplan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    init = sub.add_parser(
        "init",
        help="write a commented scenario.toml (and the demo data) to start from",
        description=(
            "Write DIR/scenario.toml, a commented template with every section and key "
            "explained, and copy the synthetic demo region into DIR/data/ so the template "
            "runs as written. Existing files are kept unless --force."
        ),
    )
    init.add_argument(
        "dir", nargs="?", type=Path, default=Path("."), help="folder (default: current)"
    )
    init.add_argument("--force", action="store_true", help="replace existing files")
    _messages(init)
    validate = sub.add_parser(
        "validate",
        help="check a scenario and every input it names, computing nothing",
        description=(
            "Check the scenario file and every input (layers, network file, OD table, "
            "redeployment tables); report all problems at once. No travel times, no solve."
        ),
    )
    validate.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _sets(validate)
    _messages(validate)
    demo = sub.add_parser(
        "demo",
        help="run the bundled synthetic demo region",
        description="Run the whole plan on the bundled synthetic demo region.",
    )
    demo_kind = demo.add_mutually_exclusive_group()
    demo_kind.add_argument(
        "--redeploy",
        action="store_true",
        help="run the demo surge redeployment instead of the plan",
    )
    demo_kind.add_argument(
        "--sweep",
        action="store_true",
        help="run a budget x catchment policy sweep on the demo instead of one plan",
    )
    demo.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for --sweep (default: [sweep] jobs)",
    )
    _compute_options(demo, jobs=False)
    _run_options(demo, pdf=True)
    access = sub.add_parser(
        "access",
        help="access scores and inequity for a scenario, with a map and report",
        description=(
            "Travel times, access scores, coverage and inequity measures for a scenario TOML "
            "file, with a map, figures and a self-contained HTML report of access with the "
            "existing facilities."
        ),
    )
    access.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _compute_options(access)
    _run_options(access, pdf=True)
    locate = sub.add_parser(
        "locate",
        help="choose new sites and capacity, then access before and after",
        description=(
            "Access before, the [location] model (new sites and capacity under a budget), "
            "and access after the plan, for a scenario TOML file."
        ),
    )
    locate.add_argument(
        "scenario", type=Path, help="scenario file (TOML) with a [location] section"
    )
    _compute_options(locate)
    _run_options(locate)
    size = sub.add_parser(
        "size",
        help="ventilators per site by Erlang C from the demand each site serves",
        description=(
            "Access (and the [location] plan when the scenario has one), then Erlang C sizing "
            "of every site's ventilators to the [ventilators] target wait."
        ),
    )
    size.add_argument(
        "scenario", type=Path, help="scenario file (TOML) with a [ventilators] section"
    )
    _compute_options(size)
    _run_options(size)
    plan = sub.add_parser(
        "plan",
        help="the whole plan: access, new sites, ventilators, maps and report",
        description=(
            "Load, travel times, access before, location, access after, ventilator sizing "
            "(with [ventilators]), offline maps, figures and a self-contained HTML report."
        ),
    )
    plan.add_argument("scenario", type=Path, help="scenario file (TOML) with a [location] section")
    _compute_options(plan)
    _run_options(plan, pdf=True)
    redeploy = sub.add_parser(
        "redeploy",
        help="move mobile units (ventilators, staff) between facilities as demand surges",
        description=(
            "Multi-period redeployment of mobile units with transfer delays, unmet-demand "
            "penalties and an equity band, over a demand trace or a generated surge; with a "
            "lookahead, the rolling horizon is simulated."
        ),
    )
    redeploy.add_argument(
        "scenario", type=Path, help="scenario file (TOML) with a [redeploy] section"
    )
    _run_options(redeploy)
    sweep = sub.add_parser(
        "sweep",
        help="many plans over one set of travel times: budgets, catchments, growth, closures",
        description=(
            "Run the [location] plan at every point of the [sweep] section (budgets, catchment "
            "minutes, demand growth, closures of existing sites), with travel times computed "
            "once; write the sweep table, the efficiency frontier, how often each candidate is "
            "chosen, the robust plan and the equity-efficiency frontier when asked, and one "
            "policy report."
        ),
    )
    sweep.add_argument(
        "scenario", type=Path, help="scenario file (TOML) with [location] and [sweep] sections"
    )
    sweep.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes (default: [sweep] jobs, else 1; at most the number of cores)",
    )
    _compute_options(sweep, jobs=False)
    _run_options(sweep, pdf=True)
    compare = sub.add_parser(
        "compare",
        help="compare finished runs side by side: figures, sites, access, scenario differences",
        description=(
            "Read two or more finished 'accessplan plan' output folders and write one report: "
            "headline figures side by side, the sites in one plan and not the other, the "
            "difference in access between the first two plans on a map, and the scenario "
            "differences that explain them."
        ),
    )
    compare.add_argument(
        "out_dirs", type=Path, nargs="+", metavar="OUT_DIR", help="finished run folders (2 or more)"
    )
    compare.add_argument(
        "--out", type=Path, default=Path("accessplan-compare"), help="output folder"
    )
    _messages(compare)
    report = sub.add_parser(
        "report",
        help="show a finished run's headline; --pdf prints its report to PDF",
        description=(
            "Print the headline numbers of the run in OUT_DIR (from its summary.json) and the "
            "path of its report; an access run without report.html gets one, drawn from its "
            "own files; with --pdf, write OUT_DIR/report.pdf from report.html "
            "through headless Chromium (or ACCESSPLAN_CHROMIUM)."
        ),
    )
    report.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a run's output folder")
    report.add_argument("--pdf", action="store_true", help="write OUT_DIR/report.pdf")
    report.add_argument(
        "--timeout-s",
        type=float,
        default=180.0,
        help="give up printing after this many seconds (default 180)",
    )
    _messages(report)
    return parser


def _print_pdf(folder: Path, console: Console, *, timeout_s: float = 180.0) -> Path:
    from accessplan.maps.pdf import write_pdf

    console.info(f"printing {folder / 'report.html'} to PDF (headless Chromium)")
    pdf = write_pdf(folder / "report.html", timeout_s=timeout_s)
    console.info(f"wrote {pdf}")
    return pdf


def _run(
    command: str,
    scenario_path: Path,
    args: argparse.Namespace,
    *,
    record: RunRecord,
    console: Console,
    default_out=None,
) -> list[str]:
    from accessplan.planner import pipeline
    from accessplan.planner.scenario import load_scenario

    quiet = args.quiet
    pdf = getattr(args, "pdf", False)
    if pdf:
        from accessplan.maps.pdf import find_browser

        console.debug(f"PDF printer: {find_browser()}")  # no browser: fail before computing
    # before any computation: a folder we may not replace fails in seconds, not after the
    # solve (and what a killed run left half done there is repaired first)
    if args.out is not None:
        check_output_target(args.out, log=console)
    sets = [*args.sets, *_compute_sets(args)]  # --jobs etc. are --set compute.KEY items
    scenario = load_scenario(scenario_path, overrides=sets)
    console.debug(f"scenario {scenario.source}")
    for item in sets:
        console.debug(f"--set {item}")
    target = check_output_target(args.out or default_out or scenario.output_dir, log=console)
    record.target = target
    # scenario.json records where the outputs really went (--out, the demo's folder)
    scenario = dataclasses.replace(scenario, output_dir=target)
    console.debug(f"output folder {target}")
    if command == "sweep":
        from accessplan.planner.sweep import run_sweep, write_sweep_outputs

        run = run_sweep(scenario, jobs=getattr(args, "jobs", None), progress=not quiet, log=console)
        folder = write_sweep_outputs(run, target, log=console)
    elif command == "redeploy":
        from accessplan.planner.redeploy import run_redeploy, write_redeploy_outputs

        run = run_redeploy(scenario, log=console)
        folder = write_redeploy_outputs(run, target)
    elif command == "plan" or (command == "demo" and scenario.location is not None):
        run = pipeline.run_full_plan(scenario, progress=not quiet, log=console)
        folder = pipeline.write_full_outputs(run, target, log=console)
    elif command == "size":
        run = pipeline.run_size(scenario, progress=not quiet, log=console)
        folder = pipeline.write_size_outputs(run, target)
    elif command == "locate":
        run = pipeline.run_plan(scenario, progress=not quiet, log=console)
        folder = pipeline.write_plan_outputs(run, target)
    else:
        run = pipeline.run_access(scenario, progress=not quiet, log=console)
        folder = pipeline.write_access_outputs(run, target, log=console)
    console.info(f"wrote {folder}")
    folder = Path(folder)
    if pdf:
        if (folder / "report.html").is_file():
            from accessplan.maps.pdf import PdfError

            try:
                _print_pdf(folder, console)
            except PdfError as exc:
                raise PdfError(f"{exc}; the other outputs were written to {folder}") from exc
        else:
            console.warning(f"this run wrote no report.html to print to PDF ({folder})")
    return headline_lines(read_summary(folder), folder=folder)


def _init(args: argparse.Namespace, console: Console) -> list[str]:
    from accessplan.planner.template import write_template

    written = write_template(args.dir, force=args.force)
    for path in written:
        console.info(f"wrote {path}")
    scenario = written[0]
    return [
        f"Wrote {scenario} (a commented template on the demo data in {scenario.parent / 'data'})",
        f"Next: accessplan validate {scenario}",
        f"      accessplan plan {scenario}",
    ]


def _validate(args: argparse.Namespace, console: Console) -> list[str]:
    from accessplan.planner.validate import validate_scenario

    result = validate_scenario(args.scenario, overrides=args.sets, log=console)
    for note in result.notes:
        console.info(f"note: {note}")
    return [result.line(args.scenario)]


def _report(args: argparse.Namespace, console: Console) -> list[str]:
    from accessplan.data.errors import InputFileError

    folder = args.out_dir
    if not folder.is_dir():
        raise InputFileError(folder, "does not exist" if not folder.exists() else "is not a folder")
    summary = read_summary(folder)
    if not (folder / "report.html").is_file():
        from accessplan.planner.access_board import is_access_run, regenerate_access_report

        if summary and is_access_run(folder):
            # an access run written before 'access' drew its report: draw it from its files
            from accessplan.planner.errors import OutputError

            console.info(f"drawing the report of the access run in {folder}")
            try:
                written = regenerate_access_report(folder, log=console)
            except OSError as exc:
                raise OutputError(f"cannot write the report into {folder}: {exc}") from exc
            console.info(f"wrote {written}")
    if args.pdf:
        if not (folder / "report.html").is_file():
            raise InputFileError(
                folder / "report.html",
                "does not exist; 'accessplan plan', 'access' (or 'demo') write the report",
            )
        pdf = _print_pdf(folder.resolve(), console, timeout_s=args.timeout_s)
    elif not summary:
        raise InputFileError(folder / "summary.json", "missing or unreadable: not a finished run")
    lines = headline_lines(summary, folder=folder.resolve()) if summary else []
    if args.pdf:
        lines.append(f"PDF: {pdf}")
    return lines


def _compare(args: argparse.Namespace, record: RunRecord, console: Console) -> list[str]:
    from accessplan.planner.compare import compare_runs, write_compare_outputs

    target = check_output_target(args.out, log=console)
    record.target = target
    comparison = compare_runs(args.out_dirs)
    folder = Path(write_compare_outputs(comparison, target, log=console))
    console.info(f"wrote {folder}")
    return [f"Compared {len(args.out_dirs)} runs", f"Report: {folder / 'compare.html'}"]


def _dispatch(args: argparse.Namespace, record: RunRecord, console: Console) -> list[str]:
    """Run the parsed command; return the lines for stdout."""
    if args.command == "compare":
        return _compare(args, record, console)
    if args.command == "init":
        return _init(args, console)
    if args.command == "validate":
        return _validate(args, console)
    if args.command == "report":
        return _report(args, console)
    if args.command == "demo":
        from importlib.resources import as_file

        from accessplan.data.demo import demo_path

        if args.redeploy:
            name, command, default = "redeploy.toml", "redeploy", "accessplan-redeploy-demo"
        elif args.sweep:
            name, command, default = "sweep.toml", "sweep", "accessplan-sweep-demo"
        else:
            name, command, default = "scenario.toml", "demo", "accessplan-demo"
        with as_file(demo_path(name)) as scenario_path:
            return _run(
                command,
                scenario_path,
                args,
                record=record,
                console=console,
                default_out=Path(default),
            )
    return _run(args.command, args.scenario, args, record=record, console=console)


def _interrupted(exc: KeyboardInterrupt, record: RunRecord, console: Console) -> int:
    name, code = ("SIGTERM", 143) if isinstance(exc, Terminated) else ("SIGINT", 130)
    if record.written:
        where = ", ".join(str(p) for p in record.written)
        text = f"accessplan: interrupted ({name}) after the outputs were written to {where}"
    else:
        where = f" to {record.target}" if record.target is not None else ""
        text = (
            f"accessplan: interrupted ({name}); no outputs were written{where} "
            "(a previous output, if any, is unchanged)"
        )
    console.to_file(text)
    print(text, file=console.stream, flush=True)
    return code


def _execute(args: argparse.Namespace, argv: list[str], console: Console) -> int:
    command = args.command
    if command == "demo" and getattr(args, "redeploy", False):
        command = "demo --redeploy"
    elif command == "demo" and getattr(args, "sweep", False):
        command = "demo --sweep"
    record = RunRecord(command=command)
    console.debug(
        f"accessplan {_version()} (Python {platform.python_version()}); "
        f"command: accessplan {' '.join(argv)}"
    )
    try:
        with _sigterm_unwinds(), recording(record):
            lines = _dispatch(args, record, console)
    except AccessplanError as exc:
        console.error(str(exc))
        return 2
    except KeyboardInterrupt as exc:
        return _interrupted(exc, record, console)
    console.report_timings()
    for line in lines:
        console.to_file(line)
        print(line, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``accessplan`` command; returns the exit code.

    Without arguments, the list of commands is printed to stdout (exit 0).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help(sys.stdout)
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    try:
        console = Console(quiet=args.quiet, verbose=args.verbose, log_file=args.log_file)
    except AccessplanError as exc:
        print(f"accessplan: error: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        with console.capturing_stderr():
            return _execute(args, argv, console)
    finally:
        console.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
