"""Travel times on a Dask cluster (``dask.distributed``), and connecting to one.

The two heavy, parallel stages of a plan -- travel times and the access
measures (:mod:`accessplan.spatial.dask_access`) -- run as Dask tasks;
everything else stays on the machine that runs ``accessplan plan`` (the
*client*): point checks and snapping, the Parquet OD table, location
models, sizing, maps and report.

Travel times (:func:`dask_network_travel_times`, :func:`scatter_network_travel_times`)
    The client checks and snaps the points with the one-machine path's own
    :func:`accessplan.spatial.network_times.prepare_search`; the
    reversed road graph (a CSR matrix of seconds) and the snapping result
    are scattered *once* to every worker; one task per chunk of
    ``chunk_size`` distinct site nodes runs a bounded Dijkstra and keeps
    the pairs within the bound,

    .. math::

        t_{ij} = a_i + T(v_i \\to v_j) / 60 + a_j \\le t_{max},
        \\qquad a = \\text{snap meters} / (1000\\, s_{access} / 60),

    with :math:`T` the network seconds between the snapped nodes. Every
    chunk runs the one-machine path's floating-point operations on the same
    data, so the table has the same pairs and, bit for bit, the same
    minutes. The client gathers the chunks in chunk order into a frame or a
    :class:`~accessplan.spatial.od_codes.CodedOD`, or streams them into the
    Parquet OD table (:mod:`accessplan.spatial.od_store`) one chunk at a
    time; or the chunks stay on the workers for the measures
    (:func:`scatter_network_travel_times`).

Data moved
    Once per worker: the reversed graph (``12 m + 4 n`` bytes for ``n``
    nodes and ``m`` edges) and the snapping (about 40 bytes per origin and
    per site). Per task: the chunk bounds in; 16 bytes per kept pair out
    (int32 origin, int32 site, float64 minutes), to the client unless the
    pairs stay on the workers. A worker holds a dense ``chunk_size x n``
    float64 Dijkstra result while a task runs (0.5 GB for 64 sites and a
    million nodes): give each worker that much plus its share of the pairs.

Workers must run the same accessplan version as the client
(:func:`connect` checks it): tasks are accessplan functions, sent by name.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessplan.data.errors import AccessplanError
from accessplan.spatial.dask_access import ScatteredOD, pair_counts
from accessplan.spatial.dask_tasks import ODPart, SnappedPoints, chunk_pairs
from accessplan.spatial.network_times import PreparedSearch, prepare_search
from accessplan.spatial.od_codes import CodedOD
from accessplan.spatial.road_arrays import RoadArrays
from accessplan.spatial.travel_inputs import (
    TravelTimes,
    check_positive_options,
    sorted_od_frame,
)
from accessplan.spatial.travel_options import TravelOptions

__all__ = [
    "ClusterError",
    "connect",
    "dask_network_travel_times",
    "scatter_network_travel_times",
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
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # no dashboard; the scheduler's health routes on any free local port
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
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
# Travel times
# --------------------------------------------------------------------------


class _ChunkTasks:
    """The Dijkstra tasks, submitted at once (the graph scattered once).

    :meth:`parts` gives every chunk's pairs in chunk order as the tasks
    finish; leaving the ``with`` block cancels unfinished tasks, frees the
    scattered graph and, unless :meth:`keep` was called, the chunks' pairs.
    """

    def __init__(self, client, arrays: RoadArrays, snapped: SnappedPoints, chunk_size: int) -> None:
        self.client = client
        self.futures: list = []
        self.shared: list = []
        self.kept = False
        self.task_bytes = chunk_size * arrays.n_nodes * 8  # a task's dense Dijkstra rows
        if not snapped.reachable:
            return
        starts = range(0, len(snapped.site_nodes), chunk_size)
        graph = client.scatter(arrays.reverse_csr(), broadcast=True, hash=False)
        context = client.scatter(snapped, broadcast=True, hash=False)
        self.shared = [graph, context]
        self.futures = [
            client.submit(chunk_pairs, graph, context, s, s + chunk_size, pure=False)
            for s in starts
        ]

    def died(self, exc: Exception) -> ClusterError:
        return ClusterError(
            f"a Dask worker died running a travel-time task ({exc}); each task holds about "
            f"{self.task_bytes / 1e9:.2f} GB of Dijkstra distances (chunk_size x network "
            "nodes x 8 bytes): lower chunk_size (sites per task) or give the workers more memory"
        )

    def parts(self, *, progress: bool = False) -> Iterator[ODPart]:
        from distributed import KilledWorker, as_completed
        from tqdm.auto import tqdm

        index = {f.key: k for k, f in enumerate(self.futures)}
        waiting: dict[int, ODPart] = {}
        following = 0
        done = as_completed(self.futures, with_results=True)
        bar = tqdm(
            done, total=len(self.futures), desc="travel times", unit="chunk", disable=not progress
        )
        try:
            for future, part in bar:
                waiting[index[future.key]] = part
                if not self.kept:
                    future.release()
                while following in waiting:  # hand chunks on in order, whatever finishes first
                    yield waiting.pop(following)
                    following += 1
        except KilledWorker as exc:
            raise self.died(exc) from exc

    def wait(self, *, progress: bool = False) -> None:
        """Wait for every task (pairs left on the workers)."""
        from distributed import KilledWorker, as_completed
        from tqdm.auto import tqdm

        done = as_completed(self.futures)
        try:
            for _ in tqdm(
                done,
                total=len(self.futures),
                desc="travel times",
                unit="chunk",
                disable=not progress,
            ):
                pass
        except KilledWorker as exc:
            raise self.died(exc) from exc

    def keep(self) -> list:
        """Leave the chunks' pairs on the workers; their futures."""
        self.kept = True
        return self.futures

    def __enter__(self) -> _ChunkTasks:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        unfinished = [f for f in self.futures if not f.done()]
        if unfinished and (exc_type is not None or not self.kept):
            self.client.cancel(unfinished)  # an error or an interrupt: stop the rest
        if exc_type is not None or not self.kept:
            for future in self.futures:
                future.release()
        for future in self.shared:
            future.release()


