"""Floating-catchment access scores: 2SFCA, E2SFCA, Gaussian, gravity, 3SFCA, M2SFCA.

All methods share one computation over a sparse origins x sites weight
matrix ``W`` built from the OD table (only pairs within the catchment), run
as two compiled reads of the checked, coded table
(:class:`~accessplan.spatial.od_codes.CodedOD`; a long DataFrame is checked
and coded once on entry):

* site ratio ``R_j = S_j / D_j`` with ``D_j = sum_i P_i W_ij`` the weighted
  population in reach of site ``j`` (``R_j = 0`` when ``D_j = 0``: that
  site's supply reaches nobody and is reported, never ``inf``);
* area access ``A_i = sum_j W_ij R_j`` (0 for areas that reach no supply,
  which are flagged, never ``NaN``).

The variants differ only in ``W`` (``f`` is the decay, ``d_ij`` the minutes,
pairs with ``d_ij <= catchment`` only) and in their default decay:

* ``2sfca``: ``W_ij = f(d_ij)``; uniform by default (Luo & Wang 2003);
* ``e2sfca``: ``W_ij = f(d_ij)``; step weights 1, 0.68, 0.22 (Luo & Qi 2009);
* ``g2sfca``: ``W_ij = f(d_ij)``; Gaussian, Dai's (2010) form by default;
* ``gravity``: ``W_ij = f(d_ij)``; power decay ``d**-beta``, beta = 1 by default;
* ``3sfca``: ``W_ij = G_ij f(d_ij)`` with the selection weight ``G`` below;
  step weights 0.962, 0.704, 0.377, 0.042 (Wan, Zou & Sternberg 2012);
* ``m2sfca``: ``f(d_ij)`` in ``D_j`` and ``f(d_ij)**2`` in ``A_i``; Luo & Qi's
  steps by default (Delamater 2013).

3SFCA's selection weight is ``G_ij = T_ij / sum_k T_ik`` where ``T_ij`` is
the selection decay (the same decay by default) and the sum runs over the
sites *within area i's catchment* that have capacity (``S_k > 0``) only. (PySAL
access normalises over every row of the cost table, including sites beyond
the catchment; that is a bug, not copied here.)

For every method but M2SFCA, ``sum_i P_i A_i = sum_j S_j`` over the sites with
population in reach: supply is neither created nor lost. M2SFCA deliberately
loses the supply that a distant population would only reach poorly.

Inputs (see :func:`access_scores`): the OD table is a long DataFrame with
columns ``origin_id, site_id, minutes``; demand is a Series of population
(or need weight) indexed by area id, covering every area, including those
with no OD rows; supply is a Series of capacity indexed by site id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.decay import (
    Decay,
    gaussian_decay,
    gravity_decay,
    make_decay,
    step_decay,
    uniform_decay,
)
from accessplan.spatial.errors import UnknownDecayError, UnknownMethodError
from accessplan.spatial.fca_inputs import OD_COLUMNS, check_access_inputs, check_od_frame

if TYPE_CHECKING:
    from accessplan.spatial.od_codes import CodedOD

__all__ = [
    "METHODS",
    "OD_COLUMNS",
    "AccessResult",
    "access_scores",
    "check_od_frame",
    "default_decay",
    "enhanced_two_step_fca",
    "gaussian_two_step_fca",
    "gravity_access",
    "modified_two_step_fca",
    "resolve_decay",
    "three_step_fca",
    "two_step_fca",
]

#: Access methods accepted by :func:`access_scores`.
METHODS = ("2sfca", "e2sfca", "g2sfca", "gravity", "3sfca", "m2sfca")

# Luo & Qi (2009): weights of three equal travel-time zones of the catchment.
_LUO_QI = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
# Wan, Zou & Sternberg (2012): zones 0-10, 10-20, 20-30, 30-60 of a 60-minute catchment.
_WAN = ((1 / 6, 0.962), (1 / 3, 0.704), (1 / 2, 0.377), (1.0, 0.042))


@dataclass(frozen=True, eq=False)
class AccessResult:
    """Access scores of every area, and the supply/demand ratio of every site.

    Attributes
    ----------
    access : pandas.Series
        ``A_i`` for every demand id (float; 0 where no supply is reachable);
        divided by the population-weighted mean when ``normalized``.
    reaches_supply : pandas.Series of bool
        True where the area reaches at least one site with capacity.
    site_ratio : pandas.Series
        ``R_j = S_j / D_j`` for every supply id; 0.0 for sites with no
        population in reach. Never normalised.
    site_population : pandas.Series
        ``D_j``, the (decay-weighted; for 3SFCA also selection-weighted)
        population in reach of each site.
    sites_without_population : tuple
        Site ids with ``D_j = 0`` (their supply is not distributed).
    areas_without_supply : tuple
        Area ids where ``reaches_supply`` is False.
    method : str
        One of :data:`METHODS`.
    catchment_minutes : float
        The catchment used (OD pairs with more minutes are ignored).
    normalized : bool
        Whether ``access`` was divided by its population-weighted mean.
    decay : Decay
        The distance decay used.
    """

    access: pd.Series
    reaches_supply: pd.Series
    site_ratio: pd.Series
    site_population: pd.Series
    sites_without_population: tuple
    areas_without_supply: tuple
    method: str
    catchment_minutes: float
    normalized: bool
    decay: Decay | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per area: columns ``access`` and ``reaches_supply``."""
        return pd.DataFrame({"access": self.access, "reaches_supply": self.reaches_supply})

    def to_site_frame(self) -> pd.DataFrame:
        """One row per site: columns ``site_ratio`` and ``site_population``."""
        return pd.DataFrame(
            {"site_ratio": self.site_ratio, "site_population": self.site_population}
        )


