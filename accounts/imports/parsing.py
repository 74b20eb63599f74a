"""Reading an import file: text encoding, header, cells (choices, numbers, dates), and
the rejected rows written back as a CSV to fix and re-import."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import override

from core.csv_export import SafeCsvDictWriter
from core.dates import date_in_range, date_range_message

MAX_ROWS = 200_000
PROGRESS_EVERY = 1000  # rows between two progress reports
ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese CRM exports are often GBK/GB18030

ACCOUNT_COLUMNS = ("external_id", "name", "industry", "arr", "icp_fit", "owner", "go_live_date", "status")
ACCOUNT_REQUIRED = ("external_id", "name")
STAKEHOLDER_COLUMNS = (
    "account_external_id", "name", "email", "title", "department", "phone", "tier", "key_level", "relationship",
)  # fmt: skip
STAKEHOLDER_REQUIRED = ("account_external_id", "name")

Progress = Callable[[int], None]  # called with the number of rows checked so far


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportResult:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected_csv: str = ""
    written: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header, size)."""


def numbered_rows(rows: list[dict[str, str]], progress: Progress | None) -> Iterable[tuple[int, dict[str, str]]]:
    """Rows with their number in the file (the header is row 1), reporting progress."""
    for index, row in enumerate(rows, start=2):
        if progress is not None and index > 2 and (index - 2) % PROGRESS_EVERY == 0:
            progress(index - 2)  # rows checked before this one
        yield index, row


def choice_lookup(choices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Accept the code and the label in English or Chinese (exports use labels)."""
    table: dict[str, Any] = {}
    for value, label in choices:
        table[str(value).strip().lower()] = value
        for language in ("en", "zh-hans"):
            with override(language):
                table[str(label).strip().lower()] = value
    return table


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file; ImportFileError when it is not readable text."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The file is not UTF-8 or GB18030 text; export it as CSV (UTF-8)."))
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("More than %(max)s rows; split the file.") % {"max": MAX_ROWS})
        rows.append({key: (value or "").strip() for key, value in row.items() if key})
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    return header, rows


def check_header(header: list[str], columns: tuple[str, ...], required: tuple[str, ...]) -> list[RowError]:
    errors = [RowError(1, name, _("Required column is missing.")) for name in required if name not in header]
    errors += [RowError(1, name, _("Unknown column.")) for name in header if name not in columns]
    return errors


def parse_decimal(text: str) -> Decimal:
    value = Decimal(text.replace(",", "").replace("¥", "").replace("$", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value


class Cells:
    """Reads the cells of one row into typed values, collecting one error per bad cell."""

    def __init__(self, row: dict[str, str], index: int) -> None:
        self.row = row
        self.index = index
        self.values: dict[str, Any] = {}
        self.errors: list[RowError] = []

    def bad(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.index, column, reason))

    @property
    def bad_columns(self) -> set[str]:
        return {error.column for error in self.errors}

    def required(self, column: str) -> str:
        text = self.row.get(column, "")
        if not text:
            self.bad(column, _("Required."))
        return text

    def choice(self, column: str, table: dict[str, Any]) -> None:
        text = self.row.get(column, "")
        if not text:
            return
        if text.lower() in table:
            self.values[column] = table[text.lower()]
        else:
            self.bad(column, _("Unknown value %(value)r.") % {"value": text})

    def money(self, column: str) -> None:
        text = self.row.get(column, "")
        if not text:
            return
        try:
            self.values[column] = parse_decimal(text).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            self.bad(column, _("Not a number: %(value)r.") % {"value": text})

    def day(self, column: str) -> None:
        text = self.row.get(column, "")
        if not text:
            return
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.bad(column, _("Not a date (YYYY-MM-DD): %(value)r.") % {"value": text})
            return
        if date_in_range(day):
            self.values[column] = day
        else:
            self.bad(column, date_range_message())

    def model_errors(self, errors: dict[str, list[str]] | None) -> None:
        """The service's verdict on the values read (field names are the column names)."""
        for column, reasons in (errors or {}).items():
            for reason in reasons:
                self.bad(column, reason)


def rejected_csv(header: list[str], rows: list[dict[str, str]], errors: list[RowError]) -> str:
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(f"{error.column}: {error.reason}")
    out = io.StringIO()
    writer = SafeCsvDictWriter(out, fieldnames=[*header, "error"], extrasaction="ignore")
    writer.writeheader()
    for index, row in enumerate(rows, start=2):
        if index in by_row:
            writer.writerow({**row, "error": "; ".join(by_row[index])})
    return out.getvalue()
