"""Cumulative opportunities: the supply an area reaches within a travel time.

The oldest and most-reported access measure (Wachs & Kumagai 1973; ipea's
``accessibility::cumulative_cutoff``). For area ``i``, threshold ``t`` and a
distance decay ``f`` (a step at ``t`` by default)::

    C_i(t) = sum_j S_j f(d_ij)      over the sites j with d_ij <= t

With the default step this is the plain count ``sum_{j: d_ij <= t} S_j``
(ipea's ``cumulative_cutoff``, travel time inclusive); with a decay it is the
decayed (gravity-type) sum cut at ``t`` (ipea's ``gravity`` restricted to the
pairs within ``t``). There is no competition: each site counts in full for
every area that reaches it, so ``sum_i C_i`` exceeds the total supply when
catchments overlap; see :mod:`accessplan.spatial.bfca` and
:mod:`accessplan.spatial.availability` for measures with competition.

:func:`cumulative_opportunities_table` gives several thresholds at once (the
step form), one column per threshold, from one pass over the OD table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.decay import Decay
from accessplan.spatial.fca import resolve_decay
from accessplan.spatial.measure_inputs import check_positive_option, validate_measure_inputs

__all__ = ["cumulative_opportunities", "cumulative_opportunities_table"]


def cumulative_opportunities(
    od: pd.DataFrame,
    supply: pd.Series,
    *,
    threshold_minutes: float,
    decay: Decay | str | Mapping | None = None,
    areas: Sequence | pd.Index | None = None,
) -> pd.Series:
    """Supply reachable from every area within ``threshold_minutes`` (step or decayed).

    Parameters
    ----------
    od : pandas.DataFrame
        Long OD table ``origin_id, site_id, minutes``; each pair at most once.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id.
    threshold_minutes : float
        Largest travel time counted, inclusive.
    decay : Decay, str or mapping, optional
        Weight of a site at ``d`` minutes; default 1 up to the threshold. It
        must not reach beyond the threshold.
    areas : sequence, optional
        The area ids to report (areas with no pair get 0); default the OD
        table's origin ids in order of first appearance.

    Returns
    -------
    pandas.Series
        Float, indexed by area id, named ``"opportunities"``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem at once: NaN, negative or infinite capacity, NaN or
        negative minutes, unknown, repeated or missing ids, repeated pairs,
        a threshold that is not a number > 0.
    accessplan.spatial.errors.UnknownDecayError
        A bad decay, or one reaching beyond the threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "site_id": ["h", "k", "k"],
    ...                    "minutes": [10.0, 30.0, 31.0]})
    >>> cumulative_opportunities(od, pd.Series({"h": 4.0, "k": 6.0}),
    ...                          threshold_minutes=30).to_dict()
    {'a': 10.0, 'b': 0.0}
    """
    problems = ProblemCollector(what="cumulative opportunities inputs")
    if check_positive_option(problems, "threshold_minutes", threshold_minutes):
        threshold_minutes = float(threshold_minutes)
        decay = resolve_decay(decay, method="2sfca", catchment_minutes=threshold_minutes)
    inputs = validate_measure_inputs(od, supply=supply, areas=areas, problems=problems)
    problems.raise_if_any()
    rows, cols, minutes = inputs.within(threshold_minutes)
    weight = inputs.capacity[cols] * np.asarray(decay(minutes), dtype=float)
    total = np.bincount(rows, weight, minlength=len(inputs.area_ids))
    return pd.Series(total, index=inputs.area_ids.copy(), name="opportunities", dtype=float)


def cumulative_opportunities_table(
    od: pd.DataFrame,
    supply: pd.Series,
    *,
    thresholds_minutes: Sequence[float],
    areas: Sequence | pd.Index | None = None,
) -> pd.DataFrame:
    """Step cumulative opportunities for several thresholds at once.

    Parameters
    ----------
    od, supply, areas
        See :func:`cumulative_opportunities`.
    thresholds_minutes : sequence of float
        Thresholds (each > 0; e.g. ``[15, 30, 60, 120]``), in any order.

    Returns
    -------
    pandas.DataFrame
        One row per area, one float column per threshold, named by the
        threshold in minutes (``"within_15"``, ``"within_30"``, ...; a
        threshold such as 7.5 gives ``"within_7.5"``), in increasing order.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        As :func:`cumulative_opportunities`, plus an empty, repeated or
        non-numeric list of thresholds.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "site_id": ["h", "k", "k"],
    ...                    "minutes": [10.0, 30.0, 31.0]})
    >>> cumulative_opportunities_table(od, pd.Series({"h": 4.0, "k": 6.0}),
    ...                                thresholds_minutes=[60, 15]).to_dict("index")
    {'a': {'within_15': 4.0, 'within_60': 10.0}, 'b': {'within_15': 0.0, 'within_60': 6.0}}
    """
    problems = ProblemCollector(what="cumulative opportunities inputs")
    thresholds: list[float] = []
    if isinstance(thresholds_minutes, str | bytes) or not isinstance(
        thresholds_minutes, Sequence | np.ndarray
    ):
        problems.add(f"thresholds_minutes must be a list of numbers, got {thresholds_minutes!r}")
    elif len(thresholds_minutes) == 0:
        problems.add("thresholds_minutes is empty: give at least one threshold")
    else:
        ok = [check_positive_option(problems, "a threshold", t) for t in thresholds_minutes]
        if all(ok):
            thresholds = sorted(float(t) for t in thresholds_minutes)
            if len(set(thresholds)) != len(thresholds):
                problems.add(f"thresholds_minutes repeats a value: {list(thresholds_minutes)}")
    inputs = validate_measure_inputs(od, supply=supply, areas=areas, problems=problems)
    problems.raise_if_any()
    rows, cols, minutes = inputs.within(thresholds[-1])
    n_areas = len(inputs.area_ids)
    # each pair goes to the first threshold band it falls in, then the bands are summed up
    band = np.searchsorted(np.asarray(thresholds), minutes, side="left")
    flat = np.bincount(
        rows.astype(np.int64) * len(thresholds) + band,
        inputs.capacity[cols],
        minlength=n_areas * len(thresholds),
    )
    cumulative = np.cumsum(flat.reshape(n_areas, len(thresholds)), axis=1)
    names = [f"within_{t:g}" for t in thresholds]
    return pd.DataFrame(cumulative, index=inputs.area_ids.copy(), columns=names, dtype=float)
