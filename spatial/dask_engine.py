"""Travel times on a Dask cluster (``dask.distributed``), and connecting to one.

The two heavy, parallel stages of a plan run as Dask tasks; everything else
stays on the machine that runs ``accessplan plan`` (the *client*).

Travel times (:func:`dask_network_travel_times`)
    The client checks and snaps the points (the same KD-tree snapping as
    :func:`accessplan.spatial.travel_time.network_travel_times`); the
    reversed road graph (a CSR matrix of seconds) and the snapping result
    are scattered *once* to every worker; one task per chunk of
    ``chunk_size`` distinct site nodes runs a bounded Dijkstra and returns
    the positional pairs within the bound,

    .. math::

        t_{ij} = T(v_i \\to v_j) / 60 + a_i + a_j \\le t_{max},
        \\qquad a = \\text{snap meters} / (1000\\, s_{access} / 60),

    with :math:`T` the network seconds between the snapped nodes. The client
    sorts the pairs into a :class:`~accessplan.spatial.od_codes.CodedOD`: the
    same pairs and, bit for bit, the same minutes as the one-machine path
    (every chunk runs the same floating-point operations on the same data).

Access measures over the OD table run on the cluster too, see
:mod:`accessplan.spatial.dask_access`.

Data moved
    Travel times: once per worker the reversed graph (``12 m + 4 n`` bytes
    for ``n`` nodes and ``m`` edges) and the snapping (about 32 bytes per
    origin and per site); per task the chunk bounds in, 16 bytes per kept
    pair out (int32 origin, int32 site, float64 minutes). A worker holds a
    dense ``chunk_size x n`` float64 Dijkstra result while a task runs.

Workers must run the same accessplan version as the client
(:func:`connect` checks it): tasks are this module's functions, sent by name.
"""

from __future__ import annotations

import importlib.metadata
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from sklearn.neighbors import KDTree

from accessplan.data.errors import AccessplanError, ProblemCollector
from accessplan.spatial.crs import coordinate_problems, require_metre_crs
from accessplan.spatial.errors import CRSError, NetworkError, NoPathError
from accessplan.spatial.od_codes import CodedOD
from accessplan.spatial.road_arrays import RoadArrays
from accessplan.spatial.travel_time import TravelTimes

__all__ = [
    "ClusterError",
    "DaskTravelTimes",
    "connect",
    "dask_network_travel_times",
]


class ClusterError(ConnectionError, AccessplanError):
    """A Dask cluster cannot be reached or used (no answer, no workers, other versions)."""


# --------------------------------------------------------------------------
# Connecting
# --------------------------------------------------------------------------


def _accessplan_version() -> str:
    try:
        return importlib.metadata.version("accessplan")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _check_workers(client, where: str, timeout_seconds: float) -> None:
    """Refuse a cluster without workers or with workers on another accessplan version."""
    try:
        client.wait_for_workers(1, timeout=timeout_seconds)
    except (TimeoutError, OSError) as exc:
        raise ClusterError(
            f"the Dask scheduler at {where} answers but has no workers after "
            f"{timeout_seconds:g} s; start workers (dask worker {where}) and try again"
        ) from exc
    ours = _accessplan_version()
    found = client.run(importlib.metadata.version, "accessplan", on_error="return")
    wrong = {
        worker: version if isinstance(version, str) else "not installed"
        for worker, version in found.items()
        if version != ours
    }
    if wrong:
        shown = ", ".join(f"{w} ({v})" for w, v in sorted(wrong.items())[:5])
        raise ClusterError(
            f"{len(wrong)} Dask worker(s) of {where} do not run accessplan {ours} like this "
            f"machine: {shown}; install the same accessplan version in the workers' environment"
        )


