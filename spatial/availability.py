"""Spatial availability (Soukhov, Tarriño-Ortiz, Soria-Lara & Páez 2023).

Soukhov, A., Tarriño-Ortiz, J., Soria-Lara, J. A. & Páez, A. (2023)
"Introducing spatial availability, a singly-constrained measure of
competitive accessibility", PLOS ONE 18(1): e0278468; ipea's
``accessibility::spatial_availability`` implements the same definition.

Every site's supply ``S_j`` is shared out among the areas that reach it, in
proportion to a population balancing factor and an impedance balancing factor,
so that no supply is created or lost (a singly-constrained allocation)::

    Fp_ij = P_i**alpha / sum_k P_k**alpha        (population: bigger areas claim more)
    Fc_ij = f(d_ij) / sum_k f(d_kj)              (impedance: nearer areas claim more)
    F_ij  = Fp_ij Fc_ij / sum_k Fp_kj Fc_kj      (combined, sums to 1 over i for each j)
    V_ij  = S_j F_ij        V_i = sum_j V_ij     v_i = V_i / P_i (per capita)

The per-site denominators cancel, so ``F_ij = P_i**alpha f(d_ij) / sum_k
P_k**alpha f(d_kj)``. Identity (tested): ``sum_i V_i = sum_j S_j`` over the
sites whose weighted population ``sum_k P_k**alpha f(d_kj)`` is > 0; the
supply of other sites reaches nobody and is not allocated.

``alpha`` modulates the population effect: below 1 smaller areas receive
relatively more, above 1 larger ones. One definitional choice differs from
ipea's code: an area with no population takes no share even when
``alpha = 0`` (ipea computes ``0**0 = 1`` and gives empty areas a share); for
``alpha > 0`` the two are identical.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.decay import Decay, make_decay
from accessplan.spatial.fca import resolve_decay
from accessplan.spatial.measure_inputs import check_positive_option, validate_measure_inputs

__all__ = ["spatial_availability"]


def spatial_availability(
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: Decay | str | Mapping,
    alpha: float = 1.0,
    catchment_minutes: float | None = None,
) -> pd.DataFrame:
    """Spatial availability of every area: its share of every site's supply.

    See the module docstring for the formulas.

    Parameters
    ----------
    od : pandas.DataFrame
        Long OD table ``origin_id, site_id, minutes``; each pair at most once.
        Pairs left out of the table count as unreachable (weight 0).
    demand : pandas.Series
        Population (>= 0) indexed by area id, every area.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id.
    decay : Decay, str or mapping
        The impedance function ``f`` (any :mod:`accessplan.spatial.decay`
        object or its scenario-file form, or a :class:`Decay` subclass of
        your own, e.g. a negative exponential).
    alpha : float, default 1.0
        Population exponent (>= 0).
    catchment_minutes : float, optional
        Ignore pairs beyond it (and give it to decays that take one).

    Returns
    -------
    pandas.DataFrame
        One row per area (the demand index): ``availability`` (``V_i``, in
        supply units), ``availability_per_capita`` (``V_i / P_i``; 0 where
        ``P_i = 0``) and ``reaches_supply`` (the area reaches a site with
        capacity at a weight > 0).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem at once: NaN, negative or infinite population or
        capacity, NaN or negative minutes, unknown or repeated ids, repeated
        pairs, a bad ``alpha`` or ``catchment_minutes``.
    accessplan.spatial.errors.UnknownDecayError
        A bad decay, or one reaching beyond ``catchment_minutes``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "b"], "site_id": ["h", "h"],
    ...                    "minutes": [5.0, 12.0]})
    >>> spatial_availability(od, pd.Series({"a": 100.0, "b": 300.0}),
    ...                      pd.Series({"h": 8.0}), decay="uniform",
    ...                      catchment_minutes=30)["availability"].to_dict()
    {'a': 2.0, 'b': 6.0}
    """
    problems = ProblemCollector(what="spatial availability inputs")
    check_positive_option(problems, "alpha", alpha, allow_zero=True)
    if catchment_minutes is not None and check_positive_option(
        problems, "catchment_minutes", catchment_minutes
    ):
        catchment_minutes = float(catchment_minutes)
        decay = resolve_decay(decay, method="2sfca", catchment_minutes=catchment_minutes)
    elif catchment_minutes is None:
        decay = make_decay(decay)
    inputs = validate_measure_inputs(od, supply=supply, demand=demand, problems=problems)
    problems.raise_if_any()

    n_areas, n_sites = len(inputs.area_ids), len(inputs.site_ids)
    population, capacity = inputs.population, inputs.capacity
    rows, cols, minutes = inputs.within(catchment_minutes)
    impedance = np.asarray(decay(minutes), dtype=float)

    # P_i ** alpha, with empty areas claiming nothing whatever alpha
    claim = np.zeros(n_areas)
    np.power(population, float(alpha), out=claim, where=population > 0)
    combined = claim[rows] * impedance  # Fp * Fc up to per-site constants
    per_site = np.bincount(cols, combined, minlength=n_sites)
    share = np.divide(combined, per_site[cols], out=np.zeros(len(combined)), where=combined > 0)
    availability = np.bincount(rows, share * capacity[cols], minlength=n_areas)
    per_capita = np.divide(availability, population, out=np.zeros(n_areas), where=population > 0)
    reaches = np.bincount(rows, ((impedance > 0) & (capacity[cols] > 0)).astype(float), n_areas) > 0
    index = inputs.area_ids.copy()
    return pd.DataFrame(
        {
            "availability": availability,
            "availability_per_capita": per_capita,
            "reaches_supply": reaches,
        },
        index=index,
    )