def default_decay(method: str, *, catchment_minutes: float) -> Decay:
    """The distance decay a method uses when none is given.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    catchment_minutes : float
        The catchment ``d0``.

    Returns
    -------
    Decay
        * ``2sfca``: uniform within ``d0``;
        * ``e2sfca`` and ``m2sfca``: Luo & Qi's steps, weights 1.0, 0.68,
          0.22 on the thirds of ``d0`` (``{10: 1, 20: 0.68, 30: 0.22}`` for 30 minutes);
        * ``g2sfca``: Dai's Gaussian reaching 0 at ``d0``;
        * ``gravity``: ``d**-1`` (minutes below 1 count as 1), cut at ``d0``;
        * ``3sfca``: Wan et al.'s steps 0.962, 0.704, 0.377, 0.042 at 1/6, 1/3,
          1/2 and all of ``d0`` (``{10: .962, 20: .704, 30: .377, 60: .042}`` for 60 minutes).
    """
    method = _check_method(method)
    d0 = float(catchment_minutes)
    if method == "2sfca":
        return uniform_decay(catchment_minutes=d0)
    if method in ("e2sfca", "m2sfca"):
        return step_decay({d0 * f: w for f, w in _LUO_QI})
    if method == "g2sfca":
        return gaussian_decay(catchment_minutes=d0)
    if method == "gravity":
        return gravity_decay(beta=1.0, catchment_minutes=d0)
    return step_decay({d0 * f: w for f, w in _WAN})


def _check_method(method) -> str:
    name = method.strip().lower() if isinstance(method, str) else method
    if name not in METHODS:
        raise UnknownMethodError(
            f"unknown access method {method!r}; accepted: {', '.join(METHODS)}"
        )
    return name


def _run(
    od,
    demand,
    supply,
    *,
    method: str,
    catchment_minutes,
    decay,
    selection_decay=None,
    normalize: bool,
) -> AccessResult:
    method = _check_method(method)
    problems = ProblemCollector(what="access inputs")
    catchment_ok = (
        isinstance(catchment_minutes, Real)
        and not isinstance(catchment_minutes, bool)
        and math.isfinite(catchment_minutes)
        and catchment_minutes > 0
    )
    if not catchment_ok:
        problems.add(f"catchment_minutes must be a finite number > 0, got {catchment_minutes!r}")
    else:
        catchment_minutes = float(catchment_minutes)
        decay = resolve_decay(decay, method=method, catchment_minutes=catchment_minutes)
        if selection_decay is not None:
            selection_decay = resolve_decay(
                selection_decay,
                method=method,
                catchment_minutes=catchment_minutes,
                name="selection_decay",
            )
    from accessplan.spatial.od_codes import CodedOD, coded_measure_inputs  # (imports this module)

    if isinstance(od, CodedOD):
        coded = coded_measure_inputs(od, supply=supply, demand=demand, problems=problems)
        problems.raise_if_any()
        table, population, capacity = coded
    else:
        inputs = check_access_inputs(od, demand, supply, problems)
        problems.raise_if_any()
        table = CodedOD.from_positions(
            inputs.rows,
            inputs.cols,
            inputs.minutes,
            origin_ids=inputs.demand_ids,
            site_ids=inputs.site_ids,
        )
        population, capacity = inputs.population, inputs.capacity
    return _compute(
        table,
        population,
        capacity,
        method=method,
        catchment_minutes=catchment_minutes,
        decay=decay,
        selection_decay=decay if selection_decay is None else selection_decay,
        normalize=normalize,
    )