def _prepare(network, origins, sites, options: TravelOptions) -> PreparedSearch:
    """Check, snap and search on the client as the one-machine path does (float bounds)."""
    check_positive_options({"chunk_size": options.chunk_size}, **options.bounds())
    if not isinstance(network, RoadArrays):
        network = RoadArrays.from_graph(network, source="the road network")
    bounds = {name: float(value) for name, value in options.bounds().items()}
    return prepare_search(network, origins, sites, options=replace(options, **bounds))


def _stream(search: PreparedSearch, parts, od_path, fingerprint, minutes_dtype):
    """Write the parts to the Parquet OD table in order; which origins and sites were reached."""
    chunks = ((part.origin_codes, part.site_codes, part.minutes) for part in parts)
    return search.write_pairs(chunks, od_path, fingerprint=fingerprint, minutes_dtype=minutes_dtype)


def dask_network_travel_times(
    network: RoadArrays | nx.MultiDiGraph,
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
    as_codes: bool = False,
    with_frame: bool | None = None,
    od_path: str | Path | None = None,
    minutes_dtype=np.float32,
    network_id: str | None = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> TravelTimes:
    """Shortest travel times from origins to sites, the Dijkstra chunks run on a Dask cluster.

    The result of :func:`accessplan.spatial.network_times.network_travel_times`
    (``od_path=None``) or of
    :func:`~accessplan.spatial.network_times.stream_network_travel_times`
    (``od_path`` given) over the same network: the same snapping, the same
    pairs and, bit for bit, the same minutes (see the module docstring for
    what runs where).

    Parameters
    ----------
    network : RoadArrays or networkx.MultiDiGraph
        The road network in a projected CRS in metres (a graph is turned into
        :class:`~accessplan.spatial.road_arrays.RoadArrays` first).
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
    as_codes, with_frame : bool
        As in ``network_travel_times``: the table as a
        :class:`~accessplan.spatial.od_codes.CodedOD` (``coded``) and/or the
        long ``od`` frame (default: the frame unless ``as_codes``).
    od_path : str or Path, optional
        Stream the pairs into this Parquet OD table instead, as the tasks
        finish (written by the client in chunk order, one chunk in memory at
        a time; replaced only once complete), with the fingerprint
        ``stream_network_travel_times`` gives: the same file.
    minutes_dtype : numpy dtype, default float32
        Storage of the minutes in ``od_path``.
    network_id : str, optional
        The network's part of the table's fingerprint (default: a hash of its arrays).
    origins_label, sites_label : str
        Names of the inputs in messages.
    progress : bool, default False
        A progress bar over the finished tasks.

    Returns
    -------
    TravelTimes
        ``method == "network"``; with ``od_path``, ``od`` and ``coded`` are
        None and ``od_path`` is the table.

    Raises
    ------
    InputValidationError
        Malformed point layers, points too far from the network, bad options.
    NetworkError
        A network not in a metre CRS.
    NoPathError
        No origin reaches any site within ``max_minutes`` (no table is written).
    ClusterError
        A worker died running a task (too little memory for ``chunk_size``).
    """
    search = _prepare(network, origins, sites, TravelOptions.of(locals()))
    with _ChunkTasks(client, search.arrays, search.points, search.chunk_size) as tasks:
        if od_path is not None:
            fingerprint = search.fingerprint(network_id)
            parts = tasks.parts(progress=progress)
            reached = _stream(search, parts, od_path, fingerprint, minutes_dtype)
            return search.travel_times(*reached, od=None, od_path=Path(od_path))
        parts = list(tasks.parts(progress=progress))
    if not parts or sum(p.n_pairs for p in parts) == 0:
        raise search.no_path()
    o_pos, s_pos, minutes = (
        np.concatenate([getattr(p, name) for p in parts])
        for name in ("origin_codes", "site_codes", "minutes")
    )
    del parts
    reached_o = np.zeros(len(search.origin_ids), dtype=bool)
    reached_o[o_pos] = True
    reached_s = np.zeros(len(search.site_ids), dtype=bool)
    reached_s[s_pos] = True
    od = coded = None
    if with_frame if with_frame is not None else not as_codes:
        od = sorted_od_frame(o_pos, s_pos, minutes, search.origin_ids, search.site_ids)
    if as_codes:
        coded = CodedOD.from_positions(
            o_pos,
            s_pos,
            minutes,
            origin_ids=search.origin_ids,
            site_ids=search.site_ids,
            max_minutes=search.max_minutes,
        )
    return search.travel_times(reached_o, reached_s, od=od, coded=coded)


def scatter_network_travel_times(
    network: RoadArrays | nx.MultiDiGraph,
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
    od_path: str | Path | None = None,
    minutes_dtype=np.float32,
    network_id: str | None = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> tuple[TravelTimes, ScatteredOD]:
    """:func:`dask_network_travel_times` leaving the pairs on the workers, for the measures.

    The chunks' pairs stay where the cluster computed them, as the parts of
    a :class:`~accessplan.spatial.dask_access.ScatteredOD` that
    :func:`~accessplan.spatial.dask_access.dask_access` and
    :func:`~accessplan.spatial.dask_access.dask_nearest_minutes` read: the
    client never holds the table (with ``od_path`` it also writes the
    Parquet table, one chunk in memory at a time, as
    :func:`dask_network_travel_times` does).

    Parameters
    ----------
    (all)
        As :func:`dask_network_travel_times`.

    Returns
    -------
    travel_times : TravelTimes
        ``od`` and ``coded`` are None; ``od_path`` as given.
    scattered : ScatteredOD
        The pairs on the workers (float64 minutes, the codes of the
        origins and sites in input order); ``release()`` frees them.

    Raises
    ------
    As :func:`dask_network_travel_times`.
    """
    search = _prepare(network, origins, sites, TravelOptions.of(locals()))
    from distributed import KilledWorker

    with _ChunkTasks(client, search.arrays, search.points, search.chunk_size) as tasks:
        futures = tasks.keep()
        if od_path is not None:
            fingerprint = search.fingerprint(network_id)
            _stream(search, tasks.parts(progress=progress), od_path, fingerprint, minutes_dtype)
        else:
            tasks.wait(progress=progress)
        try:
            origin_pairs, site_pairs = pair_counts(
                client, futures, len(search.origin_ids), len(search.site_ids)
            )
        except KilledWorker as exc:
            raise tasks.died(exc) from exc
        if origin_pairs.sum() == 0:
            raise search.no_path()
    scattered = ScatteredOD(
        origin_ids=pd.Index(search.origin_ids),
        site_ids=pd.Index(search.site_ids),
        futures=futures,
        origin_pairs=origin_pairs,
        site_pairs=site_pairs,
        max_minutes=search.max_minutes,
    )
    result = search.travel_times(
        origin_pairs > 0,
        site_pairs > 0,
        od=None,
        od_path=None if od_path is None else Path(od_path),
    )
    return result, scattered
