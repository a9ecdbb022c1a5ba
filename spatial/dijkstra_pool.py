"""Bounded Dijkstra from many sources, one chunk of sources per task, on worker processes.

For a chunk of source nodes ``S``, a set of target nodes ``T`` and a bound
``limit`` (seconds), a task returns every reached pair::

    (i, j, d(S[i], T[j]))  with  d(S[i], T[j]) <= limit

from :func:`scipy.sparse.csgraph.dijkstra` (with ``limit``) over a CSR graph.
The distances of one source do not depend on the other sources of its chunk,
so the pairs are the same, bit for bit, whatever the chunking and however
many processes answer the chunks; chunks are answered in their given order.

Why processes: :func:`scipy.sparse.csgraph.dijkstra` holds the GIL (scipy
1.17: two threads running two calls on a 200 x 200 grid take as long as one
thread running both, and a pure-Python thread barely advances while one long
call runs; ``benchmarks/bench_parallel_times.py`` measures both), so threads
cannot share the work.  Each worker process receives the graph and the task
(:class:`ReachedPairs`, or any picklable callable given to
:func:`iter_chunk_results`) once, through the pool initializer, and keeps them
for the pool's life; a task sends only its chunk and returns only its result
(the reached pairs).

On Linux the workers are forked: they start in milliseconds, share the
graph's pages with the parent instead of copying them (the parent's Python
objects are frozen out of the collector meanwhile, :func:`gc.freeze`, so no
page is copied by a worker's garbage collection) and need no
``if __name__ == "__main__":`` guard in a calling script.  The workers run
numpy and scipy code only (no OpenMP, no BLAS threads), so the parent's
threads do not matter.  Elsewhere they start with ``forkserver`` or
``spawn`` (about 2 s, more when the main script imports much; then the guard
is needed, as with any process pool).

Memory per worker: the graph (shared on Linux; else ``12 m + 8 (n + 1)``
bytes for ``n`` nodes and ``m`` edges with float64 weights and int32
indices), the dense distance rows Dijkstra returns (``chunk x n x 8`` bytes)
and their target columns (``chunk x |T| x 9``).  At most ``2 x jobs``
answered chunks wait in the parent at any time.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessplan.spatial.errors import NetworkError

__all__ = [
    "ReachedPairs",
    "available_cores",
    "iter_chunk_results",
    "iter_reached_pairs",
    "reached_pairs",
]

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]

# the graph and targets a worker process received from the pool initializer
_WORKER_STATE: dict = {}


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def reached_pairs(
    graph: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray, limit: float
) -> Pairs:
    """The pairs ``(i, j, seconds)`` with ``d(sources[i], targets[j]) <= limit``.

    Returns int32 ``i`` (index into ``sources``), int32 ``j`` (index into
    ``targets``) and float64 distances, ordered by ``i`` then ``j``.
    """
    seconds = dijkstra(graph, directed=True, indices=sources, limit=limit)
    sub = seconds[:, targets]
    del seconds
    row, col = np.nonzero(sub <= limit)
    return row.astype(np.int32), col.astype(np.int32), sub[row, col]


@dataclass(frozen=True, eq=False)
class ReachedPairs:
    """The task of :func:`iter_reached_pairs`: :func:`reached_pairs` of a chunk of sources."""

    targets: np.ndarray
    limit: float

    def __call__(self, graph: sp.csr_matrix, sources: np.ndarray) -> Pairs:
        return reached_pairs(graph, sources, self.targets, self.limit)


def _init_worker(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_nodes: int, work: Callable
) -> None:
    _WORKER_STATE["graph"] = sp.csr_matrix((data, indices, indptr), shape=(n_nodes, n_nodes))
    _WORKER_STATE["work"] = work


def _answer_chunk(chunk: Any) -> Any:
    state = _WORKER_STATE
    return state["work"](state["graph"], chunk)


def _start_method() -> str:
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


@contextmanager
def _quiet_fork() -> Iterator[None]:
    """Keep forked workers from copying the parent's objects, and Python 3.12+ quiet about it.

    :func:`gc.freeze` moves every object the parent holds (a networkx graph
    of millions of objects, say) out of the collector's reach, so a worker's
    collections never write to their pages (which would copy them).  The
    workers run only numpy and scipy code and the pool's own queues, so the
    fork of a parent with other threads is harmless here; the warning of
    Python 3.12+ about such forks is silenced for these calls only.
    """
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=".*fork\\(\\) may lead to deadlocks", category=DeprecationWarning
            )
            yield
    finally:
        gc.unfreeze()


def iter_reached_pairs(
    graph: sp.csr_matrix,
    chunks: Sequence[np.ndarray],
    *,
    targets: np.ndarray,
    limit: float,
    jobs: int = 1,
) -> Iterator[Pairs]:
    """:func:`reached_pairs` of each chunk of sources, in the order of ``chunks``.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Square matrix of edge weights (row = tail).
    chunks : sequence of numpy.ndarray
        Source node positions, one array per task.
    targets : numpy.ndarray
        Target node positions kept from every source's distances.
    limit : float
        Distances above this are not searched nor returned.
    jobs : int, default 1
        Worker processes; 1 (or a single chunk) answers in this process.

    Raises
    ------
    NetworkError
        If a worker process dies (killed for memory, most likely).
    """
    return iter_chunk_results(graph, chunks, work=ReachedPairs(targets, limit), jobs=jobs)


def iter_chunk_results(
    graph: sp.csr_matrix, chunks: Sequence[Any], *, work: Callable, jobs: int = 1
) -> Iterator[Any]:
    """``work(graph, chunk)`` for each chunk, in the order of ``chunks``, on ``jobs`` processes.

    ``work`` is a picklable callable (a module-level class instance, say),
    sent to each worker once with the graph; a chunk and its result travel
    per task.  See :func:`iter_reached_pairs` for the rest.
    """
    if jobs <= 1 or len(chunks) <= 1:
        return (work(graph, chunk) for chunk in chunks)
    return _pooled(sp.csr_matrix(graph), chunks, work, min(int(jobs), len(chunks)))


def _pooled(
    graph: sp.csr_matrix, chunks: Sequence[Any], work: Callable, workers: int
) -> Iterator[Any]:
    method = _start_method()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context(method),
        initializer=_init_worker,
        initargs=(graph.data, graph.indices, graph.indptr, graph.shape[0], work),
    )
    with _quiet_fork() if method == "fork" else nullcontext():
        yield from _answers(pool, chunks, workers)


def _answers(pool: ProcessPoolExecutor, chunks: Sequence[Any], workers: int) -> Iterator[Any]:
    """Answers in chunk order, at most ``2 x workers`` chunks submitted ahead."""
    try:
        waiting = iter(chunks)
        pending: deque = deque()
        for sources in waiting:
            pending.append(pool.submit(_answer_chunk, sources))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()
            nxt = next(waiting, None)
            if nxt is not None:
                pending.append(pool.submit(_answer_chunk, nxt))
            yield result
    except BrokenProcessPool as exc:
        raise NetworkError(
            "a travel-time worker process died (out of memory?): lower jobs or chunk_size, "
            "or shorten max_minutes"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