def resolve_decay(decay, *, method: str, catchment_minutes: float, name: str = "decay") -> Decay:
    """The decay an access method uses: ``decay`` as given, or the method's default.

    Parameters
    ----------
    decay : Decay, str, Mapping or None
        A decay object, a type name, or its scenario-table form; None for the
        method's default (see :func:`default_decay`).
    method : str
        An access method name (already validated).
    catchment_minutes : float
        The catchment; a decay reaching beyond it is an error.
    name : str, default "decay"
        How the decay is named in messages.

    Returns
    -------
    Decay

    Raises
    ------
    UnknownDecayError
        An unknown or malformed decay, or one reaching past the catchment.
    """
    if decay is None:
        return default_decay(method, catchment_minutes=catchment_minutes)
    if not isinstance(decay, Decay | str | Mapping):
        raise UnknownDecayError(
            f"{name} must be a Decay, a type name or a table, got {type(decay).__name__}"
        )
    decay = make_decay(decay, catchment_minutes=catchment_minutes)
    reach = decay.max_minutes
    if reach is not None and reach > catchment_minutes * (1 + 1e-12):
        raise UnknownDecayError(
            f"the {name} reaches {reach:g} minutes but catchment_minutes is "
            f"{catchment_minutes:g}: pairs beyond the catchment would be cut silently; "
            "give the same catchment to both"
        )
    return decay


def _compute(
    table,
    population: np.ndarray,
    capacity: np.ndarray,
    *,
    method: str,
    catchment_minutes: float,
    decay: Decay,
    selection_decay: Decay,
    normalize: bool,
) -> AccessResult:
    """The scores over a checked :class:`~accessplan.spatial.od_codes.CodedOD`.

    Two reads of the pairs within the catchment: the site sums
    ``sum_i P_i W_ij`` (:func:`~accessplan.spatial.od_sums.site_sums`), then
    the origin sums ``sum_j W_ij R_j`` and whether a site with capacity is
    reached (:func:`~accessplan.spatial.od_sums.origin_sums`); 3SFCA first
    sums its selection weights per origin.
    """
    from accessplan.spatial.od_sums import origin_sums, site_sums

    table = table.within(catchment_minutes)
    minutes = table.minutes
    weights = np.asarray(decay(minutes), dtype=float)
    n_sites = table.n_sites

    if method == "3sfca":
        # Selection weights normalised over the sites with capacity in each
        # area's own catchment (the pairs kept above), never the whole table.
        # (a copy: it is changed in place below and must never alias the inputs)
        if selection_decay is decay or selection_decay == decay:
            select = weights.copy()
        else:
            select = np.array(selection_decay(minutes), dtype=float, copy=True)
        if not (capacity > 0).all():
            select[capacity[table.site_codes] <= 0] = 0.0
        totals = origin_sums(table, np.ones(n_sites), pair_weights=select)
        # W_ij * G_ij = W_ij * T_ij / sum_k T_ik, in place
        per_row = np.repeat(totals, table.pairs_per_origin())
        # (a zero total means every T_ik of that row is already 0)
        np.divide(select, per_row, out=select, where=per_row > 0)
        del per_row
        weights = weights * select
        del select

    site_population = site_sums(table, population, pair_weights=weights)
    ratio = np.divide(capacity, site_population, out=np.zeros(n_sites), where=site_population > 0)
    access_weights = weights * weights if method == "m2sfca" else weights
    if access_weights is weights:
        sums = origin_sums(
            table, np.column_stack([ratio, (capacity > 0).astype(float)]), pair_weights=weights
        )
        access, reaches = sums[:, 0], sums[:, 1] > 0
    else:
        access = origin_sums(table, ratio, pair_weights=access_weights)
        reaches = origin_sums(table, (capacity > 0).astype(float), pair_weights=weights) > 0

    if normalize:
        total = population.sum()
        mean = float(population @ access) / total if total > 0 else 0.0
        if mean > 0:
            access = access / mean

    demand_ids, site_ids = table.origin_ids, table.site_ids
    no_population = site_population <= 0
    return AccessResult(
        access=pd.Series(access, index=demand_ids.copy(), name="access", dtype=float),
        reaches_supply=pd.Series(reaches, index=demand_ids.copy(), name="reaches_supply"),
        site_ratio=pd.Series(ratio, index=site_ids.copy(), name="site_ratio", dtype=float),
        site_population=pd.Series(
            site_population, index=site_ids.copy(), name="site_population", dtype=float
        ),
        sites_without_population=tuple(site_ids[no_population]),
        areas_without_supply=tuple(demand_ids[~reaches]),
        method=method,
        catchment_minutes=catchment_minutes,
        normalized=bool(normalize),
        decay=decay,
    )


