"""Queueing: Erlang B/C and their inverses, fair splitting of a unit pool, site demand and sizing.

- :mod:`accessplan.capacity.erlang`: Erlang B, probability of waiting, mean wait,
  P(wait > t), service level, queue length; smallest server counts for a target.
- :mod:`accessplan.capacity.pool`: split K extra units across facilities (min-max
  or min-sum of expected waits).
- :mod:`accessplan.capacity.staff`: companion staff from units by a ratio per shift.
- :mod:`accessplan.capacity.demand`: expected daily arrivals per site from the
  access model (Huff-style choice with the access decay).
- :mod:`accessplan.capacity.sizing`: size each site to a target mean wait, or split a pool.
- :mod:`accessplan.capacity.redeploy`: the multi-period regional redeployment model (mobile
  units, transfer delays, unmet-demand penalties, ramp limits, an equity band) with prices.
- :mod:`accessplan.capacity.rolling`: rolling-horizon re-solves, demand traces and surges.
"""

from accessplan.capacity.demand import SiteDemand, site_arrivals
from accessplan.capacity.erlang import (
    erlang_b,
    erlang_c,
    mean_queue_length,
    mean_wait,
    servers_for_mean_wait,
    servers_for_service_level,
    servers_for_wait_probability,
    service_level,
    wait_exceeds_probability,
)
from accessplan.capacity.errors import QueueInputError, UnstableQueueError
from accessplan.capacity.pool import PoolSplit, split_pool
from accessplan.capacity.redeploy import RedeployPlan, redeploy
from accessplan.capacity.rolling import (
    RollingResult,
    generate_surge,
    read_demand_trace,
    rolling_horizon,
)
from accessplan.capacity.sizing import resolve_mean_stay, size_sites, split_given_pool
from accessplan.capacity.staff import staff_for, staff_per_shift

__all__ = [
    "PoolSplit",
    "QueueInputError",
    "RedeployPlan",
    "RollingResult",
    "SiteDemand",
    "UnstableQueueError",
    "erlang_b",
    "erlang_c",
    "generate_surge",
    "mean_queue_length",
    "mean_wait",
    "read_demand_trace",
    "redeploy",
    "resolve_mean_stay",
    "rolling_horizon",
    "servers_for_mean_wait",
    "servers_for_service_level",
    "servers_for_wait_probability",
    "service_level",
    "site_arrivals",
    "size_sites",
    "split_given_pool",
    "split_pool",
    "staff_for",
    "staff_per_shift",
    "wait_exceeds_probability",
]
