"""Balanced floating catchment area (BFCA; Paez, Higgins & Vivona 2019).

Paez, A., Higgins, C. D. & Vivona, S. F. (2019) "Demand and level of service
inflation in Floating Catchment Area (FCA) methods", PLOS ONE 14(6): e0218773;
named BFCA by Pereira et al. (2021) and implemented as ``bfca`` in ipea's
``accessibility`` R package, whose definition this module follows exactly.

Plain 2SFCA counts a person once for every site in reach (demand inflation)
and a site's ratio once for every area in reach (level-of-service inflation).
BFCA splits both among the competing options. With ``W_ij = f(d_ij)`` the
decay weight of the pairs within the catchment:

* demand-side balanced weights ``Wi_ij = W_ij / sum_k W_ik`` (each area's
  population is split among the sites it reaches);
* supply-side balanced weights ``Wj_ij = W_ij / sum_k W_kj`` (each site's
  level of service is split among the areas it reaches);
* balanced demand of site ``j``: ``D_j = sum_i P_i Wi_ij``;
* level of service ``L_j = S_j / D_j`` (0 when ``D_j = 0``);
* accessibility ``A_i = sum_j L_j Wj_ij``.

Totals preserved (the paper's point; tested):

* ``sum_j D_j = sum_i P_i`` over the areas that reach a site (no demand inflation);
* ``sum_i A_i = sum_j L_j`` over the sites with demand (no level-of-service inflation).

Note that BFCA's ``A_i`` is *not* a per-capita share of supply:
``sum_i P_i A_i`` generally differs from ``sum_j S_j`` (two areas of 100 and
300 people reaching one site of 8 beds get ``A = 0.01`` each, so
``sum P A = 4``). The supply each area receives once its demand is split is
reported as well, ``supply_share_i = P_i sum_j Wi_ij L_j``, and that one
preserves supply: ``sum_i supply_share_i = sum_j S_j`` over the sites with
demand (this is the singly-constrained allocation of spatial availability
with the population factor replaced by the demand-side split).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.decay import Decay, UniformDecay
from accessplan.spatial.fca import AccessResult, resolve_decay
from accessplan.spatial.measure_inputs import check_positive_option
from accessplan.spatial.od_codes import CodedOD, coded_measure_inputs
from accessplan.spatial.od_sums import origin_sums, site_sums

__all__ = ["BalancedAccessResult", "balanced_fca"]


@dataclass(frozen=True, eq=False)
class BalancedAccessResult(AccessResult):
    """An :class:`~accessplan.spatial.fca.AccessResult` with BFCA's extra outputs.

    ``access`` is BFCA's ``A_i``; ``site_ratio`` the level of service ``L_j``;
    ``site_population`` the balanced demand ``D_j``; ``method`` is ``"bfca"``.

    Attributes
    ----------
    supply_share : pandas.Series
        ``P_i sum_j Wi_ij L_j``, the supply each area receives once its
        demand is split among the sites it reaches; sums to the supply of
        the sites with demand. Never normalised.
    """

    supply_share: pd.Series | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per area: ``access``, ``supply_share`` and ``reaches_supply``."""
        return pd.DataFrame(
            {
                "access": self.access,
                "supply_share": self.supply_share,
                "reaches_supply": self.reaches_supply,
            }
        )


def _bfca(od: CodedOD, population: np.ndarray, capacity: np.ndarray, weight: np.ndarray | None):
    """BFCA over a coded table (pairs within the catchment), in two reads of the pairs.

    ``weight`` is ``W_ij`` per pair, or None for weight 1 on every pair (the
    default, binary decay: then ``sum_k W_ik`` is the pair count of area ``i``,
    known from the table's row pointers). One site-sum pass gives
    ``sum_k W_kj`` and ``D_j`` together; one origin-sum pass gives ``A_i``
    and the supply share (and, when some site has no capacity, whether a
    site with capacity is reached; otherwise that is ``sum_k W_ik > 0``).
    Returns ``access, share, level, balanced_demand, reaches``.
    """
    if weight is None:
        row_total = od.pairs_per_origin().astype(float)
    else:
        row_total = origin_sums(od, np.ones(od.n_sites), pair_weights=weight)
    with np.errstate(divide="ignore", invalid="ignore"):  # areas with no weight: no demand split
        inv_row = np.where(row_total > 0, 1.0 / row_total, 0.0)
    per_area = np.column_stack([np.ones(od.n_origins), inv_row * population])
    per_site = site_sums(od, per_area, pair_weights=weight)
    col_total, balanced_demand = per_site[:, 0], per_site[:, 1]
    level = _level(capacity, balanced_demand)
    with np.errstate(divide="ignore", invalid="ignore"):  # sites with no weight: unused
        site_level = np.where(col_total > 0, level / col_total, 0.0)
    if (capacity > 0).all():  # an area reaches supply when it has weight on any pair
        sums = origin_sums(od, np.column_stack([site_level, level]), pair_weights=weight)
        reaches = row_total > 0
    else:
        columns = np.column_stack([site_level, level, (capacity > 0).astype(float)])
        sums = origin_sums(od, columns, pair_weights=weight)
        reaches = sums[:, 2] > 0
    access = sums[:, 0]
    share = population * inv_row * sums[:, 1]
    return access, share, level, balanced_demand, reaches