def access_scores(
    od: pd.DataFrame | CodedOD,
    demand: pd.Series,
    supply: pd.Series,
    *,
    method: str = "2sfca",
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Floating-catchment access score of every area.

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        Long OD table with columns ``origin_id`` (demand id), ``site_id``
        (supply id) and ``minutes`` (>= 0), or the same table checked and
        coded (:class:`~accessplan.spatial.od_codes.CodedOD`, trusted). Sparse: pairs beyond the catchment
        may be left out; rows with ``minutes > catchment_minutes`` are
        ignored. Each (origin_id, site_id) pair appears at most once.
    demand : pandas.Series
        Population (or need weight, >= 0) indexed by area id; every area,
        including areas without OD rows.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id.
    method : str, default "2sfca"
        One of ``"2sfca"``, ``"e2sfca"``, ``"g2sfca"`` (Gaussian),
        ``"gravity"``, ``"3sfca"``, ``"m2sfca"`` (see the module docstring).
    catchment_minutes : float, default 30.0
        Largest travel time counted, inclusive.
    decay : Decay, str or mapping, optional
        Distance decay (any :mod:`accessplan.spatial.decay` object, or its
        scenario-file form, see :func:`~accessplan.spatial.decay.make_decay`).
        Defaults to the method's own, see :func:`default_decay`. A decay must
        not reach beyond ``catchment_minutes``.
    normalize : bool, default False
        Divide access by its population-weighted mean, so that the mean is 1
        (left unchanged when that mean is 0).

    Returns
    -------
    AccessResult

    Raises
    ------
    UnknownMethodError
        For a method not in :data:`METHODS`.
    UnknownDecayError
        For a bad decay, or one reaching beyond the catchment.
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs: NaN, infinite or negative
        population or capacity, NaN or negative minutes, OD ids missing from
        the demand or supply index, repeated ids or OD pairs, missing columns,
        ``catchment_minutes <= 0``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "site_id": ["h", "k", "h"],
    ...                    "minutes": [5.0, 25.0, 12.0]})
    >>> demand = pd.Series({"a": 100.0, "b": 300.0, "c": 50.0})
    >>> supply = pd.Series({"h": 8.0, "k": 2.0})
    >>> result = access_scores(od, demand, supply, catchment_minutes=30)
    >>> result.access.round(4).to_dict()
    {'a': 0.04, 'b': 0.02, 'c': 0.0}
    >>> result.areas_without_supply
    ('c',)
    """
    return _run(
        od,
        demand,
        supply,
        method=method,
        catchment_minutes=catchment_minutes,
        decay=decay,
        normalize=normalize,
    )


def two_step_fca(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Two-step floating catchment (Luo & Wang 2003), uniform within the catchment.

    A ``decay`` turns it into the generalised 2SFCA. See :func:`access_scores`
    for the parameters, result and errors.
    """
    return _run(
        od,
        demand,
        supply,
        method="2sfca",
        catchment_minutes=catchment_minutes,
        decay=decay,
        normalize=normalize,
    )


