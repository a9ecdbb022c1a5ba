"""Shared input checks of the inequity and access-poverty measures.

:mod:`accessplan.spatial.inequity` (Gini, Theil, Lorenz, SPAR) and
:mod:`accessplan.spatial.poverty` (Palma, concentration index, FGT) read the
same inputs: one row per area, an access vector ``x_i``, a population (or
need) weight ``w_i`` and perhaps an ordering or a group label, each a numpy
array, a list or a pandas Series. The rules they share live here:

* every input is one-dimensional and numeric (:func:`as_float_input`), with no
  NaN, no infinity and, for access and population, no negative value; a
  population that is 0 everywhere measures nothing (:func:`report_bad_values`);
* the first input is the reference: it must not be empty, and its index labels
  must not repeat when it is a Series (:func:`align_to_reference`);
* another input is aligned on the reference's index labels when both are
  Series (same labels, none repeated, none missing, none extra), and matched
  by position otherwise (same length);
* a problem names the rows: index labels for a Series, positions otherwise
  (0-based for the inequity measures, 1-based for the poverty measures:
  :func:`row_labels`).

Every problem is recorded in a :class:`~accessplan.data.errors.ProblemCollector`
and raised once by the caller. :func:`before_after_table` builds the
``before, after, change`` table both modules' comparisons return, with
``change = after - before`` for every measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector

__all__ = [
    "align_to_reference",
    "as_float_input",
    "before_after_table",
    "is_one_dimensional",
    "report_bad_values",
    "row_labels",
]


def row_labels(labels: pd.Index | None, mask: np.ndarray, *, first_row: int = 0) -> tuple:
    """Labels of the rows where ``mask``; their positions when there are no labels.

    Parameters
    ----------
    labels : pandas.Index or None
        The index of a Series input, None for an array or a list.
    mask : numpy.ndarray of bool
        The rows to name.
    first_row : int, default 0
        Number of the first position (0 or 1) when there are no labels.

    Returns
    -------
    tuple
    """
    if labels is None:
        return tuple((np.flatnonzero(mask) + first_row).tolist())
    return tuple(labels[mask].tolist())


def is_one_dimensional(obj, column: str, problems: ProblemCollector, *, source=None) -> bool:
    """Whether ``obj`` has one dimension; records a problem when it has not."""
    ndim = np.ndim(obj)
    if ndim != 1:
        problems.add(
            f"must be one-dimensional, got {ndim} dimension(s)", source=source, column=column
        )
    return ndim == 1


def as_float_input(obj, column: str, problems: ProblemCollector, *, source=None):
    """One input as floats; None (problem recorded) when it cannot be used.

    Parameters
    ----------
    obj : array-like or pandas.Series
        The input, never changed.
    column : str
        Its name in messages.
    problems : ProblemCollector
        Receives a problem for a non-1-D or non-numeric input.
    source : str, optional
        File the input came from, named in messages.

    Returns
    -------
    pandas.Series, numpy.ndarray or None
        A float Series with the same index for a Series, else a float array
        (always a copy).
    """
    if not is_one_dimensional(obj, column, problems, source=source):
        return None
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf":
        return obj.astype(float)  # a copy: inputs are never mutated
    series = obj if isinstance(obj, pd.Series) else pd.Series(list(obj), dtype=object)
    try:
        arr = series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        problems.add("is not numeric", source=source, column=column)
        return None
    return pd.Series(arr, index=obj.index) if isinstance(obj, pd.Series) else arr


def report_bad_values(
    arr,
    column: str,
    problems: ProblemCollector,
    *,
    missing: str,
    infinite: str,
    negative: str | None = None,
    all_zero: str | None = None,
    source=None,
    first_row: int = 0,
) -> None:
    """Record NaN, infinite and (if asked) negative or all-zero values of a float input.

    Parameters
    ----------
    arr : pandas.Series or numpy.ndarray
        A float input (see :func:`as_float_input`).
    column : str
        Its name in messages.
    problems : ProblemCollector
        Receives one problem per kind of bad value, naming the rows.
    missing, infinite : str
        Messages for NaN and for infinite values.
    negative : str, optional
        Message for values below 0; None when negative values are allowed.
    all_zero : str, optional
        Message for an input whose values are all 0 (recorded only when no
        other value is bad); None when that is allowed.
    source : str, optional
        File the input came from, named in messages.
    first_row : int, default 0
        See :func:`row_labels`.
    """
    labels = arr.index if isinstance(arr, pd.Series) else None
    x = np.asarray(arr, dtype=float)
    checks = [(np.isnan(x), missing), (np.isinf(x), infinite)]
    if negative is not None:
        checks.append((x < 0, negative))
    for mask, message in checks:
        if mask.any():
            rows = row_labels(labels, mask, first_row=first_row)
            problems.add(message, source=source, column=column, rows=rows)
    clean = not any(mask.any() for mask, _ in checks)
    if all_zero is not None and x.size and clean and not (x > 0).any():
        problems.add(all_zero, source=source, column=column)


def _repeated(index: pd.Index) -> tuple:
    return tuple(index[index.duplicated()].unique().tolist())


def _align(arr, ref_column, ref_index, n: int, column, problems, source, rows_named, repeat):
    """Put ``arr`` in the row order of the reference input; None if it cannot be matched."""
    if isinstance(arr, pd.Series) and ref_index is not None:
        if not arr.index.is_unique:
            problems.add(repeat, source=source, column=column, rows=_repeated(arr.index))
            return None
        missing = ref_index.difference(arr.index, sort=False)
        extra = arr.index.difference(ref_index, sort=False)
        for labels, message in (
            (missing, f"has no entry for some {rows_named} of {ref_column!r}"),
            (extra, f"has {rows_named} that {ref_column!r} does not have"),
        ):
            if len(labels):
                problems.add(message, source=source, column=column, rows=tuple(labels.tolist()))
        if len(missing) or len(extra):
            return None
        return arr.reindex(ref_index).to_numpy()
    if len(arr) != n:
        problems.add(
            f"has {len(arr)} entries but {ref_column!r} has {n}", source=source, column=column
        )
        return None
    return np.asarray(arr)


def align_to_reference(
    ref,
    ref_column: str,
    others: Sequence[tuple[str, object]],
    problems: ProblemCollector,
    *,
    source=None,
    rows_named: str = "areas",
    repeat_message: str = "index labels repeat, so rows cannot be matched",
) -> list:
    """The other inputs in the row order of the reference input.

    Parameters
    ----------
    ref : pandas.Series or numpy.ndarray
        The reference input (checked: not empty, no repeated index labels).
    ref_column : str
        Its name in messages.
    others : sequence of (str, object)
        Name and value of each other input; a None value is passed over.
    problems : ProblemCollector
        Receives every problem.
    source : str, optional
        File the inputs came from, named in messages.
    rows_named : str, default "areas"
        What the rows are called in messages about missing or extra labels.
    repeat_message : str
        Message for another Series whose index labels repeat.

    Returns
    -------
    list
        One entry per item of ``others``: the aligned values (a numpy array,
        not converted) or None where they could not be matched or were None.
    """
    n = len(ref)
    if n == 0:
        problems.add("is empty: there is nothing to measure", source=source, column=ref_column)
    index = ref.index if isinstance(ref, pd.Series) else None
    if index is not None and not index.is_unique:
        problems.add(
            "index labels repeat, so other inputs cannot be matched to it",
            source=source,
            column=ref_column,
            rows=_repeated(index),
        )
        index = None
    return [
        None
        if arr is None
        else _align(arr, ref_column, index, n, column, problems, source, rows_named, repeat_message)
        for column, arr in others
    ]


def before_after_table(before: Mapping[str, float], after: Mapping[str, float]) -> pd.DataFrame:
    """Measures before and after a plan, side by side.

    Parameters
    ----------
    before, after : mapping of str to float
        The same measures, in the order the table lists them.

    Returns
    -------
    pandas.DataFrame
        Index ``measure``; columns ``before``, ``after`` and ``change =
        after - before`` (NaN where either is NaN, or both are the same infinity).
    """
    table = pd.DataFrame({"before": pd.Series(before), "after": pd.Series(after)})
    with np.errstate(invalid="ignore"):
        table["change"] = table["after"] - table["before"]
    table.index.name = "measure"
    return table