def _level(capacity: np.ndarray, balanced_demand: np.ndarray) -> np.ndarray:
    """``L_j = S_j / D_j``, 0 where ``D_j = 0``."""
    n_sites = len(capacity)
    return np.divide(capacity, balanced_demand, out=np.zeros(n_sites), where=balanced_demand > 0)


def balanced_fca(
    od: pd.DataFrame | CodedOD,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
) -> BalancedAccessResult:
    """Balanced floating catchment area access (BFCA) of every area.

    See the module docstring for the formulas (Paez et al. 2019; ipea
    ``accessibility::floating_catchment_area(fca_metric = "bfca")``).

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        Long OD table ``origin_id, site_id, minutes`` (checked here), or the
        same table already checked and coded (:class:`~accessplan.spatial.od_codes.CodedOD`,
        trusted; the fast path at scale); pairs with more than
        ``catchment_minutes`` are ignored; each pair at most once.
    demand : pandas.Series
        Population (>= 0) indexed by area id, every area (also those without OD rows).
    supply : pandas.Series
        Capacity (>= 0) indexed by site id.
    catchment_minutes : float, default 30.0
        Largest travel time counted, inclusive.
    decay : Decay, str or mapping, optional
        Distance decay ``f``; uniform within the catchment by default (ipea's
        ``decay_binary``). It must not reach beyond the catchment.
    normalize : bool, default False
        Divide ``access`` by its population-weighted mean (left alone when 0).

    Returns
    -------
    BalancedAccessResult

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: NaN, negative or infinite population or
        capacity, NaN or negative minutes, unknown or repeated ids, repeated
        pairs, missing columns, a catchment that is not a number > 0.
    accessplan.spatial.errors.UnknownDecayError
        A bad decay, or one reaching beyond the catchment.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "b"], "site_id": ["h", "h"],
    ...                    "minutes": [5.0, 12.0]})
    >>> result = balanced_fca(od, pd.Series({"a": 100.0, "b": 300.0}),
    ...                       pd.Series({"h": 8.0}), catchment_minutes=30)
    >>> result.access.tolist(), result.supply_share.tolist()
    ([0.01, 0.01], [2.0, 6.0])
    """
    problems = ProblemCollector(what="BFCA inputs")
    if check_positive_option(problems, "catchment_minutes", catchment_minutes):
        catchment_minutes = float(catchment_minutes)
        decay = resolve_decay(decay, method="2sfca", catchment_minutes=catchment_minutes)
    coded = coded_measure_inputs(od, supply=supply, demand=demand, problems=problems)
    problems.raise_if_any()

    table, population, capacity = coded
    if isinstance(decay, UniformDecay):
        table = table.within(min(catchment_minutes, decay.catchment_minutes))
        weight = None
    else:
        table = table.within(catchment_minutes)
        weight = np.asarray(decay(table.minutes), dtype=float)
    access, share, level, balanced_demand, reaches = _bfca(table, population, capacity, weight)

    if normalize:
        total = population.sum()
        mean = float(population @ access) / total if total > 0 else 0.0
        if mean > 0:
            access = access / mean

    area_ids, site_ids = table.origin_ids, table.site_ids
    return BalancedAccessResult(
        access=pd.Series(access, index=area_ids.copy(), name="access", dtype=float),
        reaches_supply=pd.Series(reaches, index=area_ids.copy(), name="reaches_supply"),
        site_ratio=pd.Series(level, index=site_ids.copy(), name="site_ratio", dtype=float),
        site_population=pd.Series(
            balanced_demand, index=site_ids.copy(), name="site_population", dtype=float
        ),
        sites_without_population=tuple(site_ids[balanced_demand <= 0]),
        areas_without_supply=tuple(area_ids[~reaches]),
        method="bfca",
        catchment_minutes=catchment_minutes,
        normalized=bool(normalize),
        decay=decay,
        supply_share=pd.Series(share, index=area_ids.copy(), name="supply_share", dtype=float),
    )
