"""The markdown table and growth exponents of ``benchmarks/scale_plan.py`` results.

A run (one size) is the dict ``scale_plan.py`` writes under ``"runs"`` in its
JSON: ``areas``, ``nodes``, the stage records of the in-process child
(``stages``, closed in the order :data:`SEQUENCE`), ``stages_note`` when the
child was stopped, and the end-to-end run (``e2e``).

**Growth exponents** (:func:`exponents`): the least-squares slope of
log(seconds) and of log(GB the stage added above the resident memory it
started with) against log(size) over the sizes that finished the stage; size
is road nodes for network, snapping and travel times (:data:`DRIVER`), areas
for the others (end to end: areas, and its whole peak)::

    slope = sum((x - mean x) (y - mean y)) / sum((x - mean x)**2),  x = log size, y = log value
"""

from __future__ import annotations

import math

STAGES = (
    "inputs",
    "network",
    "snapping",
    "travel times",
    "access",
    "location",
    "sizing",
    "tables",
    "maps",
    "report",
)
#: the size a stage's growth exponent is measured against
DRIVER = {"network": "nodes", "snapping": "nodes", "travel times": "nodes"}


def stage_totals(run: dict) -> dict[str, dict]:
    """Per stage name (access has two parts): seconds summed, peak resident GB maximised,
    and the GB the stage added above the resident memory it started with."""
    totals: dict[str, dict] = {}
    before = 0.0
    for s in run.get("stages", []):
        t = totals.setdefault(s["stage"], {"seconds": 0.0, "peak_gb": 0.0, "added_gb": 0.0})
        peak = max(s["peak_gb"], s.get("with_solver_peak_gb", 0.0))
        start = s.get("rss_before_gb", before)
        t["seconds"] += s["seconds"]
        t["peak_gb"] = max(t["peak_gb"], peak)
        t["added_gb"] = max(t["added_gb"], peak - start)
        before = s["rss_after_gb"]
        if "error" in s:
            t["error"] = s["error"]
    return totals


def _slope(xs, ys) -> float | None:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den


def exponents(runs: list[dict]) -> dict[str, dict]:
    """Log-log slopes of time and peak memory per stage (and end to end) over the sizes."""
    out = {}
    for stage in (*STAGES, "end to end"):
        driver = DRIVER.get(stage, "areas")
        xs, ts, ms = [], [], []
        for run in runs:
            if stage == "end to end":
                e2e = run.get("e2e")
                if not e2e or e2e["returncode"] != 0:
                    continue
                seconds, peak = e2e["seconds"], max(e2e["maxrss_gb"], e2e["tree_peak_gb"])
            else:
                t = stage_totals(run).get(stage)
                if t is None or "error" in t or _unfinished(run, stage):
                    continue
                seconds, peak = t["seconds"], t["added_gb"]
            xs.append(run[driver])
            ts.append(seconds)
            ms.append(peak)
        out[stage] = {"vs": driver, "time": _slope(xs, ts), "memory": _slope(xs, ms)}
    return out


#: the order the child closes its stage records in (access: before and after the plan)
SEQUENCE = (*STAGES[:5], "location", "access", *STAGES[6:])


def _unfinished(run: dict, stage: str) -> bool:
    """The stage (both parts of access) did not close."""
    names = [s["stage"] for s in run.get("stages", [])]
    return names.count(stage) < SEQUENCE.count(stage)


def _cell(run: dict, stage: str) -> str:
    t = stage_totals(run).get(stage)
    if t is not None and "error" in t:
        return "error: " + t["error"].split(":")[0]
    if t is None or _unfinished(run, stage):
        note = run.get("stages_note")
        if note is None:
            return "–"
        closed = len(run.get("stages", []))
        failed = any("error" in s for s in run.get("stages", []))
        running = SEQUENCE[closed] if closed < len(SEQUENCE) and not failed else None
        return note if stage == running else "not reached"
    return f"{t['seconds']:.1f} s, {t['peak_gb']:.2f} GB"


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def markdown(runs: list[dict], slopes: dict) -> str:
    heads = [f"{_human(r['areas'])} areas / {_human(r['nodes'])} nodes" for r in runs]
    lines = [
        "| stage | " + " | ".join(heads) + " | exponent (time, memory) |",
        "| --- | " + " | ".join("---" for _ in runs) + " | --- |",
    ]
    for stage in STAGES:
        e = slopes[stage]
        lines.append(
            f"| {stage} | "
            + " | ".join(_cell(r, stage) for r in runs)
            + f" | {_fmt(e['time'])}, {_fmt(e['memory'])} vs {e['vs']} |"
        )
    cells = []
    for r in runs:
        e2e = r.get("e2e")
        if e2e is None:
            cells.append("–")
        elif e2e["returncode"] == 0:
            peak = max(e2e["maxrss_gb"], e2e["tree_peak_gb"])
            cells.append(f"{e2e['seconds']:.1f} s, {peak:.2f} GB")
        else:
            cells.append(
                f"{e2e['note']} ({e2e['seconds'] / 60:.1f} min, {e2e['maxrss_gb']:.1f} GB)"
            )
    e = slopes["end to end"]
    same = [r["e2e"].get("same_plan_as_stages") for r in runs if r.get("e2e")]
    if same and None not in same:
        verdict = "the same" if all(same) else "NOT the same"
        notes = [f"New sites and Gini after the plan: {verdict} in the stages and end to end."]
    else:
        notes = []
    lines.append(
        "| **`accessplan plan` end to end** | "
        + " | ".join(cells)
        + f" | {_fmt(e['time'])}, {_fmt(e['memory'])} vs areas |"
    )
    return "\n".join([*lines, *(["", *notes] if notes else [])])


def _human(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"
