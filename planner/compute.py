"""The ``[compute]`` section of a scenario: how (not what) a run computes.

.. code-block:: toml

    [compute]
    jobs = "all"                    # worker processes for travel times: a number >= 1 or "all"
    cluster = "tcp://10.0.0.5:8786" # a running Dask scheduler, or "local" (a LocalCluster here)
    cluster_workers = 4             # workers of the "local" cluster (default: Dask's choice)
    cache = true                    # keep parsed networks in cache_dir for the next run
    cache_dir = ".accessplan-cache" # default: beside the scenario file
    max_memory_gb = 8               # stop before computing when the estimate is larger
    od_path = "od.parquet"          # write (and reuse) the OD table there

None of these keys changes a result: the same scenario computed with one job
or forty, on this machine or a cluster, with or without the cache, gives the
same numbers. They are recorded in ``scenario.json`` (``"compute"``) so a
run says how it was computed.

``max_memory_gb`` is compared with the estimate of
:func:`accessplan.planner.memory.estimate_memory` once the inputs and the
network are read and before travel times are computed; a larger estimate
stops the run (:class:`accessplan.planner.memory.MemoryLimitError`) with
the estimate per stage and the knobs that shrink it. Gigabytes are decimal
(1 GB = 10**9 bytes).

The command line overrides the file for one run (``--jobs``, ``--cluster``,
``--max-memory-gb``, ``--no-cache``): each becomes a ``--set compute.<key>=``
item (:func:`cli_overrides`), checked exactly like a value in the file.

Every value is checked here, all problems at once, each naming
``compute.<key>``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CLUSTER_SCHEMES",
    "COMPUTE_KEYS",
    "DEFAULT_CACHE_DIR",
    "ComputeSpec",
    "cli_overrides",
    "default_compute",
    "parse_compute",
]

#: the schema of ``[compute]`` (key -> TOML types, checked by the scenario reader first)
COMPUTE_KEYS: dict[str, Any] = {
    "jobs": (int, str),
    "cluster": str,
    "cluster_workers": int,
    "cache": bool,
    "cache_dir": str,
    "max_memory_gb": (int, float),
    "od_path": str,
}
#: the folder of the network cache, beside the scenario file, when ``cache_dir`` is not given
DEFAULT_CACHE_DIR = ".accessplan-cache"
#: the address schemes of a Dask scheduler accepted in ``cluster``
CLUSTER_SCHEMES = ("tcp", "tls")
_ADDRESS = re.compile(
    r"^(?P<scheme>[a-z]+)://(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):(?P<port>\d+)$"
)


def _all_cores() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ComputeSpec:
    """The ``[compute]`` section, checked; paths are absolute.

    Attributes
    ----------
    jobs : int
        Worker processes on this machine (``"all"`` resolved to the cores).
    jobs_requested : int or str
        What the scenario (or ``--jobs``) asked: a number or ``"all"``.
    cluster : str or None
        None (this machine), ``"local"`` (a dask.distributed LocalCluster)
        or a scheduler address ``"tcp://host:port"``.
    cluster_workers : int or None
        Workers of the local cluster (None: Dask's default).
    cache : bool
        Keep parsed networks (and reuse them) in ``cache_dir``.
    cache_dir : Path
    max_memory_gb : float or None
        Stop before computing when the memory estimate is larger.
    od_path : Path or None
        Where the Parquet OD table is written and, when valid, reused.
    """

    jobs: int
    jobs_requested: int | str = "all"
    cluster: str | None = None
    cluster_workers: int | None = None
    cache: bool = True
    cache_dir: Path = Path(DEFAULT_CACHE_DIR)
    max_memory_gb: float | None = None
    od_path: Path | None = None

    @property
    def uses_dask(self) -> bool:
        """True when a Dask cluster (local or remote) runs the parallel stages."""
        return self.cluster is not None

    def to_json(self) -> dict[str, Any]:
        """The section as run, JSON-ready (``scenario.json`` ``"compute"``)."""
        return {
            "jobs": self.jobs,
            "jobs_requested": self.jobs_requested,
            "cpu_count": os.cpu_count(),
            "cluster": self.cluster,
            "cluster_workers": self.cluster_workers,
            "cache": self.cache,
            "cache_dir": str(self.cache_dir),
            "max_memory_gb": self.max_memory_gb,
            "od_path": None if self.od_path is None else str(self.od_path),
        }


def default_compute(base: str | Path) -> ComputeSpec:
    """The settings of a scenario without ``[compute]``: all cores, cache beside ``base``."""
    return ComputeSpec(jobs=_all_cores(), cache_dir=Path(base) / DEFAULT_CACHE_DIR)


def _path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_cluster(value: Any, add) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        add(
            f'must be "local" or a scheduler address such as "tcp://host:8786", got {value!r}',
            "compute.cluster",
        )
        return None
    text = value.strip()
    if text == "local":
        return text
    match = _ADDRESS.match(text)
    if match is None or match["scheme"] not in CLUSTER_SCHEMES:
        add(
            f'must be "local" or a Dask scheduler address '
            f"{' or '.join(s + '://host:port' for s in CLUSTER_SCHEMES)} "
            f"(e.g. tcp://10.0.0.5:8786), got {value!r}",
            "compute.cluster",
        )
        return None
    if not 1 <= int(match["port"]) <= 65535:
        add(f"the port must be 1-65535, got {match['port']} in {value!r}", "compute.cluster")
        return None
    return text


def parse_compute(body: Mapping[str, Any] | None, base: str | Path, add) -> ComputeSpec:
    """Check ``[compute]`` and return its spec (defaults when the section is absent).

    Parameters
    ----------
    body : Mapping or None
        The section as parsed from TOML (after ``--set`` overrides).
    base : str or Path
        The scenario's folder: relative ``cache_dir`` and ``od_path`` start there.
    add : callable
        ``add(message, key)`` records one problem (the scenario's collector);
        ``key`` is ``"compute.<key>"``.

    Returns
    -------
    ComputeSpec
        With the defaults in place of the values that were wrong (the caller
        raises the collected problems).
    """
    base = Path(base)
    spec = default_compute(base)
    if body is None:
        return spec
    values: dict[str, Any] = {}

    jobs = body.get("jobs", "all")
    if jobs == "all":
        values["jobs"] = _all_cores()
        values["jobs_requested"] = "all"
    elif _whole(jobs) and jobs >= 1:
        values["jobs"] = values["jobs_requested"] = int(jobs)
    else:
        add(f'must be a whole number >= 1 or "all", got {jobs!r}', "compute.jobs")

    cluster = _check_cluster(body.get("cluster"), add)
    values["cluster"] = cluster

    workers = body.get("cluster_workers")
    if workers is not None:
        if not (_whole(workers) and workers >= 1):
            add(f"must be a whole number >= 1, got {workers!r}", "compute.cluster_workers")
        elif body.get("cluster") != "local":
            add(
                'cluster_workers sets the workers of cluster = "local"; '
                "a running scheduler has its own workers",
                "compute.cluster_workers",
            )
        else:
            values["cluster_workers"] = int(workers)

    cache = body.get("cache", True)
    if isinstance(cache, bool):
        values["cache"] = cache
    else:
        add(f"must be true or false, got {cache!r}", "compute.cache")

    cache_dir = body.get("cache_dir")
    if cache_dir is not None:
        if isinstance(cache_dir, str) and cache_dir.strip():
            values["cache_dir"] = _path(base, cache_dir)
        else:
            add(f"must be a folder path, got {cache_dir!r}", "compute.cache_dir")

    memory = body.get("max_memory_gb")
    if memory is not None:
        ok = isinstance(memory, int | float) and not isinstance(memory, bool)
        if ok and math.isfinite(memory) and memory > 0:
            values["max_memory_gb"] = float(memory)
        else:
            add(f"must be a positive number of gigabytes, got {memory!r}", "compute.max_memory_gb")

    od_path = body.get("od_path")
    if od_path is not None:
        if not (isinstance(od_path, str) and od_path.strip()):
            add(f"must be a path such as 'od.parquet', got {od_path!r}", "compute.od_path")
        elif not od_path.strip().lower().endswith(".parquet"):
            add(
                f"the OD table is written as Parquet: give a name ending in .parquet, "
                f"got {od_path!r}",
                "compute.od_path",
            )
        else:
            values["od_path"] = _path(base, od_path.strip())
    return ComputeSpec(**{**spec.__dict__, **values})


def cli_overrides(
    *,
    jobs: str | None = None,
    cluster: str | None = None,
    max_memory_gb: str | None = None,
    no_cache: bool = False,
) -> list[str]:
    """The ``--set compute.<key>=VALUE`` items of the command line's compute options.

    Values are handed over as TOML text (``--jobs 4`` -> ``compute.jobs=4``,
    ``--jobs all`` -> ``compute.jobs="all"``), so :func:`parse_compute` checks
    them exactly like values in the file and names ``compute.<key>`` in its
    errors.

    Examples
    --------
    >>> cli_overrides(jobs="4", cluster="local", no_cache=True)
    ['compute.jobs=4', 'compute.cluster="local"', 'compute.cache=false']
    """
    sets = []
    if jobs is not None:
        text = jobs.strip()
        whole = re.fullmatch(r"[+-]?\d+", text) is not None
        sets.append(f"compute.jobs={text if whole else _quoted(text)}")
    if cluster is not None:
        sets.append(f"compute.cluster={_quoted(cluster.strip())}")
    if max_memory_gb is not None:
        text = max_memory_gb.strip()
        number = _as_number(text)
        sets.append(f"compute.max_memory_gb={_quoted(text) if number is None else repr(number)}")
    if no_cache:
        sets.append("compute.cache=false")
    return sets


def _quoted(text: str) -> str:
    """A TOML basic string holding ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _as_number(text: str) -> float | None:
    """``text`` as a float (its repr is a TOML float), or None."""
    try:
        return float(text)
    except ValueError:
        return None
