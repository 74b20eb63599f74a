"""CSV files the app writes: every text cell neutralised against spreadsheet formulas."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

# Spreadsheet apps run a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """The value, with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Only strings are touched: numbers written as numbers (an ARR of -5) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows go through :func:`csv_safe`."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


if TYPE_CHECKING:
    _DictWriter = csv.DictWriter[str]
else:  # not subscriptable at runtime before Python 3.12
    _DictWriter = csv.DictWriter


class SafeCsvDictWriter(_DictWriter):
    """``csv.DictWriter`` whose values (and header, which ``writeheader`` writes as a row) are neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: csv_safe(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        # The base class's writerows bypasses writerow.
        for rowdict in rowdicts:
            self.writerow(rowdict)
