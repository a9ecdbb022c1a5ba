"""The ``accessplan`` command.

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
import signal
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from accessplan.data.errors import AccessplanError
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accessplan",
        description=(
            "Plan regional health-care access: travel times, access scores, inequity, "
            "new sites under a budget, ventilator sizing."
        ),
    )
    parser.add_argument("--version", action="version", version=f"accessplan {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--out", type=Path, help="output folder (default: the scenario's [output] dir)"
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress or step messages")

    demo = sub.add_parser(
        "demo",
        help="run the bundled synthetic demo region",
        description="Run access and inequity on the bundled synthetic demo region.",
    )
    common(demo)
    demo.add_argument(
        "--redeploy",
        action="store_true",
        help="run the demo surge redeployment instead of the plan",
    )
    access = sub.add_parser(
        "access",
        help="access scores and inequity for a scenario",
        description="Travel times, access scores and inequity measures for a scenario TOML file.",
    )
    access.add_argument("scenario", type=Path, help="scenario file (TOML)")
    common(access)
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
    common(locate)
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
    common(size)
    plan = sub.add_parser(
        "plan",
        help="the whole plan: access, new sites, ventilators, maps and report",
        description=(
            "Load, travel times, access before, location, access after, ventilator sizing "
            "(with [ventilators]), offline maps, figures and a self-contained HTML report."
        ),
    )
    plan.add_argument("scenario", type=Path, help="scenario file (TOML) with a [location] section")
    common(plan)
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
    common(redeploy)
    return parser


def _log(quiet: bool):
    if quiet:
        return lambda _msg: None
    return lambda msg: print(f"accessplan: {msg}", file=sys.stderr, flush=True)


def _run(
    command: str,
    scenario_path: Path,
    out: Path | None,
    quiet: bool,
    *,
    record: RunRecord,
    default_out=None,
) -> Path:
    from accessplan.planner import pipeline
    from accessplan.planner.scenario import load_scenario

    log = _log(quiet)
    # before any computation: a folder we may not replace fails in seconds, not after the
    # solve (and what a killed run left half done there is repaired first)
    if out is not None:
        check_output_target(out, log=log)
    scenario = load_scenario(scenario_path)
    target = check_output_target(out or default_out or scenario.output_dir, log=log)
    record.target = target
    if command == "redeploy":
        from accessplan.planner.redeploy import run_redeploy, write_redeploy_outputs

        run = run_redeploy(scenario, log=log)
        folder = write_redeploy_outputs(run, target)
    elif command == "plan" or (command == "demo" and scenario.location is not None):
        run = pipeline.run_full_plan(scenario, progress=not quiet, log=log)
        folder = pipeline.write_full_outputs(run, target, log=log)
    elif command == "size":
        run = pipeline.run_size(scenario, progress=not quiet, log=log)
        folder = pipeline.write_size_outputs(run, target)
    elif command == "locate":
        run = pipeline.run_plan(scenario, progress=not quiet, log=log)
        folder = pipeline.write_plan_outputs(run, target)
    else:
        run = pipeline.run_access(scenario, progress=not quiet, log=log)
        folder = pipeline.write_access_outputs(run, target)
    log(f"wrote {folder}")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``accessplan`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    redeploy_demo = args.command == "demo" and args.redeploy
    record = RunRecord(command="demo --redeploy" if redeploy_demo else args.command)
    try:
        with _sigterm_unwinds(), recording(record):
            _dispatch(args, record)
    except AccessplanError as exc:
        print(f"accessplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        name, code = ("SIGTERM", 143) if isinstance(exc, Terminated) else ("SIGINT", 130)
        if record.written:
            where = ", ".join(str(p) for p in record.written)
            print(
                f"accessplan: interrupted ({name}) after the outputs were written to {where}",
                file=sys.stderr,
            )
        else:
            where = f" to {record.target}" if record.target is not None else ""
            print(
                f"accessplan: interrupted ({name}); no outputs were written{where} "
                "(a previous output, if any, is unchanged)",
                file=sys.stderr,
            )
        return code
    return 0


def _dispatch(args: argparse.Namespace, record: RunRecord) -> None:
    """Run the parsed command."""
    if args.command == "demo":
        from importlib.resources import as_file

        from accessplan.data.demo import demo_path

        if args.redeploy:
            name, command, default = "redeploy.toml", "redeploy", "accessplan-redeploy-demo"
        else:
            name, command, default = "scenario.toml", "demo", "accessplan-demo"
        with as_file(demo_path(name)) as scenario_path:
            _run(
                command,
                scenario_path,
                args.out,
                args.quiet,
                record=record,
                default_out=Path(default),
            )
    else:
        _run(args.command, args.scenario, args.out, args.quiet, record=record)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
