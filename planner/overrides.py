"""``--set section.key=value``: change one scenario value for one run.

The command line's ``--set`` items are applied to the parsed TOML document
before it is validated, so an overridden value is checked exactly like one
written in the file. Values are read as TOML values (``2e8``, ``true``,
``"2sfca"``, ``{ speed_kph = 40 }``); a value that is not TOML is taken as a
bare string (``--set access.method=2sfca``), unless it starts like a TOML
string, array or table, which must then be complete.

Keys are dotted: ``location.budget`` sets ``budget`` in ``[location]``;
``network.straight_line.speed_kph`` sets a key of the inline table
``straight_line`` (created when missing). The network sources are exclusive:
setting one (``network.place=...``, ``network.straight_line...``) drops the
file's other source, so ``--set network.straight_line.speed_kph=40`` runs a
road-network scenario on straight lines. Every malformed item is reported at
once, each naming its ``--set`` item.

Examples
--------
>>> apply_overrides({"location": {"budget": 1e8}}, ["location.budget=2e8"], source="s.toml")
{'location': {'budget': 200000000.0}}
>>> apply_overrides({}, ["access.method=2sfca"], source="s.toml")
{'access': {'method': '2sfca'}}
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from accessplan.data.errors import ProblemCollector

__all__ = ["apply_overrides", "parse_override"]

#: first characters of a value that must parse as TOML (no bare-string fallback)
_STRUCTURED = ('"', "'", "[", "{")


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split one ``--set`` item into its key path and its value.

    Parameters
    ----------
    item : str
        ``"section.key=value"`` (deeper keys allowed: ``"a.b.c=1"``).

    Returns
    -------
    keys : list of str
        The dotted key, split (at least two parts).
    value : object
        The value read as TOML, else the bare text.

    Raises
    ------
    ValueError
        With a plain-words reason when the item is malformed.
    """
    key, sep, text = item.partition("=")
    if not sep:
        raise ValueError("expected SECTION.KEY=VALUE (no '=' found)")
    keys = [part.strip() for part in key.strip().split(".")]
    if len(keys) < 2 or any(not part for part in keys):
        raise ValueError(
            f"the key {key.strip()!r} must name a section and a key, e.g. location.budget"
        )
    text = text.strip()
    if not text:
        raise ValueError("no value after '='")
    try:
        return keys, tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as exc:
        if text.startswith(_STRUCTURED):
            raise ValueError(f"the value {text!r} is not a valid TOML value ({exc})") from exc
        return keys, text


def _schema_problem(keys: list[str]) -> str | None:
    """Why the key path names no scenario setting, or None when it does."""
    from accessplan.planner.scenario import SCHEMA

    section, key = keys[0], keys[1]
    if section not in SCHEMA:
        return f"unknown section [{section}]; known sections are {sorted(SCHEMA)}"
    expected = SCHEMA[section].get(key)
    if expected is None:
        return f"unknown key {key!r} in [{section}]; known keys are {sorted(SCHEMA[section])}"
    takes_table = expected is dict or (isinstance(expected, tuple) and dict in expected)
    if len(keys) > 2 and not takes_table:
        return f"{section}.{key} is a single value, not a table; use {section}.{key}=VALUE"
    return None


def apply_overrides(
    data: Mapping[str, Any], sets: Sequence[str], *, source: str | Path
) -> dict[str, Any]:
    """Return a copy of a parsed scenario with the ``--set`` items applied.

    Parameters
    ----------
    data : Mapping
        The scenario file parsed from TOML; never modified.
    sets : sequence of str
        ``"section.key=value"`` items, applied in order (a later item wins).
    source : str or Path
        The scenario file, named in the error.

    Returns
    -------
    dict
        A new document: ``data`` with the values replaced or added.

    Raises
    ------
    InputValidationError
        Every malformed item at once (no ``=``, no section, an unknown section
        or key, an unfinished TOML value, a key below a value that is not a
        table), each naming its ``--set`` item.
    """
    from accessplan.planner.sections import NETWORK_SOURCES

    result: dict[str, Any] = copy.deepcopy(dict(data))
    problems = ProblemCollector(what=f"--set options for the scenario {source}")
    for item in sets:
        try:
            keys, value = parse_override(item)
        except ValueError as exc:
            problems.add(f"--set {item!r}: {exc}")
            continue
        reason = _schema_problem(keys)
        if reason is not None:
            problems.add(f"--set {item!r}: {reason}")
            continue
        table: Any = result
        for depth, part in enumerate(keys[:-1]):
            child = table.get(part)
            if child is None:
                child = table[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(keys[: depth + 1])
                problems.add(f"--set {item!r}: {where} is {child!r} in the scenario, not a table")
                break
            table = child
        else:
            if keys[0] == "network" and keys[1] in NETWORK_SOURCES:
                for other in NETWORK_SOURCES:
                    if other != keys[1]:
                        result["network"].pop(other, None)
            table[keys[-1]] = value
    problems.raise_if_any()
    return result