@contextmanager
def connect(
    cluster,
    *,
    n_workers: int | None = None,
    timeout_seconds: float = 10.0,
    check_versions: bool = True,
) -> Iterator:
    """A :class:`distributed.Client` for ``cluster``, closed (with what it started) on exit.

    Parameters
    ----------
    cluster : str or distributed.Client
        ``"local"``: start a :class:`distributed.LocalCluster` on this machine
        (worker processes, one thread each, no dashboard);
        ``"tcp://host:port"`` (or ``tls://``): connect to a running scheduler;
        a ``Client``: use it as is (and leave it open).
    n_workers : int, optional
        Workers of the local cluster (default: Dask's, one per core).
    timeout_seconds : float, default 10
        How long to wait for the scheduler to answer, and for a first worker.
    check_versions : bool, default True
        Refuse workers without the client's accessplan version.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ClusterError
        An address that is not ``local`` or ``scheme://host:port``, a
        scheduler that does not answer within ``timeout_seconds``, a
        cluster without workers or with another accessplan version.

    Examples
    --------
    >>> with connect("local", n_workers=2) as client:  # doctest: +SKIP
    ...     result = dask_network_travel_times(arrays, areas, sites, ..., client=client)
    """
    from distributed import Client, LocalCluster

    if isinstance(cluster, Client):
        yield cluster
        return
    text = cluster.strip() if isinstance(cluster, str) else None
    if not text or (text != "local" and "://" not in text):
        raise ClusterError(
            f'unknown Dask cluster {cluster!r}: expected "local" or a scheduler address '
            'such as "tcp://scheduler:8786"'
        )
    local = None
    if text == "local":
        local = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(local)
    else:
        started = time.monotonic()
        try:
            client = Client(text, timeout=timeout_seconds)
        except Exception as exc:  # OSError, TimeoutError, or garbage from a non-Dask port
            waited = time.monotonic() - started
            raise ClusterError(
                f"the Dask scheduler at {text} did not answer ({waited:.1f} s, "
                f"{type(exc).__name__}: {exc}); check the address and port, that "
                f"`dask scheduler` runs there, and that this machine can reach it "
                f'(firewall, VPN), or set [compute] cluster = "local"'
            ) from exc
    try:
        if check_versions:
            _check_workers(client, text, timeout_seconds)
        yield client
    finally:
        client.close()
        if local is not None:
            local.close()


# --------------------------------------------------------------------------
# Points and snapping (the checks of network_travel_times, with public pieces)
# --------------------------------------------------------------------------


def _check_options(**options) -> None:
    problems = ProblemCollector(what="travel-time options")
    for name, value in options.items():
        ok = isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)
        if not ok or value <= 0:
            problems.add(f"{name} must be a positive finite number, got {value!r}")
    problems.raise_if_any()


def _point_problems(points, id_col: str, label: str, problems: ProblemCollector) -> bool:
    """Record every problem of a point layer; True when it can be snapped."""
    if not isinstance(points, gpd.GeoDataFrame):
        problems.add(
            f"expected a GeoDataFrame of points, got {type(points).__name__}", source=label
        )
        return False
    if id_col not in points.columns:
        problems.add("id column is missing", source=label, column=id_col)
        return False
    n_before = len(problems.problems)
    if len(points) == 0:
        problems.add("has no rows", source=label)
    if points.crs is None:
        problems.add("has no CRS; set one (e.g. gdf.set_crs('EPSG:4326'))", source=label)
    ids = points[id_col]
    null = ids.isna().to_numpy()
    if null.any():
        rows = tuple(int(i) + 1 for i in np.flatnonzero(null))
        problems.add("id is missing", source=label, column=id_col, rows=rows)
    dup = ids.duplicated(keep=False).to_numpy() & ~null
    if dup.any():
        problems.add(
            "id is not unique", source=label, column=id_col, rows=tuple(pd.unique(ids[dup]))
        )
    geom = points.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():
        problems.add(
            "geometry is missing or empty", source=label, column=geom.name, rows=tuple(ids[missing])
        )
    not_point = ~missing & (geom.geom_type != "Point").to_numpy()
    if not_point.any():
        problems.add(
            "geometry is not a Point (use e.g. .representative_point() first)",
            source=label,
            column=geom.name,
            rows=tuple(ids[not_point]),
        )
    return len(problems.problems) == n_before