def enhanced_two_step_fca(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    steps: Mapping[float, float] | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Enhanced 2SFCA (Luo & Qi 2009): step weights by travel-time zone.

    Parameters
    ----------
    od, demand, supply, catchment_minutes, normalize
        See :func:`access_scores`.
    steps : mapping, optional
        Upper bound minutes -> weight (see
        :func:`~accessplan.spatial.decay.step_decay`); default Luo & Qi's
        1.0, 0.68, 0.22 on the thirds of the catchment.

    Returns
    -------
    AccessResult
    """
    return _run(
        od,
        demand,
        supply,
        method="e2sfca",
        catchment_minutes=catchment_minutes,
        decay=None if steps is None else {"type": "step", "steps": steps},
        normalize=normalize,
    )


def gaussian_two_step_fca(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    sigma_minutes: float | None = None,
    truncate_below: float | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Gaussian 2SFCA: Dai's (2010) Gaussian by default, plain or truncated on request.

    Parameters
    ----------
    od, demand, supply, catchment_minutes, normalize
        See :func:`access_scores`.
    sigma_minutes, truncate_below : float, optional
        See :func:`~accessplan.spatial.decay.gaussian_decay` for the formulas.

    Returns
    -------
    AccessResult
    """
    decay = None
    if sigma_minutes is not None or truncate_below is not None:
        decay = {"type": "gaussian", "sigma_minutes": sigma_minutes}
        decay["truncate_below"] = truncate_below
        decay = {k: v for k, v in decay.items() if v is not None}
    return _run(
        od,
        demand,
        supply,
        method="g2sfca",
        catchment_minutes=catchment_minutes,
        decay=decay,
        normalize=normalize,
    )


def gravity_access(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    beta: float = 1.0,
    min_minutes: float = 1.0,
    catchment_minutes: float = 30.0,
    normalize: bool = False,
) -> AccessResult:
    """Gravity-model access (2SFCA with power decay ``d**-beta`` within the catchment).

    Parameters
    ----------
    od, demand, supply, catchment_minutes, normalize
        See :func:`access_scores`.
    beta : float, default 1.0
        Decay exponent (>= 0).
    min_minutes : float, default 1.0
        Travel times below it count as it (see
        :func:`~accessplan.spatial.decay.gravity_decay`; handles ``d = 0``).

    Returns
    -------
    AccessResult
    """
    return _run(
        od,
        demand,
        supply,
        method="gravity",
        catchment_minutes=catchment_minutes,
        decay={"type": "gravity", "beta": beta, "min_minutes": min_minutes},
        normalize=normalize,
    )


def three_step_fca(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    selection_decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Three-step floating catchment (Wan, Zou & Sternberg 2012).

    Each area splits its demand over the sites in its catchment in
    proportion to the selection weight ``G_ij = T_ij / sum_k T_ik``, the sum
    running over the sites with capacity *within the catchment only*; then
    ``R_j = S_j / sum_i G_ij W_ij P_i`` and ``A_i = sum_j G_ij W_ij R_j``.

    Parameters
    ----------
    od, demand, supply, catchment_minutes, normalize
        See :func:`access_scores`.
    decay : optional
        Distance decay ``W``; default Wan et al.'s steps (see :func:`default_decay`).
    selection_decay : optional
        Decay ``T`` for the selection weights; default the same as ``decay``.

    Returns
    -------
    AccessResult
    """
    return _run(
        od,
        demand,
        supply,
        method="3sfca",
        catchment_minutes=catchment_minutes,
        decay=decay,
        selection_decay=selection_decay,
        normalize=normalize,
    )


def modified_two_step_fca(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
) -> AccessResult:
    """Modified 2SFCA (Delamater 2013): ``A_i = sum_j W_ij**2 S_j / sum_k P_k W_kj``.

    The decay is applied a second time on the way back, so supply reached
    only poorly is partly lost: ``sum_i P_i A_i <= sum_j S_j``.

    Parameters
    ----------
    od, demand, supply, catchment_minutes, normalize
        See :func:`access_scores`.
    decay : optional
        Distance decay; default Luo & Qi's steps (see :func:`default_decay`).

    Returns
    -------
    AccessResult
    """
    return _run(
        od,
        demand,
        supply,
        method="m2sfca",
        catchment_minutes=catchment_minutes,
        decay=decay,
        normalize=normalize,
    )
