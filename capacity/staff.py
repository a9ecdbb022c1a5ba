"""Companion staff for a number of units: respiratory therapists for ventilators, and the like.

A ratio says how many units one person looks after on one shift
(``per_staff``: e.g. one respiratory therapist per 10 ventilated patients).
The rule, per site::

    on_shift = ceil(units / per_staff)                   people on duty in each shift
    staff    = ceil(on_shift * shifts_per_day * relief_factor)   people employed

``shifts_per_day`` covers the day (3 shifts of 8 hours, 2 of 12 hours);
``relief_factor`` (>= 1, often 1.4 to 1.8 for round-the-clock posts) scales
the shifts to cover days off, leave, sickness and training: the number of
people needed to keep one post filled, per shift of the day. The default
1.0 gives the head count of one day's shifts with no relief.

People come in whole numbers, so both steps round up. A ratio that lands a
hair above a whole number only through floating-point rounding (``4.2 / 0.3``
is ``14.000000000000002``) counts as that whole number (``14``), not the next:
quotients within 1e-9 relative of a whole number are snapped to it first.

Every function is vectorised over sites (arrays or pandas Series in, numpy
int64 arrays out; a scalar in gives a numpy scalar out).

    >>> from accessplan.capacity.staff import staff_for
    >>> staff_for([0, 1, 10, 11, 25], per_staff=10, shifts_per_day=3).tolist()
    [0, 3, 3, 6, 9]
    >>> staff_for([25], per_staff=10, shifts_per_day=3, relief_factor=1.5).tolist()
    [14]
"""

from __future__ import annotations

import numpy as np

from accessplan.capacity.erlang import (
    _broadcast,
    _check_real,
    _check_whole,
    _Problems,
    _where,
)

__all__ = ["staff_for", "staff_per_shift"]

#: relative tolerance for treating a quotient as a whole number before rounding up
_SNAP = 1e-9


def _ceil(x: np.ndarray) -> np.ndarray:
    """Round up, but take values within ``_SNAP`` (relative) of a whole number as that number."""
    nearest = np.round(x)
    snapped = np.where(np.abs(x - nearest) <= _SNAP * np.maximum(np.abs(nearest), 1.0), nearest, x)
    return np.ceil(snapped).astype(np.int64)


def _scalar_or_array(values: np.ndarray):
    return values[()] if values.ndim == 0 else values


def _per_shift(units: np.ndarray, per_staff: np.ndarray) -> np.ndarray:
    return _ceil(units / per_staff)


def staff_per_shift(units, *, per_staff=10.0):
    """People on duty in each shift: ``ceil(units / per_staff)``.

    Parameters
    ----------
    units : float or array_like
        Units per site (ventilators, beds), ``>= 0``; fractional values
        (e.g. a mean number of patients) are allowed.
    per_staff : float or array_like
        Units one person looks after in one shift, ``> 0``. Broadcasts with ``units``.

    Returns
    -------
    numpy.ndarray of int64 or numpy.int64

    Raises
    ------
    QueueInputError
        Negative, NaN or infinite units; ``per_staff`` not ``> 0``.

    Examples
    --------
    >>> staff_per_shift([0, 9, 10, 10.5], per_staff=10).tolist()
    [0, 1, 1, 2]
    """
    problems = _Problems("staffing inputs")
    u = _check_real("units", units, problems)
    r = _check_real("per_staff", per_staff, problems, positive=True)
    problems.raise_if_any()
    arrays = _broadcast(problems, units=u, per_staff=r)
    problems.raise_if_any()
    return _scalar_or_array(_per_shift(*arrays))


def staff_for(units, *, per_staff=10.0, shifts_per_day=3, relief_factor=1.0):
    """People to employ per site: ``ceil(ceil(units / per_staff) * shifts_per_day * relief_factor)``.

    Parameters
    ----------
    units : float or array_like
        Units per site (e.g. ventilators from
        :func:`accessplan.capacity.erlang.servers_for_mean_wait`), ``>= 0``.
    per_staff : float or array_like
        Units one person looks after in one shift, ``> 0`` (default 10: one
        respiratory therapist per 10 ventilators).
    shifts_per_day : int or array_like of int
        Shifts that cover a day, a whole number ``>= 1`` (default 3 of 8 hours).
    relief_factor : float or array_like
        People needed to keep one post filled per shift of the day, allowing
        for days off and leave, ``>= 1`` (default 1.0: no relief).
        All parameters broadcast with ``units``.

    Returns
    -------
    numpy.ndarray of int64 or numpy.int64
        Head count per site; 0 where ``units`` is 0.

    Raises
    ------
    QueueInputError
        Negative, NaN or infinite inputs, ``per_staff`` not ``> 0``,
        ``shifts_per_day`` not a whole number ``>= 1``, ``relief_factor < 1``;
        every bad element is named.

    Examples
    --------
    >>> int(staff_for(72, per_staff=10, shifts_per_day=3, relief_factor=1.4))
    34
    """
    problems = _Problems("staffing inputs")
    u = _check_real("units", units, problems)
    r = _check_real("per_staff", per_staff, problems, positive=True)
    shifts = _check_whole("shifts_per_day", shifts_per_day, problems)
    if shifts is not None and (shifts < 1).any():
        problems.add(f"{_where('shifts_per_day', shifts < 1, shifts)}: must be >= 1")
    relief = _check_real("relief_factor", relief_factor, problems)
    if relief is not None:
        with np.errstate(invalid="ignore"):
            low = relief < 1
        if low.any():
            problems.add(f"{_where('relief_factor', low, relief)}: must be >= 1")
    problems.raise_if_any()
    arrays = _broadcast(problems, units=u, per_staff=r, shifts_per_day=shifts, relief_factor=relief)
    problems.raise_if_any()
    u, r, shifts, relief = arrays
    on_shift = _per_shift(u, r)
    return _scalar_or_array(_ceil(on_shift * shifts * relief))