def _projected_xy(points: gpd.GeoDataFrame, crs, id_col: str, label: str) -> np.ndarray:
    problems = ProblemCollector(what=label)
    coordinate_problems(
        points.geometry,
        labels=tuple(str(v) for v in points[id_col]),
        source=label,
        column=id_col,
        problems=problems,
        run_crs=crs,
        area_of_use=False,
    )
    problems.raise_if_any()
    projected = points.to_crs(crs)
    return np.column_stack([projected.geometry.x.to_numpy(), projected.geometry.y.to_numpy()])


def _snap(tree, xy, ids, id_col, label, max_snap_meters, problems):
    dist, idx = tree.query(xy, k=1)
    dist, idx = dist[:, 0], idx[:, 0]
    far = dist > max_snap_meters
    if far.any():
        problems.add(
            f"{int(far.sum())} point(s) lie farther than {max_snap_meters:g} m from the nearest "
            f"road network node (farthest: {dist[far].max():,.0f} m); check their CRS and "
            "location, or raise max_snap_meters",
            source=label,
            column=id_col,
            rows=tuple(ids[far]),
        )
    return idx, dist


def _groups(inverse: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members of group ``g``: ``order[starts[g]:starts[g] + counts[g]]``."""
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=n_groups)
    starts = np.zeros(n_groups, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return order, starts, counts


def _pair_with_members(groups, order, starts, counts):
    """Each entry (of group ``groups[k]``) paired with every member of its group: (k, member)."""
    reps = counts[groups]
    entry = np.repeat(np.arange(len(groups)), reps)
    first = np.cumsum(reps) - reps
    offset = np.arange(int(reps.sum())) - np.repeat(first, reps)
    return entry, order[np.repeat(starts[groups], reps) + offset]


# --------------------------------------------------------------------------
# Travel times
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Snapped:
    """What every travel-time task needs besides the graph (scattered once)."""

    site_nodes: np.ndarray  # distinct site nodes, ascending
    site_groups: tuple  # sites on each of them (order, starts, counts)
    origin_nodes: np.ndarray  # distinct origin nodes, ascending
    origin_groups: tuple
    site_access: np.ndarray  # access minutes per site / origin
    origin_access: np.ndarray
    limit_seconds: float
    max_minutes: float


def _chunk_pairs(reverse: sp.csr_matrix, snapped: _Snapped, start: int, stop: int):
    """Task: the (origin, site, minutes) pairs within the bound of site nodes ``start:stop``."""
    seconds = dijkstra(
        reverse, directed=True, indices=snapped.site_nodes[start:stop], limit=snapped.limit_seconds
    )
    sub = seconds[:, snapped.origin_nodes]
    del seconds
    row, col = np.nonzero(sub <= snapped.limit_seconds)
    net_minutes = sub[row, col] / 60.0
    del sub
    k, site = _pair_with_members(row + start, *snapped.site_groups)
    col, net_minutes = col[k], net_minutes[k]
    k, origin = _pair_with_members(col, *snapped.origin_groups)
    site, net_minutes = site[k], net_minutes[k]
    total = net_minutes + snapped.site_access[site] + snapped.origin_access[origin]
    keep = total <= snapped.max_minutes
    return origin[keep].astype(np.int32), site[keep].astype(np.int32), total[keep]


@dataclass(frozen=True, eq=False)
class DaskTravelTimes:
    """Travel times computed on a cluster.

    Attributes
    ----------
    od : CodedOD
        The pairs within ``max_minutes``, sorted by origin then site code
        (codes: input order of the origins and sites).
    origin_snap, site_snap : pandas.DataFrame
        As :class:`~accessplan.spatial.travel_time.TravelTimes`: id, ``node``
        (node id), ``snap_meters``, ``access_minutes``, in input order.
    max_minutes : float
    tasks : int
        Dijkstra tasks run (chunks of distinct site nodes).
    """

    od: CodedOD
    origin_snap: pd.DataFrame
    site_snap: pd.DataFrame
    max_minutes: float
    tasks: int

    def to_travel_times(self) -> TravelTimes:
        """The one-machine result form: a long ``od`` frame sorted by ``origin_id``, ``site_id``."""
        frame = self.od.to_frame()
        try:
            frame = frame.sort_values(["origin_id", "site_id"], kind="stable")
        except TypeError:  # ids of mixed types: keep the input order
            pass
        frame = frame.reset_index(drop=True)
        reached_o = self.od.pairs_per_origin() > 0
        reached_s = np.bincount(self.od.site_codes, minlength=self.od.n_sites) > 0
        return TravelTimes(
            od=frame,
            origin_snap=self.origin_snap,
            site_snap=self.site_snap,
            max_minutes=self.max_minutes,
            method="network",
            unreachable_origins=tuple(self.od.origin_ids[~reached_o].tolist()),
            unreachable_sites=tuple(self.od.site_ids[~reached_s].tolist()),
        )


def _snap_frame(id_name, ids, nodes, meters, minutes) -> pd.DataFrame:
    return pd.DataFrame(
        {id_name: ids, "node": nodes, "snap_meters": meters, "access_minutes": minutes}
    )


def dask_network_travel_times(
    arrays: RoadArrays,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    client,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    chunk_size: int = 64,
    minutes_dtype=np.float64,
    od_path=None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> DaskTravelTimes:
    """Shortest travel times from origins to sites, the Dijkstra chunks run on a Dask cluster.

    The same result as
    :func:`accessplan.spatial.travel_time.network_travel_times` over the
    same network (same snapping, same pairs, same minutes bit for bit; see
    the module docstring for what runs where).

    Parameters
    ----------
    arrays : RoadArrays
        The road network, in a projected CRS in metres.
    origins, sites : geopandas.GeoDataFrame
        Points with a CRS and a unique id column (reprojected to the network's CRS).
    origin_id, site_id : str
        Id columns.
    max_minutes : float
        Keep pairs whose total time (access legs included) is at most this.
    client : distributed.Client
        See :func:`connect`.
    access_speed_kph, max_snap_meters : float
        As in ``network_travel_times``.
    chunk_size : int, default 64
        Distinct site nodes per task; a worker holds ``chunk_size x nodes x 8``
        bytes while it runs one. The result does not depend on it.
    minutes_dtype : numpy dtype, default float64
        Minutes of the returned table (float32 halves them, rounding).
    od_path : str or Path, optional
        Also write the table there as the OD Parquet of
        :mod:`accessplan.spatial.od_store` (by the client, once gathered).
    origins_label, sites_label : str
        Names of the inputs in messages.
    progress : bool, default False
        A progress bar over the finished tasks.

    Returns
    -------
    DaskTravelTimes

    Raises
    ------
    InputValidationError
        Malformed point layers, points too far from the network, bad options.
    NetworkError
        A network not in a metre CRS.
    NoPathError
        No origin reaches any site within ``max_minutes``.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    _check_options(
        max_minutes=max_minutes,
        access_speed_kph=access_speed_kph,
        max_snap_meters=max_snap_meters,
        chunk_size=chunk_size,
    )
    chunk_size = int(chunk_size)
    try:
        crs = require_metre_crs(arrays.crs, what=f"the road network {arrays.source}")
    except CRSError as exc:
        raise NetworkError(f"{exc}; project it first so snapping works in metres") from exc
    problems = ProblemCollector(what="origins and sites")
    _point_problems(origins, origin_id, origins_label, problems)
    _point_problems(sites, site_id, sites_label, problems)
    problems.raise_if_any()  # a layer that cannot be snapped always recorded a problem
    o_xy = _projected_xy(origins, crs, origin_id, origins_label)
    s_xy = _projected_xy(sites, crs, site_id, sites_label)
    origin_ids = origins[origin_id].reset_index(drop=True)
    site_ids = sites[site_id].reset_index(drop=True)

    tree = KDTree(arrays.xy)
    o_node, o_meters = _snap(
        tree, o_xy, origin_ids.to_numpy(), origin_id, origins_label, max_snap_meters, problems
    )
    s_node, s_meters = _snap(
        tree, s_xy, site_ids.to_numpy(), site_id, sites_label, max_snap_meters, problems
    )
    problems.raise_if_any()
    del tree
    meters_per_minute = access_speed_kph * 1000.0 / 60.0
    o_access = o_meters / meters_per_minute
    s_access = s_meters / meters_per_minute
    origin_snap = _snap_frame(
        "origin_id", origin_ids.to_numpy(), arrays.node_ids[o_node], o_meters, o_access
    )
    site_snap = _snap_frame(
        "site_id", site_ids.to_numpy(), arrays.node_ids[s_node], s_meters, s_access
    )

    s_uniq, s_inv = np.unique(s_node, return_inverse=True)
    o_uniq, o_inv = np.unique(o_node, return_inverse=True)
    budget_minutes = max_minutes - s_access.min() - o_access.min()
    snapped = _Snapped(
        site_nodes=s_uniq,
        site_groups=_groups(s_inv, len(s_uniq)),
        origin_nodes=o_uniq,
        origin_groups=_groups(o_inv, len(o_uniq)),
        site_access=s_access,
        origin_access=o_access,
        # the one-machine bound: a hair of slack so rounding never cuts a kept pair
        limit_seconds=budget_minutes * 60.0 * (1.0 + 1e-12) + 1e-9,
        max_minutes=float(max_minutes),
    )
    starts = list(range(0, len(s_uniq), chunk_size)) if budget_minutes >= 0 else []
    parts: dict[int, tuple] = {}
    if starts:
        graph = client.scatter(arrays.reverse_csr(), broadcast=True, hash=False)
        context = client.scatter(snapped, broadcast=True, hash=False)
        futures = [
            client.submit(_chunk_pairs, graph, context, s, s + chunk_size, pure=False)
            for s in starts
        ]
        index = {f.key: k for k, f in enumerate(futures)}
        try:
            done = as_completed(futures, with_results=True)
            for future, result in tqdm(
                done, total=len(futures), desc="travel times", unit="chunk", disable=not progress
            ):
                parts[index[future.key]] = result
                future.release()
        finally:
            unfinished = [f for f in futures if not f.done()]
            if unfinished:  # an error or an interrupt: stop the rest
                client.cancel(unfinished)
            graph.release()
            context.release()
    if parts:
        o_pos, s_pos, minutes = (
            np.concatenate([parts[k][c] for k in sorted(parts)]) for c in range(3)
        )
    else:
        o_pos = s_pos = np.zeros(0, dtype=np.int32)
        minutes = np.zeros(0)
    if len(minutes) == 0:
        raise NoPathError(
            f"no origin reaches any site within {max_minutes:g} minutes over the road network "
            f"({len(origin_ids)} origins from {origins_label}, {len(site_ids)} sites from "
            f"{sites_label}); check that they lie on the same network or raise max_minutes"
        )
    od = CodedOD.from_positions(
        o_pos,
        s_pos,
        minutes,
        origin_ids=origin_ids,
        site_ids=site_ids,
        max_minutes=max_minutes,
        minutes_dtype=minutes_dtype,
    )
    if od_path is not None:
        from accessplan.spatial.od_store import write_od_parquet

        write_od_parquet(od, od_path)
    return DaskTravelTimes(
        od=od,
        origin_snap=origin_snap,
        site_snap=site_snap,
        max_minutes=float(max_minutes),
        tasks=len(starts),
    )
