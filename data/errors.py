"""Errors shared by every part of accessplan.

Every error raised on purpose by accessplan subclasses :class:`AccessplanError`
*and* the builtin exception that fits it best (r5py style), so callers may catch
either ``AccessplanError`` or, say, ``ValueError``.

Input validators do not stop at the first problem: they collect every
:class:`Problem` found in an input and raise one :class:`InputValidationError`
that lists them all, each naming the file, the column and the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AccessplanError",
    "InputFileError",
    "InputValidationError",
    "Problem",
    "ProblemCollector",
]


class AccessplanError(Exception):
    """Base class of every error accessplan raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    source : str, optional
        The file (or logical input, e.g. ``"areas"``) the problem is in.
    column : str, optional
        The column concerned, in the user's own spelling.
    rows : tuple of object, optional
        Row labels (ids, or 1-based line numbers) concerned; at most the
        first few are printed.
    """

    message: str
    source: str | None = None
    column: str | None = None
    rows: tuple = ()

    def __str__(self) -> str:
        where = []
        if self.source:
            # a path names a file; a bare word names an in-memory input ("areas")
            is_file = any(mark in self.source for mark in ("/", "\\", "."))
            where.append(f"file {self.source}" if is_file else self.source)
        if self.column:
            where.append(f"column {self.column!r}")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" (+{len(self.rows) - 10} more)" if len(self.rows) > 10 else ""
            noun = "row" if len(self.rows) == 1 else "rows"
            where.append(f"{noun} {shown}{more}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InputValidationError(ValueError, AccessplanError):
    """One or more problems in the inputs; ``problems`` lists all of them."""

    def __init__(self, problems: Iterable[Problem], *, what: str = "input") -> None:
        self.problems = tuple(problems)
        self.what = what
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the {self.what}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self._message()


class InputFileError(FileNotFoundError, AccessplanError):
    """An input file is missing or cannot be read."""

    def __init__(self, path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"file {self.path}: {reason}")

    def __str__(self) -> str:
        return f"file {self.path}: {self.reason}"


class ProblemCollector:
    """Collect problems and raise them once.

    Examples
    --------
    >>> problems = ProblemCollector(what="areas")
    >>> problems.add("population is negative", source="tracts.gpkg",
    ...              column="Pop", rows=(17,))
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    accessplan.data.errors.InputValidationError: 1 problem in the areas:
      - file tracts.gpkg, column 'Pop', row 17: population is negative
    """

    def __init__(self, *, what: str = "input") -> None:
        self.what = what
        self.problems: list[Problem] = []

    def add(self, message: str, *, source=None, column=None, rows=()) -> None:
        """Record one problem."""
        self.problems.append(
            Problem(message, None if source is None else str(source), column, tuple(rows))
        )

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record several problems found elsewhere."""
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        """Raise :class:`InputValidationError` if any problem was recorded."""
        if self.problems:
            raise InputValidationError(self.problems, what=self.what)
