"""A catalogue of bad inputs for ``accessplan size`` and ``accessplan redeploy`` (issue 9, item 11).

Every case starts from a valid tiny scenario whose output folder already holds a
valid run, breaks one thing, and reruns the command. Each must exit with code 2,
print one ``accessplan: error`` naming the place (file, column and row, or the
scenario key, or the facility and periods), print no traceback, and leave the
previous output exactly as it was.

The valid output of each command is made once per module (a real run) and copied
into each case's folder, so the catalogue stays fast.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from accessplan.planner.cli import main

TRACE = (
    "facility,resource,period,demand\n"
    "H1,ventilators,0,1\nH2,ventilators,0,1\n"
    "H1,ventilators,1,1\nH2,ventilators,1,4\n"
    "H1,ventilators,2,1\nH2,ventilators,2,4\n"
)
STOCK = "facility,resource,fixed_units,mobile_units\nH1,ventilators,0,5\nH2,ventilators,0,2\n"
TRANSFERS = "from_facility,to_facility,delay_periods,cost_per_unit\nH1,H2,1,10\nH2,H1,1,10\n"
RESOURCES = (
    "resource,integer,unmet_penalty,operating_cost_mobile,operating_cost_fixed,critical\n"
    "ventilators,True,1000,1,0,True\n"
)
VENTILATORS = {
    "patients_per_100k_day": 2000.0,
    "mean_stay_days": 2.0,
    "target_wait_hours": 3.0,
    "pool": 4,
}


def setup_size(tiny) -> None:
    tiny.sections["access"]["catchment_minutes"] = 30
    tiny.sections["ventilators"] = dict(VENTILATORS)


def setup_redeploy(tiny) -> None:
    for name, text in (
        ("trace.csv", TRACE),
        ("stock.csv", STOCK),
        ("transfers.csv", TRANSFERS),
        ("resources.csv", RESOURCES),
    ):
        (tiny.folder / name).write_text(text, encoding="utf-8")
    tiny.sections = {
        "facilities": tiny.sections["facilities"],
        "redeploy": {
            "demand_trace": "trace.csv",
            "stock": "stock.csv",
            "transfers": "transfers.csv",
            "resources": "resources.csv",
        },
        "output": {"dir": "out"},
    }


# ------------------------------------------------------------------ ways to break things


def key(section: str, name: str, value) -> Callable:
    def apply(tiny):
        tiny.sections[section][name] = value

    return apply


def drop(section: str, name: str | None = None) -> Callable:
    def apply(tiny):
        if name is None:
            del tiny.sections[section]
        else:
            del tiny.sections[section][name]

    return apply


def edit(file: str, old: str, new: str) -> Callable:
    def apply(tiny):
        path = tiny.folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write(file: str, text: str) -> Callable:
    def apply(tiny):
        (tiny.folder / file).write_text(text, encoding="utf-8")

    return apply


def remove(file: str) -> Callable:
    def apply(tiny):
        (tiny.folder / file).unlink()

    return apply


def hospitals(**columns) -> Callable:
    """Rewrite the facility layer with some columns replaced."""

    def apply(tiny):
        data = {"Hospital": ["H1", "H2"], "Total Bed": [50.0, 20.0], "Total Vent": [5.0, 2.0]}
        data.update(columns)
        gpd.GeoDataFrame(
            data,
            geometry=[Point(tiny.x0 + 500, tiny.y0 + 500), Point(tiny.x0 + 2500, tiny.y0 + 2500)],
            crs=tiny.crs,
        ).to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")

    return apply


def both(*steps: Callable) -> Callable:
    def apply(tiny):
        for step in steps:
            step(tiny)

    return apply


# ------------------------------------------------------------------ the catalogue

SIZE_CASES = [
    (
        "rate missing",
        drop("ventilators", "patients_per_100k_day"),
        ["ventilators.patients_per_100k_day"],
    ),
    ("rate negative", key("ventilators", "patients_per_100k_day", -1.0), ["patients_per_100k_day"]),
    (
        "rate as text",
        key("ventilators", "patients_per_100k_day", "lots"),
        ["ventilators.patients_per_100k_day"],
    ),
    (
        "rate as boolean",
        key("ventilators", "patients_per_100k_day", True),
        ["ventilators.patients_per_100k_day"],
    ),
    (
        "rate absurd (1e9 per 100k per day)",
        key("ventilators", "patients_per_100k_day", 1e9),
        ["patients_per_100k_day", "100000"],
    ),
    (
        "rate infinite",
        key("ventilators", "patients_per_100k_day", math.inf),
        ["patients_per_100k_day"],
    ),
    ("stay zero", key("ventilators", "mean_stay_days", 0.0), ["mean_stay_days"]),
    ("stay negative", key("ventilators", "mean_stay_days", -1.0), ["ventilators.mean_stay_days"]),
    ("stay as text", key("ventilators", "mean_stay_days", "9"), ["ventilators.mean_stay_days"]),
    ("stay NaN", key("ventilators", "mean_stay_days", math.nan), ["mean_stay_days"]),
    ("target zero", key("ventilators", "target_wait_hours", 0.0), ["target_wait_hours"]),
    ("target negative", key("ventilators", "target_wait_hours", -3.0), ["target_wait_hours"]),
    ("target NaN", key("ventilators", "target_wait_hours", math.nan), ["target_wait_hours"]),
    (
        "target as text",
        key("ventilators", "target_wait_hours", "7 h"),
        ["ventilators.target_wait_hours"],
    ),
    ("pool negative", key("ventilators", "pool", -1), ["pool"]),
    ("pool fractional", key("ventilators", "pool", 2.5), ["ventilators.pool"]),
    ("pool as boolean", key("ventilators", "pool", True), ["ventilators.pool"]),
    (
        "unknown pool objective",
        key("ventilators", "pool_objective", "fastest"),
        ["ventilators.pool_objective"],
    ),
    ("negative attractiveness", key("ventilators", "attractiveness", -2.0), ["attractiveness"]),
    ("zero staff ratio", key("ventilators", "staff_ratio", 0.0), ["staff_ratio"]),
    ("zero shifts", key("ventilators", "shifts_per_day", 0), ["shifts_per_day"]),
    ("unknown key", key("ventilators", "wait_hours", 7.0), ["wait_hours"]),
    ("no [ventilators] section", drop("ventilators"), ["[ventilators]"]),
    (
        "negative ventilators in the layer",
        hospitals(**{"Total Vent": [-5.0, 2.0]}),
        ["hospitals.gpkg", "Total Vent"],
    ),
    (
        "ventilators as text in the layer",
        hospitals(**{"Total Vent": ["five", "2"]}),
        ["hospitals.gpkg", "Total Vent"],
    ),
    ("ventilators column misnamed", key("facilities", "ventilators", "Vents"), ["Vents"]),
    ("facility layer missing", remove("hospitals.gpkg"), ["hospitals.gpkg"]),
    ("duplicate facility ids", hospitals(Hospital=["H1", "H1"]), ["hospitals.gpkg", "Hospital"]),
]

BAD_TRACE_ROW = "H1,ventilators,1,1\n"
REDEPLOY_CASES = [
    # the demand trace: coverage of the facility layer and the horizon
    (
        "trace lacks a period",
        edit("trace.csv", "H2,ventilators,1,4\n", ""),
        ["trace.csv", "facility 'H2'", "period 1", 'fill = "zero"'],
    ),
    (
        "trace lacks a facility",
        write(
            "trace.csv", "facility,resource,period,demand\nH1,ventilators,0,1\nH1,ventilators,1,2\n"
        ),
        ["trace.csv", "facility 'H2'", "no rows"],
    ),
    (
        "trace names a facility not in the layer",
        edit("trace.csv", "H1,ventilators,0,1", "H9,ventilators,0,1"),
        ["trace.csv", "row 1", "facility 'H9' is not in the facility layer"],
    ),
    (
        "trace id differs in case",
        edit("trace.csv", "H2,ventilators,2,4", "h2,ventilators,2,4"),
        ["trace.csv", "'h2'", "row 6"],
    ),
    (
        "trace ids 1 and 2 against layer ids 01 and 02",
        both(
            hospitals(Hospital=["01", "02"]),
            write("trace.csv", TRACE.replace("H1", "1").replace("H2", "2")),
            write("stock.csv", STOCK.replace("H1", "01").replace("H2", "02")),
            write("transfers.csv", TRANSFERS.replace("H1", "01").replace("H2", "02")),
        ),
        ["trace.csv", "facility '1'", "the facility layer has '01'"],
    ),
    (
        "trace period negative",
        edit("trace.csv", BAD_TRACE_ROW, "H1,ventilators,-1,1\n"),
        ["trace.csv", "column 'period', row 3"],
    ),
    (
        "trace period fractional",
        edit("trace.csv", BAD_TRACE_ROW, "H1,ventilators,1.5,1\n"),
        ["trace.csv", "column 'period', row 3"],
    ),
    (
        "trace demand negative",
        edit("trace.csv", BAD_TRACE_ROW, "H1,ventilators,1,-2\n"),
        ["trace.csv", "column 'demand', row 3"],
    ),
    (
        "trace demand as text",
        edit("trace.csv", BAD_TRACE_ROW, "H1,ventilators,1,many\n"),
        ["trace.csv", "column 'demand', row 3"],
    ),
    (
        "trace demand infinite",
        edit("trace.csv", BAD_TRACE_ROW, "H1,ventilators,1,inf\n"),
        ["trace.csv", "column 'demand', row 3"],
    ),
    (
        "trace duplicate row",
        edit("trace.csv", BAD_TRACE_ROW, BAD_TRACE_ROW * 2),
        ["trace.csv", "row 4", "duplicate"],
    ),
    (
        "trace empty facility",
        edit("trace.csv", BAD_TRACE_ROW, ",ventilators,1,1\n"),
        ["trace.csv", "column 'facility', row 3"],
    ),
    (
        "trace without a demand column",
        write("trace.csv", "facility,resource,period\nH1,ventilators,0\n"),
        ["trace.csv", "column 'demand'"],
    ),
    ("trace empty file", write("trace.csv", ""), ["trace.csv"]),
    (
        "trace header only",
        write("trace.csv", "facility,resource,period,demand\n"),
        ["trace.csv", "no data rows"],
    ),
    ("trace file missing", remove("trace.csv"), ["trace.csv"]),
    (
        "trace resource not in the resources",
        write("trace.csv", TRACE.replace("ventilators", "beds")),
        ["trace.csv", "column 'resource'", "resource not in the resources table"],
    ),
    # the stock table
    (
        "stock facility not in the layer",
        edit("stock.csv", "H2,ventilators", "H9,ventilators"),
        ["stock.csv", "column 'facility'", "row 2", "'H9'"],
    ),
    (
        "stock negative units",
        edit("stock.csv", "H2,ventilators,0,2", "H2,ventilators,0,-2"),
        ["stock.csv", "column 'mobile_units'", "row 2"],
    ),
    (
        "stock fractional units",
        edit("stock.csv", "H1,ventilators,0,5", "H1,ventilators,0.5,5"),
        ["stock.csv", "column 'fixed_units'", "row 1", "whole"],
    ),
    (
        "stock units as text",
        edit("stock.csv", "H1,ventilators,0,5", "H1,ventilators,0,five"),
        ["stock.csv", "column 'mobile_units'", "row 1"],
    ),
    (
        "stock without mobile_units",
        write("stock.csv", "facility,resource,fixed_units\nH1,ventilators,0\n"),
        ["stock.csv", "column 'mobile_units'"],
    ),
    (
        "stock duplicate row",
        edit("stock.csv", "H2,ventilators,0,2", "H1,ventilators,0,2"),
        ["stock.csv", "row 2", "duplicate"],
    ),
    (
        "stock resource unknown",
        edit("stock.csv", "H2,ventilators", "H2,beds"),
        ["stock.csv", "column 'resource'", "row 2"],
    ),
    ("stock file missing", remove("stock.csv"), ["stock.csv"]),
    # the transfers table
    (
        "transfer delay zero",
        edit("transfers.csv", "H1,H2,1,10", "H1,H2,0,10"),
        ["transfers.csv", "column 'delay_periods'", "row 1"],
    ),
    (
        "transfer to itself",
        edit("transfers.csv", "H2,H1,1,10", "H2,H2,1,10"),
        ["transfers.csv", "row 2", "itself"],
    ),
    (
        "transfer facility not in the layer",
        edit("transfers.csv", "H2,H1,1,10", "H2,H7,1,10"),
        ["transfers.csv", "column 'to_facility'", "row 2", "'H7'"],
    ),
    (
        "transfer cost negative",
        edit("transfers.csv", "H2,H1,1,10", "H2,H1,1,-10"),
        ["transfers.csv", "column 'cost_per_unit'", "row 2"],
    ),
    (
        "transfer duplicate pair",
        edit("transfers.csv", "H2,H1,1,10", "H1,H2,2,10"),
        ["transfers.csv", "row 2", "duplicate"],
    ),
    (
        "transfer delay as text",
        edit("transfers.csv", "H1,H2,1,10", "H1,H2,soon,10"),
        ["transfers.csv", "column 'delay_periods'", "row 1"],
    ),
    # the resources table
    (
        "resource integer flag not a boolean",
        edit("resources.csv", "ventilators,True", "ventilators,maybe"),
        ["resources.csv", "column 'integer'", "row 1"],
    ),
    (
        "resource penalty negative",
        edit("resources.csv", "True,1000", "True,-1000"),
        ["resources.csv", "column 'unmet_penalty'", "row 1"],
    ),
    (
        "resource listed twice",
        write("resources.csv", RESOURCES + RESOURCES.splitlines()[1] + "\n"),
        ["resources.csv", "column 'resource'", "row 2"],
    ),
    (
        "resource without critical",
        write(
            "resources.csv",
            "resource,integer,unmet_penalty,operating_cost_mobile,operating_cost_fixed\nventilators,True,1000,1,0\n",
        ),
        ["resources.csv", "column 'critical'"],
    ),
    (
        "resource ramp limit negative",
        write(
            "resources.csv",
            RESOURCES.replace("critical\n", "critical,ramp_limit\n").replace("True\n", "True,-1\n"),
        ),
        ["resources.csv", "column 'ramp_limit'", "row 1"],
    ),
    # the [redeploy] section
    (
        "mobile share above one",
        both(drop("redeploy", "stock"), key("redeploy", "mobile_share", 1.5)),
        ["redeploy.mobile_share"],
    ),
    ("lookahead zero", key("redeploy", "lookahead", 0), ["redeploy.lookahead"]),
    (
        "trace and surge both",
        key("redeploy", "surge", {"facility": "H1", "peak": 5, "periods": 4}),
        ["redeploy.demand_trace"],
    ),
    ("discount zero", key("redeploy", "discount", 0.0), ["redeploy.discount"]),
    ("unknown solver", key("redeploy", "solver", "gurobi"), ["redeploy.solver"]),
    (
        "transfer delay option zero",
        both(drop("redeploy", "transfers"), key("redeploy", "transfer_delay_periods", 0)),
        ["redeploy.transfer_delay_periods"],
    ),
    (
        "unmet penalty option negative",
        both(drop("redeploy", "resources"), key("redeploy", "unmet_penalty", -1.0)),
        ["redeploy.unmet_penalty"],
    ),
    (
        "surge at an unknown facility",
        both(
            drop("redeploy", "demand_trace"),
            key("redeploy", "surge", {"facility": "H9", "peak": 5.0, "periods": 4}),
        ),
        ["H9"],
    ),
    (
        "no stock and no ventilators column",
        both(
            drop("redeploy", "stock"),
            hospitals(),
            lambda tiny: tiny.sections["facilities"].pop("ventilators"),
        ),
        ["ventilators"],
    ),
    # without [redeploy], the scenario is an access scenario and misses its sections
    ("no [redeploy] section", drop("redeploy"), ["scenario.toml", "missing section [areas]"]),
    (
        "fill is not zero",
        both(edit("trace.csv", "H2,ventilators,1,4\n", ""), key("redeploy", "fill", "mean")),
        ["column 'redeploy.fill'", 'must be "zero"', "'mean'"],
    ),
]

CASES = [("size", *case) for case in SIZE_CASES] + [("redeploy", *case) for case in REDEPLOY_CASES]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def valid_outputs(tmp_path_factory) -> dict:
    """command -> a folder holding the output of one valid run (made on first use)."""
    return {"root": tmp_path_factory.mktemp("valid-outputs")}


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 45
    assert len({name for _, name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("command", "name", "breaks", "fragments"), CASES, ids=[f"{c}: {n}" for c, n, _, _ in CASES]
)
def test_bad_input(command, name, breaks, fragments, tiny, capsys, valid_outputs):
    (setup_size if command == "size" else setup_redeploy)(tiny)
    toml = tiny.write()
    kept = valid_outputs.get(command)
    if kept is None:  # the first case of this command makes the valid run for all
        assert main([command, str(toml), "--quiet"]) == 0, capsys.readouterr().err
        kept = valid_outputs["root"] / command
        shutil.copytree(tiny.out, kept)
        valid_outputs[command] = kept
    else:
        shutil.copytree(kept, tiny.out)
    before = snapshot(tiny.out)
    assert before, "the previous output is not there"
    capsys.readouterr()

    breaks(tiny)
    tiny.write()
    assert main([command, str(toml), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("accessplan: error"), err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert snapshot(tiny.out) == before
    leftovers = [p.name for p in tiny.folder.iterdir() if p.name != "out" and "out" in p.name]
    assert leftovers == []


def test_fill_zero_reads_missing_trace_rows_as_no_demand(tiny, capsys):
    """The same trace without H2's period-1 row runs with fill = "zero", and equals the
    full trace whose H2 period-1 demand is 0."""
    setup_redeploy(tiny)
    (tiny.folder / "trace.csv").write_text(TRACE.replace("H2,ventilators,1,4\n", ""))
    tiny.sections["redeploy"]["fill"] = "zero"
    assert main(["redeploy", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    filled = snapshot(tiny.out)
    shutil.rmtree(tiny.out)
    (tiny.folder / "trace.csv").write_text(
        TRACE.replace("H2,ventilators,1,4", "H2,ventilators,1,0")
    )
    del tiny.sections["redeploy"]["fill"]
    assert main(["redeploy", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    explicit = snapshot(tiny.out)
    for name in ("unmet.csv", "commands.csv"):
        assert filled[name] == explicit[name], name
